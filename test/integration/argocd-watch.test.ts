/**
 * Argo CD's watch stream (`GET /api/v1/stream/applications`): the emulator serves it as
 * argocd-server does (server-sent events framed by argoproj/pkg's stream forwarder, or
 * newline-delimited JSON), the adapter's change feed wakes on real changes only, and an
 * `argocd.wait` with a long poll interval finishes as soon as the rollout does, woken by the stream.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { createArgoCdReader } from '../../src/providers/argocd/adapter.js';
import { watchAppChanges } from '../../src/providers/argocd/changes.js';
import { ArgoCdClient } from '../../src/providers/argocd/client.js';
import { type ArgoCdEmulator, demoApps, startArgoCdEmulator } from '../../src/sandbox/argocd/index.js';
import { createGitRemote, type GitRemote, pushChange } from '../../src/sandbox/gitops-demo/index.js';

const TOKEN = 'argocd-watch-test-token-5c1e';

let work: string;
let remote: GitRemote;
let emulator: ArgoCdEmulator;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'argocd-watch-test-'));
  remote = await createGitRemote({ dir: work });
  emulator = await startArgoCdEmulator({
    token: TOKEN,
    apps: demoApps(remote.remote, { includeAwsOnly: true }),
    rolloutMs: 600,
    reconcileIntervalMs: 200,
    syncDurationMs: 100,
  });
});

afterAll(async () => {
  await emulator?.close();
  await rm(work, { recursive: true, force: true });
});

interface RawStream {
  status: number;
  headers: IncomingMessage['headers'];
  text(): string;
  /** Resolves once the text so far satisfies `done`, or rejects after `ms`. */
  until(done: (text: string) => boolean, ms?: number): Promise<string>;
  ended: Promise<void>;
  close(): void;
}

/** A plain HTTP client on the stream, independent of the adapter's parser. */
function openRaw(path: string, headers: Record<string, string>): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = get(`${emulator.url}${path}`, { headers }, (res) => {
      let text = '';
      const waiters = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const waiter of waiters) waiter();
      });
      const ended = new Promise<void>((done) => res.on('close', () => done()));
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => text,
        ended,
        until: (done, ms = 5_000) =>
          new Promise((ok, fail) => {
            const check = () => {
              if (!done(text)) return;
              waiters.delete(check);
              clearTimeout(timer);
              ok(text);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`stream did not get there within ${ms} ms; got:\n${text.slice(0, 2000)}`));
            }, ms);
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

