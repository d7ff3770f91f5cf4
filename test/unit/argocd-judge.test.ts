/**
 * The convergence judge of argocd.wait: every workload kind × desired 0 / N × live ready / not
 * ready / old generation / missing, judged against the rendered workload; then whole apps (always-on
 * workloads in standby, the standby render under a running wait, a revision that contains ours).
 */
import { describe, expect, it } from 'vitest';
import type { AppState, WorkloadState } from '../../src/providers/argocd/port.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';
import { alwaysOn, judgeApp, judgeSide, workloadProblem } from '../../src/steps/argocd/condition.js';
import { type DesiredWorkload, desiredWorkloads } from '../../src/steps/argocd/desired.js';

type Live = 'ready' | 'not ready' | 'old generation' | 'missing';
type Want = 0 | 3;

const REPLICATED = ['Deployment', 'StatefulSet', 'ReplicaSet', 'Rollout'] as const;

function desiredOf(kind: string, want: Want): DesiredWorkload {
  const base = { kind, name: 'web', namespace: 'admin' };
  if (kind === 'CronJob') return { ...base, suspend: want === 0 };
  if (kind === 'DaemonSet') return base;
  return { ...base, replicas: want };
}

/** The live object for a state: `ready` is converged on `want`, the others are not (or absent). */
function liveOf(kind: string, want: Want, state: Live): WorkloadState {
  const base = { kind, name: 'web', namespace: 'admin' };
  if (state === 'missing') return { ...base, missing: true };
  if (kind === 'CronJob') {
    const suspended = want === 0;
    return {
      ...base,
      suspended: state === 'not ready' ? !suspended : suspended,
      observed: state !== 'old generation',
    };
  }
  if (state === 'ready') return { ...base, desired: want, ready: want, updated: want, observed: true };
  if (state === 'old generation')
    // Counters that look right, but they describe the previous spec.
    return { ...base, desired: want, ready: want, updated: want, observed: false };
  // Not ready: scaling to 0 with 2 pods still ready (a DaemonSet whose nodes no longer match), or
  // 1 of 3 up (all on the new template).
  if (want === 0)
    return kind === 'DaemonSet'
      ? { ...base, desired: 0, ready: 2, updated: 0, observed: true }
      : { ...base, desired: 0, ready: 2, updated: 2, observed: true };
  return { ...base, desired: want, ready: 1, updated: kind === 'DaemonSet' ? 1 : 3, observed: true };
}

interface Case {
  kind: string;
  want: Want;
  live: Live;
  converged: boolean;
  says?: RegExp;
}

const cases: Case[] = [];
for (const kind of REPLICATED) {
  cases.push(
    { kind, want: 0, live: 'ready', converged: true },
    { kind, want: 0, live: 'not ready', converged: false, says: /2 ready, want 0/ },
    { kind, want: 0, live: 'old generation', converged: false, says: /not yet seen by the controller/ },
    { kind, want: 0, live: 'missing', converged: true },
    { kind, want: 3, live: 'ready', converged: true },
    { kind, want: 3, live: 'not ready', converged: false, says: /^1\/3 ready, want 3$/ },
    { kind, want: 3, live: 'old generation', converged: false, says: /not yet seen by the controller/ },
    { kind, want: 3, live: 'missing', converged: false, says: /not created yet, want 3/ },
  );
}
cases.push(
  { kind: 'DaemonSet', want: 0, live: 'ready', converged: true },
  {
    kind: 'DaemonSet',
    want: 0,
    live: 'not ready',
    converged: false,
    says: /^2\/0 ready, 0 updated, want 0$/,
  },
  { kind: 'DaemonSet', want: 0, live: 'old generation', converged: false, says: /not yet seen/ },
  { kind: 'DaemonSet', want: 0, live: 'missing', converged: false, says: /not created yet/ },
  { kind: 'DaemonSet', want: 3, live: 'ready', converged: true },
  { kind: 'DaemonSet', want: 3, live: 'not ready', converged: false, says: /1\/3 ready, 1 updated, want 3/ },
  { kind: 'DaemonSet', want: 3, live: 'old generation', converged: false, says: /not yet seen/ },
  { kind: 'DaemonSet', want: 3, live: 'missing', converged: false, says: /not created yet/ },
  { kind: 'CronJob', want: 0, live: 'ready', converged: true },
  { kind: 'CronJob', want: 0, live: 'not ready', converged: false, says: /active, want suspended/ },
  // A CronJob has no rollout: the controller's generation says nothing about whether it runs.
  { kind: 'CronJob', want: 0, live: 'old generation', converged: true },
  { kind: 'CronJob', want: 0, live: 'missing', converged: true },
  { kind: 'CronJob', want: 3, live: 'ready', converged: true },
  { kind: 'CronJob', want: 3, live: 'not ready', converged: false, says: /suspended, want active/ },
  { kind: 'CronJob', want: 3, live: 'old generation', converged: true },
  { kind: 'CronJob', want: 3, live: 'missing', converged: false, says: /not created yet/ },
);

