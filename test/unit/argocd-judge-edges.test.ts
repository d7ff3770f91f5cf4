/**
 * The convergence judge at its edges: a workload whose controller has not yet observed the new
 * generation (from the live manifest Argo CD reports to the verdict), revisions (abbreviations, a
 * revision that contains ours), the progress line, and the mode mismatches.
 */
import { describe, expect, it } from 'vitest';
import { workloadState } from '../../src/providers/argocd/adapter.js';
import type { AppState, WorkloadState } from '../../src/providers/argocd/port.js';
import {
  judgeApp,
  judgeSide,
  sameRevision,
  shortRevision,
  workloadProblem,
} from '../../src/steps/argocd/condition.js';
import { desiredWorkloads } from '../../src/steps/argocd/desired.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

/** A managed resource as Argo CD lists it: the live object as JSON text. */
function managed(kind: string, live: Record<string, unknown> | null, target?: Record<string, unknown>) {
  return {
    kind,
    name: 'web',
    namespace: 'admin',
    liveState: live === null ? 'null' : JSON.stringify(live),
    ...(target ? { targetState: JSON.stringify(target) } : {}),
  };
}

function deployment(generation: number | undefined, observed: number | string | undefined) {
  return {
    metadata: generation === undefined ? {} : { generation },
    spec: { replicas: 3 },
    status: {
      ...(observed === undefined ? {} : { observedGeneration: observed }),
      readyReplicas: 3,
      updatedReplicas: 3,
    },
  };
}

function app(workloads: WorkloadState[], extra: Partial<AppState> = {}): AppState {
  return {
    name: 'admin-aws',
    syncStatus: 'Synced',
    revision: SHA,
    health: 'Healthy',
    operationInFlight: false,
    workloads,
    ...extra,
  };
}

describe('a workload whose controller has not yet observed the new generation', () => {
  it('is read as not observed, whatever its counters say', () => {
    const live = workloadState(managed('Deployment', deployment(7, 6)), 'Healthy');
    expect(live).toEqual({
      kind: 'Deployment',
      name: 'web',
      namespace: 'admin',
      health: 'Healthy',
      desired: 3,
      ready: 3,
      updated: 3,
      observed: false,
    });
  });

  it('is not counted as ready: the counters describe the previous spec', () => {
    const live = workloadState(managed('Deployment', deployment(7, 6)), undefined);
    expect(workloadProblem({ kind: 'Deployment', name: 'web', replicas: 3 }, live)).toBe(
      '3/3 ready, want 3: new spec not yet seen by the controller',
    );
    const verdict = judgeApp(app([live]), 'running', SHA, {
      desired: desiredWorkloads([
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'admin' },
          spec: { replicas: 3 },
        },
      ]),
    });
    expect(verdict.done).toBe(false);
    expect(verdict.resources).toEqual([
      'Deployment admin/web: 3/3 ready, want 3: new spec not yet seen by the controller',
    ]);
  });

  it('a DaemonSet likewise', () => {
    const live = workloadState(
      managed('DaemonSet', {
        metadata: { generation: 2 },
        status: {
          observedGeneration: 1,
          desiredNumberScheduled: 3,
          numberReady: 3,
          updatedNumberScheduled: 3,
        },
      }),
      undefined,
    );
    expect(live).toMatchObject({ desired: 3, ready: 3, updated: 3, observed: false });
    expect(workloadProblem({ kind: 'DaemonSet', name: 'web' }, live)).toBe(
      '3/3 ready, new spec not yet seen by the controller',
    );
  });

  it.each([
    ['caught up', 7, 7, true],
    ['ahead (a newer status than the object read)', 7, 8, true],
    ['one behind', 7, 6, false],
    ['never observed (no observedGeneration yet)', 1, undefined, false],
    ['no generation reported', undefined, undefined, true],
    // Argo Rollouts before 1.x report a hash here: it says nothing, the counters decide.
    ['a hash instead of a number', 7, '6c8f9d', true],
  ] as const)(
    '%s (generation %s, observedGeneration %s) → observed %s',
    (_name, generation, observed, expected) => {
      expect(workloadState(managed('Deployment', deployment(generation, observed)), undefined).observed).toBe(
        expected,
      );
    },
  );

  it('missing counters read as 0 ready; an absent spec.replicas is the API default of 1', () => {
    const live = workloadState(
      managed('StatefulSet', { metadata: { generation: 1 }, status: {} }),
      undefined,
    );
    expect(live).toMatchObject({ desired: 1, ready: 0, updated: 0, observed: false });
  });

  it('a workload in git but not in the cluster: missing, with the target replicas', () => {
    expect(workloadState(managed('Deployment', null, { spec: { replicas: 4 } }), undefined)).toEqual({
      kind: 'Deployment',
      name: 'web',
      namespace: 'admin',
      target: { replicas: 4 },
      missing: true,
      desired: 4,
      ready: 0,
      updated: 0,
    });
    expect(workloadState(managed('CronJob', null, { spec: { suspend: true } }), undefined)).toMatchObject({
      missing: true,
      suspended: true,
      target: { suspend: true },
    });
    expect(workloadState(managed('CronJob', { spec: {} }, { spec: {} }), undefined)).toMatchObject({
      suspended: false,
      target: { suspend: false },
    });
  });
});

