// bench/argocd-wake: how long after a rollout really finished does a wait see it, polling at
// Argo CD's default interval (2 s) alone, or woken by Argo CD's watch stream. Each round pushes a
// commit that scales the AWS overlay up or down (the emulator rolls it out in 2.6 s), then reads the
// apps as argocd.wait does; the emulator's own view, sampled every 10 ms, says when it was done.
// Usage: npm run build && node bench/argocd-wake.mjs [rounds=6]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './lib.mjs';

const rounds = Number(process.argv[2] ?? 6);
const POLL_MS = 2000;
const MIN_GAP_MS = 400;
// Not a multiple of the poll interval, as real rollouts are not.
const ROLLOUT_MS = 2600;
const { startArgoCdEmulator, demoApps } = await import('../dist/sandbox/argocd/index.js');
const { createGitRemote, demoTreeDir, pushChange } = await import('../dist/sandbox/gitops-demo/index.js');
const { createArgoCdReader } = await import('../dist/providers/argocd/adapter.js');
const { Config } = await import('../dist/config/schema.js');
const { Redactor } = await import('../dist/engine/redact.js');

const token = 'bench-argocd-wake';
const work = mkdtempSync(join(tmpdir(), 'failover-bench-wake-'));
const remote = await createGitRemote({ dir: work });
const emulator = await startArgoCdEmulator({
  token,
  apps: demoApps(remote.remote),
  rolloutMs: ROLLOUT_MS,
  reconcileIntervalMs: 3000,
  syncDurationMs: 100,
});
const config = Config.parse({ argocd: { server: emulator.url, tokenEnv: 'T', awsApps: ['admin-aws'] } });
const reader = createArgoCdReader({ config, env: { T: token }, redactor: new Redactor(), runId: 'bench' });
const overlay = join('overlays', 'aws', 'kustomization.yaml');
const standbyText = readFileSync(join(demoTreeDir(), overlay), 'utf8');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when every Deployment of admin-aws is as wanted (running: all ready; standby: none). */
const settledInModel = (running) =>
  emulator.model
    .workloads('admin-aws')
    .filter((w) => w.kind === 'Deployment')
    .every((w) => (running ? w.replicas > 0 && w.readyReplicas === w.replicas : w.readyReplicas === 0));
const settledInApps = (apps, running) =>
  apps[0].workloads
    .filter((w) => w.kind === 'Deployment')
    .every((w) => (running ? w.desired > 0 && w.ready === w.desired : w.ready === 0));

async function round(running, woken) {
  await pushChange({
    remote: remote.remote,
    message: running ? 'scale up' : 'scale down',
    change: async (dir) =>
      writeFileSync(
        join(dir, overlay),
        running ? standbyText.replace(/\n {2}- path: replicas-zero\.yml[^\n]*/, '') : standbyText,
      ),
  });
  let truthAt;
  const watcher = (async () => {
    while (truthAt === undefined) {
      if (settledInModel(running)) truthAt = Date.now();
      else await sleep(10);
    }
  })();
  const changes = woken ? reader.changes('aws') : undefined;
  const signal = AbortSignal.timeout(60_000);
  let reads = 0;
  try {
    for (let poll = 0; ; poll++) {
      reads++;
      const apps = await reader.apps('aws', { refresh: poll === 0, signal });
      if (settledInApps(apps, running)) break;
      if (changes) await changes.next(MIN_GAP_MS, POLL_MS, signal);
      else await sleep(POLL_MS);
    }
  } finally {
    changes?.close();
  }
  const seenAt = Date.now();
  await watcher;
  return { lagMs: seenAt - truthAt, reads };
}

const results = { polling: [], stream: [] };
try {
  let running = true;
  for (let i = 0; i < rounds; i++) {
    for (const mode of i % 2 ? ['stream', 'polling'] : ['polling', 'stream']) {
      results[mode].push(await round(running, mode === 'stream'));
      running = !running;
    }
  }
} finally {
  await emulator.close();
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `argocd.wait wake-up, ${rounds} rollouts each (${ROLLOUT_MS / 1000} s rollouts, poll interval ${POLL_MS / 1000} s)`,
);
for (const [mode, list] of Object.entries(results)) {
  const lags = list.map((r) => r.lagMs);
  console.log(
    `  ${mode.padEnd(8)} seen ${median(lags).toFixed(0)} ms after the rollout finished (median; max ${Math.max(...lags)} ms), ${median(list.map((r) => r.reads))} reads of the apps per wait`,
  );
}