describe('workloadProblem: kind × desired × live', () => {
  it.each(cases)(
    '$kind want $want, live $live → converged $converged',
    ({ kind, want, live, converged, says }) => {
      const problem = workloadProblem(desiredOf(kind, want), liveOf(kind, want, live));
      if (converged) expect(problem).toBeUndefined();
      else {
        expect(problem).toBeDefined();
        if (says) expect(problem).toMatch(says);
      }
    },
  );

  it('a replicated workload whose live spec.replicas is not the rendered one is not converged, even with its pods ready', () => {
    const problem = workloadProblem(
      { kind: 'Deployment', name: 'web', replicas: 3 },
      { kind: 'Deployment', name: 'web', desired: 2, ready: 2, updated: 2, observed: true },
    );
    expect(problem).toBe('spec.replicas 2, want 3 (not applied yet)');
  });

  it('an HPA-managed Deployment (no spec.replicas rendered) wants what the HPA set, not 1', () => {
    const desired = { kind: 'Deployment', name: 'worker', autoscaled: true };
    expect(
      workloadProblem(desired, {
        kind: 'Deployment',
        name: 'worker',
        desired: 4,
        ready: 4,
        updated: 4,
        observed: true,
      }),
    ).toBeUndefined();
    expect(
      workloadProblem(desired, {
        kind: 'Deployment',
        name: 'worker',
        desired: 4,
        ready: 2,
        updated: 4,
        observed: true,
      }),
    ).toBe('2/4 ready, want 4');
  });

  it('without spec.replicas and without an autoscaler, the API default of 1 is wanted', () => {
    expect(
      workloadProblem(
        { kind: 'Deployment', name: 'w' },
        { kind: 'Deployment', name: 'w', desired: 1, ready: 0, updated: 0 },
      ),
    ).toBe('0/1 ready, 0 updated, want 1');
  });

  it('a KEDA ScaledObject that keeps a 0 from holding is named on its target', () => {
    const render: KubeObject[] = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'queue', namespace: 'admin' },
        spec: { replicas: 0 },
      },
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: 'queue-scaler', namespace: 'admin' },
        spec: { scaleTargetRef: { name: 'queue' }, minReplicaCount: 1 },
      },
    ];
    const desired = desiredWorkloads(render).find('Deployment', 'queue', 'admin')!;
    const problem = workloadProblem(desired, {
      kind: 'Deployment',
      name: 'queue',
      namespace: 'admin',
      desired: 0,
      ready: 1,
      updated: 1,
      observed: true,
    });
    expect(problem).toMatch(
      /1 ready, want 0 \(KEDA ScaledObject queue-scaler scales it up and holds minReplicaCount 1/,
    );
  });
});

function app(workloads: WorkloadState[], revision = 'a'.repeat(40)): AppState {
  return {
    name: 'admin-aws',
    syncStatus: 'Synced',
    revision,
    health: 'Healthy',
    operationInFlight: false,
    workloads,
  };
}

const standbyRender: KubeObject[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'admin', labels: { 'team.example/standby': 'exempt' } },
    spec: { replicas: 0 },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'preview-proxy', namespace: 'admin' },
    spec: { replicas: 2 },
  },
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cleanup', namespace: 'admin' },
    spec: { suspend: true },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'admin' },
    spec: { replicas: 0 },
  },
];