describe('revisions', () => {
  it('the same commit: equal, or an abbreviation of 7+ hex digits, in any case', () => {
    expect(sameRevision(SHA, SHA)).toBe(true);
    expect(sameRevision(SHA, SHA.slice(0, 7))).toBe(true);
    expect(sameRevision(SHA.toUpperCase(), SHA.slice(0, 10))).toBe(true);
    expect(sameRevision(SHA, SHA.slice(0, 6))).toBe(false);
    expect(sameRevision(SHA, '123456789a')).toBe(false);
    expect(sameRevision(undefined, SHA)).toBe(false);
    expect(sameRevision('main', 'main')).toBe(true);
    expect(sameRevision('main-2', 'main')).toBe(false);
  });

  it('short forms: 7 digits for a SHA, a branch name as it is, "none" for nothing', () => {
    expect(shortRevision(SHA)).toBe('0123456');
    expect(shortRevision('HEAD')).toBe('HEAD');
    expect(shortRevision(undefined)).toBe('none');
    expect(shortRevision('')).toBe('none');
  });

  it('a revision that contains ours (someone pushed on top) counts as ours, and the progress says so', () => {
    const other = 'fedcba9876543210fedcba9876543210fedcba98';
    const ready: WorkloadState = { kind: 'Deployment', name: 'web', desired: 1, ready: 1, updated: 1 };
    const plain = judgeApp(app([ready], { revision: other }), 'running', SHA);
    expect(plain.atRevision).toBe(false);
    expect(plain.done).toBe(false);
    expect(plain.waitingFor[0]).toBe('at revision fedcba9, not 0123456 yet');
    expect(plain.progress).toBe(
      'admin-aws: Synced at fedcba9 (waiting for 0123456), Argo CD health Healthy; 1/1 workloads as rendered',
    );

    const contains = judgeApp(app([ready], { revision: other }), 'running', SHA, { contains: true });
    expect(contains.atRevision).toBe(true);
    expect(contains.done).toBe(true);
    expect(contains.progress).toBe(
      'admin-aws: Synced at fedcba9, which contains 0123456, Argo CD health Healthy; 1/1 workloads as rendered',
    );
    // At our own revision, "contains" adds nothing to the line.
    expect(judgeApp(app([ready]), 'running', SHA, { contains: true }).progress).toBe(
      'admin-aws: Synced at 0123456, Argo CD health Healthy; 1/1 workloads as rendered',
    );
  });
});

describe('sync state', () => {
  const ready: WorkloadState = { kind: 'Deployment', name: 'web', desired: 1, ready: 1, updated: 1 };

  it('a sync in flight: not synced, named with its phase', () => {
    const v = judgeApp(app([ready], { operationInFlight: true, operationPhase: 'Running' }), 'running', SHA);
    expect(v.synced).toBe(false);
    expect(v.done).toBe(false);
    expect(v.waitingFor).toEqual(['sync operation Running']);
    expect(v.progress).toBe(
      'admin-aws: Synced, sync Running at 0123456, Argo CD health Healthy; 1/1 workloads as rendered',
    );
    const pending = judgeApp(app([ready], { operationInFlight: true }), 'running', SHA);
    expect(pending.waitingFor).toEqual(['sync operation pending']);
  });

  it('a failed last sync is named with its message while the app is not synced', () => {
    const v = judgeApp(
      app([ready], { syncStatus: 'OutOfSync', operationPhase: 'Failed', operationMessage: 'hook failed' }),
      'running',
      SHA,
    );
    expect(v.waitingFor).toEqual(['sync status OutOfSync', 'last sync Failed: hook failed']);
    const error = judgeApp(
      app([ready], { syncStatus: 'OutOfSync', operationPhase: 'Error' }),
      'running',
      SHA,
    );
    expect(error.waitingFor).toEqual(['sync status OutOfSync', 'last sync Error']);
    // Synced now: an old failure is history.
    expect(judgeApp(app([ready], { operationPhase: 'Failed' }), 'running', SHA).waitingFor).toEqual([]);
  });

  it('no wanted revision: any revision will do', () => {
    expect(judgeApp(app([ready], { revision: 'anything' }), 'running', undefined).done).toBe(true);
  });
});

