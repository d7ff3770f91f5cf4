// bench/spawns: what one sandbox round trip (to-aws, then to-gcp) costs in processes and CPU.
// Each direction runs twice on a fresh sandbox: once with git and kubectl behind logging wrappers
// on PATH (how many of each the CLI starts, by subcommand, and their own CPU), once without them
// (the CPU of the whole process tree: the CLI plus every child it waited for, and page faults).
// Usage: npm run build && node bench/spawns.mjs [rounds=1]
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { measure, median } from './lib.mjs';

const rounds = Number(process.argv[2] ?? 1);
const timings = { propagationMs: 300, rolloutMs: 600, reconcileMs: 200, latencyMs: 0 };
const { startSandbox } = await import('../dist/sandbox/sandbox.js');
const { findOnPath } = await import('../dist/util/exec.js');

const work = mkdtempSync(join(tmpdir(), 'failover-bench-spawns-'));
const log = join(work, 'spawns.log');
const wrappers = join(work, 'bin');
const tools = ['git', 'kubectl'];

/** A wrapper per tool: one line per call (tool, subcommand, user and system CPU-s of that call). */
function writeWrapper(tool, real) {
  // The subcommand is the first argument that is not an option (git's --git-dir comes first).
  const script = `#!/bin/sh
sub=""
for a in "$@"; do case "$a" in -*) ;; *) sub="$a"; break;; esac; done
exec /usr/bin/time -a -o ${JSON.stringify(log)} -f "${tool} $sub %U %S" ${JSON.stringify(real)} "$@"
`;
  writeFileSync(join(wrappers, tool), script);
  chmodSync(join(wrappers, tool), 0o755);
}

/** `/usr/bin/time` output of the CLI: user, system CPU-s, minor faults (children it waited for included). */
function cpuOf(stderr) {
  const match = /^CPU (\S+) (\S+) (\d+)$/m.exec(stderr);
  return match ? { user: Number(match[1]), sys: Number(match[2]), faults: Number(match[3]) } : undefined;
}

async function run(direction, sandbox, wrapped) {
  const env = { ...process.env, ...sandbox.env, NO_COLOR: '1', CI: '1', FAILOVER_OPERATOR: 'bench' };
  if (wrapped) env.PATH = `${wrappers}${delimiter}${process.env.PATH ?? ''}`;
  const args = [
    direction,
    '--yes',
    '--incident',
    'INC-1',
    '--timeout',
    '2m',
    '--config',
    sandbox.info.config,
  ];
  if (direction === 'to-aws') args.push('--reason', 'bench');
  const started = Date.now();
  const result = await measure(
    '/usr/bin/time',
    ['-f', 'CPU %U %S %R', 'node', 'bin/failover.js', ...args],
    env,
  );
  if (result.status !== 0) throw new Error(`${direction} failed:\n${result.stdout}\n${result.stderr}`);
  return { wallMs: Date.now() - started, cpu: cpuOf(result.stderr) };
}

mkdirSync(wrappers, { recursive: true });
for (const tool of tools) {
  const real = await findOnPath(tool, process.env.PATH ?? '');
  if (!real) throw new Error(`${tool} is not on PATH`);
  writeWrapper(tool, real);
}

const counts = { 'to-aws': [], 'to-gcp': [] };
const totals = { 'to-aws': [], 'to-gcp': [] };
for (let round = 0; round < rounds; round++) {
  for (const wrapped of [true, false]) {
    const dir = mkdtempSync(join(work, 'sandbox-'));
    const sandbox = await startSandbox({ dir, timings });
    try {
      sandbox.outage('gke', true);
      for (const direction of ['to-aws', 'to-gcp']) {
        if (direction === 'to-gcp') sandbox.outage('gke', false);
        rmSync(log, { force: true });
        const result = await run(direction, sandbox, wrapped);
        if (wrapped) {
          const lines = readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => /^(git|kubectl) /.test(l));
          counts[direction].push(lines.map((l) => l.split(' ')));
        } else {
          totals[direction].push(result);
        }
      }
    } finally {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
rmSync(work, { recursive: true, force: true });

console.log(`sandbox round trip, ${rounds} round(s); emulator timings ${JSON.stringify(timings)}`);
for (const direction of ['to-aws', 'to-gcp']) {
  const calls = counts[direction].at(-1) ?? [];
  const byTool = (tool) => calls.filter((c) => c[0] === tool);
  const cpu = (list) => list.reduce((sum, c) => sum + Number(c[2]) + Number(c[3]), 0);
  const runs = totals[direction];
  const wall = median(runs.map((r) => r.wallMs)) / 1000;
  const total = median(runs.map((r) => (r.cpu ? r.cpu.user + r.cpu.sys : Number.NaN)));
  const faults = median(runs.map((r) => r.cpu?.faults ?? Number.NaN));
  console.log(
    `  ${direction}: wall ${wall.toFixed(2)} s, CPU ${total.toFixed(2)} s (CLI and children), ${faults} page faults`,
  );
  for (const tool of tools) {
    const list = byTool(tool);
    const subcommands = new Map();
    for (const c of list) subcommands.set(c[1], (subcommands.get(c[1]) ?? 0) + 1);
    const detail = [...subcommands].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`);
    console.log(`    ${tool}: ${list.length} spawns, ${cpu(list).toFixed(2)} CPU-s (${detail.join(', ')})`);
  }
}
