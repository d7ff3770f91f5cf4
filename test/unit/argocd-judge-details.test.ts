/**
 * The convergence judge in the details a wait's verdict hangs on: the wanted count when the render
 * or the live object leaves a field out, a DaemonSet or Deployment partly rolled out, the mode
 * mismatches beside DaemonSets and missing objects, a failed sync of a revision that contains
 * ours, the progress line, judgeSide's bookkeeping, the always-on list and the revision forms.
 */
import { describe, expect, it } from 'vitest';
import type { AppState, WorkloadState } from '../../src/providers/argocd/port.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';
import {
  alwaysOn,
  GOAL,
  judgeApp,
  judgeSide,
  sameRevision,
  shortRevision,
  workloadProblem,
} from '../../src/steps/argocd/condition.js';
import { desiredWorkloads } from '../../src/steps/argocd/desired.js';

const REV = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';
const PUSHED_ON_TOP = '1122334455667788990011223344556677889900';

function app(workloads: WorkloadState[], extra: Partial<AppState> = {}): AppState {
  return {
    name: 'billing-eks',
    syncStatus: 'Synced',
    revision: REV,
    health: 'Healthy',
    operationInFlight: false,
    workloads,
    ...extra,
  };
}

const deploy = (
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'billing', ...(annotations ? { annotations } : {}) },
  spec,
});
const daemonSet = (name: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace: 'billing' },
  spec: {},
});
const cronJob = (name: string, suspend: boolean): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name, namespace: 'billing' },
  spec: { suspend, schedule: '*/5 * * * *' },
});

describe('workloadProblem when the render or the live object leaves a field out', () => {
  it('a workload outside the render is judged by its live kind with the API defaults', () => {
    const live: WorkloadState = { kind: 'Deployment', name: 'ledger', desired: 1, ready: 1, updated: 1 };
    expect(workloadProblem(undefined, live)).toBeUndefined();
    expect(workloadProblem(undefined, { ...live, ready: 0 })).toBe('0/1 ready, want 1');
    // A CronJob outside the render wants to run (suspend defaults to false).
    const job: WorkloadState = { kind: 'CronJob', name: 'invoices', suspended: true };
    expect(workloadProblem(undefined, job)).toBe('suspended, want active');
    expect(workloadProblem(undefined, { ...job, suspended: false })).toBeUndefined();
    // Neither render nor live object: nothing to judge.
    expect(workloadProblem(undefined, undefined)).toBeUndefined();
  });

  it('an autoscaled workload not created yet wants at least one pod', () => {
    expect(workloadProblem({ kind: 'Deployment', name: 'ledger', autoscaled: true }, undefined)).toBe(
      'not created yet, want 1',
    );
  });

  it('kinds that are not workloads are never a problem, whatever their counters', () => {
    const job: WorkloadState = { kind: 'Job', name: 'migrate', desired: 1, ready: 0, updated: 0 };
    expect(workloadProblem({ kind: 'Job', name: 'migrate', replicas: 1 }, job)).toBeUndefined();
  });

  it('without spec.replicas and without an autoscaler, a live count of 3 is not the wanted 1', () => {
    const live: WorkloadState = { kind: 'Deployment', name: 'ledger', desired: 3, ready: 3, updated: 3 };
    expect(workloadProblem({ kind: 'Deployment', name: 'ledger' }, live)).toBe(
      'spec.replicas 3, want 1 (not applied yet)',
    );
  });

  it('a rendered spec.replicas beside an autoscaler is still the count wanted', () => {
    const live: WorkloadState = { kind: 'Deployment', name: 'ledger', desired: 4, ready: 4, updated: 4 };
    expect(workloadProblem({ kind: 'Deployment', name: 'ledger', replicas: 2, autoscaled: true }, live)).toBe(
      'spec.replicas 4, want 2 (not applied yet)',
    );
  });

  it('what keeps a 0 from holding is named only when 0 is wanted', () => {
    const live: WorkloadState = { kind: 'Deployment', name: 'ledger', desired: 3, ready: 3, updated: 3 };
    const heldUpBy = 'HorizontalPodAutoscaler ledger (minReplicas 2)';
    expect(workloadProblem({ kind: 'Deployment', name: 'ledger', replicas: 2, heldUpBy }, live)).toBe(
      'spec.replicas 3, want 2 (not applied yet)',
    );
    expect(workloadProblem({ kind: 'Deployment', name: 'ledger', replicas: 2 }, live)).toBe(
      'spec.replicas 3, want 2 (not applied yet)',
    );
    expect(workloadProblem({ kind: 'Deployment', name: 'ledger', replicas: 0, heldUpBy }, live)).toBe(
      `spec.replicas 3, want 0 (not applied yet) (${heldUpBy}: the 0 may not hold)`,
    );
  });

  it('an autoscaler that scaled its target to 0 still wants one pod, not a spec change', () => {
    const live: WorkloadState = { kind: 'Deployment', name: 'ledger', desired: 0, ready: 0, updated: 0 };
    expect(workloadProblem({ kind: 'Deployment', name: 'ledger', autoscaled: true }, live)).toBe(
      '0/1 ready, 0 updated, want 1',
    );
  });

  it('a live object that does not report spec.replicas is judged by its pods', () => {
    const live: WorkloadState = { kind: 'StatefulSet', name: 'ledger-db', ready: 1, updated: 1 };
    expect(workloadProblem({ kind: 'StatefulSet', name: 'ledger-db', replicas: 1 }, live)).toBeUndefined();
  });

  it('all pods ready but not all on the new template: still rolling out', () => {
    const live: WorkloadState = { kind: 'Deployment', name: 'ledger', desired: 3, ready: 3, updated: 2 };
    expect(workloadProblem({ kind: 'Deployment', name: 'ledger', replicas: 3 }, live)).toBe(
      '3/3 ready, 2 updated, want 3',
    );
  });

  it('a DaemonSet with every pod ready but one on the old template is not done', () => {
    const live: WorkloadState = { kind: 'DaemonSet', name: 'agent', desired: 2, ready: 2, updated: 1 };
    expect(workloadProblem({ kind: 'DaemonSet', name: 'agent' }, live)).toBe('2/2 ready, 1 updated, want 2');
  });
});

