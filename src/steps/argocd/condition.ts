/**
 * When is an Argo CD app where we want it? Pure judgement of the live workloads against the
 * overlay rendered at the synced revision (the health traps: Argo CD calls a 0-replica Deployment
 * and a suspended CronJob Healthy, so its health word proves nothing here). `expect` names the
 * mode; the render says what that mode means for each workload, always-on ones included.
 */
import type { AppState, WorkloadState } from '../../providers/argocd/port.js';
import {
  type DesiredIndex,
  type DesiredWorkload,
  describeWorkload,
  dormantAsRendered,
  REPLICATED_KINDS,
  WORKLOAD_KINDS,
} from './desired.js';
import { externalSecretProblem, secretWait, syncFailureAt } from './secrets.js';

export const EXPECTATIONS = ['running', 'standby', 'cronjobs-suspended', 'cronjobs-running'] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

/** What each expectation means, for summaries and messages. */
export const GOAL: Record<Expectation, string> = {
  running:
    'every workload running as the active render says (ready and updated at the new generation, CronJobs as rendered)',
  standby:
    'every workload as the standby render says (0 ready where it wants 0, CronJobs suspended; always-on workloads running)',
  'cronjobs-suspended': 'every CronJob suspended as rendered',
  'cronjobs-running': 'every CronJob as rendered (active unless the render suspends it)',
};
export interface AppVerdict {
  app: string;
  /** The app reports the wanted revision (always true when none is wanted). */
  atRevision: boolean;
  /** Synced at the wanted revision with no operation in flight. */
  synced: boolean;
  /** Synced and every workload in the expected state: the wait is over for this app. */
  done: boolean;
  /** Each reason the app is not done: the app itself first, then each resource with its state. */
  waitingFor: string[];
  /** Workloads not in the expected state, as `Kind namespace/name: state`. */
  resources: string[];
  /** One line describing the app now, for progress messages. */
  progress: string;
  /**
   * The sync of the wanted revision failed and Argo CD will not retry it by itself: why, in one
   * line naming each resource and Argo CD's message (a CRD missing on the destination…).
   */
  syncFailed?: string;
  /** Workloads git no longer has that Argo CD leaves running until someone prunes them. */
  toPrune?: string[];
}

export const SHA = /^[0-9a-f]{7,64}$/i;

export function shortRevision(revision: string | undefined): string {
  if (!revision) return 'none';
  return SHA.test(revision) ? revision.slice(0, 7) : revision;
}

/** Same commit: equal, or `wanted` is an abbreviation (7+ hex digits) of `actual`. */
export function sameRevision(actual: string | undefined, wanted: string): boolean {
  if (!actual) return false;
  const a = actual.toLowerCase();
  const w = wanted.toLowerCase();
  return a === w || (SHA.test(w) && a.startsWith(w));
}

/** The CronJob expectations judge only CronJobs; running and standby judge every workload kind. */
function judged(kind: string, expect: Expectation): boolean {
  if (expect === 'cronjobs-running' || expect === 'cronjobs-suspended') return kind === 'CronJob';
  return WORKLOAD_KINDS.has(kind);
}

/** The rendered state of a workload as Argo CD's target state says it (when no render of our own is at hand). */
function desiredFromTarget(w: WorkloadState): DesiredWorkload | undefined {
  if (!w.target) return undefined;
  const base = { kind: w.kind, name: w.name, ...(w.namespace ? { namespace: w.namespace } : {}) };
  if (w.kind === 'CronJob') return { ...base, suspend: w.target.suspend === true };
  // No spec.replicas in the manifest: whoever owns the field (an HPA) decides; the live count stands.
  return w.target.replicas !== undefined
    ? { ...base, replicas: w.target.replicas }
    : { ...base, autoscaled: true };
}

/**
 * Why a live workload is not as rendered, or undefined when it is. `desired` is the workload in the
 * render (undefined: not in it); `live` undefined or missing means the cluster does not have it.
 * Replicated kinds: spec.replicas as rendered, observedGeneration caught up, ready = updated =
 * wanted (a 0 means 0 ready). DaemonSets: desired scheduled = ready = updated. CronJobs: suspend as
 * rendered.
 */
