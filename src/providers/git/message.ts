/** Commit messages of the standby toggle: what and why in the subject, the reason as body, trailers for audit. */
import type { Role } from '../types.js';
import type { CommitMeta, StandbyScope, StandbyState } from './port.js';

/** `activate aws overlay`, `put aws overlay in standby`, `suspend gcp cronjobs`, `resume gcp cronjobs`. */
export function standbyAction(role: Role, target: StandbyState, scope: StandbyScope): string {
  if (scope === 'cronjobs') return `${target === 'standby' ? 'suspend' : 'resume'} ${role} cronjobs`;
  return target === 'active' ? `activate ${role} overlay` : `put ${role} overlay in standby`;
}

/** Trailer values are single lines. */
function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/**
 * `failover: activate aws overlay (INC-42)`, the reason as body, then the trailers
 * Failover-Run, Failover-Operator, Failover-Incident, Failover-Reason.
 */
export function standbyCommitMessage(
  role: Role,
  target: StandbyState,
  scope: StandbyScope,
  meta: CommitMeta,
  options: { rollback?: boolean } = {},
): string {
  const incident = meta.incident ? oneLine(meta.incident) : '';
  const subject = `failover: ${options.rollback ? 'rollback: ' : ''}${standbyAction(role, target, scope)}${incident ? ` (${incident})` : ''}`;
  const reason = meta.reason?.trim() ?? '';
  const trailers = [
    `Failover-Run: ${oneLine(meta.runId)}`,
    `Failover-Operator: ${oneLine(meta.operator)}`,
    ...(incident ? [`Failover-Incident: ${incident}`] : []),
    ...(reason ? [`Failover-Reason: ${oneLine(reason)}`] : []),
  ];
  return [subject, ...(reason ? [reason] : []), trailers.join('\n')].join('\n\n') + '\n';
}
