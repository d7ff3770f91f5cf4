/**
 * The DNS part of the gate between the stages of a staged shift, over the real ports: the Route 53
 * SDK adapter against the emulator, and the DNS client against the sandbox DNS server answering
 * from that emulator. At each stage the name servers' answers must split as the weights do (at
 * least 400 answers); a name server still serving the old records stops the shift.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import type { Json } from '../../src/engine/events.js';
import { aliasTargetAddress, type DnsServer, startDnsServer } from '../../src/sandbox/dns/index.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';
import { setWeightsStep } from '../../src/steps/route53/set-weights.js';
import { healthyWeights } from '../../src/steps/verify/dns-check.js';
import { failure } from '../support/failure.js';
import { stepContext } from '../support/step-context.js';

const GKE = '192.0.2.41';
const ALB = 'k8s-admin-ingress-5150aa-0042.ap-northeast-1.elb.amazonaws.com';
let emu: Route53Emulator;
let dns: DnsServer;
/** A second world whose records never move: a name server that missed the update. */
let staleEmu: Route53Emulator;
let staleDns: DnsServer;
let zones = 0;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  [emu, staleEmu] = await Promise.all([
    startRoute53Emulator({ rateLimit: false }),
    startRoute53Emulator({ rateLimit: false }),
  ]);
  [dns, staleDns] = await Promise.all([
    startDnsServer({ route53: emu }),
    startDnsServer({ route53: staleEmu }),
  ]);
});

afterEach(() => emu.control.log.clear());

afterAll(async () => {
  await Promise.all([dns?.close(), staleDns?.close()]);
  await Promise.all([emu?.close(), staleEmu?.close()]);
});

function seed(): WriteupSeed {
  zones += 1;
  const options = {
    zoneName: `z${zones}.example.net.`,
    policyName: `admin-z${zones}`,
    gkeAddress: GKE,
    awsAlbDnsName: ALB,
    weights: { gke: 255, aws: 0 },
  };
  seedWriteupScenario(staleEmu.model, options);
  return seedWriteupScenario(emu.model, options);
}

function harness(s: WriteupSeed, server: DnsServer, extra: Record<string, unknown> = {}) {
  const config = Config.parse({
    ...extra,
    aws: { region: 'us-east-1' },
    route53: {
      endpoint: emu.url,
      trafficFlow: {
        instances: s.trafficPolicyInstanceIds,
        roles: { gcp: 'gke', aws: 'aws' },
        pollInterval: 0.05,
      },
      healthChecks: { gcp: s.healthCheckIds.gke, aws: s.healthCheckIds.aws },
      rateLimit: { perSecond: 50, burst: 50 },
    },
    verify: {
      dns: {
        servers: [`127.0.0.1:${server.port}`],
        samples: 20,
        tolerance: 0.1,
        addresses: { gcp: [GKE], aws: [aliasTargetAddress(ALB)] },
      },
    },
  });
  return stepContext({ config }, { id: 'run-dns' });
}

const splitOf = (s: WriteupSeed) =>
  Object.fromEntries(
    (emu.model.trafficSplit(s.trafficPolicyInstanceIds[0] as string) ?? []).map((t) => [t.target, t.weight]),
  );