describe('judgeApp against the render', () => {
  const desired = desiredWorkloads(standbyRender);

  it('standby: an always-on Deployment converges when it runs as rendered; a StatefulSet left running is named', () => {
    const live: WorkloadState[] = [
      {
        kind: 'Deployment',
        name: 'web',
        namespace: 'admin',
        desired: 0,
        ready: 0,
        updated: 0,
        observed: true,
      },
      {
        kind: 'Deployment',
        name: 'preview-proxy',
        namespace: 'admin',
        desired: 2,
        ready: 2,
        updated: 2,
        observed: true,
      },
      { kind: 'CronJob', name: 'cleanup', namespace: 'admin', suspended: true },
      {
        kind: 'StatefulSet',
        name: 'db',
        namespace: 'admin',
        desired: 1,
        ready: 1,
        updated: 1,
        observed: true,
      },
    ];
    const verdict = judgeApp(app(live), 'standby', 'a'.repeat(40), { desired });
    expect(verdict.done).toBe(false);
    expect(verdict.resources).toEqual(['StatefulSet admin/db: spec.replicas 1, want 0 (not applied yet)']);
    live[3] = {
      kind: 'StatefulSet',
      name: 'db',
      namespace: 'admin',
      desired: 0,
      ready: 0,
      updated: 0,
      observed: true,
    };
    expect(judgeApp(app(live), 'standby', 'a'.repeat(40), { desired }).done).toBe(true);
    expect(alwaysOn(desired)).toEqual(['Deployment admin/preview-proxy']);
  });

  it('running on a render that keeps everything dormant is never done (the standby trap)', () => {
    const dormant = desiredWorkloads(standbyRender.filter((o) => o.metadata.name !== 'preview-proxy'));
    const live: WorkloadState[] = [
      {
        kind: 'Deployment',
        name: 'web',
        namespace: 'admin',
        desired: 0,
        ready: 0,
        updated: 0,
        observed: true,
      },
      { kind: 'CronJob', name: 'cleanup', namespace: 'admin', suspended: true },
    ];
    const verdict = judgeApp(app(live), 'running', 'a'.repeat(40), { desired: dormant });
    expect(verdict.done).toBe(false);
    expect(verdict.resources.join('\n')).toMatch(/Deployment admin\/web: scaled to 0/);
  });

  it('a synced revision that contains the pushed one counts as the pushed revision', () => {
    const live: WorkloadState[] = [
      {
        kind: 'Deployment',
        name: 'web',
        namespace: 'admin',
        desired: 0,
        ready: 0,
        updated: 0,
        observed: true,
      },
      {
        kind: 'Deployment',
        name: 'preview-proxy',
        namespace: 'admin',
        desired: 2,
        ready: 2,
        updated: 2,
        observed: true,
      },
      { kind: 'CronJob', name: 'cleanup', namespace: 'admin', suspended: true },
      {
        kind: 'StatefulSet',
        name: 'db',
        namespace: 'admin',
        desired: 0,
        ready: 0,
        updated: 0,
        observed: true,
      },
    ];
    const pushed = 'b'.repeat(40);
    expect(judgeApp(app(live), 'standby', pushed, { desired }).atRevision).toBe(false);
    const verdict = judgeApp(app(live), 'standby', pushed, { desired, contains: true });
    expect(verdict).toMatchObject({ atRevision: true, synced: true, done: true });
    expect(verdict.progress).toContain('which contains bbbbbbb');
  });

  it('a rendered workload that no app deploys is named, and keeps the side waiting', () => {
    const verdicts = judgeSide(
      [app([{ kind: 'CronJob', name: 'cleanup', namespace: 'admin', suspended: true }])],
      'standby',
      undefined,
      [{ desired }],
    );
    expect(verdicts[0]!.done).toBe(false);
    expect(verdicts[0]!.resources).toContain(
      'Deployment admin/preview-proxy: not created yet, want 2 (in the render, in no Argo CD app of this side)',
    );
  });
});