const SSE = { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' };

interface Event {
  type: string;
  name: string;
  /** How many syncs the app's history records. */
  syncs: number;
}

/** The events of an SSE text: each `data: ` line is one {"result": ApplicationWatchEvent}. */
function sseEvents(text: string): Event[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map(
      (line) =>
        JSON.parse(line.slice(6)) as {
          result: {
            type: string;
            application: { metadata: { name: string }; status?: { history?: unknown[] } };
          };
        },
    )
    .map(({ result }) => ({
      type: result.type,
      name: result.application.metadata.name,
      syncs: result.application.status?.history?.length ?? 0,
    }));
}

describe('the emulated watch stream', () => {
  it('opens with an ADDED event per app, sorted, framed as argocd-server frames server-sent events', async () => {
    const stream = await openRaw('/api/v1/stream/applications', SSE);
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream');
      expect(stream.headers['x-content-type-options']).toBe('nosniff');
      const text = await stream.until((t) => sseEvents(t).length >= 3);
      // Reconciles (every 200 ms here) send MODIFIED events after these, as Argo CD does.
      expect(
        sseEvents(text)
          .slice(0, 3)
          .map((e) => `${e.type} ${e.name}`),
      ).toEqual(['ADDED admin-aws', 'ADDED admin-gke', 'ADDED preview-proxy-aws']);
      // "data: <json> \n\n" from the forwarder's marshaler, then the gateway's "\n" delimiter.
      expect(text).toMatch(/^data: \{"result":\{"type":"ADDED","application":\{.*\}\}\} \n\n\n/);
    } finally {
      stream.close();
    }
  });

  it('filters by label selector and by name, and skips the opening burst when given a resourceVersion', async () => {
    const bySelector = await openRaw(
      `/api/v1/stream/applications?selector=${encodeURIComponent('cloud=aws')}`,
      SSE,
    );
    const byName = await openRaw('/api/v1/stream/applications?name=admin-gke&resourceVersion=1', SSE);
    const fromVersion = await openRaw('/api/v1/stream/applications?resourceVersion=1', SSE);
    try {
      const added = (t: string) => sseEvents(t).filter((e) => e.type === 'ADDED');
      const selected = await bySelector.until((t) => added(t).length >= 2);
      expect(added(selected).map((e) => e.name)).toEqual(['admin-aws', 'preview-proxy-aws']);
      expect(sseEvents(selected).every((e) => e.name !== 'admin-gke')).toBe(true);
      // With a name, Argo CD sends the app even with a resourceVersion (syncs must never miss one).
      const named = await byName.until((t) => sseEvents(t).length >= 1);
      expect(sseEvents(named)[0]).toMatchObject({ type: 'ADDED', name: 'admin-gke' });
      expect(sseEvents(named).every((e) => e.name === 'admin-gke')).toBe(true);
      // From a resourceVersion: no opening burst, only changes (here the reconciles' MODIFIED).
      await new Promise((r) => setTimeout(r, 600));
      expect(added(fromVersion.text())).toEqual([]);
    } finally {
      for (const stream of [bySelector, byName, fromVersion]) stream.close();
    }
  });

  it('sends MODIFIED when an app changes, and only for the apps the query selects', async () => {
    const stream = await openRaw(
      `/api/v1/stream/applications?selector=${encodeURIComponent('scope=aws-only')}`,
      SSE,
    );
    const other = await openRaw('/api/v1/stream/applications?name=admin-gke', SSE);
    try {
      const opening = sseEvents(await stream.until((t) => sseEvents(t).length >= 1))[0];
      await other.until((t) => sseEvents(t).length >= 1);
      emulator.model.sync('preview-proxy-aws', {});
      const text = await stream.until((t) =>
        sseEvents(t).some((e) => e.type === 'MODIFIED' && e.syncs > (opening?.syncs ?? 0)),
      );
      expect(sseEvents(text).every((e) => e.name === 'preview-proxy-aws')).toBe(true);
      // The other stream only ever saw its own app.
      expect(sseEvents(other.text()).every((e) => e.name === 'admin-gke')).toBe(true);
    } finally {
      stream.close();
      other.close();
    }
  });

  it('answers other Accept values with newline-delimited JSON, and refuses a missing token', async () => {
    const json = await openRaw('/api/v1/stream/applications?name=admin-aws', {
      authorization: `Bearer ${TOKEN}`,
    });
    try {
      expect(json.headers['content-type']).toBe('application/json');
      const text = await json.until((t) => t.includes('\n'));
      const first = JSON.parse(text.split('\n')[0] as string) as { result: { type: string } };
      expect(first.result.type).toBe('ADDED');
    } finally {
      json.close();
    }
    const anonymous = await openRaw('/api/v1/stream/applications', { accept: 'text/event-stream' });
    await anonymous.ended;
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text())).toMatchObject({ code: 16 });
  });

  it('cuts open streams when the server goes down', async () => {
    const stream = await openRaw('/api/v1/stream/applications', SSE);
    await stream.until((t) => sseEvents(t).length >= 3);
    emulator.control.knobs.outage = true;
    try {
      await stream.ended;
    } finally {
      emulator.control.knobs.outage = false;
    }
  });
});

interface AppJson {
  status: { sync: { status: string }; health: { status: string }; operationState?: { phase?: string } };
}