describe('the progress line', () => {
  it('counts the workloads as rendered and shows at most three pending ones', () => {
    const workloads: WorkloadState[] = ['a', 'b', 'c', 'd', 'e'].map((name, i) => ({
      kind: 'Deployment',
      name,
      namespace: 'admin',
      desired: 2,
      ready: i === 0 ? 2 : 1,
      updated: 2,
      target: { replicas: 2 },
    }));
    workloads.push({ kind: 'CronJob', name: 'nightly', suspended: true, target: { suspend: false } });
    workloads.push({ kind: 'Deployment', name: 'gone', missing: true, target: { replicas: 1 } });
    const v = judgeApp(app(workloads), 'running', SHA);
    expect(v.progress).toBe(
      'admin-aws: Synced at 0123456, Argo CD health Healthy; 1/7 workloads as rendered (Deployment admin/b 1/2, Deployment admin/c 1/2, Deployment admin/d 1/2, +3 more)',
    );
    expect(v.resources).toContain('CronJob nightly: suspended, want active');
    expect(v.resources).toContain('Deployment gone: not created yet, want 1');
  });

  it('names the state of each pending kind: suspended, active, missing', () => {
    const v = judgeApp(
      app([
        { kind: 'CronJob', name: 'a', suspended: false, target: { suspend: true } },
        { kind: 'Deployment', name: 'b', missing: true, target: { replicas: 2 } },
      ]),
      'standby',
      SHA,
    );
    expect(v.progress).toBe(
      'admin-aws: Synced at 0123456, Argo CD health Healthy; 0/2 workloads as rendered (CronJob a active, Deployment b missing)',
    );
  });

  it('workloads without a target state (nothing says what they should be) count as fine', () => {
    const v = judgeApp(
      app([{ kind: 'Deployment', name: 'x', desired: 2, ready: 0, updated: 0 }]),
      'running',
      SHA,
    );
    expect(v.done).toBe(true);
    expect(v.progress).toBe(
      'admin-aws: Synced at 0123456, Argo CD health Healthy; 1/1 workloads as rendered',
    );
  });

  it('no workloads: no count at all', () => {
    expect(judgeApp(app([]), 'running', SHA).progress).toBe(
      'admin-aws: Synced at 0123456, Argo CD health Healthy',
    );
  });
});

describe('the CronJob expectations judge CronJobs only', () => {
  const workloads: WorkloadState[] = [
    { kind: 'Deployment', name: 'web', desired: 0, ready: 0, updated: 0, target: { replicas: 3 } },
    { kind: 'CronJob', name: 'nightly', suspended: true, target: { suspend: true } },
  ];

  it('cronjobs-suspended ignores a Deployment that is not as rendered', () => {
    const v = judgeApp(app(workloads), 'cronjobs-suspended', SHA);
    expect(v.done).toBe(true);
    expect(v.progress).toContain('1/1 workloads as rendered');
  });

  it('cronjobs-running wants the CronJob as rendered', () => {
    const v = judgeApp(
      app([{ kind: 'CronJob', name: 'nightly', suspended: true, target: { suspend: false } }]),
      'cronjobs-running',
      SHA,
    );
    expect(v.resources).toEqual(['CronJob nightly: suspended, want active']);
  });

  it('running judges every workload kind, and only workload kinds', () => {
    const v = judgeApp(
      app([...workloads, { kind: 'Service', name: 'svc', target: { replicas: 1 } } as WorkloadState]),
      'running',
      SHA,
    );
    expect(v.resources).toEqual(['Deployment web: spec.replicas 0, want 3 (not applied yet)']);
    expect(v.progress).toContain('1/2 workloads as rendered');
  });
});

