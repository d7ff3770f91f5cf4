// bench/failover: the sandbox round trip (to-aws, then to-gcp) against the critical path, i.e.
// the sum of the emulators' configured delays that the runbooks must wait for. The difference is
// the tool's own overhead (process start, git, polling granularity, checks), then, for the median
// run of each direction, where the time went phase by phase (from the run's journal): process start
// until the run started, planning, each step, and the exit after the last step.
// Usage: npm run build && node bench/failover.mjs [runs=3]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/** Phases of one run from its journal: [name, ms]. Steps of a parallel group overlap. */
function phasesOf(file, run) {
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const at = (e) => Date.parse(e.at);
  const started = events.find((e) => e.type === 'run.started');
  const planned = events.find((e) => e.type === 'run.planned');
  const ended = events.findLast((e) => e.type === 'run.finished');
  if (!started || !planned || !ended) return [];
  const phases = [
    ['start (process, config, runbook)', at(started) - run.startedAt],
    ['plan', at(planned) - at(started)],
  ];
  for (const e of events) if (e.type === 'step.succeeded') phases.push([`step ${e.stepId}`, e.durationMs]);
  phases.push(['exit (after run.finished)', run.startedAt + run.wallMs - at(ended)]);
  return phases;
}

for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'failover-bench-rt-'));
  const sandbox = await startSandbox({ dir, timings });
  try {
    sandbox.outage('gke', true);
    const env = { ...process.env, ...sandbox.env, NO_COLOR: '1', CI: '1' };
    for (const direction of ['to-aws', 'to-gcp']) {
      if (direction === 'to-gcp') sandbox.outage('gke', false);
      const startedAt = Date.now();
      const measured = await measure(
        'node',
        ['bin/failover.js', direction, '--yes', '--config', sandbox.info.config],
        env,
      );
      const run = { ...measured, startedAt };
      if (run.status !== 0) throw new Error(`${direction} failed:\n${run.stdout}`);
      const journal = /journal: (\S+\.ndjson)/.exec(run.stdout)?.[1];
      results[direction].push({ ...run, phases: journal ? phasesOf(journal, run) : [] });
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
    `  ${direction}: median ${(wall / 1000).toFixed(2)} s, critical path ${(path / 1000).toFixed(2)} s, overhead ${((wall - path) / 1000).toFixed(2)} s (${((wall / path - 1) * 100).toFixed(0)} %, ×${(wall / path).toFixed(2)}), peak RSS ${(median(results[direction].map((r) => r.rssKiB)) / 1024).toFixed(0)} MiB`,
  );
}
for (const direction of ['to-aws', 'to-gcp']) {
  const runsOf = [...results[direction]].sort((a, b) => a.wallMs - b.wallMs);
  const mid = runsOf[Math.floor((runsOf.length - 1) / 2)];
  if (!mid?.phases.length) continue;
  console.log(`  ${direction}, phases of the median run (${(mid.wallMs / 1000).toFixed(2)} s):`);
  for (const [name, ms] of mid.phases)
    console.log(`    ${name.padEnd(34)} ${(ms / 1000).toFixed(2).padStart(6)} s`);
}
