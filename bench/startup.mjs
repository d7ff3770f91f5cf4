#!/usr/bin/env node
/**
 * Startup time of the CLI: `failover --help`, `failover --version` and bare `node -e 0`, each run
 * N times (default 15; `node bench/startup.mjs 30` to change). Prints the median wall time of each
 * and the ratio to bare node. Needs a build (`npm run bench` builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const runs = Number.parseInt(process.argv[2] ?? '15', 10);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: node bench/startup.mjs [runs]   (runs: a positive integer, default 15)\n');
  process.exit(2);
}
const bin = fileURLToPath(new URL('../bin/failover.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'failover --help', args: [bin, '--help'] },
  { name: 'failover --version', args: [bin, '--version'] },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One run of `args`: wall ms. */
function once(args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}`);
  return elapsed;
}

// One warm-up run of each so the file system cache is not part of the first figure; then the cases
// take turns, run after run, so a machine whose speed drifts slows them all alike.
for (const c of cases) once(c.args);
const times = cases.map(() => []);
for (let i = 0; i < runs; i++) {
  for (const [k, c] of cases.entries()) times[k].push(once(c.args));
}
const results = cases.map((c, k) => ({ ...c, ms: median(times[k]) }));
const base = results[0].ms;
process.stdout.write(`startup, median of ${runs} runs (node ${process.version})\n`);
for (const r of results) {
  process.stdout.write(
    `  ${r.name.padEnd(20)} ${r.ms.toFixed(1).padStart(8)} ms   ×${(r.ms / base).toFixed(2)}\n`,
  );
}
