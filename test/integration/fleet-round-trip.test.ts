/**
 * A fleet round trip: 50 traffic policy instances and 60 Argo CD applications per side, with the
 * Route 53 emulator throttling as Route 53 does (`node bench/fleet.mjs 50 200` runs the same with 200
 * apps per side and prints time and memory; here the size keeps the test suite's CPU in budget). The built CLI runs to-aws then to-gcp; the end
 * state is read through the AWS SDK (instances, their policy versions' weights) and the Argo CD
 * emulator (workloads of every app), not from what the tool prints.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetTrafficPolicyCommand,
  ListTrafficPolicyInstancesCommand,
  Route53Client,
  type TrafficPolicyInstance,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import {
  assertBuilt,
  failover,
  removeTempDirs,
  runIdIn,
  sharedRenderStore,
  tempDir,
} from '../e2e/helpers.js';

const INSTANCES = 50;
const APPS = 60;
// No background reconcile (the tool refreshes what it waits for): many apps stay cheap to emulate.
const TIMINGS = { propagationMs: 500, rolloutMs: 3000, reconcileMs: 0, syncMs: 200, latencyMs: 0 };
/** The tool's default account limiter (route53.rateLimit): 8 requests per second after a burst of 10. */
const LIMITER = { perSecond: 8, burst: 10 };

let sandbox: Sandbox;
let dir: string;
let env: NodeJS.ProcessEnv;
let sdk: Route53Client;

