/**
 * The Argo CD adapter over real HTTP (node:http) against the Argo CD emulator on loopback, with
 * a real git remote in a temp dir: listing by names and by selector, workloads read from the live
 * manifests (the standby trap: Synced + Healthy with nothing running), bad tokens, unknown apps,
 * outages, sync conflicts, and a self-signed HTTPS server with `insecure`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { FailoverError } from '../../src/engine/errors.js';
import { Redactor } from '../../src/engine/redact.js';
import { createArgoCdReader, createArgoCdWriter } from '../../src/providers/argocd/adapter.js';
import type { AppState } from '../../src/providers/argocd/port.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { type ArgoCdEmulator, demoApps, startArgoCdEmulator } from '../../src/sandbox/argocd/index.js';
import { createArgoCdHandler } from '../../src/sandbox/argocd/server.js';
import { createGitRemote, type GitRemote, pushChange } from '../../src/sandbox/gitops-demo/index.js';

const TOKEN = 'argocd-adapter-test-token-5f3a9c';
const TOKEN_ENV = 'TEST_ARGOCD_TOKEN';
const run = promisify(execFile);

let work: string;
let remote: GitRemote;
let emulator: ArgoCdEmulator;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'argocd-adapter-test-'));
  remote = await createGitRemote({ dir: work });
  emulator = await startArgoCdEmulator({
    token: TOKEN,
    apps: demoApps(remote.remote, { includeAwsOnly: true }),
    rolloutMs: 300,
    reconcileIntervalMs: 0,
    syncDurationMs: 300,
  });
});

afterAll(async () => {
  await emulator?.close();
  await rm(work, { recursive: true, force: true });
});

function options(
  argocd: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = { [TOKEN_ENV]: TOKEN },
): AdapterOptions {
  const config = Config.parse({
    argocd: {
      server: emulator.url,
      tokenEnv: TOKEN_ENV,
      awsApps: ['admin-aws'],
      gcpApps: { selector: 'cloud=gcp' },
      ...argocd,
    },
  });
  return { config, env, redactor: new Redactor(), runId: 'test' };
}

/** The rejection of `promise`, which must reject with a FailoverError. */
async function failure(promise: Promise<unknown>): Promise<FailoverError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(FailoverError.is(error), `expected a FailoverError, got ${String(error)}`).toBe(true);
  return error as FailoverError;
}

/** Everything an error carries that could reach a terminal, journal or report. */
function printable(error: FailoverError): string {
  return JSON.stringify({
    message: error.message,
    hint: error.hint,
    details: error.details,
    stack: error.stack,
  });
}

