/**
 * The Argo CD adapter over real HTTP against the emulator, on a GitOps tree of its own (the ledger
 * fixture: a GKE base with a BackendConfig and an ExternalSecret): what each destination cluster
 * serves (`GET /api/v1/clusters/{server}`, info.apiVersions), a sync the AWS cluster cannot serve
 * (Argo CD's message per resource, read back as the app's syncFailure), and ExternalSecrets as the
 * wait sees them (Ready condition, the Secret a workload waits for) when the secret store fails.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { createArgoCdReader } from '../../src/providers/argocd/adapter.js';
import type { AppState } from '../../src/providers/argocd/port.js';
import { type ArgoCdEmulator, startArgoCdEmulator } from '../../src/sandbox/argocd/index.js';
import { createGitRemote, type GitRemote, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { judgeApp } from '../../src/steps/argocd/condition.js';

const TOKEN = 'served-kinds-test-token-77c1';
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'portability');

let work: string;
let remote: GitRemote;
let emulator: ArgoCdEmulator;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'argocd-served-kinds-'));
  remote = await createGitRemote({ dir: work, from: join(FIXTURES, 'ledger') });
  const app = (name: string, path: string, cluster: string, cloud: string) => ({
    name,
    labels: { cloud },
    repoURL: remote.remote,
    targetRevision: remote.branch,
    path,
    autoSync: true,
    destination: { name: cluster, server: `https://${cluster}.cluster.invalid` },
  });
  emulator = await startArgoCdEmulator({
    token: TOKEN,
    apps: [
      app('ledger-aws', 'overlays/aws', 'aws-standby', 'aws'),
      app('ledger-gke', 'overlays/gke', 'gke-primary', 'gcp'),
    ],
    rolloutMs: 200,
    reconcileIntervalMs: 0,
    syncDurationMs: 100,
  });
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  rmSync(work, { recursive: true, force: true });
});

const reader = () =>
  createArgoCdReader({
    config: Config.parse({
      argocd: { server: emulator.url, tokenEnv: 'T', awsApps: ['ledger-aws'], gcpApps: ['ledger-gke'] },
    }),
    env: { T: TOKEN },
    redactor: new Redactor(),
    runId: 'test',
  });

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('what each destination cluster serves, read through Argo CD', () => {
  it('the cluster of each app: GKE serves BackendConfig, the AWS standby does not; both serve ExternalSecret', async () => {
    const [aws] = await reader().clusterApis!('aws');
    const [gke] = await reader().clusterApis!('gcp');
    expect(aws).toMatchObject({ app: 'ledger-aws', cluster: 'aws-standby', connection: 'Successful' });
    expect(aws!.apiVersions).toContain('apps/v1/Deployment');
    expect(aws!.apiVersions).toContain('external-secrets.io/v1beta1/ExternalSecret');
    expect(aws!.apiVersions).not.toContain('cloud.google.com/v1/BackendConfig');
    expect(gke!.apiVersions).toContain('cloud.google.com/v1/BackendConfig');
  });

  it('an unknown cluster answers 403 as argocd-server does', async () => {
    const response = await fetch(
      `${emulator.url}/api/v1/clusters/${encodeURIComponent('https://nowhere.invalid')}?id.type=url`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 7 });
  });
});

describe('a sync the destination cannot serve, and ExternalSecrets', () => {
  it('the AWS app never synced the GKE base: Failed with Argo CD message, read as the app syncFailure', async () => {
    const [app] = await reader().apps('aws');
    expect(app!.syncStatus).toBe('OutOfSync');
    expect(app!.syncFailure).toMatchObject({
      phase: 'Failed',
      message: 'one or more synchronization tasks are not valid',
      resources: [
        {
          kind: 'BackendConfig',
          namespace: 'ledger',
          name: 'ledger-api',
          message:
            'The Kubernetes API could not find cloud.google.com/BackendConfig for requested resource ledger/ledger-api. Make sure the "BackendConfig" CRD is installed on the destination cluster.',
        },
      ],
    });
    // The wait at that revision stops at once, naming it.
    expect(judgeApp(app!, 'running', app!.revision).syncFailed).toMatch(
      /BackendConfig ledger\/ledger-api: The Kubernetes API/,
    );
  });

  it('made portable and active with a failing secret store: the workload waits for the ExternalSecret', async () => {
    emulator.model.clusterProfile('aws-standby').secretStore.failing = true;
    await pushChange({
      remote: remote.remote,
      message: 'aws: portable and active',
      change: (dir) => {
        cpSync(join(FIXTURES, 'ledger-portable'), join(dir, 'overlays', 'aws'), { recursive: true });
        // Active: the standby entries dropped.
        const file = join(dir, 'overlays', 'aws', 'kustomization.yaml');
        const text = readFileSync(file, 'utf8');
        const active = text.replace(
          / {2}- path: cronjob-suspend\.yml\n {4}target:\n {6}kind: CronJob\n {2}- path: replicas-zero\.yml\n {4}target:\n {6}kind: Deployment\n/,
          '',
        );
        if (active === text) throw new Error('the standby entries moved in ledger-portable');
        writeFileSync(file, active);
      },
    });
    let app: AppState | undefined;
    await until('the portable revision synced', async () => {
      [app] = await reader().apps('aws', { refresh: true });
      return app?.operationPhase === 'Succeeded' && app.syncStatus === 'Synced';
    });
    await new Promise((r) => setTimeout(r, 400));
    [app] = await reader().apps('aws');
    expect(app!.externalSecrets).toEqual([
      expect.objectContaining({
        name: 'db-credentials',
        namespace: 'ledger',
        secret: 'db-credentials',
        ready: false,
        reason: 'SecretSyncedError',
        secretExists: false,
      }),
    ]);
    expect(app!.workloads.find((w) => w.name === 'ledger-api')?.secrets).toEqual(['db-credentials']);
    expect(emulator.model.workloads('ledger-aws').find((w) => w.name === 'ledger-api')).toMatchObject({
      replicas: 2,
      readyReplicas: 0,
      blocked: { reason: 'CreateContainerConfigError', message: 'secret "db-credentials" not found' },
    });
    expect(judgeApp(app!, 'running', app!.revision).resources).toContainEqual(
      expect.stringMatching(
        /^Deployment ledger\/ledger-api: 0\/2 ready, want 2, waiting for ExternalSecret ledger\/db-credentials: SecretSyncedError could not get secret data from provider: key "ledger\/database"/,
      ),
    );

    // Healed: the ExternalSecret syncs, its health turns Healthy as the Lua check says.
    emulator.model.clusterProfile('aws-standby').secretStore.failing = false;
    await until('the ExternalSecret Ready', async () => {
      [app] = await reader().apps('aws');
      return app?.externalSecrets?.[0]?.ready === true;
    });
    await until('ledger-api ready', async () => {
      [app] = await reader().apps('aws');
      return app?.workloads.find((w) => w.name === 'ledger-api')?.ready === 2;
    });
    const tree = (await (
      await fetch(`${emulator.url}/api/v1/applications/ledger-aws/resource-tree`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as { nodes: { kind: string; health?: { status: string; message?: string } }[] };
    expect(tree.nodes.find((n) => n.kind === 'ExternalSecret')?.health).toEqual({
      status: 'Healthy',
      message: 'Secret was synced',
    });
  });
});
