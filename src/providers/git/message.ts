/** Commit messages of the standby toggle: what and why in the subject, the reason as body, trailers for audit. */
import type { Role } from '../types.js';
import type { CommitMeta, StandbyScope, StandbyState } from './port.js';

/** `activate aws overlay`, `put aws overlay in standby`, `suspend gcp cronjobs`, `resume gcp cronjobs`. */
export function standbyAction(role: Role, target: StandbyState, scope: StandbyScope): string {
  if (scope === 'cronjobs') return `${target === 'standby' ? 'suspend' : 'resume'} ${role} cronjobs`;
  return target === 'active' ? `activate ${role} overlay` : `put ${role} overlay in standby`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** Longest text kept in a subject, body line or trailer value. */
const MAX_VALUE = 200;

/**
 * A value as one line of printable text: control characters (newlines, ESC…) become spaces, so no
 * value can end the subject, start a new paragraph or a forged trailer (`Signed-off-by:`), or
 * carry terminal escapes into `git log`.
 */
export function auditLine(value: string): string {
  const printable = value.replace(CONTROL, ' ');
  const line = printable.replace(/\s+/g, ' ').trim();
  return [...line].length > MAX_VALUE ? `${[...line].slice(0, MAX_VALUE - 1).join('')}…` : line;
}

const oneLine = auditLine;

/**
 * `failover: activate aws overlay (INC-42)`, the reason as body, then the trailers
 * Failover-Run, Failover-Operator, Failover-Incident, Failover-Reason; for an applied saved plan
 * also Failover-Plan, Failover-Planned-By and one Failover-Approved-By per approver.
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
  const reason = meta.reason ? oneLine(meta.reason) : '';
  const trailers = [
    `Failover-Run: ${oneLine(meta.runId)}`,
    `Failover-Operator: ${oneLine(meta.operator)}`,
    ...(incident ? [`Failover-Incident: ${incident}`] : []),
    ...(reason ? [`Failover-Reason: ${reason}`] : []),
    ...(meta.plan
      ? [
          `Failover-Plan: ${oneLine(meta.plan.hash)}`,
          `Failover-Planned-By: ${oneLine(meta.plan.plannedBy)}`,
          ...meta.plan.approvedBy.map((name) => `Failover-Approved-By: ${oneLine(name)}`),
        ]
      : []),
  ];
  return [subject, ...(reason ? [reason] : []), trailers.join('\n')].join('\n\n') + '\n';
}