describe('the DNS gate between stages', () => {
  it('samples at least 400 answers at each stage; each share is within the tolerance of its weight', async () => {
    const s = seed();
    const { ctx, messages } = harness(s, dns);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [25, 60, 100] });
    const plan = await setWeightsStep.plan(ctx, input);
    const result = await setWeightsStep.apply?.(ctx, input, plan);
    const stages = result?.outputs?.dnsStages as Record<string, Json>[];
    expect(stages.map((d) => d.stage)).toEqual(['25%', '60%']);
    for (const [d, share] of [
      [stages[0]!, 0.25],
      [stages[1]!, 0.6],
    ] as const) {
      expect(d).toMatchObject({ samples: 400, other: 0, server: `127.0.0.1:${dns.port}` });
      expect(Number(d.gcp) + Number(d.aws)).toBe(400);
      expect(Number(d.expectedAws)).toBeCloseTo(share, 1);
      // Four standard deviations of a 60 % share over 400 answers are 9.8 points.
      expect(Math.abs(Number(d.aws) / 400 - Number(d.expectedAws))).toBeLessThanOrEqual(0.1);
    }
    expect(splitOf(s)).toEqual({ gke: 0, aws: 255 });
    const lines = messages.filter((m) => m.code === 'FO_DNS_I7512').map((m) => m.message);
    expect(lines[0]).toMatch(
      /^stage 25%: admin\.z\d+\.example\.net: \d+\/400 → AWS, \d+\/400 → GCP; AWS share [\d.]+%, weights say 25\.1% ± 10% \(400 queries to 127\.0\.0\.1:\d+ in /,
    );
  });

  it('a name server still answering the old records stops the shift and returns the weights', async () => {
    const s = seed();
    const { ctx, messages } = harness(s, staleDns);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [50, 100], gate: { dnsWithin: '1s' } });
    const plan = await setWeightsStep.plan(ctx, input);
    const error = await failure(setWeightsStep.apply?.(ctx, input, plan) ?? Promise.resolve());
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3441' });
    expect(error.message).toMatch(
      /^stage 50% failed \(health gate: DNS answers: admin\.z\d+\.example\.net: 400\/400 answers → GCP; AWS share 0%, weights say 50\.2% ± 10%\); the weights are back at the starting weights/,
    );
    expect(splitOf(s)).toEqual({ gke: 255, aws: 0 });
    // The step tree said what the name servers answered at that stage, as a warning.
    expect(messages.find((m) => m.code === 'FO_DNS_I7512')).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/^stage 50%: .*400\/400 answers → GCP/),
    });
  });

  it('a gate that failed already does not wait for the DNS answers', async () => {
    const s = seed();
    // Port 9 (discard) on loopback: nothing listens, the AWS probe fails at once.
    const probes = { aws: [{ name: 'aws ingress', url: 'http://127.0.0.1:9/healthz', timeout: '300ms' }] };
    const { ctx, messages } = harness(s, staleDns, { probes });
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [50, 100] });
    const error = await failure(
      setWeightsStep.apply?.(ctx, input, await setWeightsStep.plan(ctx, input)) ?? Promise.resolve(),
    );
    expect(error.message).toMatch(/^stage 50% failed \(health gate: probe aws ingress: /);
    expect(error.message).not.toContain('DNS answers');
    expect(messages.filter((m) => m.code.startsWith('FO_DNS_'))).toEqual([]);
    expect(splitOf(s)).toEqual({ gke: 255, aws: 0 });
  });

  it('expects every answer on the healthy side when the other side fails its health check', async () => {
    const s = seed();
    const { ctx } = harness(s, dns);
    emu.model.setHealthCheckHealthy(s.healthCheckIds.gke, false);
    try {
      const input = setWeightsStep.input.parse({ to: 'aws', stages: [50, 100] });
      const plan = await setWeightsStep.plan(ctx, input);
      const result = await setWeightsStep.apply?.(ctx, input, plan);
      const [d] = (result?.outputs?.dnsStages ?? []) as Record<string, Json>[];
      expect(d).toMatchObject({ stage: '50%', samples: 400, aws: 400, gcp: 0, other: 0, expectedAws: 1 });
    } finally {
      emu.model.setHealthCheckHealthy(s.healthCheckIds.gke, true);
    }
  });

  it('turned off by the gate, or without verify.dns, it asks nothing', async () => {
    const s = seed();
    const { ctx } = harness(s, dns);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [50, 100], gate: { dns: false } });
    const result = await setWeightsStep.apply?.(ctx, input, await setWeightsStep.plan(ctx, input));
    expect(result?.outputs?.dnsStages).toBeUndefined();
    const bare = { ...ctx, config: { ...ctx.config, verify: undefined } };
    const again = setWeightsStep.input.parse({ to: 'gcp', stages: [50, 100] });
    const back = await setWeightsStep.apply?.(bare, again, await setWeightsStep.plan(bare, again));
    expect(back?.outputs?.dnsStages).toBeUndefined();
    expect(splitOf(s)).toEqual({ gke: 255, aws: 0 });
  });
});

describe('healthyWeights', () => {
  it.each([
    ['both healthy', { gcp: 128, aws: 127 }, {}, { gcp: 128, aws: 127 }],
    ['gcp down', { gcp: 128, aws: 127 }, { gcp: false, aws: true }, { gcp: 0, aws: 127 }],
    ['aws down, all weight on gcp', { gcp: 255, aws: 0 }, { aws: false }, { gcp: 255, aws: 0 }],
    ['gcp down, zero-weight aws answers', { gcp: 255, aws: 0 }, { gcp: false }, { gcp: 0, aws: 1 }],
    [
      'both down: as if both were healthy',
      { gcp: 100, aws: 155 },
      { gcp: false, aws: false },
      { gcp: 100, aws: 155 },
    ],
  ])('%s', (_name, weights, healthy, expected) => {
    expect(healthyWeights(weights, healthy)).toEqual(expected);
  });
});
