/**
 * The CronJob invariant: no commit a runbook pushes leaves a CronJob unsuspended in both overlays
 * at once. A step that resumes one overlay's CronJobs (gitops.set-standby, state active) needs,
 * before it, the other overlay's CronJobs suspended by a step that cannot be skipped or fail
 * silently. Resuming GKE's also needs Argo CD to have applied AWS's suspension (an argocd.wait
 * for standby): a commit alone does not stop a job the AWS cluster is about to start.
 */
import type { Scope } from '../../runbook/expressions.js';
import type { PathSegment } from '../../util/yaml-source.js';
import { decided, type Located, neverStops, withField } from './rules.js';
import type { Severity } from './types.js';

type Overlay = 'aws' | 'gcp';

export interface CronJobFinding {
  severity: Severity;
  path: PathSegment[];
  message: string;
  fix: string;
}

/** What a gitops.set-standby step does to CronJobs, when its inputs can be told. */
function toggle(step: Located, scope: Scope): { overlay: Overlay; running: boolean } | undefined {
  if (step.step.uses !== 'gitops.set-standby') return undefined;
  const role = withField(step.step, 'role', scope);
  const state = withField(step.step, 'state', scope);
  if ((role !== 'aws' && role !== 'gcp') || (state !== 'active' && state !== 'standby')) return undefined;
  // Both scopes (all, cronjobs) move the CronJobs; only `all` moves the Deployments too.
  return { overlay: role, running: state === 'active' };
}

/** An argocd.wait that sees the overlay's CronJobs suspended in the cluster. */
function waitsForSuspended(step: Located, overlay: Overlay, scope: Scope): boolean {
  if (step.step.uses !== 'argocd.wait') return false;
  const expect = withField(step.step, 'expect', scope);
  return (
    withField(step.step, 'role', scope) === overlay &&
    (expect === 'standby' || expect === 'cronjobs-suspended')
  );
}

const other = (overlay: Overlay): Overlay => (overlay === 'aws' ? 'gcp' : 'aws');
const side = (overlay: Overlay) => (overlay === 'aws' ? 'AWS' : 'GKE');

export function cronJobFindings(
  steps: readonly Located[],
  constants: Scope,
  defaults: Scope,
): CronJobFinding[] {
  const findings: CronJobFinding[] = [];
  const mayRun = (s: Located) =>
    decided(s.step.when, constants) !== false && decided(s.groupEntry?.when, constants) !== false;
  // Runs whenever the run gets there (parameters at their defaults), and a failure stops the run.
  const sure = (s: Located) =>
    decided(s.step.when, defaults) === true &&
    decided(s.groupEntry?.when, defaults) === true &&
    !neverStops(s);
  const main = steps.filter((s) => !s.inFinally && mayRun(s));

  for (const s of steps) {
    const change = toggle(s, defaults);
    if (!change?.running || !mayRun(s)) continue;
    const { overlay } = change;
    const path = [...s.path, 'with'];
    const fence = other(overlay);
    const fenceFix =
      overlay === 'aws'
        ? 'add a step before it: `uses: gitops.set-standby` with `role: gcp`, `state: standby`, `scope: cronjobs`, as runbooks/to-aws.yaml does'
        : 'put the aws overlay back in standby first (`gitops.set-standby` role aws, state standby), wait for it (`argocd.wait` role aws, expect standby), and only then resume GKE’s CronJobs, as runbooks/to-gcp.yaml does';
    const what = `step "${s.step.id}" resumes the ${overlay} overlay’s CronJobs`;
    if (s.inFinally) {
      findings.push({
        severity: 'error',
        path,
        message: `${what} in \`finally\`, which runs after a failure too, whether or not ${side(fence)}’s CronJobs were suspended: they could run on both clouds`,
        fix: `move it to \`steps\`, after the steps that suspend ${side(fence)}’s CronJobs`,
      });
      continue;
    }
    const sameGroup = main.find(
      (t) => t !== s && t.order === s.order && toggle(t, defaults)?.overlay === fence,
    );
    if (sameGroup) {
      findings.push({
        severity: 'error',
        path,
        message: `${what} in the same parallel group as step "${sameGroup.step.id}", which changes the ${fence} overlay: the two commits have no order, so both overlays’ CronJobs may run at once`,
        fix: 'take both steps out of the group, suspending before resuming',
      });
      continue;
    }
    const before = main.filter((t) => t.order < s.order);
    const lastFence = before.findLast((t) => toggle(t, defaults)?.overlay === fence);
    if (!lastFence || toggle(lastFence, defaults)?.running) {
      findings.push({
        severity: 'error',
        path,
        message: lastFence
          ? `${what}, but the last earlier step that changes the ${fence} overlay ("${lastFence.step.id}") makes its CronJobs run: the commit would leave every CronJob unsuspended on both clouds`
          : `${what}, but no earlier step suspends ${side(fence)}’s CronJobs (gitops.set-standby, role ${fence}, state standby): the commit would leave every CronJob unsuspended on both clouds`,
        fix: fenceFix,
      });
      continue;
    }
    if (!sure(lastFence)) {
      findings.push({
        severity: 'warning',
        path,
        message: `${what}, but step "${lastFence.step.id}", which suspends ${side(fence)}’s, may be skipped or may fail without stopping the run: then every CronJob runs on both clouds`,
        fix: `make "${lastFence.step.id}" unconditional and let its failure stop the run (no \`onFailure: continue\`)`,
      });
      continue;
    }
    if (overlay !== 'gcp') continue;
    // AWS runs the jobs during the failover: resuming GKE's needs them really stopped there.
    const waits = before.filter((t) => t.order > lastFence.order && waitsForSuspended(t, 'aws', defaults));
    if (waits.length === 0) {
      findings.push({
        severity: 'error',
        path,
        message: `${what} right after the aws overlay’s standby commit ("${lastFence.step.id}"), without an \`argocd.wait\` (role aws, expect standby) in between: until Argo CD applies that commit, AWS’s CronJobs still run`,
        fix: fenceFix,
      });
    } else if (!waits.some(sure)) {
      findings.push({
        severity: 'warning',
        path,
        message: `${what}, but the wait for AWS’s standby before it (${waits.map((w) => `"${w.step.id}"`).join(', ')}) may be skipped or may fail without stopping the run`,
        fix: 'make the wait unconditional and let its failure stop the run (onFailure abort)',
      });
    }
  }
  return findings;
}
