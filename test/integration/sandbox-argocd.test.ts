/**
 * The Argo CD emulator over real HTTP (fetch) with real git remotes in temp dirs: auth, the
 * standby trap (Synced + Healthy with nothing running), a failover commit rolling out, manual
 * sync and its conflicts, a stalled rollout, outages, and the background reconcile loop.
 * Every wait is bounded by time and polls at a fixed interval.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSeq, isMap as isYamlMap, parseDocument } from 'yaml';
import { type ArgoCdEmulator, demoApps, startArgoCdEmulator } from '../../src/sandbox/argocd/index.js';
import {
  createGitRemote,
  demoTreeDir,
  type GitRemote,
  pushChange,
} from '../../src/sandbox/gitops-demo/index.js';

const TOKEN = 'sandbox-argocd-token';
const ROLLOUT_MS = 600;

interface Application {
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    source: { repoURL: string; targetRevision: string; path: string };
    syncPolicy: { automated?: object };
  };
  status: {
    sync: { status: string; revision?: string };
    health: { status: string };
    operationState?: {
      phase: string;
      message: string;
      syncResult?: { revision: string };
      finishedAt?: string;
    };
    reconciledAt?: string;
    resources: {
      kind: string;
      name: string;
      status: string;
      health?: { status: string; message?: string };
    }[];
    conditions?: { type: string; message: string }[];
    history: { revision: string }[];
  };
  operation?: { sync: { revision: string } };
}

interface ManagedResource {
  kind: string;
  name: string;
  namespace: string;
  liveState: string;
  targetState: string;
}

interface Workload {
  spec: { replicas?: number; suspend?: boolean };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
  };
}

async function api(
  emulator: ArgoCdEmulator,
  path: string,
  init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${emulator.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json() };
}

async function getApp(
  emulator: ArgoCdEmulator,
  name: string,
  refresh?: 'normal' | 'hard',
): Promise<Application> {
  const { status, body } = await api(
    emulator,
    `/api/v1/applications/${name}${refresh ? `?refresh=${refresh}` : ''}`,
  );
  expect(status).toBe(200);
  return body as Application;
}

async function managed(emulator: ArgoCdEmulator, app: string, kind: string, name: string): Promise<Workload> {
  const { body } = await api(emulator, `/api/v1/applications/${app}/managed-resources`);
  const item = (body as { items: ManagedResource[] }).items.find((i) => i.kind === kind && i.name === name);
  if (!item) throw new Error(`${kind}/${name} not managed by ${app}`);
  return JSON.parse(item.liveState) as Workload;
}

/** Polls `read` every `intervalMs` until `done` holds; fails after `timeoutMs`. Returns what it saw. */
async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 10_000, intervalMs = 40 } = {},
): Promise<{ last: T; seen: T[] }> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    seen.push(value);
    if (done(value)) return { last: value, seen };
    if (Date.now() > deadline) {
      throw new Error(
        `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value).slice(0, 600)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Removes (standby: false) or restores the write-up's two standby patch entries in overlays/aws. */
async function setAwsStandby(repoDir: string, standby: boolean, original: string): Promise<void> {
  const file = join(repoDir, 'overlays', 'aws', 'kustomization.yaml');
  if (standby) {
    await writeFile(file, original);
    return;
  }
  const doc = parseDocument(await readFile(file, 'utf8'));
  const patches = doc.get('patches');
  if (isSeq(patches)) {
    patches.items = patches.items.filter((item) => {
      const path = isYamlMap(item) ? item.get('path') : undefined;
      return path !== 'cronjob-suspend.yml' && path !== 'replicas-zero.yml';
    });
    if (patches.items.length === 0) doc.delete('patches');
  }
  await writeFile(file, doc.toString());
}

describe('Argo CD emulator', () => {
  let work: string;
  let remote: GitRemote;
  let emulator: ArgoCdEmulator;
  let standbyKustomization: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'argocd-emulator-test-'));
    remote = await createGitRemote({ dir: work });
    // The seeded overlay text, to restore the standby later.
    standbyKustomization = await readFile(
      join(demoTreeDir(), 'overlays', 'aws', 'kustomization.yaml'),
      'utf8',
    );
    // Reconcile only on refresh here, so each step sees exactly the transitions it causes.
    emulator = await startArgoCdEmulator({
      token: TOKEN,
      apps: demoApps(remote.remote),
      rolloutMs: ROLLOUT_MS,
      reconcileIntervalMs: 0,
      syncDurationMs: 250,
    });
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('rejects requests without a token or with a wrong one, as argocd-server does', async () => {
    const missing = await api(emulator, '/api/v1/applications', { token: null });
    expect(missing).toEqual({
      status: 401,
      body: { error: 'no session information', code: 16, message: 'no session information' },
    });
    const wrong = await api(emulator, '/api/v1/applications/admin-aws', { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: 16, error: expect.stringMatching(/^invalid session: /) });
    const cookie = await api(emulator, '/api/v1/applications', {
      token: null,
      headers: { cookie: `argocd.token=${TOKEN}` },
    });
    expect(cookie.status).toBe(200);
    expect((await api(emulator, '/api/version', { token: null })).status).toBe(200);
  });

  it('lists applications by label selector and answers 404 with code 5 for unknown ones', async () => {
    const names = async (query: string) => {
      const { body } = await api(emulator, `/api/v1/applications${query}`);
      return (body as { items: Application[] }).items.map((a) => a.metadata.name);
    };
    expect(await names('?selector=cloud%3Daws')).toEqual(['admin-aws']);
    expect(await names('?selector=cloud%3Dgcp')).toEqual(['admin-gke']);
    expect(await names('')).toEqual(['admin-aws', 'admin-gke']);
    expect(await names('?selector=cloud%20in%20(aws%2Cgcp)')).toHaveLength(2);
  });

  it('answers 403 "permission denied" for an unknown app and for a hidden one; 404 only with a project', async () => {
    const denied = { error: 'permission denied', code: 7, message: 'permission denied' };
    for (const path of [
      '/api/v1/applications/nope',
      '/api/v1/applications/nope/resource-tree',
      '/api/v1/applications/nope/managed-resources',
    ]) {
      const missing = await api(emulator, path);
      expect([path, missing.status, missing.body]).toEqual([path, 403, denied]);
    }
    const sync = await api(emulator, '/api/v1/applications/nope/sync', { method: 'POST', body: {} });
    expect([sync.status, sync.body]).toEqual([403, denied]);

    emulator.hideApp('admin-gke');
    try {
      const hidden = await api(emulator, '/api/v1/applications/admin-gke');
      expect([hidden.status, hidden.body]).toEqual([403, denied]);
      const { body } = await api(emulator, '/api/v1/applications');
      expect((body as { items: Application[] }).items.map((a) => a.metadata.name)).toEqual(['admin-aws']);
      // With a project the answer is 404 whether hidden or missing: still nothing to tell them apart.
      const inProject = await api(emulator, '/api/v1/applications/admin-gke?project=default');
      expect([inProject.status, inProject.body]).toEqual([
        404,
        {
          error: 'applications.argoproj.io "admin-gke" not found',
          code: 5,
          message: 'applications.argoproj.io "admin-gke" not found',
        },
      ]);
    } finally {
      emulator.hideApp('admin-gke', false);
    }
    expect((await api(emulator, '/api/v1/applications/nope?project=default')).status).toBe(404);
    expect((await api(emulator, '/api/v1/applications/admin-aws?project=default')).status).toBe(200);
    expect((await api(emulator, '/api/v1/applications/admin-aws?project=other')).status).toBe(404);
    const two = await api(emulator, '/api/v1/applications/admin-aws?projects=a&projects=b');
    expect([two.status, (two.body as { code: number }).code]).toEqual([400, 3]);
  });

  it('reports the AWS standby as Synced and Healthy while nothing runs (the trap)', async () => {
    const app = await getApp(emulator, 'admin-aws', 'normal');
    expect(app.status.sync).toMatchObject({ status: 'Synced', revision: remote.head });
    expect(app.status.health.status).toBe('Healthy');
    expect(app.status.operationState?.phase).toBe('Succeeded');
    expect(app.spec.syncPolicy.automated).toBeDefined();
    expect(app.spec.source).toEqual({ repoURL: remote.remote, targetRevision: 'main', path: 'overlays/aws' });

    for (const name of ['admin-web', 'admin-api', 'worker']) {
      const live = await managed(emulator, 'admin-aws', 'Deployment', name);
      expect(live.spec.replicas, name).toBe(0);
      // The API server omits zero counters: a Deployment at 0 has no readyReplicas at all.
      expect(live.status?.readyReplicas, name).toBeUndefined();
      expect(live.status?.observedGeneration, name).toBeGreaterThan(0);
    }
    expect((await managed(emulator, 'admin-aws', 'CronJob', 'nightly-report')).spec.suspend).toBe(true);

    const { body } = await api(emulator, '/api/v1/applications/admin-aws/resource-tree');
    const nodes = (
      body as { nodes: { kind: string; name: string; health?: { status: string; message?: string } }[] }
    ).nodes;
    expect(nodes.find((n) => n.kind === 'CronJob')?.health).toEqual({
      status: 'Healthy',
      message: 'CronJob is Suspended',
    });
    for (const node of nodes.filter((n) => n.kind === 'Deployment'))
      expect(node.health?.status).toBe('Healthy');
    expect(nodes.some((n) => n.kind === 'Pod')).toBe(false);

    // The active side really runs: ready == desired, the HPA sized the worker to its minimum.
    const gke = await getApp(emulator, 'admin-gke');
    expect(gke.status).toMatchObject({ sync: { status: 'Synced' }, health: { status: 'Healthy' } });
    const web = await managed(emulator, 'admin-gke', 'Deployment', 'admin-web');
    expect(web.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 3,
    });
    const worker = await managed(emulator, 'admin-gke', 'Deployment', 'worker');
    expect(worker.spec.replicas).toBe(2);
    expect(worker.status?.readyReplicas).toBe(2);
  });

  it('fails over: removing the standby patches goes OutOfSync, syncs the new revision, rolls out to Healthy', async () => {
    const failover = await pushChange({
      remote: remote.remote,
      message: 'Fail over to AWS: remove the standby patches',
      change: (dir) => setAwsStandby(dir, false, standbyKustomization),
    });

    const refreshed = await getApp(emulator, 'admin-aws', 'normal');
    // Argo CD compares against the new commit at once; nothing has been applied yet.
    expect(refreshed.status.sync).toMatchObject({ status: 'OutOfSync', revision: failover });
    expect(refreshed.operation?.sync.revision).toBe(failover);

    const { last, seen } = await pollUntil(
      () => getApp(emulator, 'admin-aws'),
      (app) =>
        app.status.sync.status === 'Synced' &&
        app.status.operationState?.phase === 'Succeeded' &&
        app.status.operationState.syncResult?.revision === failover &&
        app.status.health.status === 'Healthy',
      { timeoutMs: 10_000 },
    );
    // Synced comes first, with the workloads still rolling out.
    expect(
      seen.some((a) => a.status.sync.status === 'Synced' && a.status.health.status === 'Progressing'),
    ).toBe(true);
    expect(last.status.history.at(-1)?.revision).toBe(failover);
    expect(last.operation).toBeUndefined();

    const expected = { 'admin-web': 3, 'admin-api': 2, worker: 2 };
    for (const [name, replicas] of Object.entries(expected)) {
      const live = await managed(emulator, 'admin-aws', 'Deployment', name);
      expect(live.spec.replicas, name).toBe(replicas);
      expect(live.status?.readyReplicas, name).toBe(replicas);
    }
    expect((await managed(emulator, 'admin-aws', 'CronJob', 'nightly-report')).spec.suspend).toBe(false);
    expect(emulator.model.workloads('admin-aws')).toContainEqual(
      expect.objectContaining({ kind: 'Deployment', name: 'admin-web', replicas: 3, readyReplicas: 3 }),
    );
  });

  it('syncs manually when auto-sync is off, refusing a second sync while one runs', async () => {
    emulator.model.setAutoSync('admin-aws', false);
    const failback = await pushChange({
      remote: remote.remote,
      message: 'Back to standby',
      change: (dir) => setAwsStandby(dir, true, standbyKustomization),
    });
    const outOfSync = await getApp(emulator, 'admin-aws', 'normal');
    expect(outOfSync.status.sync).toMatchObject({ status: 'OutOfSync', revision: failback });
    expect(outOfSync.operation).toBeUndefined();
    expect(outOfSync.spec.syncPolicy.automated).toBeUndefined();

    // A dry run changes nothing live.
    const dry = await api(emulator, '/api/v1/applications/admin-aws/sync', {
      method: 'POST',
      body: { dryRun: true },
    });
    expect(dry.status).toBe(200);
    await pollUntil(
      () => getApp(emulator, 'admin-aws'),
      (app) => app.status.operationState?.phase === 'Succeeded' && app.operation === undefined,
    );
    expect((await managed(emulator, 'admin-aws', 'Deployment', 'admin-web')).spec.replicas).toBe(3);
    expect((await getApp(emulator, 'admin-aws')).status.sync.status).toBe('OutOfSync');

    emulator.control.log.clear();
    const first = await api(emulator, '/api/v1/applications/admin-aws/sync', {
      method: 'POST',
      body: { prune: false },
    });
    expect(first.status).toBe(200);
    expect((first.body as Application).operation).toBeDefined();
    const second = await api(emulator, '/api/v1/applications/admin-aws/sync', { method: 'POST', body: {} });
    expect(second.status).toBe(400);
    expect(second.body).toMatchObject({ code: 9, message: 'another operation is already in progress' });

    await pollUntil(
      () => getApp(emulator, 'admin-aws'),
      (app) =>
        app.status.sync.status === 'Synced' &&
        app.status.operationState?.phase === 'Succeeded' &&
        app.status.operationState.syncResult?.revision === failback &&
        app.status.health.status === 'Healthy',
    );
    for (const name of ['admin-web', 'admin-api', 'worker']) {
      const live = await managed(emulator, 'admin-aws', 'Deployment', name);
      expect(live.spec.replicas, name).toBe(0);
      expect(live.status?.readyReplicas, name).toBeUndefined();
    }
    expect((await managed(emulator, 'admin-aws', 'CronJob', 'nightly-report')).spec.suspend).toBe(true);

    const mutating = emulator.control.log.mutating();
    expect(mutating.map((e) => e.operation)).toEqual(['SyncApplication', 'SyncApplication']);
    expect(mutating.map((e) => e.status)).toEqual([200, 400]);
    expect(
      emulator.control.log.entries.filter((e) => e.operation === 'GetApplication').every((e) => !e.mutating),
    ).toBe(true);
  });

  it('refuses a sync to another revision while auto-sync is on, and terminates a running operation', async () => {
    emulator.model.setAutoSync('admin-aws', true);
    const wrongRevision = await api(emulator, '/api/v1/applications/admin-aws/sync', {
      method: 'POST',
      body: { revision: 'release-1' },
    });
    expect(wrongRevision.status).toBe(400);
    expect(wrongRevision.body).toMatchObject({
      code: 9,
      message: expect.stringMatching(/^Cannot sync to release-1/),
    });

    expect(
      (await api(emulator, '/api/v1/applications/admin-gke/sync', { method: 'POST', body: {} })).status,
    ).toBe(200);
    expect(
      (await api(emulator, '/api/v1/applications/admin-gke/operation', { method: 'DELETE' })).status,
    ).toBe(200);
    const { last } = await pollUntil(
      () => getApp(emulator, 'admin-gke'),
      (app) => app.operation === undefined && app.status.operationState?.phase !== 'Terminating',
    );
    expect(last.status.operationState).toMatchObject({ phase: 'Failed', message: 'Operation terminated' });
    const none = await api(emulator, '/api/v1/applications/admin-gke/operation', { method: 'DELETE' });
    expect(none).toMatchObject({
      status: 400,
      body: { code: 3, message: 'Unable to terminate operation. No operation is in progress' },
    });
  });

  it('keeps a stalled rollout Progressing (ready stays below desired) until it is released', async () => {
    emulator.model.stallRollout('admin-gke', true);
    const scaleUp = await pushChange({
      remote: remote.remote,
      message: 'admin-web: 5 replicas',
      change: async (dir) => {
        const file = join(dir, 'base', 'admin-web.yml');
        await writeFile(file, (await readFile(file, 'utf8')).replace('replicas: 3', 'replicas: 5'));
      },
    });
    await getApp(emulator, 'admin-gke', 'normal');
    await pollUntil(
      () => getApp(emulator, 'admin-gke'),
      (app) =>
        app.status.sync.status === 'Synced' && app.status.operationState?.syncResult?.revision === scaleUp,
    );
    // Bounded: several rollout durations, and it must still be Progressing at every look.
    const started = Date.now();
    while (Date.now() - started < ROLLOUT_MS * 3) {
      const app = await getApp(emulator, 'admin-gke');
      expect(app.status.health.status).toBe('Progressing');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stalled = await managed(emulator, 'admin-gke', 'Deployment', 'admin-web');
    expect(stalled.spec.replicas).toBe(5);
    expect(stalled.status?.readyReplicas).toBe(4);
    const app = await getApp(emulator, 'admin-gke');
    expect(
      app.status.resources.find((r) => r.kind === 'Deployment' && r.name === 'admin-web')?.health?.status,
    ).toBe('Progressing');

    emulator.model.stallRollout('admin-gke', false);
    await pollUntil(
      () => getApp(emulator, 'admin-gke'),
      (a) => a.status.health.status === 'Healthy',
    );
    expect((await managed(emulator, 'admin-gke', 'Deployment', 'admin-web')).status?.readyReplicas).toBe(5);
    // The standby side renders the same Deployment at 0: nothing to do there.
    const aws = await getApp(emulator, 'admin-aws', 'normal');
    expect(aws.status.sync).toMatchObject({ status: 'Synced', revision: scaleUp });
  });

  it('answers 503 during an outage and 500 for an injected server error', async () => {
    emulator.control.knobs.outage = true;
    try {
      const down = await api(emulator, '/api/v1/applications/admin-aws');
      expect(down).toMatchObject({ status: 503, body: { code: 14 } });
      expect(emulator.control.log.entries.at(-1)).toMatchObject({ status: 503, error: 'Unavailable' });
    } finally {
      emulator.control.knobs.outage = false;
    }
    emulator.control.injectFault('server-error', { operation: 'GetApplication', count: 1 });
    expect((await api(emulator, '/api/v1/applications/admin-aws')).status).toBe(500);
    expect((await api(emulator, '/api/v1/applications/admin-aws')).status).toBe(200);
  });

  it('treats any ?refresh value but hard as a normal refresh, as argocd-server does', async () => {
    const before = await getApp(emulator, 'admin-aws');
    const commit = await pushChange({
      remote: remote.remote,
      message: 'docs: a file outside every app path',
      change: (dir) => writeFile(join(dir, 'NOTES.md'), 'nothing deployed here\n'),
    });
    // Without refresh (and no background reconcile here) the app still shows the old comparison.
    expect((await getApp(emulator, 'admin-aws')).status.sync.revision).toBe(before.status.sync.revision);
    for (const value of ['bogus', '']) {
      const { status, body } = await api(emulator, `/api/v1/applications/admin-gke?refresh=${value}`);
      expect(status).toBe(200);
      expect((body as Application).status.sync.revision).toBe(commit);
    }
    const refreshed = await api(emulator, '/api/v1/applications/admin-aws?refresh=HARD');
    expect(refreshed.status).toBe(200);
    expect((refreshed.body as Application).status.sync.revision).toBe(commit);
  });
});

describe('Argo CD emulator background reconcile', () => {
  let work: string;
  let remote: GitRemote;
  let emulator: ArgoCdEmulator;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'argocd-emulator-loop-'));
    remote = await createGitRemote({ dir: work });
    const [, gke] = demoApps(remote.remote);
    const proxy = demoApps(remote.remote, { includeAwsOnly: true }).find(
      (a) => a.name === 'preview-proxy-aws',
    )!;
    emulator = await startArgoCdEmulator({
      token: TOKEN,
      apps: [gke!, proxy, { ...gke!, name: 'broken', path: 'overlays/missing', labels: {} }],
      rolloutMs: 300,
      reconcileIntervalMs: 150,
      syncDurationMs: 50,
    });
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('notices a pushed commit without a refresh and auto-syncs it', async () => {
    const commit = await pushChange({
      remote: remote.remote,
      message: 'admin-api: 4 replicas',
      change: async (dir) => {
        const file = join(dir, 'base', 'admin-api.yml');
        await writeFile(file, (await readFile(file, 'utf8')).replace('replicas: 2', 'replicas: 4'));
      },
    });
    await pollUntil(
      () => getApp(emulator, 'admin-gke'),
      (app) =>
        app.status.sync.status === 'Synced' &&
        app.status.sync.revision === commit &&
        app.status.operationState?.syncResult?.revision === commit &&
        app.status.health.status === 'Healthy',
    );
    expect((await managed(emulator, 'admin-gke', 'Deployment', 'admin-api')).status?.readyReplicas).toBe(4);
  });

  it('runs the AWS-only preview proxy as a separate application', async () => {
    const app = await getApp(emulator, 'preview-proxy-aws');
    expect(app.status).toMatchObject({ sync: { status: 'Synced' }, health: { status: 'Healthy' } });
    expect(
      (await managed(emulator, 'preview-proxy-aws', 'Deployment', 'preview-proxy')).status?.readyReplicas,
    ).toBe(2);
  });

  it('reports a path that does not render as sync Unknown with a ComparisonError', async () => {
    const app = await getApp(emulator, 'broken', 'hard');
    expect(app.status.sync.status).toBe('Unknown');
    expect(app.status.conditions?.[0]).toMatchObject({
      type: 'ComparisonError',
      message: expect.stringContaining('app path does not exist'),
    });
  });
});
