/**
 * ExternalSecrets and failed syncs in the convergence judge of argocd.wait: a workload not ready
 * because the Secret it needs was never written names the ExternalSecret and its Ready condition;
 * ExternalSecrets count as part of "really running"; a failed sync of the wanted revision is final.
 */
import { describe, expect, it } from 'vitest';
import type { AppState, ExternalSecretState, WorkloadState } from '../../src/providers/argocd/port.js';
import { judgeApp } from '../../src/steps/argocd/condition.js';
import { desiredWorkloads } from '../../src/steps/argocd/desired.js';
import { externalSecretProblem, secretWait, syncFailureAt } from '../../src/steps/argocd/secrets.js';

const REV = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const failing: ExternalSecretState = {
  name: 'db-credentials',
  namespace: 'admin',
  secret: 'db-credentials',
  ready: false,
  reason: 'SecretSyncedError',
  message: 'could not get secret data from provider: key "admin/db" from ExternalSecret "db-credentials"',
  secretExists: false,
};
const api: WorkloadState = {
  kind: 'Deployment',
  name: 'admin-api',
  namespace: 'admin',
  desired: 3,
  ready: 1,
  updated: 3,
  observed: true,
  secrets: ['db-credentials'],
};

function app(overrides: Partial<AppState>): AppState {
  return {
    name: 'admin-aws',
    syncStatus: 'Synced',
    revision: REV,
    health: 'Progressing',
    operationInFlight: false,
    workloads: [api],
    ...overrides,
  };
}

const desired = desiredWorkloads([
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'admin-api', namespace: 'admin' },
    spec: { replicas: 3 },
  },
]);

describe('ExternalSecret problems', () => {
  it('follows the Ready condition: False names reason and message, none is not synced yet, missing is not created', () => {
    expect(externalSecretProblem(failing)).toBe(`SecretSyncedError ${failing.message}`);
    expect(externalSecretProblem({ ...failing, ready: true, secretExists: true })).toBeUndefined();
    expect(
      externalSecretProblem({ ...failing, ready: undefined, reason: undefined, message: undefined }),
    ).toBe('not synced yet (no Ready condition)');
    expect(externalSecretProblem({ ...failing, missing: true })).toBe('not created yet');
  });

  it('a workload waits for an ExternalSecret only when it needs its Secret and the Secret was never written', () => {
    expect(secretWait(api, [failing])?.text).toBe(
      `waiting for ExternalSecret admin/db-credentials: SecretSyncedError ${failing.message}`,
    );
    // Synced once before: the Secret stays, the pods can start.
    expect(secretWait(api, [{ ...failing, secretExists: true }])).toBeUndefined();
    // Another Secret, another namespace, or no secret needed: not this one.
    expect(secretWait(api, [{ ...failing, secret: 'other' }])).toBeUndefined();
    expect(secretWait(api, [{ ...failing, namespace: 'billing' }])).toBeUndefined();
    expect(secretWait({ ...api, secrets: [] }, [failing])).toBeUndefined();
  });
});

describe('judgeApp with ExternalSecrets', () => {
  it('names the ExternalSecret the not-ready workload waits for, not a bare ready count', () => {
    const verdict = judgeApp(app({ externalSecrets: [failing] }), 'running', REV, { desired });
    expect(verdict.done).toBe(false);
    expect(verdict.resources).toEqual([
      `Deployment admin/admin-api: 1/3 ready, want 3, waiting for ExternalSecret admin/db-credentials: SecretSyncedError ${failing.message}`,
    ]);
  });

  it('counts an ExternalSecret that is not Ready even when every workload runs', () => {
    const running = { ...api, ready: 3 };
    const verdict = judgeApp(
      app({ workloads: [running], externalSecrets: [{ ...failing, secretExists: true }] }),
      'running',
      REV,
      { desired },
    );
    expect(verdict.done).toBe(false);
    expect(verdict.resources).toEqual([
      `ExternalSecret admin/db-credentials: SecretSyncedError ${failing.message}`,
    ]);
    const ready = {
      ...failing,
      ready: true,
      reason: 'SecretSynced',
      message: 'Secret was synced',
      secretExists: true,
    };
    expect(
      judgeApp(app({ workloads: [running], externalSecrets: [ready] }), 'running', REV, { desired }).done,
    ).toBe(true);
  });

  it('a standby wait does not wait for ExternalSecrets', () => {
    const standby = desiredWorkloads([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'admin-api', namespace: 'admin' },
        spec: { replicas: 0 },
      },
    ]);
    const atZero = { ...api, desired: 0, ready: 0, updated: 0 };
    expect(
      judgeApp(app({ workloads: [atZero], externalSecrets: [failing] }), 'standby', REV, { desired: standby })
        .done,
    ).toBe(true);
  });
});

describe('a failed sync of the wanted revision', () => {
  const failure = {
    phase: 'Failed',
    message: 'one or more synchronization tasks are not valid',
    revision: REV,
    resources: [
      {
        kind: 'BackendConfig',
        namespace: 'admin',
        name: 'admin-web',
        message:
          'The Kubernetes API could not find cloud.google.com/BackendConfig for requested resource admin/admin-web. Make sure the "BackendConfig" CRD is installed on the destination cluster.',
      },
    ],
  };

  it('is final: one line naming the app, the revision, the object and Argo CD message', () => {
    const failed = app({ syncStatus: 'OutOfSync', syncFailure: failure });
    expect(syncFailureAt(failed, REV, false)).toBe(
      `admin-aws: sync to a1b2c3d failed: BackendConfig admin/admin-web: ${failure.resources[0]!.message}`,
    );
    expect(judgeApp(failed, 'running', REV, { desired }).syncFailed).toMatch(
      /BackendConfig admin\/admin-web/,
    );
  });

  it('is not final while an operation runs, once Synced, or at another revision; without resources the operation message', () => {
    expect(
      syncFailureAt(
        app({ syncStatus: 'OutOfSync', syncFailure: failure, operationInFlight: true }),
        REV,
        false,
      ),
    ).toBeUndefined();
    expect(syncFailureAt(app({ syncFailure: failure }), REV, false)).toBeUndefined();
    expect(
      syncFailureAt(
        app({ syncStatus: 'OutOfSync', syncFailure: { ...failure, revision: 'ffff0000aaaa' } }),
        REV,
        false,
      ),
    ).toBeUndefined();
    expect(
      syncFailureAt(
        app({ syncStatus: 'OutOfSync', syncFailure: { ...failure, phase: 'Error', resources: [] } }),
        REV,
        false,
      ),
    ).toBe('admin-aws: sync to a1b2c3d errored: one or more synchronization tasks are not valid');
  });
});
