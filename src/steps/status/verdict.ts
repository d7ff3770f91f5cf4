/**
 * The one-line answer to "where is production now?" that `failover status` ends with: on GCP, on
 * AWS, or split / in transition, with the reason. Traffic decides the side; the overlays and the
 * Argo CD apps must agree with it, or the state is in transition (a run stopped half way, a sync
 * still rolling out, someone moved a weight by hand).
 */
import type { AppState } from '../../providers/argocd/port.js';
import type { OverlayState } from '../../providers/git/port.js';
import type { Role } from '../../providers/types.js';
import { syncedAsGitWants } from '../argocd/condition.js';
import { describeWorkload } from '../argocd/desired.js';
import type { StatusReport } from './collect.js';

export type Verdict = 'gcp' | 'aws' | 'split';

export interface StatusVerdict {
  verdict: Verdict;
  reason: string;
}

const NAME: Record<Role, string> = { gcp: 'GCP', aws: 'AWS' };

function share(weights: { gcp: number; aws: number }): { gcp: number; aws: number } {
  const total = weights.gcp + weights.aws;
  if (total === 0) return { gcp: 50, aws: 50 };
  const gcp = Math.round((weights.gcp / total) * 1000) / 10;
  return { gcp, aws: Math.round((100 - gcp) * 10) / 10 };
}

/** Where the traffic goes: a side, or why it is neither. */
function trafficSide(report: StatusReport): { side?: Role; why: string } {
  const section = report.weights;
  if (!section) return { why: 'no Route 53 configured' };
  if (!section.ok) return { why: `the Route 53 weights cannot be read (${section.error})` };
  if (section.value.length === 0) return { why: 'Route 53 has no weighted target' };
  const sides = section.value.map((t) => {
    const p = share(t.weights);
    const side: Role | undefined = p.gcp === 100 ? 'gcp' : p.aws === 100 ? 'aws' : undefined;
    return { t, p, side };
  });
  const mixed = sides.find((s) => s.side === undefined);
  if (mixed) return { why: `traffic is split: gcp ${mixed.p.gcp}% / aws ${mixed.p.aws}% on ${mixed.t.name}` };
  const pending = section.value.find((t) => t.state !== 'Applied' && t.state !== 'INSYNC');
  if (pending) return { why: `Route 53 is still applying a change to ${pending.name} (${pending.state})` };
  const first = sides[0]!.side!;
  const other = sides.find((s) => s.side !== first);
  if (other)
    return {
      why: `the instances disagree: ${sides[0]!.t.name} on ${first}, ${other.t.name} on ${other.side}`,
    };
  return { side: first, why: `all traffic on ${NAME[first]}` };
}

function overlay(report: StatusReport, role: Role): OverlayState | undefined | 'unreadable' {
  const s = report.overlays[role];
  if (!s) return undefined;
  return s.ok ? s.value : 'unreadable';
}

/** Why the apps of a side are not settled as `want` says (active: running; standby: at 0), if they are not. */
function appsProblem(
  apps: AppState[],
  want: 'active' | 'standby',
  alwaysOn: readonly string[],
): string | undefined {
  // A workload git keeps at 0 on the active side (one meant only for GKE) is as rendered, as the
  // wait for AWS judges it; with nothing at all above 0, the side serves nothing.
  const somethingWanted = apps.some((app) => app.workloads.some((w) => (w.desired ?? 0) > 0));
  for (const app of apps) {
    if (!syncedAsGitWants(app) || app.operationInFlight)
      return `Argo CD app ${app.name} is ${app.operationInFlight ? 'syncing' : app.syncStatus}`;
    for (const w of app.workloads) {
      if (w.desired === undefined) continue;
      const id = describeWorkload(w);
      const ready = w.ready ?? 0;
      if (want === 'active' && ((w.desired === 0 && !somethingWanted) || ready < w.desired))
        return `${id} in ${app.name} is ${ready}/${w.desired} ready`;
      if (want === 'standby' && ready > 0 && !alwaysOn.includes(id))
        return `${id} in ${app.name} still runs ${ready} replica(s) in standby`;
    }
  }
  return undefined;
}

/** `at 0`, or what still runs in standby: `at 0 but for 1 always on (Deployment shop/web: 6 ready)`. */
function atZeroBut(apps: readonly AppState[]): string {
  const running = apps.flatMap((app) =>
    app.workloads.filter((w) => (w.ready ?? 0) > 0).map((w) => `${describeWorkload(w)}: ${w.ready} ready`),
  );
  return running.length ? `at 0 but for ${running.length} always on (${running.join(', ')})` : 'at 0';
}

export function statusVerdict(report: StatusReport): StatusVerdict {
  const traffic = trafficSide(report);
  if (!traffic.side) return { verdict: 'split', reason: traffic.why };
  const side = traffic.side;
  const aws = overlay(report, 'aws');
  const gcp = overlay(report, 'gcp');
  const split = (why: string): StatusVerdict => ({
    verdict: 'split',
    reason: `${traffic.why}, but ${why}`,
  });
  if (aws === 'unreadable' || gcp === 'unreadable') return split('an overlay cannot be read');
  // Worse than in transition: Argo CD takes (part of) AWS out of service under the traffic it serves.
  if (aws && side === 'aws' && aws.state !== 'active') {
    const what = aws.state === 'standby' ? 'in standby' : 'partly in standby';
    const effect =
      aws.state === 'standby'
        ? 'Argo CD keeps AWS dormant while it serves'
        : 'Argo CD keeps what those entries cover dormant while AWS serves';
    const way = aws.standbyElsewhere
      ? 'the standby lives outside its kustomization (a parent overlay or an inline patch): remove it there, or `failover to-gcp` moves the traffic back'
      : '`failover to-aws` activates it again, `failover to-gcp` moves the traffic back';
    return split(
      `the AWS overlay is ${what}, so ${effect} (a commit put the overlay back in standby, or the weights were moved by hand; \`git log\` of the overlay tells which): ${way}`,
    );
  }
  if (aws && side === 'gcp' && aws.state !== 'standby')
    return split(
      `the AWS overlay is ${aws.state === 'active' ? 'active' : 'partly in standby'} (failback not finished)`,
    );
  // GKE's CronJobs are fenced (suspended) while AWS runs: on GCP the fence must be gone.
  if (gcp && side === 'gcp' && gcp.entries.length > 0)
    return split(`GKE's overlay still has its standby entries (${gcp.entries.join(', ')})`);
  const awsApps = report.apps.aws;
  if (awsApps && !awsApps.ok) return split(`the AWS Argo CD apps cannot be read (${awsApps.error})`);
  const awsProblem = awsApps
    ? appsProblem(awsApps.value, side === 'aws' ? 'active' : 'standby', aws?.alwaysOn ?? [])
    : undefined;
  if (awsProblem) return split(awsProblem);
  const gcpApps = report.apps.gcp;
  if (side === 'gcp' && gcpApps?.ok) {
    const gcpProblem = appsProblem(gcpApps.value, 'active', []);
    if (gcpProblem) return split(gcpProblem);
  }
  const agreeing = [
    aws ? `AWS overlay ${aws.state}` : undefined,
    awsApps ? `AWS apps ${side === 'aws' ? 'running' : atZeroBut(awsApps.value)}` : undefined,
  ].filter(Boolean);
  return { verdict: side, reason: `${traffic.why}${agreeing.length ? `; ${agreeing.join(', ')}` : ''}` };
}

export function verdictLine(v: StatusVerdict): string {
  const head = v.verdict === 'split' ? 'split / in transition' : `on ${NAME[v.verdict]}`;
  return `verdict: ${head} (${v.reason})`;
}
