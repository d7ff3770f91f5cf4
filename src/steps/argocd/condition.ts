/**
 * When is an Argo CD app where we want it? Pure judgement of one AppState against an expectation,
 * from the live workloads (the health traps: Argo CD calls a 0-replica Deployment and a suspended
 * CronJob Healthy, so its health word proves nothing here).
 */
import type { AppState, WorkloadState } from '../../providers/argocd/port.js';

export const EXPECTATIONS = ['running', 'standby', 'cronjobs-suspended', 'cronjobs-running'] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

/** What each expectation means, for summaries and messages. */
export const GOAL: Record<Expectation, string> = {
  running: 'every Deployment ready (ready = desired > 0) and every CronJob active',
  standby: 'every Deployment at 0 replicas and every CronJob suspended',
  'cronjobs-suspended': 'every CronJob suspended',
  'cronjobs-running': 'every CronJob active',
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
  /** Workloads not in the expected state, as `Kind name: state`. */
  resources: string[];
  /** One line describing the app now, for progress messages. */
  progress: string;
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

function deploymentState(w: WorkloadState): string {
  if (w.missing) return 'not created yet';
  const state = `${w.ready ?? 0}/${w.desired ?? 0} ready`;
  if (w.observed === false) return `${state}, new spec not yet seen by the controller`;
  if (w.updated !== undefined && w.desired !== undefined && w.updated < w.desired && (w.desired ?? 0) > 0)
    return `${state}, ${w.updated} updated`;
  return state;
}

/** Why a workload is not in the expected state, or undefined when it is (or does not count). */
export function workloadProblem(w: WorkloadState, expect: Expectation): string | undefined {
  if (w.kind === 'Deployment') {
    if (expect === 'running') {
      if (w.missing) return 'not created yet';
      if ((w.desired ?? 0) === 0) return 'scaled to 0 (Argo CD calls this Healthy)';
      const done =
        w.ready === w.desired &&
        w.observed !== false &&
        (w.updated === undefined || w.updated >= (w.desired ?? 0));
      return done ? undefined : deploymentState(w);
    }
    if (expect === 'standby') {
      if (w.missing) return undefined;
      return (w.desired ?? 0) === 0 && (w.ready ?? 0) === 0 ? undefined : `${deploymentState(w)}, want 0`;
    }
    return undefined;
  }
  if (w.kind === 'CronJob') {
    if (expect === 'running' || expect === 'cronjobs-running') {
      if (w.missing) return 'not created yet';
      return w.suspended === false ? undefined : 'suspended';
    }
    if (w.missing) return undefined;
    return w.suspended === true ? undefined : 'active (not suspended)';
  }
  return undefined;
}

function counted(app: AppState, kind: string, expect: Expectation, label: string): string | undefined {
  const workloads = app.workloads.filter((w) => w.kind === kind);
  if (workloads.length === 0) return undefined;
  const pending = workloads.filter((w) => workloadProblem(w, expect) !== undefined);
  const shown = pending
    .slice(0, 3)
    .map(
      (w) =>
        `${w.name} ${kind === 'Deployment' ? `${w.ready ?? 0}/${w.desired ?? 0}` : w.suspended ? 'suspended' : 'active'}`,
    );
  const more = pending.length > 3 ? `, +${pending.length - 3} more` : '';
  const plural = kind === 'Deployment' ? 'deployments' : 'cronjobs';
  return `${workloads.length - pending.length}/${workloads.length} ${plural} ${label}${shown.length ? ` (${shown.join(', ')}${more})` : ''}`;
}

export function judgeApp(app: AppState, expect: Expectation, revision: string | undefined): AppVerdict {
  const atRevision = revision === undefined || sameRevision(app.revision, revision);
  const synced = atRevision && app.syncStatus === 'Synced' && !app.operationInFlight;
  const waitingFor: string[] = [];
  if (!atRevision)
    waitingFor.push(`at revision ${shortRevision(app.revision)}, not ${shortRevision(revision)} yet`);
  if (app.syncStatus !== 'Synced') waitingFor.push(`sync status ${app.syncStatus}`);
  if (app.operationInFlight) waitingFor.push(`sync operation ${app.operationPhase ?? 'pending'}`);
  else if (!synced && (app.operationPhase === 'Failed' || app.operationPhase === 'Error'))
    waitingFor.push(
      `last sync ${app.operationPhase}${app.operationMessage ? `: ${app.operationMessage}` : ''}`,
    );
  const resources: string[] = [];
  for (const w of app.workloads) {
    const problem = workloadProblem(w, expect);
    if (problem) resources.push(`${w.kind} ${w.name}: ${problem}`);
  }
  waitingFor.push(...resources);

  const state = atRevision
    ? `${app.syncStatus}${app.operationInFlight ? `, sync ${app.operationPhase ?? 'pending'}` : ''} at ${shortRevision(app.revision)}`
    : `${app.syncStatus} at ${shortRevision(app.revision)} (waiting for ${shortRevision(revision)})`;
  const ready = expect === 'running' || expect === 'cronjobs-running';
  const parts = [
    expect === 'running' || expect === 'standby'
      ? counted(app, 'Deployment', expect, expect === 'running' ? 'ready' : 'at 0')
      : undefined,
    counted(app, 'CronJob', expect, ready ? 'active' : 'suspended'),
  ].filter((p): p is string => p !== undefined);
  return {
    app: app.name,
    atRevision,
    synced,
    done: synced && resources.length === 0,
    waitingFor,
    resources,
    progress: `${app.name}: ${state}, Argo CD health ${app.health}${parts.length ? `; ${parts.join('; ')}` : ''}`,
  };
}