describe('Argo CD adapter', () => {
  it('reads the apps listed by name, with workloads from the live manifests: the standby trap', async () => {
    const [app, ...rest] = await createArgoCdReader(options()).apps('aws', { refresh: true });
    expect(rest).toEqual([]);
    // Argo CD's view: all is well.
    expect(app).toMatchObject({
      name: 'admin-aws',
      syncStatus: 'Synced',
      health: 'Healthy',
      revision: remote.head,
      operationPhase: 'Succeeded',
      operationInFlight: false,
      autoSync: true,
    });
    expect(app!.reconciledAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The workloads' view: nothing runs.
    const byName = Object.fromEntries(app!.workloads.map((w) => [w.name, w]));
    for (const name of ['admin-web', 'admin-api', 'worker']) {
      expect(byName[name], name).toMatchObject({
        kind: 'Deployment',
        namespace: 'admin',
        desired: 0,
        ready: 0,
        health: 'Healthy',
      });
    }
    expect(byName['nightly-report']).toMatchObject({ kind: 'CronJob', suspended: true, health: 'Healthy' });
    // Only Deployments, StatefulSets and CronJobs are workloads (no Services, Ingresses, HPAs).
    expect(app!.workloads.map((w) => w.kind).sort()).toEqual([
      'CronJob',
      'Deployment',
      'Deployment',
      'Deployment',
    ]);
  });

  it('reads the apps matching a label selector, and the {names} form', async () => {
    const gcp = await createArgoCdReader(options()).apps('gcp');
    expect(gcp.map((a) => a.name)).toEqual(['admin-gke']);
    const web = gcp[0]!.workloads.find((w) => w.name === 'admin-web');
    expect(web).toMatchObject({ desired: 3, ready: 3, updated: 3, observed: true });
    expect(gcp[0]!.workloads.find((w) => w.kind === 'CronJob')).toMatchObject({ suspended: false });

    const aws = await createArgoCdReader(options({ awsApps: { selector: 'cloud=aws' } })).apps('aws');
    expect(aws.map((a) => a.name).sort()).toEqual(['admin-aws', 'preview-proxy-aws']);
    const named = await createArgoCdReader(options({ awsApps: { names: ['preview-proxy-aws'] } })).apps(
      'aws',
    );
    expect(named.map((a) => a.name)).toEqual(['preview-proxy-aws']);
  });

  it('registers the token with the redactor', () => {
    const opts = options();
    createArgoCdReader(opts);
    expect(opts.redactor.text(`header Bearer ${TOKEN} and ${TOKEN}`)).not.toContain(TOKEN);
  });

  it('says which variable is missing, without a value', async () => {
    const error = await failure((async () => createArgoCdReader(options({}, {})))());
    expect(error).toMatchObject({ code: 'FO_ARGOCD_E3501', category: 'invalid-input' });
    expect(error.message).toContain(TOKEN_ENV);
    expect(error.hint).toContain(TOKEN_ENV);
  });

  it('rejects a wrong token with a clear error that never contains the token', async () => {
    const wrong = 'wrong-token-that-must-not-leak-8d2e';
    const error = await failure(createArgoCdReader(options({}, { [TOKEN_ENV]: wrong })).apps('aws'));
    expect(error).toMatchObject({ code: 'FO_ARGOCD_E3502', category: 'invalid-input' });
    expect(error.message).toContain(`token rejected by ${emulator.url}`);
    expect(error.hint).toContain(TOKEN_ENV);
    expect(printable(error)).not.toContain(wrong);
    expect(printable(error)).not.toContain(TOKEN);
  });

  it('names an application that does not exist, or that the token may not see, the same way', async () => {
    const typo = await failure(
      createArgoCdReader(options({ awsApps: ['admin-aws', 'admin-typo'] })).apps('aws'),
    );
    expect(typo).toMatchObject({ code: 'FO_ARGOCD_E3504', category: 'invalid-input' });
    expect(typo.message).toContain('application admin-typo: not found or not permitted for this token');
    expect(typo.details).toMatchObject({ httpStatus: 403, grpcCode: 7, serverMessage: 'permission denied' });
    expect(typo.hint).toMatch(/awsApps/);
    expect(typo.hint).toContain(TOKEN_ENV);

    // An app that exists but is outside the token's RBAC policy answers exactly like a typo.
    emulator.hideApp('preview-proxy-aws');
    try {
      const hidden = await failure(
        createArgoCdReader(options({ awsApps: ['preview-proxy-aws'] })).apps('aws'),
      );
      expect(hidden.code).toBe(typo.code);
      expect(hidden.message).toBe(typo.message.replaceAll('admin-typo', 'preview-proxy-aws'));
      // A selector silently leaves it out, as Argo CD's list does.
      const listed = await createArgoCdReader(options({ awsApps: { selector: 'cloud=aws' } })).apps('aws');
      expect(listed.map((a) => a.name)).toEqual(['admin-aws']);
    } finally {
      emulator.hideApp('preview-proxy-aws', false);
    }
  });

  it('reports a selector that matches nothing, and a side without apps in the config', async () => {
    const none = await failure(
      createArgoCdReader(options({ awsApps: { selector: 'cloud=azure' } })).apps('aws'),
    );
    expect(none).toMatchObject({ code: 'FO_ARGOCD_E3510', category: 'invalid-input' });
    expect(none.message).toContain('cloud=azure');
    const config = options();
    delete config.config.argocd!.gcpApps;
    const unset = await failure(createArgoCdReader(config).apps('gcp'));
    expect(unset).toMatchObject({ code: 'FO_ARGOCD_E3511', category: 'invalid-input' });
  });

  it('turns an outage and an unreachable server into retryable step failures', async () => {
    emulator.control.knobs.outage = true;
    try {
      const outage = await failure(createArgoCdReader(options()).apps('aws'));
      expect(outage).toMatchObject({ code: 'FO_ARGOCD_E3505', category: 'step-failed', retryable: true });
      expect(outage.message).toContain('503');
    } finally {
      emulator.control.knobs.outage = false;
    }
    const port = await closedPort();
    const refused = await failure(
      createArgoCdReader(options({ server: `http://127.0.0.1:${port}` })).apps('aws'),
    );
    expect(refused).toMatchObject({ code: 'FO_ARGOCD_E3507', category: 'step-failed', retryable: true });
    expect(refused.message).toContain('ECONNREFUSED');
  });

  it('a redirect (a login page, http to https) is a config error naming where it points, not followed', async () => {
    let requests = 0;
    const server = createHttpServer((_req, res) => {
      requests += 1;
      res.writeHead(302, { location: 'https://sso.example.com/login?next=/api/v1/applications' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const error = await failure(
        createArgoCdReader(options({ server: `http://127.0.0.1:${port}` })).apps('aws'),
      );
      expect(error).toMatchObject({ code: 'FO_ARGOCD_E3513', category: 'invalid-input', retryable: false });
      expect(error.message).toContain('redirected GET /api/v1/applications to https://sso.example.com/login');
      expect(error.hint).toMatch(/argocd.server/);
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  it('stops at once when the signal aborts', async () => {
    emulator.control.knobs.latencyMs = 2000;
    try {
      const controller = new AbortController();
      const reason = new FailoverError('TEST_ABORT', 'aborted', 'interrupted by the test');
      setTimeout(() => controller.abort(reason), 100);
      const started = Date.now();
      const error = await failure(createArgoCdReader(options()).apps('aws', { signal: controller.signal }));
      expect(error).toBe(reason);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      emulator.control.knobs.latencyMs = 0;
    }
  });

  it('syncs without pruning, and reports a sync already running as in progress, not as an error', async () => {
    emulator.model.setAutoSync('preview-proxy-aws', false);
    try {
      const writer = createArgoCdWriter(options());
      emulator.control.log.clear();
      expect(await writer.sync('preview-proxy-aws', remote.head)).toBe('started');
      expect(await writer.sync('preview-proxy-aws', remote.head)).toBe('in-progress');
      const [app] = await createArgoCdReader(options({ awsApps: ['preview-proxy-aws'] })).apps('aws');
      expect(app!.operationInFlight).toBe(true);
      expect(app!.autoSync).toBe(false);
      expect(emulator.control.log.operations().filter((o) => o === 'SyncApplication')).toHaveLength(2);
      const unknown = await failure(writer.sync('nope', undefined));
      expect(unknown).toMatchObject({ code: 'FO_ARGOCD_E3504' });
      expect(unknown.message).toContain('application nope: not found or not permitted for this token');
    } finally {
      emulator.model.setAutoSync('preview-proxy-aws', true);
    }
  });

  it('marks a Deployment that is in git but not yet in the cluster as missing', async () => {
    emulator.model.setAutoSync('admin-aws', false);
    const base = join('base', 'kustomization.yaml');
    let before = '';
    try {
      await pushChange({
        remote: remote.remote,
        message: 'Add a new workload',
        change: async (dir) => {
          before = await readFile(join(dir, base), 'utf8');
          await writeFile(join(dir, 'base', 'mailer.yml'), MAILER);
          await writeFile(join(dir, base), before.replace('resources:\n', 'resources:\n  - mailer.yml\n'));
        },
      });
      const [app] = await createArgoCdReader(options()).apps('aws', { refresh: true });
      expect(app!.syncStatus).toBe('OutOfSync');
      expect(app!.outOfSync).toEqual(['Deployment admin/mailer']);
      expect(app!.workloads.find((w) => w.name === 'mailer')).toMatchObject({
        kind: 'Deployment',
        missing: true,
        desired: 0, // the standby patch applies to it too
        ready: 0,
        health: 'Missing',
      });
    } finally {
      await pushChange({
        remote: remote.remote,
        message: 'Remove the new workload',
        change: async (dir) => {
          await rm(join(dir, 'base', 'mailer.yml'));
          await writeFile(join(dir, base), before);
        },
      });
      emulator.model.setAutoSync('admin-aws', true);
    }
  });

  it('names a resource gone from git that Argo CD must prune', async () => {
    emulator.model.setAutoSync('admin-aws', false);
    const base = join('base', 'kustomization.yaml');
    let before = '';
    try {
      await pushChange({
        remote: remote.remote,
        message: 'Retire the nightly report',
        change: async (dir) => {
          before = await readFile(join(dir, base), 'utf8');
          await writeFile(join(dir, base), before.replace('  - nightly-report.yml\n', ''));
        },
      });
      const [app] = await createArgoCdReader(options()).apps('aws', { refresh: true });
      expect(app!.syncStatus).toBe('OutOfSync');
      expect(app!.outOfSync).toEqual(['CronJob admin/nightly-report (to prune)']);
      // A workload left to prune still runs (the CronJob keeps firing): not as git wants.
      expect(app!.outOfSyncOnlyToPrune).toBeUndefined();
      expect(app!.workloadsToPrune).toEqual(['CronJob admin/nightly-report']);
    } finally {
      await pushChange({
        remote: remote.remote,
        message: 'Bring the nightly report back',
        change: async (dir) => {
          await writeFile(join(dir, base), before);
        },
      });
      emulator.model.setAutoSync('admin-aws', true);
    }
  });

  it('is wired into createPorts for reading and writing', async () => {
    const { createPorts } = await import('../../src/providers/index.js');
    const ports = createPorts(options());
    const apps: AppState[] = await ports.read.argocd.apps('gcp');
    expect(apps.map((a) => a.name)).toEqual(['admin-gke']);
    expect(typeof ports.openWrite().argocd.sync).toBe('function');
  });
});

describe('Argo CD adapter over HTTPS with a self-signed certificate', () => {
  let server: Server | undefined;
  let url = '';

  beforeAll(async () => {
    const dir = join(work, 'tls');
    await mkdir(dir, { recursive: true });
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const handler = createArgoCdHandler(emulator.model, emulator.control, TOKEN);
    server = createHttpsServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      (req, res) => void handler(req, res),
    );
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('refuses the certificate by default and accepts it with insecure: true', async () => {
    const strict = await failure(createArgoCdReader(options({ server: url })).apps('gcp'));
    expect(strict).toMatchObject({ code: 'FO_ARGOCD_E3507', category: 'step-failed' });
    expect(strict.message).toMatch(/SELF_SIGNED|self.signed|certificate/i);
    const apps = await createArgoCdReader(options({ server: url, insecure: true })).apps('gcp');
    expect(apps.map((a) => a.name)).toEqual(['admin-gke']);
    const wrong = await failure(
      createArgoCdReader(options({ server: url, insecure: true }, { [TOKEN_ENV]: 'nope-nope-nope' })).apps(
        'gcp',
      ),
    );
    expect(wrong.code).toBe('FO_ARGOCD_E3502');
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const MAILER = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mailer
spec:
  replicas: 2
  selector:
    matchLabels:
      app: mailer
  template:
    metadata:
      labels:
        app: mailer
    spec:
      containers:
        - name: mailer
          image: example/mailer:1.0
`;