describe("Argo CD's target state when no render is at hand", () => {
  it('a manifest without spec.replicas leaves the count to the autoscaler: the live count stands', () => {
    const live: WorkloadState = {
      kind: 'Deployment',
      name: 'ledger',
      namespace: 'billing',
      desired: 5,
      ready: 5,
      updated: 5,
      target: {},
    };
    expect(judgeApp(app([live]), 'running', REV).done).toBe(true);
    expect(judgeApp(app([{ ...live, ready: 4 }]), 'running', REV).resources).toEqual([
      'Deployment billing/ledger: 4/5 ready, want 5',
    ]);
  });
});

describe('the mode mismatches beside DaemonSets and missing objects', () => {
  it('a running wait on a dormant render does not name a Deployment that runs anyway, and names one without a count', () => {
    const render = desiredWorkloads([deploy('ledger', { replicas: 0 }), deploy('reports', { replicas: 0 })]);
    const v = judgeApp(
      app([
        { kind: 'Deployment', name: 'ledger', namespace: 'billing', desired: 3, ready: 3, updated: 3 },
        { kind: 'Deployment', name: 'reports', namespace: 'billing' },
      ]),
      'running',
      REV,
      { desired: render },
    );
    expect(v.resources).toEqual([
      'Deployment billing/reports: scaled to 0 (Argo CD calls this Healthy; the render keeps every workload dormant)',
    ]);
  });

  it('a standby wait on a render of DaemonSets only judges them as rendered (they are never dormant)', () => {
    const render = desiredWorkloads([daemonSet('agent')]);
    const v = judgeApp(
      app([{ kind: 'DaemonSet', name: 'agent', namespace: 'billing', desired: 2, ready: 1, updated: 2 }]),
      'standby',
      REV,
      { desired: render },
    );
    expect(v.resources).toEqual(['DaemonSet billing/agent: 1/2 ready, 2 updated, want 2']);
    expect(v.done).toBe(false);
  });

  it('a standby wait on a render that keeps nothing dormant leaves DaemonSets and missing objects alone', () => {
    const render = desiredWorkloads([
      deploy('ledger', { replicas: 2 }),
      daemonSet('agent'),
      cronJob('invoices', false),
    ]);
    const v = judgeApp(
      app([
        { kind: 'Deployment', name: 'ledger', namespace: 'billing', desired: 0, ready: 0, updated: 0 },
        { kind: 'DaemonSet', name: 'agent', namespace: 'billing', desired: 2, ready: 2, updated: 2 },
        { kind: 'CronJob', name: 'invoices', namespace: 'billing', missing: true },
      ]),
      'standby',
      REV,
      { desired: render },
    );
    expect(v.resources).toEqual([]);
    expect(v.done).toBe(true);
  });
});

