/**
 * The Route 53 emulator throttles like Route 53: an unlimited client (the real AWS SDK with its
 * retries off) bursting past the account bucket, or past an operation's own bucket, is answered
 * 400 Throttling "Rate exceeded" in Route 53's XML error body; the AWS CLI sees the same from
 * outside. And the tool's own client, with a fleet of instances, stays inside the buckets.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  CreateTrafficPolicyInstanceCommand,
  GetHealthCheckStatusCommand,
  ListTrafficPolicyInstancesByPolicyCommand,
  ListTrafficPolicyInstancesCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { createRoute53Reader, createRoute53Writer } from '../../src/providers/route53/adapter.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';

let emu: Route53Emulator;
let seed: WriteupSeed;
let sdk: Route53Client;

beforeAll(async () => {
  // The tool's client reads its credentials the SDK's way.
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  emu = await startRoute53Emulator();
  seed = seedWriteupScenario(emu.model, { instances: 30 });
  // An unlimited client: no client-side bucket, and no retries to hide a throttle.
  sdk = new Route53Client({
    region: 'us-east-1',
    endpoint: emu.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  await emu?.close();
});

beforeEach(() => {
  emu.rateLimit.configureAll({});
  emu.control.log.clear();
});

async function outcomes(
  calls: Promise<unknown>[],
): Promise<{ ok: number; throttled: number; other: string[] }> {
  const settled = await Promise.allSettled(calls);
  const errors = settled.flatMap((s) =>
    s.status === 'rejected' ? [s.reason as Error & { $metadata?: { httpStatusCode?: number } }] : [],
  );
  const throttled = errors.filter(
    (e) => e.name === 'Throttling' && e.message === 'Rate exceeded' && e.$metadata?.httpStatusCode === 400,
  );
  return {
    ok: settled.length - errors.length,
    throttled: throttled.length,
    other: errors.filter((e) => !throttled.includes(e)).map((e) => `${e.name}: ${e.message}`),
  };
}

describe('the emulator throttles an unlimited client', () => {
  it('a burst past the account bucket (50): the rest is 400 Throttling, Rate exceeded', async () => {
    const burst: Promise<unknown>[] = Array.from({ length: 80 }, (_, i) =>
      i % 2 === 0
        ? sdk.send(new ListTrafficPolicyInstancesCommand({}))
        : sdk.send(
            new ListTrafficPolicyInstancesByPolicyCommand({
              TrafficPolicyId: seed.trafficPolicyId,
              TrafficPolicyVersion: 1,
            }),
          ),
    );
    const started = Date.now();
    const result = await outcomes(burst);
    const elapsedS = (Date.now() - started) / 1000;
    expect(result.other).toEqual([]);
    // 50 in the bucket, plus what the refill (10/s) adds while the burst is answered.
    expect(result.ok).toBeGreaterThanOrEqual(50);
    expect(result.ok).toBeLessThanOrEqual(50 + Math.ceil(10 * elapsedS));
    expect(result.throttled).toBeGreaterThan(0);
    expect(result.throttled).toBe(80 - result.ok);
    expect(emu.control.log.entries.filter((e) => e.error === 'Throttling')).toHaveLength(result.throttled);
  });

  it('the error body is Route 53’s XML: Sender, Throttling, Rate exceeded, a RequestId', async () => {
    emu.rateLimit.configure({ burst: 1, perSecond: 0.001 });
    await fetch(`${emu.url}/2013-04-01/trafficpolicyinstances`);
    const response = await fetch(`${emu.url}/2013-04-01/trafficpolicyinstances`);
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toMatch(
      /^<\?xml version="1\.0"( encoding="UTF-8")?\?>\s*<ErrorResponse xmlns="https:\/\/route53\.amazonaws\.com\/doc\/2013-04-01\/"><Error><Type>Sender<\/Type><Code>Throttling<\/Code><Message>Rate exceeded<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('per-operation buckets: CreateTrafficPolicyInstance 1, GetHealthCheckStatus 4, with the account bucket full', async () => {
    const creates = await outcomes(
      Array.from({ length: 3 }, (_, i) =>
        sdk.send(
          new CreateTrafficPolicyInstanceCommand({
            HostedZoneId: seed.hostedZoneId,
            Name: `burst-${i}.${seed.zoneName}`,
            TTL: 60,
            TrafficPolicyId: seed.trafficPolicyId,
            TrafficPolicyVersion: 1,
          }),
        ),
      ),
    );
    expect(creates).toEqual({ ok: 1, throttled: 2, other: [] });
    const checks = await outcomes(
      Array.from({ length: 6 }, () =>
        sdk.send(new GetHealthCheckStatusCommand({ HealthCheckId: seed.healthCheckIds.aws })),
      ),
    );
    expect(checks).toEqual({ ok: 4, throttled: 2, other: [] });
    expect(emu.rateLimit.refused.operation).toBeGreaterThanOrEqual(4);
  });

  it('switched off, nothing is throttled', async () => {
    emu.rateLimit.configure(false);
    const result = await outcomes(
      Array.from({ length: 80 }, () => sdk.send(new ListTrafficPolicyInstancesCommand({}))),
    );
    expect(result).toEqual({ ok: 80, throttled: 0, other: [] });
  });
});

function hasAwsCli(): boolean {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasAwsCli())('from outside: the AWS CLI', () => {
  it('is throttled with the Throttling code and Rate exceeded once the bucket is empty', async () => {
    emu.rateLimit.configure({ burst: 1, perSecond: 0.001 });
    const cli = () =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(
          'aws',
          ['route53', 'list-traffic-policy-instances', '--endpoint-url', emu.url, '--output', 'json'],
          {
            timeout: 60_000,
            env: {
              PATH: process.env.PATH ?? '/usr/bin:/bin',
              HOME: process.env.HOME ?? '/tmp',
              AWS_ACCESS_KEY_ID: 'test',
              AWS_SECRET_ACCESS_KEY: 'test',
              AWS_DEFAULT_REGION: 'us-east-1',
              AWS_CONFIG_FILE: '/dev/null',
              AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
              AWS_EC2_METADATA_DISABLED: 'true',
              AWS_PAGER: '',
              // One attempt: the CLI would otherwise retry the throttle away.
              AWS_MAX_ATTEMPTS: '1',
              AWS_RETRY_MODE: 'standard',
            },
          },
          (error, _stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr }),
        );
      });
    expect((await cli()).code).toBe(0);
    const throttled = await cli();
    expect(throttled.code).not.toBe(0);
    expect(throttled.stderr).toMatch(/\(Throttling\).*Rate exceeded/);
  }, 90_000);
});

describe('the tool stays inside the buckets', () => {
  function options(): AdapterOptions {
    const config = Config.parse({
      aws: { region: 'us-east-1' },
      route53: {
        endpoint: emu.url,
        trafficFlow: {
          instances: seed.trafficPolicyInstanceIds,
          rule: 'split',
          roles: { gcp: 'gke', aws: 'aws' },
          pollInterval: 0.2,
        },
      },
    });
    return {
      config,
      env: {},
      redactor: new Redactor(),
      runId: 'run-throttling',
    };
  }

  it('30 instances: updated together, one joint wait, no request refused', async () => {
    emu.control.knobs.propagationDelayMs = 300;
    const opts = options();
    const plan = await createRoute53Reader(opts).planWeights({ gcp: 0, aws: 255 });
    emu.control.log.clear();
    const started = Date.now();
    await createRoute53Writer(opts).applyWeights(plan, { comment: 'fleet' });
    const elapsedS = (Date.now() - started) / 1000;
    const ops = emu.control.log.operations();
    expect(ops.filter((o) => o === 'UpdateTrafficPolicyInstance')).toHaveLength(30);
    // Bulk reads: no per-instance GetTrafficPolicyInstance at all.
    expect(ops.filter((o) => o === 'GetTrafficPolicyInstance')).toEqual([]);
    expect(ops.filter((o) => o === 'ListTrafficPolicyInstancesByPolicy').length).toBeGreaterThanOrEqual(1);
    expect(emu.control.log.entries.filter((e) => e.error === 'Throttling')).toEqual([]);
    for (const id of seed.trafficPolicyInstanceIds) {
      expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
        State: 'Applied',
        TrafficPolicyVersion: 2,
      });
    }
    // 30 updates at 8/s after a burst of 10, then one propagation: well under a per-instance loop.
    expect(elapsedS).toBeLessThan(30 / 8 + 0.3 + 3);
  });
});
