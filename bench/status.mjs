// bench/status: wall time and peak memory of `failover status` against a running sandbox.
// Usage: npm run build && node bench/status.mjs [runs=10]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, median } from './lib.mjs';

const runs = Number(process.argv[2] ?? 10);
const { startSandbox } = await import('../dist/sandbox/sandbox.js');
const dir = mkdtempSync(join(tmpdir(), 'failover-bench-status-'));
const sandbox = await startSandbox({ dir, timings: { latencyMs: 0 } });
try {
  const env = { ...process.env, ...sandbox.env, NO_COLOR: '1' };
  const args = ['bin/failover.js', 'status', '--config', sandbox.info.config];
  await measure('node', args, env); // warm-up (page cache, git objects)
  const samples = [];
  // Runs 1.5 s apart: each status asks GetHealthCheckStatus twice, and back to back they would
  // drain that operation's Route 53 bucket (4, refilled 1/s; the emulator enforces it) and time the
  // SDK's backoff instead of the CLI.
  // A bare node start after each, so that both see the same machine (its speed drifts by 20 %).
  const bare = [];
  for (let i = 0; i < runs; i++) {
    samples.push(await measure('node', args, env));
    bare.push(await measure('node', ['-e', '0'], env));
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  const requests = sandbox.requests().length;
  console.log(`failover status against the sandbox, ${runs} runs (emulator latency 0 ms)`);
  console.log(
    `  wall time  median ${median(samples.map((s) => s.wallMs)).toFixed(0)} ms (bare node -e 0: ${median(bare.map((s) => s.wallMs)).toFixed(0)} ms)`,
  );
  console.log(
    `  peak RSS   median ${(median(samples.map((s) => s.rssKiB)) / 1024).toFixed(1)} MiB (bare node: ${(median(bare.map((s) => s.rssKiB)) / 1024).toFixed(1)} MiB)`,
  );
  console.log(`  requests   ${Math.round(requests / (runs + 1))} per status call`);
} finally {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}