describe('ExternalSecrets beside workloads', () => {
  const failing = {
    name: 'ledger-db',
    namespace: 'billing',
    secret: 'ledger-db',
    ready: false,
    reason: 'SecretSyncedError',
    message: 'provider denied access',
    secretExists: false,
  };

  it('a standby wait names a workload left running by its count, never by the Secret it needs', () => {
    const render = desiredWorkloads([
      deploy('ledger', { replicas: 0 }),
      deploy('status-page', { replicas: 1 }),
    ]);
    const live: WorkloadState = {
      kind: 'Deployment',
      name: 'ledger',
      namespace: 'billing',
      desired: 2,
      ready: 2,
      updated: 2,
      secrets: ['ledger-db'],
    };
    const page: WorkloadState = {
      kind: 'Deployment',
      name: 'status-page',
      namespace: 'billing',
      desired: 1,
      ready: 1,
      updated: 1,
    };
    const v = judgeApp(app([live, page], { externalSecrets: [failing] }), 'standby', REV, {
      desired: render,
    });
    expect(v.resources).toEqual(['Deployment billing/ledger: spec.replicas 2, want 0 (not applied yet)']);
  });

  it('an ExternalSecret no workload line names is listed after a workload pending for another reason', () => {
    const render = desiredWorkloads([deploy('ledger', { replicas: 2 })]);
    const live: WorkloadState = {
      kind: 'Deployment',
      name: 'ledger',
      namespace: 'billing',
      desired: 2,
      ready: 1,
      updated: 2,
    };
    const v = judgeApp(app([live], { externalSecrets: [failing] }), 'running', REV, { desired: render });
    expect(v.resources).toEqual([
      'Deployment billing/ledger: 1/2 ready, want 2',
      'ExternalSecret billing/ledger-db: SecretSyncedError provider denied access',
    ]);
  });
});

describe('ExternalSecrets without a namespace', () => {
  it('are named by their name alone, once, whether a workload line names them or not', () => {
    const unnamed = {
      name: 'ledger-db',
      secret: 'ledger-db',
      ready: false,
      reason: 'SecretSyncedError',
      secretExists: false,
    };
    const other = { ...unnamed, name: 'ledger-cache', secret: 'ledger-cache' };
    const live: WorkloadState = {
      kind: 'Deployment',
      name: 'ledger',
      desired: 1,
      ready: 0,
      updated: 1,
      secrets: ['ledger-db'],
      target: { replicas: 1 },
    };
    const v = judgeApp(app([live], { externalSecrets: [unnamed, other] }), 'running', REV);
    expect(v.resources).toEqual([
      'Deployment ledger: 0/1 ready, want 1, waiting for ExternalSecret ledger-db: SecretSyncedError',
      'ExternalSecret ledger-cache: SecretSyncedError',
    ]);
  });
});