describe('the change feed', () => {
  const client = () => new ArgoCdClient({ server: emulator.url, token: TOKEN, tokenEnv: 'T' });

  it('wakes early on a change of a watched app, and not for the opening events or other apps', async () => {
    const changes = watchAppChanges(client(), { names: ['admin-gke'] });
    const signal = AbortSignal.timeout(20_000);
    try {
      // Nothing changes: the opening ADDED event only sets what is known, so the pause runs out.
      expect(await changes.next(0, 700, signal)).toBe(false);
      emulator.model.sync('preview-proxy-aws', {});
      expect(await changes.next(0, 700, signal)).toBe(false);
      const started = Date.now();
      setTimeout(() => emulator.model.sync('admin-gke', {}), 100);
      expect(await changes.next(0, 15_000, signal)).toBe(true);
      // Woken by the event (the stream reads its apps every 200 ms), far before the 15 s pause.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      changes.close();
    }
  });

  it('keeps the minimum gap for a change midway, and wakes at once when the last watched app settles', async () => {
    const changes = watchAppChanges(client(), { names: ['admin-aws'] });
    const signal = AbortSignal.timeout(20_000);
    try {
      expect(await changes.next(0, 500, signal)).toBe(false);
      // A sync: Running first (a change, not settled), then Synced and Healthy once it finished.
      emulator.model.sync('admin-aws', {});
      const started = Date.now();
      expect(await changes.next(2_500, 15_000, signal)).toBe(true);
      const waited = Date.now() - started;
      // The operation takes 100 ms here: its end wakes the pause long before the 2.5 s gap.
      expect(waited).toBeLessThan(2_000);
      const app = (await emulator.model.getApplication('admin-aws')) as unknown as AppJson;
      expect(app.status.sync.status).toBe('Synced');
      expect(app.status.health.status).toBe('Healthy');
      expect(app.status.operationState?.phase).toBe('Succeeded');
    } finally {
      changes.close();
    }
    // A change that leaves the app unsettled keeps the gap: a commit that scales it up, seen with
    // auto-sync off, makes it OutOfSync, and so it stays.
    const gke = watchAppChanges(client(), { names: ['admin-gke'] });
    emulator.model.setAutoSync('admin-gke', false);
    try {
      expect(await gke.next(0, 300, signal)).toBe(false);
      await pushChange({
        remote: remote.remote,
        message: 'gke: more api replicas',
        change: async (dir) => {
          const file = join(dir, 'overlays/gke/kustomization.yaml');
          await writeFile(
            file,
            `${await readFile(file, 'utf8')}replicas:\n  - name: admin-api\n    count: 5\n`,
          );
        },
      });
      await emulator.model.reconcileNow('admin-gke');
      const again = Date.now();
      expect(await gke.next(800, 15_000, signal)).toBe(true);
      expect(Date.now() - again).toBeGreaterThanOrEqual(790);
      const outOfSync = (await emulator.model.getApplication('admin-gke')) as unknown as AppJson;
      expect(outOfSync.status.sync.status).toBe('OutOfSync');
    } finally {
      emulator.model.setAutoSync('admin-gke', true);
      gke.close();
    }
  });

  it('keeps to the poll interval where Argo CD does not stream (older server, proxy)', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"Not Found","code":5,"message":"Not Found"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const changes = watchAppChanges(
      new ArgoCdClient({ server: `http://127.0.0.1:${port}`, token: TOKEN, tokenEnv: 'T' }),
      {
        selector: 'cloud=aws',
      },
    );
    try {
      const started = Date.now();
      expect(await changes.next(0, 300, AbortSignal.timeout(5_000))).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      changes.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rejects a pause when the step is interrupted', async () => {
    const changes = watchAppChanges(client(), { selector: 'cloud=aws' });
    const controller = new AbortController();
    try {
      const pause = changes.next(0, 10_000, controller.signal);
      controller.abort(new Error('interrupted'));
      await expect(pause).rejects.toThrow('interrupted');
    } finally {
      changes.close();
    }
  });

  it('is offered by the adapter for the apps of a side, from the config', async () => {
    const config = Config.parse({
      argocd: {
        server: emulator.url,
        tokenEnv: 'WATCH_TOKEN',
        awsApps: { selector: 'cloud=aws' },
        gcpApps: ['admin-gke'],
      },
    });
    const reader = createArgoCdReader({
      config,
      env: { WATCH_TOKEN: TOKEN },
      redactor: new Redactor(),
      runId: 'r',
    });
    const aws = reader.changes!('aws');
    const signal = AbortSignal.timeout(20_000);
    try {
      expect(await aws.next(0, 500, signal)).toBe(false);
      setTimeout(() => emulator.model.sync('admin-aws', {}), 100);
      expect(await aws.next(0, 15_000, signal)).toBe(true);
    } finally {
      aws.close();
    }
  });
});
