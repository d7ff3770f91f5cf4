/**
 * `sandbox fault apps …` really reaches the workloads: a rollout that starts after a
 * `rollout-stuck` never finishes, one after a `crash-loop` has pods in CrashLoopBackOff (Degraded
 * in Argo CD's resource tree with the kubelet's back-off message, the Deployment Degraded at its
 * progress deadline), the endpoint faults answer 429/503, and `--clear` lets the rollouts finish.
 * Read over the Argo CD REST API and the endpoints with fetch, as a client outside would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';

const TIMINGS = {
  propagationMs: 200,
  rolloutMs: 400,
  reconcileMs: 150,
  latencyMs: 0,
  progressDeadlineMs: 1500,
};

interface TreeNode {
  kind: string;
  name: string;
  health?: { status: string; message?: string };
  info?: { name: string; value: string }[];
}

let sandbox: Sandbox | undefined;
let dir: string | undefined;

afterEach(async () => {
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  sandbox = undefined;
});

async function start(): Promise<Sandbox> {
  dir = await mkdtemp(join(tmpdir(), 'app-faults-'));
  sandbox = await startSandbox({ dir, timings: TIMINGS });
  return sandbox;
}

async function api<T>(s: Sandbox, path: string): Promise<T> {
  const res = await fetch(`${s.info.argocd.endpoint}/api/v1${path}`, {
    headers: { authorization: `Bearer ${s.argocdToken}` },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Removes the standby patches from the aws overlay, as a failover commit does. */
function activateAws(s: Sandbox): Promise<string> {
  return pushChange({
    remote: s.info.git.remote,
    message: 'activate aws',
    change: (checkout) => {
      const file = join(checkout, 'overlays', 'aws', 'kustomization.yaml');
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.slice(0, text.indexOf('patches:')));
    },
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const deployments = (s: Sandbox) =>
  s.argocd.model.workloads('admin-aws').filter((w) => w.kind === 'Deployment');

describe('apps faults in the sandbox', { timeout: 120_000 }, () => {
  it('crash-loop: pods in CrashLoopBackOff, the app Degraded at the progress deadline, ready after --clear', async () => {
    const s = await start();
    s.fault('apps', 'crash-loop', { operation: 'admin-aws' });
    await activateAws(s);
    const tree = await until('a crash-looping pod in the resource tree', async () => {
      await s.argocd.model.reconcileNow('admin-aws');
      const t = await api<{ nodes: TreeNode[] }>(s, '/applications/admin-aws/resource-tree');
      return t.nodes.some((n) => n.kind === 'Pod' && n.health?.status === 'Degraded') ? t : undefined;
    });
    const pod = tree.nodes.find((n) => n.kind === 'Pod' && n.health?.status === 'Degraded')!;
    expect(pod.health?.message).toMatch(
      /^back-off \d+(m\d+)?s restarting failed container=\S+ pod=\S+_admin\(/,
    );
    expect(pod.info).toContainEqual({ name: 'Status Reason', value: 'CrashLoopBackOff' });
    // No pod of the scaled-up Deployments gets ready, so the ALB has no backend.
    expect(deployments(s).every((d) => (d.readyReplicas ?? 0) === 0)).toBe(true);
    expect((await fetch(`${s.info.apps.aws}/healthz`)).status).toBe(503);
    // Past the progress deadline the Deployment, and with it the app, is Degraded.
    const app = await until('the app Degraded', async () => {
      const a = await api<{ status: { health: { status: string }; resources: TreeNode[] } }>(
        s,
        '/applications/admin-aws',
      );
      return a.status.health.status === 'Degraded' ? a : undefined;
    });
    expect(
      app.status.resources.find((r) => r.kind === 'Deployment' && r.health?.status === 'Degraded')?.health
        ?.message,
    ).toMatch(/exceeded its progress deadline/);
    // The GKE side was not rolled out, so it never crashed.
    expect(
      s.argocd.model
        .workloads('admin-gke')
        .filter((w) => w.kind === 'Deployment')
        .every((d) => (d.readyReplicas ?? 0) > 0),
    ).toBe(true);

    s.clearFaults();
    await until('every aws Deployment ready after the clear', async () =>
      deployments(s).every((d) => d.readyReplicas === d.replicas && (d.replicas ?? 0) > 0) ? true : undefined,
    );
    const healed = await api<{ nodes: TreeNode[] }>(s, '/applications/admin-aws/resource-tree');
    expect(healed.nodes.filter((n) => n.kind === 'Pod' && n.health?.status !== 'Healthy')).toEqual([]);
  });

  it('rollout-stuck on one workload: its last pod never gets ready, the others finish', async () => {
    const s = await start();
    s.fault('apps', 'rollout-stuck', { operation: 'admin-web' });
    await activateAws(s);
    await s.argocd.model.reconcileNow('admin-aws');
    await until('the other Deployments ready', async () =>
      deployments(s)
        .filter((d) => d.name !== 'admin-web')
        .every((d) => (d.replicas ?? 0) > 0 && d.readyReplicas === d.replicas)
        ? true
        : undefined,
    );
    // Well past the rollout time (400 ms) admin-web still misses its last pod.
    await new Promise((r) => setTimeout(r, 900));
    const web = deployments(s).find((d) => d.name === 'admin-web')!;
    expect(web.replicas).toBe(3);
    expect(web.readyReplicas).toBe(2);
    const app = await api<{ status: { health: { status: string } } }>(s, '/applications/admin-aws');
    // Progressing, or Degraded once the progress deadline (1.5 s here) has passed: never Healthy.
    expect(app.status.health.status).toMatch(/^(Progressing|Degraded)$/);
    s.clearFaults();
    await until('admin-web ready after the clear', async () =>
      deployments(s).find((d) => d.name === 'admin-web')?.readyReplicas === 3 ? true : undefined,
    );
  });

  it('endpoint faults answer 429 and 503 for the named endpoint, and the kinds an emulator does not apply are refused', async () => {
    const s = await start();
    s.fault('apps', 'server-error', { operation: 'gcp', count: 1 });
    s.fault('apps', 'throttle', { operation: 'public', count: 1 });
    expect((await fetch(`${s.info.apps.gcp}/healthz`)).status).toBe(503);
    expect((await fetch(`${s.info.apps.gcp}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.info.apps.public}/healthz`)).status).toBe(429);
    expect((await fetch(`${s.info.apps.public}/healthz`)).status).toBe(200);
    expect(() => s.fault('apps', 'policy-instance-failed')).toThrow(/apps supports the faults/);
    const res = await fetch(`${s.info.control.endpoint}/fault`, {
      method: 'POST',
      body: JSON.stringify({ service: 'argocd', kind: 'crash-loop' }),
    });
    expect(res.status).toBe(400);
  });
});
