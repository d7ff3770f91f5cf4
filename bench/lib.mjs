// Shared helpers for the benchmarks: run a command, report wall time and peak RSS.
// Asynchronous on purpose: benchmarks that run the sandbox in this process must keep its event
// loop free while the measured command talks to it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `command args` once; resolves wall ms and peak RSS in KiB (via /usr/bin/time when present). */
export function measure(command, args, env = process.env) {
  const useTime = existsSync('/usr/bin/time');
  const started = process.hrtime.bigint();
  const child = useTime
    ? spawn('/usr/bin/time', ['-f', '%M', command, ...args], { env })
    : spawn(command, args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const rss = useTime ? Number(stderr.trim().split('\n').pop()) : Number.NaN;
      resolve({ wallMs, rssKiB: rss, status, stdout, stderr });
    });
  });
}