describe('sync state and a revision that contains ours', () => {
  const ready: WorkloadState = { kind: 'Deployment', name: 'ledger', desired: 1, ready: 1, updated: 1 };

  it('an out-of-sync app whose last sync succeeded names no failure', () => {
    const v = judgeApp(
      app([ready], { syncStatus: 'OutOfSync', operationPhase: 'Succeeded' }),
      'running',
      REV,
    );
    expect(v.waitingFor).toEqual(['sync status OutOfSync']);
  });

  it('a failed sync of the revision pushed on top of ours is final when that revision contains ours', () => {
    const failed = app([ready], {
      syncStatus: 'OutOfSync',
      revision: PUSHED_ON_TOP,
      syncFailure: {
        phase: 'Failed',
        message: 'one or more objects failed to apply',
        revision: PUSHED_ON_TOP,
        resources: [],
      },
    });
    expect(judgeApp(failed, 'running', REV, { contains: true }).syncFailed).toBe(
      'billing-eks: sync to 1122334 failed: one or more objects failed to apply',
    );
    // Without the ancestry, that failure is of another revision: not ours to report.
    expect(judgeApp(failed, 'running', REV).syncFailed).toBeUndefined();
    expect(judgeApp(failed, 'running', REV, { contains: false })).not.toHaveProperty('syncFailed');
  });

  it('a pending operation at our revision shows as pending in the progress line', () => {
    const v = judgeApp(app([ready], { operationInFlight: true }), 'running', REV);
    expect(v.progress).toBe(
      'billing-eks: Synced, sync pending at 9f8e7d6, Argo CD health Healthy; 1/1 workloads as rendered',
    );
  });
});

describe('the progress line', () => {
  it('three pending workloads are all shown, with no "more"', () => {
    const workloads: WorkloadState[] = ['a', 'b', 'c'].map((name) => ({
      kind: 'Deployment',
      name,
      desired: 2,
      ready: 1,
      updated: 2,
      target: { replicas: 2 },
    }));
    expect(judgeApp(app(workloads), 'running', REV).progress).toBe(
      'billing-eks: Synced at 9f8e7d6, Argo CD health Healthy; 0/3 workloads as rendered (Deployment a 1/2, Deployment b 1/2, Deployment c 1/2)',
    );
  });

  it('a suspended CronJob that should run is shown as suspended', () => {
    const job: WorkloadState = {
      kind: 'CronJob',
      name: 'invoices',
      namespace: 'billing',
      suspended: true,
      target: { suspend: false },
    };
    expect(judgeApp(app([job]), 'running', REV).progress).toBe(
      'billing-eks: Synced at 9f8e7d6, Argo CD health Healthy; 0/1 workloads as rendered (CronJob billing/invoices suspended)',
    );
  });
});

describe('judgeSide bookkeeping', () => {
  const render = desiredWorkloads([deploy('ledger', { replicas: 2 }), cronJob('ledger', false)]);

  it("judges each app's workloads against that app's render, not Argo CD's target state", () => {
    const live: WorkloadState = {
      kind: 'Deployment',
      name: 'ledger',
      namespace: 'billing',
      desired: 2,
      ready: 0,
      updated: 0,
    };
    const job: WorkloadState = { kind: 'CronJob', name: 'ledger', namespace: 'billing', suspended: false };
    const [v] = judgeSide([app([live, job])], 'running', REV, [{ desired: render }]);
    expect(v?.resources).toEqual(['Deployment billing/ledger: 0/2 ready, 0 updated, want 2']);
  });

  it('a rendered CronJob is not deployed by a Deployment of the same name', () => {
    const live: WorkloadState = {
      kind: 'Deployment',
      name: 'ledger',
      namespace: 'billing',
      desired: 2,
      ready: 2,
      updated: 2,
    };
    const [v] = judgeSide([app([live])], 'running', REV, [{ desired: render }]);
    expect(v?.resources).toEqual([
      'CronJob billing/ledger: not created yet, want active (in the render, in no Argo CD app of this side)',
    ]);
    expect(v?.done).toBe(false);
  });

  it('without a render, each app is judged alone by its target state', () => {
    const live: WorkloadState = {
      kind: 'Deployment',
      name: 'ledger',
      desired: 2,
      ready: 2,
      updated: 2,
      target: { replicas: 2 },
    };
    const verdicts = judgeSide([app([live]), app([], { name: 'billing-eks-jobs' })], 'running', REV, [
      {},
      {},
    ]);
    expect(verdicts.map((v) => [v.app, v.done])).toEqual([
      ['billing-eks', true],
      ['billing-eks-jobs', true],
    ]);
  });
});

