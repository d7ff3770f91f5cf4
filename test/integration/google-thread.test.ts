/**
 * The Google clients run in a worker thread (src/providers/google/thread.ts): a call is answered
 * with the same data and the same errors as in the main thread, an abort ends it at once, and an
 * idle worker never keeps the process alive. The real GKE client against the GKE emulator.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { createGkeReader } from '../../src/providers/gke/adapter.js';
import { callGoogle, GoogleCallError } from '../../src/providers/google/thread.js';
import { type GkeEmulator, seedWriteupGke, startGkeEmulator } from '../../src/sandbox/gke/index.js';
import { ROOT } from '../e2e/helpers.js';

let gke: GkeEmulator;
let seed: { project: string; location: string; cluster: string };

beforeAll(async () => {
  gke = await startGkeEmulator();
  seed = seedWriteupGke(gke.model);
});

afterAll(async () => {
  await gke?.close();
});

beforeEach(() => {
  gke.control.knobs.outage = false;
  gke.control.knobs.latencyMs = 0;
});

const spec = () => ({ api: 'gke' as const, endpoint: gke.endpoint, projectId: seed.project });
const clusterName = () => `projects/${seed.project}/locations/${seed.location}/clusters/${seed.cluster}`;

describe('Google client thread', () => {
  it('answers with the message as data: enums as names, nested lists kept', async () => {
    const cluster = await callGoogle<{ status: string; nodePools: { name: string }[] }>(
      spec(),
      'getCluster',
      { name: clusterName() },
      { timeoutMs: 5_000 },
    );
    expect(cluster.status).toBe('RUNNING');
    expect(cluster.nodePools.map((p) => p.name)).toEqual(['default-pool']);
  });

  it("an error keeps gRPC's code and details, which the adapter turns into its sentence", async () => {
    const missing = `projects/${seed.project}/locations/${seed.location}/clusters/nope`;
    const error = await callGoogle(spec(), 'getCluster', { name: missing }, { timeoutMs: 5_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GoogleCallError);
    expect((error as GoogleCallError).code).toBe(5);
    expect((error as GoogleCallError).details).toMatch(/nope/);
    gke.control.knobs.outage = true;
    const config = Config.parse({
      gke: { project: seed.project, location: seed.location, cluster: seed.cluster, endpoint: gke.endpoint },
    });
    const reader = createGkeReader({ config, env: {}, redactor: new Redactor(), runId: 'r' });
    await expect(reader.describeCluster()).rejects.toMatchObject({
      code: 'FO_GCP_E3305',
      message: expect.stringMatching(/unreachable while reading GKE cluster .* \(gRPC UNAVAILABLE\)/),
    });
  });

  it('an abort rejects at once with its reason; the next call is answered', async () => {
    gke.control.knobs.latencyMs = 3_000;
    const controller = new AbortController();
    const started = Date.now();
    const call = callGoogle(
      spec(),
      'getCluster',
      { name: clusterName() },
      { timeoutMs: 10_000, signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('operator pressed Ctrl-C')), 100);
    await expect(call).rejects.toThrow('operator pressed Ctrl-C');
    expect(Date.now() - started).toBeLessThan(2_500);
    gke.control.knobs.latencyMs = 0;
    await expect(
      callGoogle<{ status: string }>(spec(), 'getCluster', { name: clusterName() }, { timeoutMs: 5_000 }),
    ).resolves.toMatchObject({ status: 'RUNNING' });
  });

  it('a process exits by itself after its last call: the idle worker does not hold it', async () => {
    // The built module, as the CLI runs it; the worker is the build's too.
    const script = `
      const { callGoogle } = await import(${JSON.stringify(join(ROOT, 'dist/providers/google/thread.js'))});
      const c = await callGoogle(${JSON.stringify(spec())}, 'getCluster', { name: ${JSON.stringify(clusterName())} }, { timeoutMs: 5000 });
      console.log(c.status);`;
    // A file, not `--input-type=module -e`: the worker inherits the Node options of the process.
    const file = join(mkdtempSync(join(tmpdir(), 'failover-google-thread-')), 'read.mjs');
    writeFileSync(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(killer);
    rmSync(dirname(file), { recursive: true, force: true });
    expect(code).toBe(0);
    expect(out.trim()).toBe('RUNNING');
  }, 30_000);
});
