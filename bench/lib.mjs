// Shared helpers for the benchmarks: run a command N times, report median wall time and peak RSS.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `command args` once; returns wall ms and peak RSS in KiB (via /usr/bin/time when present). */
export function measure(command, args, env = process.env) {
  const useTime = existsSync('/usr/bin/time');
  const started = process.hrtime.bigint();
  const result = useTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { env, encoding: 'utf8' })
    : spawnSync(command, args, { env, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  const rss = useTime ? Number(result.stderr.trim().split('\n').pop()) : Number.NaN;
  return { wallMs, rssKiB: rss, status: result.status, stdout: result.stdout };
}