export function workloadProblem(
  desired: DesiredWorkload | undefined,
  live: WorkloadState | undefined,
): string | undefined {
  const kind = desired?.kind ?? live?.kind ?? '';
  const missing = !live || live.missing === true;
  if (kind === 'CronJob') {
    const want = desired?.suspend === true;
    if (missing) return want ? undefined : 'not created yet, want active';
    if (live.suspended === want) return undefined;
    return want ? 'active, want suspended' : 'suspended, want active';
  }
  if (kind === 'DaemonSet') {
    if (missing) return 'not created yet';
    const want = live.desired ?? 0;
    const ready = live.ready ?? 0;
    const updated = live.updated ?? 0;
    if (live.observed === false) return `${ready}/${want} ready, new spec not yet seen by the controller`;
    if (ready === want && updated === want) return undefined;
    return `${ready}/${want} ready, ${updated} updated, want ${want}`;
  }
  if (!REPLICATED_KINDS.has(kind)) return undefined;
  // Without spec.replicas in the manifest: the HPA's count when one owns it, else the API default.
  const ownedByScaler = desired?.replicas === undefined && desired?.autoscaled === true;
  const want = desired?.replicas ?? (ownedByScaler ? Math.max(1, live?.desired ?? 1) : 1);
  const held = want === 0 && desired?.heldUpBy ? ` (${desired.heldUpBy}: the 0 may not hold)` : '';
  if (missing) return want === 0 ? undefined : `not created yet, want ${want}`;
  const ready = live.ready ?? 0;
  const updated = live.updated ?? 0;
  if (live.observed === false)
    return `${ready}/${want} ready, want ${want}: new spec not yet seen by the controller`;
  if (!ownedByScaler && live.desired !== undefined && live.desired !== want)
    return `spec.replicas ${live.desired}, want ${want} (not applied yet)${held}`;
  if (want === 0) return ready === 0 ? undefined : `${ready} ready, want 0${held}`;
  if (ready === want && updated >= want) return undefined;
  return `${ready}/${want} ready${updated < want ? `, ${updated} updated` : ''}, want ${want}`;
}

export interface JudgeContext {
  /** The workloads of the overlay rendered at the app's revision; undefined: Argo CD's target state decides. */
  desired?: DesiredIndex;
  /** The app's revision contains the wanted one (git ancestry): someone pushed on top of ours. */
  contains?: boolean;
}

function stateWord(w: WorkloadState): string {
  if (w.missing) return 'missing';
  if (w.kind === 'CronJob') return w.suspended ? 'suspended' : 'active';
  return `${w.ready ?? 0}/${w.desired ?? 0}`;
}

/**
 * A render that contradicts the mode: a running wait on a render that keeps every workload dormant
 * (the standby commit, or a revision before ours), or a standby wait on one that keeps none
 * dormant. Then every workload not in the wanted mode is named, as the old revision has it.
 */
function modeMismatch(
  expect: Expectation,
  wanted: readonly (DesiredWorkload | undefined)[],
): ((w: WorkloadState) => string | undefined) | undefined {
  const known = wanted.filter((d): d is DesiredWorkload => d !== undefined);
  if (known.length === 0) return undefined;
  if (expect === 'running' && known.every(dormantAsRendered)) {
    return (w) => {
      if (w.missing) return 'not created yet; the render keeps every workload dormant';
      if (w.kind === 'CronJob')
        return w.suspended ? 'suspended (the render keeps every workload dormant)' : undefined;
      if (w.kind === 'DaemonSet') return undefined;
      return (w.desired ?? 0) === 0
        ? 'scaled to 0 (Argo CD calls this Healthy; the render keeps every workload dormant)'
        : undefined;
    };
  }
  const replicated = known.filter((d) => REPLICATED_KINDS.has(d.kind) || d.kind === 'CronJob');
  if (expect === 'standby' && replicated.length > 0 && !replicated.some(dormantAsRendered)) {
    return (w) => {
      if (w.missing || w.kind === 'DaemonSet') return undefined;
      if (w.kind === 'CronJob') return w.suspended ? undefined : 'active (the render keeps nothing dormant)';
      return (w.desired ?? 0) > 0
        ? `${w.ready ?? 0}/${w.desired} ready, want 0 (the render keeps nothing dormant)`
        : undefined;
    };
  }
  return undefined;
}

/**
 * Synced, or OutOfSync only by resources git no longer has and Argo CD leaves to prune (auto-sync
 * without `prune`, its default; say, a ConfigMap of a standby Component): everything git wants is
 * live, and no sync changes that.
 */
export function syncedAsGitWants(app: AppState): boolean {
  return app.syncStatus === 'Synced' || (app.syncStatus === 'OutOfSync' && app.outOfSyncOnlyToPrune === true);
}

/** `: StatefulSet admin/redis (to prune), +2 more` when Argo CD names what is OutOfSync. */
function outOfSyncList(app: AppState): string {
  const names = app.outOfSync ?? [];
  if (app.syncStatus !== 'OutOfSync' || names.length === 0) return '';
  return `: ${names.slice(0, 3).join(', ')}${names.length > 3 ? `, +${names.length - 3} more` : ''}`;
}