describe('judgeSide: rendered workloads that no app deploys', () => {
  const render = desiredWorkloads([
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'admin' },
      spec: { replicas: 2 },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'admin' },
      spec: { replicas: 1 },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'admin' },
      spec: { suspend: true },
    },
  ]);
  const web: WorkloadState = {
    kind: 'Deployment',
    name: 'web',
    namespace: 'admin',
    desired: 2,
    ready: 2,
    updated: 2,
  };

  it('are added to the first app, which is then not done', () => {
    const [first, second] = judgeSide([app([web]), app([], { name: 'other' })], 'running', SHA, [
      { desired: render },
      { desired: render },
    ]);
    expect(first?.done).toBe(false);
    expect(first?.resources).toEqual([
      'Deployment admin/api: not created yet, want 1 (in the render, in no Argo CD app of this side)',
    ]);
    expect(first?.waitingFor).toEqual(first?.resources);
    expect(second?.done).toBe(true);
  });

  it('a workload an app deploys without a namespace counts as deployed', () => {
    const api: WorkloadState = { kind: 'Deployment', name: 'api', desired: 1, ready: 1, updated: 1 };
    const [first] = judgeSide([app([web, api])], 'running', SHA, [{ desired: render }]);
    expect(first?.done).toBe(true);
  });

  it('a deployed workload of another namespace does not count; a suspended CronJob missing is fine', () => {
    const api: WorkloadState = {
      kind: 'Deployment',
      name: 'api',
      namespace: 'other',
      desired: 1,
      ready: 1,
      updated: 1,
    };
    const [first] = judgeSide([app([web, api])], 'running', SHA, [{ desired: render }]);
    expect(first?.resources).toEqual([
      'Deployment admin/api: not created yet, want 1 (in the render, in no Argo CD app of this side)',
    ]);
  });

  it('only when every app was judged against the same render', () => {
    const [first] = judgeSide([app([web]), app([], { name: 'other' })], 'running', SHA, [
      { desired: render },
      { desired: desiredWorkloads([]) },
    ]);
    expect(first?.done).toBe(true);
    expect(judgeSide([], 'running', SHA, [])).toEqual([]);
  });

  it('CronJob expectations add only CronJobs', () => {
    const [first] = judgeSide([app([web])], 'cronjobs-running', SHA, [{ desired: render }]);
    expect(first?.done).toBe(true);
  });
});

describe('a render that contradicts the mode', () => {
  it('a running wait on a render that keeps every workload dormant names each dormant one', () => {
    const v = judgeApp(
      app([
        { kind: 'Deployment', name: 'zero', desired: 0, ready: 0, updated: 0, target: { replicas: 0 } },
        { kind: 'Deployment', name: 'gone', missing: true, target: { replicas: 0 } },
        { kind: 'CronJob', name: 'off', suspended: true, target: { suspend: true } },
      ]),
      'running',
      SHA,
    );
    expect(v.done).toBe(false);
    expect(v.resources).toEqual([
      'Deployment zero: scaled to 0 (Argo CD calls this Healthy; the render keeps every workload dormant)',
      'Deployment gone: not created yet; the render keeps every workload dormant',
      'CronJob off: suspended (the render keeps every workload dormant)',
    ]);
  });

  it('a standby wait on a render that keeps nothing dormant names each running one', () => {
    const v = judgeApp(
      app([
        { kind: 'Deployment', name: 'web', desired: 2, ready: 1, updated: 2, target: { replicas: 2 } },
        { kind: 'Deployment', name: 'idle', desired: 0, ready: 0, updated: 0, target: { replicas: 1 } },
        { kind: 'Deployment', name: 'gone', missing: true, target: { replicas: 1 } },
        { kind: 'CronJob', name: 'on', suspended: false, target: { suspend: false } },
        { kind: 'CronJob', name: 'paused', suspended: true, target: { suspend: false } },
      ]),
      'standby',
      SHA,
    );
    expect(v.resources).toEqual([
      'Deployment web: 1/2 ready, want 0 (the render keeps nothing dormant)',
      'CronJob on: active (the render keeps nothing dormant)',
    ]);
  });

  it('a standby render with one dormant workload is judged workload by workload', () => {
    const v = judgeApp(
      app([
        { kind: 'Deployment', name: 'web', desired: 0, ready: 0, updated: 0, target: { replicas: 0 } },
        { kind: 'Deployment', name: 'proxy', desired: 1, ready: 1, updated: 1, target: { replicas: 1 } },
      ]),
      'standby',
      SHA,
    );
    expect(v.done).toBe(true);
  });
});
