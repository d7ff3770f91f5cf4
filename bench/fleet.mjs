// bench/fleet: to-aws against fleets of N traffic policy instances and M Argo CD apps per side,
// with the Route 53 emulator throttling as Route 53 does. Prints wall time, requests per service,
// throttles absorbed, the Route 53 phase against its rate-limit bound (N updates at the tool's
// limiter rate plus one propagation delay), and the CLI's peak RSS.
// Usage: npm run build && node bench/fleet.mjs [instances=1,10,50] [apps=2,200]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure } from './lib.mjs';

const list = (arg, fallback) => (arg ?? fallback).split(',').map(Number);
const instanceCounts = list(process.argv[2], '1,10,50');
const appCounts = list(process.argv[3], '2,200');
const timings = { propagationMs: 1000, rolloutMs: 2000, reconcileMs: 5000, syncMs: 300, latencyMs: 5 };
// The tool's default client limiter (route53.rateLimit): 8 requests per second.
const limiterPerSecond = 8;
const { startSandbox } = await import('../dist/sandbox/sandbox.js');

function shiftSeconds(dir, stdout) {
  const runId = /\b(\d{8}T\d{6}Z-[a-z0-9]{4})\b/.exec(stdout)?.[1];
  if (!runId) return Number.NaN;
  const events = readFileSync(join(dir, 'state', 'runs', `${runId}.ndjson`), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const done = events.find((e) => e.type === 'step.succeeded' && e.stepId === 'shift');
  return done ? done.durationMs / 1000 : Number.NaN;
}

console.log('fleet to-aws (Route 53 throttling as documented: account 50/10 per s; tool limiter 8/s)');
console.log(
  'instances  apps/side   wall s  route53 req  argocd req  git/other  throttled  R53 phase s  bound s  ratio  peak RSS MB',
);
for (const apps of appCounts) {
  for (const instances of instanceCounts) {
    const dir = mkdtempSync(join(tmpdir(), 'failover-bench-fleet-'));
    const sandbox = await startSandbox({ dir, timings, instances, apps });
    try {
      const env = { ...process.env, ...sandbox.env, NO_COLOR: '1', CI: '1' };
      sandbox.clearRequests();
      const run = await measure(
        'node',
        ['bin/failover.js', 'to-aws', '--yes', '--config', sandbox.info.config],
        env,
      );
      if (run.status !== 0)
        throw new Error(`to-aws failed (${instances} instances, ${apps} apps):\n${run.stdout}`);
      const requests = sandbox.requests();
      const count = (service) => requests.filter((r) => r.service === service).length;
      const route53 = count('route53');
      const argocd = count('argocd');
      const throttled = requests.filter((r) => r.service === 'route53' && r.error === 'Throttling').length;
      const phase = shiftSeconds(dir, run.stdout);
      const bound = instances / limiterPerSecond + timings.propagationMs / 1000;
      console.log(
        [
          String(instances).padStart(9),
          String(apps).padStart(10),
          (run.wallMs / 1000).toFixed(1).padStart(8),
          String(route53).padStart(12),
          String(argocd).padStart(11),
          String(requests.length - route53 - argocd).padStart(10),
          String(throttled).padStart(10),
          phase.toFixed(2).padStart(12),
          bound.toFixed(2).padStart(8),
          (phase / bound).toFixed(2).padStart(6),
          (run.rssKiB / 1024).toFixed(0).padStart(12),
        ].join(' '),
      );
    } finally {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