describe('always-on workloads of a standby render', () => {
  it('names the Deployments the render keeps running, never a CronJob', () => {
    const render = desiredWorkloads([
      deploy('ledger', { replicas: 0 }),
      deploy('status-page', { replicas: 1 }),
      cronJob('invoices', false),
      cronJob('cleanup', true),
    ]);
    expect(alwaysOn(render)).toEqual(['Deployment billing/status-page']);
  });
});

describe('what each expectation means, as summaries and timeouts state it', () => {
  it('running and standby speak of every workload, the CronJob ones of CronJobs only', () => {
    expect(GOAL.running).toMatch(/^every workload running as the active render says/);
    expect(GOAL.standby).toMatch(/^every workload as the standby render says \(0 ready where it wants 0/);
    expect(GOAL['cronjobs-suspended']).toBe('every CronJob suspended as rendered');
    expect(GOAL['cronjobs-running']).toBe('every CronJob as rendered (active unless the render suspends it)');
  });
});

describe('revision forms', () => {
  it('only a whole run of hex digits is a commit: a tag or branch ending or starting in hex is kept whole', () => {
    expect(shortRevision('release-abcdef1')).toBe('release-abcdef1');
    expect(shortRevision('abcdef1-rc')).toBe('abcdef1-rc');
    // A branch name is no abbreviation: a longer branch that starts with it is another revision.
    expect(sameRevision('release-abcdef1-hotfix', 'release-abcdef1')).toBe(false);
    expect(sameRevision('abcdef1-rc2', 'abcdef1-rc')).toBe(false);
    expect(sameRevision('ABCDEF1234', 'abcdef1')).toBe(true);
  });
});

describe('an app held OutOfSync by resources Argo CD names', () => {
  it('the wait and its progress line say which, "(to prune)" for one gone from git, three at most', () => {
    const held = app([], {
      syncStatus: 'OutOfSync',
      outOfSync: [
        'StatefulSet billing/redis (to prune)',
        'ConfigMap billing/a',
        'ConfigMap billing/b',
        'ConfigMap billing/c',
      ],
    });
    const verdict = judgeApp(held, 'running', REV);
    expect(verdict.done).toBe(false);
    expect(verdict.waitingFor).toContain(
      'sync status OutOfSync: StatefulSet billing/redis (to prune), ConfigMap billing/a, ConfigMap billing/b, +1 more',
    );
    expect(verdict.progress).toMatch(/; OutOfSync: StatefulSet billing\/redis \(to prune\), .*\+1 more$/);
    // Synced: nothing to name.
    expect(judgeApp(app([]), 'running', REV).progress).not.toContain('OutOfSync');
  });

  it('OutOfSync only by resources left to prune (auto-sync without prune) is as git wants: the wait ends', () => {
    // Activating AWS took a standby Component away, and with it a ConfigMap it added.
    const leftover = app([], {
      syncStatus: 'OutOfSync',
      outOfSync: ['ConfigMap billing/standby-marker (to prune)'],
      outOfSyncOnlyToPrune: true,
    });
    const verdict = judgeApp(leftover, 'running', REV);
    expect(verdict.synced).toBe(true);
    expect(verdict.done).toBe(true);
    expect(verdict.waitingFor).toEqual([]);
    // The progress line still says what Argo CD shows.
    expect(verdict.progress).toContain('; OutOfSync: ConfigMap billing/standby-marker (to prune)');
    // Not while a sync runs, nor at another revision.
    expect(judgeApp({ ...leftover, operationInFlight: true }, 'running', REV).done).toBe(false);
    expect(judgeApp({ ...leftover, revision: 'f'.repeat(40) }, 'running', REV).done).toBe(false);
    // A resource that differs (not only one to prune) holds the wait.
    const differs = { ...leftover, outOfSync: [...leftover.outOfSync!, 'ConfigMap billing/a'] };
    expect(judgeApp({ ...differs, outOfSyncOnlyToPrune: false }, 'running', REV).done).toBe(false);
  });
});
