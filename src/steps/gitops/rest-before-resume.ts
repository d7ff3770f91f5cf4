/**
 * Before a rollback resumes one side's CronJobs (GKE's fence taken back after AWS's activation
 * failed), the other side's cluster must have suspended them again. The rollback's standby commit
 * alone does not stop a CronJob there: its Argo CD may not have applied it yet, or cannot (a
 * teammate's commit broke the overlay's build). to-gcp waits for that with a step of its own
 * (aws-dormant); a rollback has none, so it waits here, bounded, and leaves the fence in place
 * when the other side still runs them: suspended on both is recoverable, running on both is not.
 */
import { stepFailed } from '../../engine/errors.js';
import type { AppState } from '../../providers/argocd/port.js';
import { type Role, SIDE_NAMES } from '../../providers/types.js';
import { formatMs, toMs } from '../../util/duration.js';
import type { ApplyContext } from '../types.js';

/** CronJobs (`namespace/name`, or `name` without a namespace) active in the apps' live state. */
function activeCronJobs(apps: readonly AppState[]): string[] {
  return apps.flatMap((app) =>
    app.workloads
      .filter((w) => w.kind === 'CronJob' && w.suspended === false && !w.missing)
      .map((w) => (w.namespace ? `${w.namespace}/${w.name}` : w.name)),
  );
}

/**
 * Waits until none of `resuming` (the CronJobs the rollback resumes on `role`; all when unknown)
 * is active in the other side's cluster, as its Argo CD reports the live state. Unreadable apps
 * (or none configured) leave the decision to the commit's render check, as before, with a line in
 * the run log. Throws FO_GITOPS_E4111 when they still run after argocd.rollbackRestWait (60 s).
 */
export async function waitOtherSideAtRest(
  ctx: ApplyContext,
  role: Role,
  resuming: readonly string[] | undefined,
): Promise<void> {
  const other: Role = role === 'aws' ? 'gcp' : 'aws';
  const argocd = ctx.config.argocd;
  if (!argocd || !(other === 'aws' ? argocd.awsApps : argocd.gcpApps)) return;
  const waitMs = toMs(argocd.rollbackRestWait);
  const wanted = resuming ? new Set(resuming) : undefined;
  const concerned = (name: string) =>
    !wanted || wanted.has(name) || [...wanted].some((w) => w.endsWith(`/${name}`));
  const deadline = Date.now() + waitMs;
  let refresh = true;
  let running: string[] = [];
  for (;;) {
    let apps: AppState[];
    try {
      apps = await ctx.read.argocd.apps(other, { refresh, signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      ctx.emit({
        level: 'warn',
        code: 'FO_GITOPS_W4112',
        message: `could not read ${SIDE_NAMES[other]}'s Argo CD apps to see its CronJobs suspended before resuming ${SIDE_NAMES[role]}'s (${error instanceof Error ? error.message : String(error)}): the commit's render check decides alone`,
      });
      return;
    }
    refresh = false;
    running = activeCronJobs(apps).filter(concerned);
    if (running.length === 0) return;
    const left = deadline - Date.now();
    if (left <= 0) break;
    await ctx.sleep(Math.min(argocd.pollInterval * 1000, left));
  }
  const many = running.length > 1;
  throw stepFailed(
    'FO_GITOPS_E4111',
    `${SIDE_NAMES[role]} CronJobs left suspended: ${SIDE_NAMES[other]}'s cluster still runs ${running.join(', ')} ${formatMs(waitMs)} after its standby commit, and resuming ${many ? 'them' : 'it'} would run ${many ? 'them' : 'it'} on both clouds`,
    {
      hint: `see why ${SIDE_NAMES[other]}'s Argo CD has not applied the standby (\`failover status\`, \`argocd app get <app>\`); once it has, \`failover ${role === 'gcp' ? 'to-gcp' : 'to-aws'}\` resumes them. If it is only slow to sync, raise argocd.rollbackRestWait (now ${argocd.rollbackRestWait})`,
      details: { cronJobs: running },
    },
  );
}