beforeAll(async () => {
  assertBuilt();
  dir = tempDir('failover-fleet-');
  sandbox = await startSandbox({
    dir,
    timings: TIMINGS,
    instances: INSTANCES,
    apps: APPS,
    ...sharedRenderStore(),
  });
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    LANG: 'C.UTF-8',
    CI: '1',
    NO_COLOR: '1',
    FAILOVER_OPERATOR: 'fleet-test',
    FAILOVER_CONFIG: sandbox.info.config,
    ...sandbox.env,
  };
  // Retries off: a throttled check fails the test instead of hiding behind the SDK.
  sdk = new Route53Client({
    region: 'us-east-1',
    endpoint: sandbox.info.route53.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  removeTempDirs();
});

/** Every instance of the sandbox's zone with the weights its policy version gives each side. */
async function instancesWithWeights(): Promise<
  { instance: TrafficPolicyInstance; gke: number; aws: number }[]
> {
  const listed = await sdk.send(new ListTrafficPolicyInstancesCommand({}));
  expect(listed.IsTruncated).toBe(false);
  const versions = new Map<number, { gke: number; aws: number }>();
  for (const version of new Set((listed.TrafficPolicyInstances ?? []).map((i) => i.TrafficPolicyVersion))) {
    const policy = await sdk.send(
      new GetTrafficPolicyCommand({ Id: sandbox.info.route53.trafficPolicyId, Version: version as number }),
    );
    const document = JSON.parse(policy.TrafficPolicy?.Document ?? '{}') as {
      Rules: Record<string, { Items: { EndpointReference: string; Weight: string | number }[] }>;
    };
    const items = document.Rules.split?.Items ?? [];
    const weight = (ref: string) => Number(items.find((i) => i.EndpointReference === ref)?.Weight);
    versions.set(version as number, { gke: weight('gke'), aws: weight('aws') });
  }
  return (listed.TrafficPolicyInstances ?? []).map((instance) => ({
    instance,
    ...(versions.get(instance.TrafficPolicyVersion as number) as { gke: number; aws: number }),
  }));
}

function journal(runId: string): EngineEvent[] {
  return readFileSync(join(dir, 'state', 'runs', `${runId}.ndjson`), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as EngineEvent);
}

function stepMs(events: EngineEvent[], stepId: string): number {
  const done = events.find((e) => e.type === 'step.succeeded' && e.stepId === stepId);
  return (done as { durationMs?: number } | undefined)?.durationMs ?? Number.NaN;
}

/** Ready replicas of the admin-web Deployment in each app of a side. */
function readyOf(side: 'aws' | 'gcp'): number[] {
  return sandbox.info.argocd.apps[side].map(
    (app) => sandbox.argocd.model.workloads(app).find((w) => w.name === 'admin-web')?.readyReplicas ?? 0,
  );
}

async function run(direction: 'to-aws' | 'to-gcp') {
  sandbox.clearRequests();
  const rssFile = join(dir, `${direction}.rss`);
  const started = Date.now();
  const result = await failover([direction, '--yes', '--reason', 'fleet round trip'], {
    env: { ...env, FLEET_RSS_FILE: rssFile },
    cwd: dir,
    timeoutMs: 600_000,
    // Peak RSS of the CLI process, written when it exits.
    nodeArgs: [
      '--import',
      "data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync(process.env.FLEET_RSS_FILE,String(process.resourceUsage().maxRSS)))",
    ],
  });
  const wallMs = Date.now() - started;
  const requests = sandbox.requests();
  const route53 = requests.filter((r) => r.service === 'route53');
  return {
    result,
    wallMs,
    rssMb: Number(readFileSync(rssFile, 'utf8')) / 1024,
    throttled: route53.filter((r) => r.error === 'Throttling').length,
    /** Route 53 requests per operation (UpdateTrafficPolicyInstance, GetTrafficPolicyInstance…). */
    route53Operations: (name: string) => route53.filter((r) => r.operation === name).length,
    requests: {
      route53: route53.length,
      argocd: requests.filter((r) => r.service === 'argocd').length,
    },
  };
}

describe(`fleet: ${INSTANCES} traffic policy instances, ${APPS} Argo CD apps per side, Route 53 throttling on`, () => {
  it('to-aws then to-gcp: every instance Applied at the target weights, every app scaled, no throttling surfaced', async () => {
    expect(sandbox.info.route53.trafficPolicyInstanceIds).toHaveLength(INSTANCES);
    expect(sandbox.info.argocd.apps.aws).toHaveLength(APPS);
    expect(sandbox.info.route53.throttling).toEqual({ burst: 50, perSecond: 10 });
    expect(readyOf('aws').every((n) => n === 0)).toBe(true);

    // The target: N updates at the limiter's rate, plus one propagation delay.
    const bound = INSTANCES / LIMITER.perSecond + TIMINGS.propagationMs / 1000;
    const figures: string[] = [];
    for (const [direction, target] of [
      ['to-aws', { gke: 0, aws: 255 }],
      ['to-gcp', { gke: 255, aws: 0 }],
    ] as const) {
      const outcome = await run(direction);
      const { result } = outcome;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/Throttling|Rate exceeded/);

      const instances = await instancesWithWeights();
      expect(instances).toHaveLength(INSTANCES);
      for (const { instance, gke, aws } of instances) {
        expect([instance.Name, instance.State, { gke, aws }]).toEqual([instance.Name, 'Applied', target]);
      }
      const ready = readyOf('aws');
      if (direction === 'to-aws') expect(ready.filter((n) => n > 0)).toHaveLength(APPS);
      else expect(ready.filter((n) => n > 0)).toHaveLength(0);

      const shiftS = stepMs(journal(runIdIn(result.stdout)), 'shift') / 1000;
      figures.push(
        `${direction}: wall ${(outcome.wallMs / 1000).toFixed(1)}s, Route 53 phase ${shiftS.toFixed(2)}s ` +
          `(bound ${bound.toFixed(2)}s, ratio ${(shiftS / bound).toFixed(2)}), requests route53 ${outcome.requests.route53} ` +
          `argocd ${outcome.requests.argocd}, throttles absorbed ${outcome.throttled}, peak RSS ${outcome.rssMb.toFixed(0)} MB`,
      );
      // Inside the buckets: Route 53 never had to refuse the tool.
      expect(outcome.throttled).toBe(0);
      // Each instance is updated once, and the wait for Applied polls the instances in bulk: no
      // GetTrafficPolicyInstance loop per instance. (Time and memory against their targets are
      // measured by bench/fleet.mjs, not asserted here.)
      expect(outcome.route53Operations('UpdateTrafficPolicyInstance')).toBe(INSTANCES);
      expect(outcome.route53Operations('GetTrafficPolicyInstance')).toBeLessThan(INSTANCES / 5);
      expect(outcome.route53Operations('ListTrafficPolicyInstancesByPolicy')).toBeGreaterThan(0);
    }
    console.log(`fleet round trip\n  ${figures.join('\n  ')}`);
  }, 1_300_000);
});