/** Judges one app. Workloads in the render but in no app are judged by judgeSide. */
export function judgeApp(
  app: AppState,
  expect: Expectation,
  revision: string | undefined,
  context: JudgeContext = {},
): AppVerdict {
  const atRevision =
    revision === undefined || sameRevision(app.revision, revision) || context.contains === true;
  const synced = atRevision && syncedAsGitWants(app) && !app.operationInFlight;
  const waitingFor: string[] = [];
  if (!atRevision)
    waitingFor.push(`at revision ${shortRevision(app.revision)}, not ${shortRevision(revision)} yet`);
  if (!syncedAsGitWants(app)) waitingFor.push(`sync status ${app.syncStatus}${outOfSyncList(app)}`);
  if (app.operationInFlight) waitingFor.push(`sync operation ${app.operationPhase ?? 'pending'}`);
  else if (!synced && (app.operationPhase === 'Failed' || app.operationPhase === 'Error'))
    waitingFor.push(
      `last sync ${app.operationPhase}${app.operationMessage ? `: ${app.operationMessage}` : ''}`,
    );
  const resources: string[] = [];
  const workloads = app.workloads.filter((w) => judged(w.kind, expect));
  const wanted = workloads.map((w) =>
    context.desired ? context.desired.find(w.kind, w.name, w.namespace) : desiredFromTarget(w),
  );
  const mismatch = modeMismatch(expect, wanted);
  let fine = 0;
  for (const [i, w] of workloads.entries()) {
    const desired = wanted[i];
    // Not in the render (or no target state): nothing says what it should be; it does not count.
    if (!desired) {
      fine += 1;
      continue;
    }
    const problem = mismatch ? mismatch(w) : workloadProblem(desired, w);
    // Not ready because a Secret it needs was never written: name the ExternalSecret and why.
    const secret = problem && expect === 'running' ? secretWait(w, app.externalSecrets) : undefined;
    if (problem) resources.push(`${describeWorkload(w)}: ${problem}${secret ? `, ${secret.text}` : ''}`);
    else fine += 1;
  }
  // ExternalSecrets count as part of "really running": each must be Ready (those a workload line
  // already names are not named twice).
  if (expect === 'running') {
    for (const es of app.externalSecrets ?? []) {
      const problem = externalSecretProblem(es);
      if (!problem) continue;
      const line = `ExternalSecret ${es.namespace ? `${es.namespace}/` : ''}${es.name}: ${problem}`;
      if (
        !resources.some((r) =>
          r.includes(`ExternalSecret ${es.namespace ? `${es.namespace}/` : ''}${es.name}:`),
        )
      )
        resources.push(line);
    }
  }
  waitingFor.push(...resources);
  const syncFailed = syncFailureAt(app, revision, context.contains === true);

  const via = context.contains && !sameRevision(app.revision, revision ?? '') ? ', which contains ' : '';
  const state = atRevision
    ? `${app.syncStatus}${app.operationInFlight ? `, sync ${app.operationPhase ?? 'pending'}` : ''} at ${shortRevision(app.revision)}${via ? `${via}${shortRevision(revision)}` : ''}`
    : `${app.syncStatus} at ${shortRevision(app.revision)} (waiting for ${shortRevision(revision)})`;
  const outOfSync = outOfSyncList(app);
  const pending = workloads.filter((w) => resources.some((r) => r.startsWith(`${describeWorkload(w)}:`)));
  const shown = pending.slice(0, 3).map((w) => `${describeWorkload(w)} ${stateWord(w)}`);
  const more = pending.length > 3 ? `, +${pending.length - 3} more` : '';
  const counts = workloads.length
    ? `; ${fine}/${workloads.length} workloads as rendered${shown.length ? ` (${shown.join(', ')}${more})` : ''}`
    : '';
  return {
    app: app.name,
    atRevision,
    synced,
    done: synced && resources.length === 0,
    ...(!synced && app.workloadsToPrune?.length ? { toPrune: app.workloadsToPrune } : {}),
    waitingFor,
    resources,
    progress: `${app.name}: ${state}, Argo CD health ${app.health}${counts}${outOfSync ? `; OutOfSync${outOfSync}` : ''}`,
    ...(syncFailed ? { syncFailed } : {}),
  };
}

/**
 * Judges a side: each app, then the rendered workloads no app deploys (the render says they should
 * exist; while no app has them they are not running as rendered). Those are added to the first
 * app's verdict so that messages name them.
 */
export function judgeSide(
  apps: readonly AppState[],
  expect: Expectation,
  revision: string | undefined,
  contexts: readonly JudgeContext[],
): AppVerdict[] {
  const verdicts = apps.map((app, i) => judgeApp(app, expect, revision, contexts[i] ?? {}));
  const first = verdicts[0];
  const desired = contexts[0]?.desired;
  if (!first || !desired || contexts.some((c) => c.desired !== desired)) return verdicts;
  const deployed = apps.flatMap((a) => a.workloads);
  for (const w of desired.workloads) {
    if (!judged(w.kind, expect)) continue;
    const owned = deployed.some(
      (d) =>
        d.kind === w.kind &&
        d.name === w.name &&
        (!w.namespace || !d.namespace || d.namespace === w.namespace),
    );
    if (owned) continue;
    const problem = workloadProblem(w, undefined);
    if (!problem) continue;
    const line = `${describeWorkload(w)}: ${problem} (in the render, in no Argo CD app of this side)`;
    first.resources.push(line);
    first.waitingFor.push(line);
    first.done = false;
  }
  return verdicts;
}

/** Workloads that run in a standby render: deliberately always on. */
export function alwaysOn(desired: DesiredIndex): string[] {
  return desired.workloads.filter((w) => w.kind !== 'CronJob' && !dormantAsRendered(w)).map(describeWorkload);
}
