// bench/failover: the sandbox round trip (to-aws, then to-gcp) against the critical path, i.e.
// the sum of the emulators' configured delays that the runbooks must wait for. The difference is
// the tool's own overhead (process start, git, polling granularity, checks).
// Usage: npm run build && node bench/failover.mjs [runs=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, median } from './lib.mjs';

const runs = Number(process.argv[2] ?? 3);
const timings = { propagationMs: 1000, rolloutMs: 2000, reconcileMs: 500, latencyMs: 5 };
// to-aws waits for: the AWS rollout and one Route 53 propagation.
// to-gcp waits for: the GKE CronJobs (a sync), one propagation, and the AWS scale-down rollout.
const criticalPath = {
  'to-aws': timings.rolloutMs + timings.propagationMs,
  'to-gcp': timings.propagationMs + timings.rolloutMs,
};
const { startSandbox } = await import('../dist/sandbox/sandbox.js');

const results = { 'to-aws': [], 'to-gcp': [] };
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'failover-bench-rt-'));
  const sandbox = await startSandbox({ dir, timings });
  try {
    sandbox.outage('gke', true);
    const env = { ...process.env, ...sandbox.env, NO_COLOR: '1', CI: '1' };
    for (const direction of ['to-aws', 'to-gcp']) {
      if (direction === 'to-gcp') sandbox.outage('gke', false);
      const run = await measure(
        'node',
        ['bin/failover.js', direction, '--yes', '--config', sandbox.info.config],
        env,
      );
      if (run.status !== 0) throw new Error(`${direction} failed:\n${run.stdout}`);
      results[direction].push(run);
    }
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`sandbox round trip, ${runs} runs; emulator timings ${JSON.stringify(timings)}`);
for (const direction of ['to-aws', 'to-gcp']) {
  const wall = median(results[direction].map((r) => r.wallMs));
  const path = criticalPath[direction];
  console.log(
    `  ${direction}: median ${(wall / 1000).toFixed(2)} s, critical path ${(path / 1000).toFixed(2)} s, overhead ${((wall - path) / 1000).toFixed(2)} s (${((wall / path - 1) * 100).toFixed(0)} %), peak RSS ${(median(results[direction].map((r) => r.rssKiB)) / 1024).toFixed(0)} MiB`,
  );
}
