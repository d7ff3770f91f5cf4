/**
 * After a run that did not succeed, the last lines say where things stand as read back from the
 * systems themselves (Route 53 weights, the overlays at the branch head, the run lock), not what
 * the run believed: a step whose effect is unknown (a timeout, a lost answer) cannot mislead.
 */
import type { Config } from '../config/schema.js';
import { toFailoverError } from '../engine/errors.js';
import type { LockInfo, OverlayState } from '../providers/git/port.js';
import type { ReadPorts } from '../providers/ports.js';
import type { WeightTarget } from '../providers/route53/port.js';
import { percentages } from '../steps/status/collect.js';
import type { Colors } from './io.js';

type Read<T> = { ok: true; value: T } | { ok: false; error: string };

export interface StateNow {
  at: string;
  weights?: Read<
    { id: string; state: string; gcp: number; aws: number; gcpPercent: number; awsPercent: number }[]
  >;
  overlays?: { aws: Read<OverlaySummary>; gcp: Read<OverlaySummary> };
  lock?: Read<{ runId: string; operator: string; expiresAt: string } | null>;
}

interface OverlaySummary {
  state: OverlayState['state'];
  /** The CronJobs alone: suspended by a standby entry or not. */
  cronJobs?: OverlayState['cronJobs'];
  revision: string;
  entries: string[];
}

/** How long the read-back may take: the run is over, the operator is waiting for the prompt. */
export const STATE_NOW_TIMEOUT_MS = 10_000;

async function read<T>(get: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await get() };
  } catch (thrown) {
    return { ok: false, error: toFailoverError(thrown).message };
  }
}

export async function readStateNow(
  ports: ReadPorts,
  config: Config,
  signal: AbortSignal = AbortSignal.timeout(STATE_NOW_TIMEOUT_MS),
): Promise<StateNow> {
  const overlay = async (role: 'aws' | 'gcp'): Promise<OverlaySummary> => {
    const s = await ports.git.overlayState(role, signal);
    return {
      state: s.state,
      ...(s.cronJobs ? { cronJobs: s.cronJobs } : {}),
      revision: s.revision,
      entries: s.entries,
    };
  };
  const [weights, aws, gcp, lock] = await Promise.all([
    config.route53
      ? read(async () =>
          (await ports.route53.describeWeights(signal)).map((t: WeightTarget) => {
            const p = percentages(t.weights);
            return {
              id: t.id,
              state: t.state,
              gcp: t.weights.gcp,
              aws: t.weights.aws,
              gcpPercent: p.gcp,
              awsPercent: p.aws,
            };
          }),
        )
      : undefined,
    config.gitops ? read(() => overlay('aws')) : undefined,
    config.gitops ? read(() => overlay('gcp')) : undefined,
    config.gitops
      ? read(async () => {
          const info: LockInfo | undefined = await ports.git.readLock(signal);
          return info ? { runId: info.runId, operator: info.operator, expiresAt: info.expiresAt } : null;
        })
      : undefined,
  ]);
  return {
    at: new Date().toISOString(),
    ...(weights ? { weights } : {}),
    ...(aws && gcp ? { overlays: { aws, gcp } } : {}),
    ...(lock ? { lock } : {}),
  };
}

/** The read-back as the last lines of a run, one fact per line. */
export function renderStateNow(state: StateNow, runId: string, c: Colors): string[] {
  const lines: string[] = [c.bold('  state now (read back):')];
  const unreadable = (what: string, r: { error: string }) =>
    c.red(`    ${what}: could not be read (${r.error})`);
  if (state.weights) {
    if (!state.weights.ok) lines.push(unreadable('traffic', state.weights));
    else
      for (const t of state.weights.value)
        lines.push(
          `    traffic: gcp ${t.gcpPercent}% / aws ${t.awsPercent}% (Route 53 ${t.id}: ${t.state === 'Applied' || t.state === 'INSYNC' ? t.state : c.yellow(t.state)})`,
        );
  }
  if (state.overlays) {
    const { aws, gcp } = state.overlays;
    // Git alone says what the overlay asks for, not what runs: Argo CD may not have applied it yet.
    const awsWord = (s: OverlayState['state']) =>
      s === 'active'
        ? 'active (standby entries removed)'
        : s === 'standby'
          ? 'standby'
          : c.yellow('partly standby');
    // GKE's overlay is fenced by suspending its CronJobs; its Deployments stay as they are.
    const gcpWord = (o: OverlaySummary) =>
      (o.cronJobs ?? (o.state === 'active' ? 'active' : 'standby')) === 'active'
        ? 'GKE CronJobs unsuspended'
        : 'GKE CronJobs suspended (fenced)';
    if (!aws.ok) lines.push(unreadable('aws overlay', aws));
    if (!gcp.ok) lines.push(unreadable('gcp overlay', gcp));
    if (aws.ok && gcp.ok)
      lines.push(
        `    git: aws overlay ${awsWord(aws.value.state)}, ${gcpWord(gcp.value)} (branch head ${aws.value.revision.slice(0, 7)})`,
      );
    else if (aws.ok) lines.push(`    git: aws overlay ${awsWord(aws.value.state)}`);
    else if (gcp.ok) lines.push(`    git: ${gcpWord(gcp.value)}`);
  }
  if (state.lock) {
    if (!state.lock.ok) lines.push(unreadable('run lock', state.lock));
    else if (state.lock.value === null) lines.push('    run lock: free');
    else
      lines.push(
        c.yellow(
          `    run lock: held by ${state.lock.value.runId === runId ? 'this run' : `run ${state.lock.value.runId}`} (${state.lock.value.operator}) until ${state.lock.value.expiresAt}`,
        ),
      );
  }
  return lines.length > 1 ? lines : [];
}
