/**
 * The Route 53 adapter through the real @aws-sdk/client-route-53 against the Route 53 emulator on
 * loopback: only the endpoint and dummy credentials differ from production.
 */
import {
  CreateTrafficPolicyVersionCommand,
  ListTrafficPolicyVersionsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { type CallRetry, describeRetry, RetryTally } from '../../src/providers/call-retries.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { createRoute53Reader, createRoute53Writer } from '../../src/providers/route53/adapter.js';
import { TRAFFIC_POLICY_DOCUMENT_MAX_CHARS } from '../../src/providers/route53/document.js';
import { readOnly } from '../../src/providers/route53/session.js';
import { weightsForTarget } from '../../src/providers/route53/weights.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
  writeupPolicyDocument,
} from '../../src/sandbox/route53/index.js';
import { failure } from '../support/failure.js';

let emu: Route53Emulator;
let scenarios = 0;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  // Throttling has its own tests below; the others should not depend on the request rate.
  emu = await startRoute53Emulator({ rateLimit: false });
});

afterEach(() => {
  emu.control.knobs.latencyMs = 0;
  emu.control.knobs.propagationDelayMs = 0;
  emu.control.clearFaults();
  emu.control.log.clear();
  emu.rateLimit.configure(false);
});

afterAll(async () => {
  await emu?.close();
});

/** A fresh copy of the write-up's Route 53 state in its own zone, so tests do not share state. */
function scenario(): WriteupSeed {
  scenarios += 1;
  return seedWriteupScenario(emu.model, {
    zoneName: `t${scenarios}.example.com.`,
    policyName: `admin-t${scenarios}`,
  });
}

type Route53Input = Record<string, unknown>;

function optionsFor(seed: WriteupSeed, route53: Route53Input = {}, maxAttempts = 4): AdapterOptions {
  const config = Config.parse({
    aws: { region: 'us-east-1' },
    route53: {
      endpoint: emu.url,
      trafficFlow: {
        instances: seed.trafficPolicyInstanceIds,
        roles: { gcp: 'gke', aws: 'aws' },
        pollInterval: 0.05,
      },
      recordSets: {
        hostedZoneId: seed.hostedZoneId,
        name: seed.recordSet.name,
        type: 'A',
        setIdentifiers: seed.recordSet.setIdentifiers,
        pollInterval: 0.05,
      },
      healthChecks: { gcp: seed.healthCheckIds.gke, aws: seed.healthCheckIds.aws },
      rateLimit: { perSecond: 1000, burst: 1000 },
      ...route53,
    },
  });
  return {
    config,
    env: { AWS_MAX_ATTEMPTS: String(maxAttempts) },
    redactor: new Redactor(),
    runId: 'run-42',
  };
}

function trafficFlow(seed: WriteupSeed, overrides: Route53Input = {}): Route53Input {
  return {
    trafficFlow: {
      instances: seed.trafficPolicyInstanceIds,
      roles: { gcp: 'gke', aws: 'aws' },
      pollInterval: 0.05,
      ...overrides,
    },
  };
}

function mutating(): string[] {
  return emu.control.log.mutating().map((e) => e.operation);
}

function throttled(): number {
  return emu.control.log.entries.filter((e) => e.error === 'Throttling').length;
}

describe('Traffic Flow: reading', () => {
  it('describes the seeded instance: GKE 255, AWS 0, Applied', async () => {
    const seed = scenario();
    const targets = await createRoute53Reader(optionsFor(seed)).describeWeights();
    expect(targets).toEqual([
      {
        kind: 'traffic-policy-instance',
        id: seed.trafficPolicyInstanceIds[0],
        name: seed.recordSet.name.replace(/^app\./, 'admin.'),
        state: 'Applied',
        weights: { gcp: 255, aws: 0 },
        detail: {
          hostedZoneId: seed.hostedZoneId,
          policyId: seed.trafficPolicyId,
          policyVersion: 1,
          ttl: 60,
          rule: 'split',
        },
      },
    ]);
    expect(emu.control.log.operations()).toEqual(['GetTrafficPolicyInstance', 'GetTrafficPolicy']);
  });

  it('finds instances by DNS name, with or without the zone and the trailing dot', async () => {
    const seed = scenario();
    const name = `admin.${seed.zoneName}`;
    for (const ref of [{ name: name.slice(0, -1) }, { name, hostedZoneId: seed.hostedZoneId }]) {
      const targets = await createRoute53Reader(
        optionsFor(seed, trafficFlow(seed, { instances: [ref] })),
      ).describeWeights();
      expect(targets.map((t) => t.id)).toEqual(seed.trafficPolicyInstanceIds);
    }
    expect(emu.control.log.operations()).toContain('ListTrafficPolicyInstances');
    expect(emu.control.log.operations()).toContain('ListTrafficPolicyInstancesByHostedZone');
  });

  it('plans a diff of the policy document and is converged when the weights already match', async () => {
    const seed = scenario();
    const reader = createRoute53Reader(optionsFor(seed));
    const plan = await reader.planWeights({ gcp: 0, aws: 255 });
    expect(plan.converged).toBe(false);
    expect(plan.mode).toBe('traffic-flow');
    const diff = plan.changes[0]?.diff ?? '';
    expect(diff).toContain(`--- traffic policy ${seed.trafficPolicyId} version 1`);
    expect(diff.split('\n').filter((l) => /^[-+] /.test(l))).toEqual([
      '-          "Weight": "255",',
      '+          "Weight": "0",',
      '-          "Weight": "0",',
      '+          "Weight": "255",',
    ]);
    const same = await reader.planWeights({ gcp: 255, aws: 0 });
    expect(same).toMatchObject({ converged: true, changes: [{ converged: true, diff: '' }] });
    expect(mutating()).toEqual([]);
  });

  it('the reader refuses to send a command that changes state', () => {
    expect(() => readOnly(new CreateTrafficPolicyVersionCommand({ Id: 'x', Document: '{}' }))).toThrow(
      /changes state/,
    );
  });
});

describe('Traffic Flow: errors before anything changes', () => {
  it('a new document Route 53 would reject (over the size limit) is caught client-side', async () => {
    const seed = scenario();
    // A valid document exactly at the size limit: "0" → "26" for the 10% stage makes it one too long.
    const base = writeupPolicyDocument({
      gkeAddress: '203.0.113.10',
      awsAlbDnsName: 'alb.ap-northeast-1.elb.amazonaws.com',
      gkeHealthCheckId: seed.healthCheckIds.gke,
      awsHealthCheckId: seed.healthCheckIds.aws,
      weights: { gke: 255, aws: 0 },
    });
    const padded = base.replace(/\n}$/, `${' '.repeat(TRAFFIC_POLICY_DOCUMENT_MAX_CHARS - base.length)}\n}`);
    expect(padded.length).toBe(TRAFFIC_POLICY_DOCUMENT_MAX_CHARS);
    const policy = emu.model.createTrafficPolicy({ Name: `big-${scenarios}`, Document: padded });
    const instance = emu.model.createTrafficPolicyInstance({
      HostedZoneId: seed.hostedZoneId,
      Name: `big.${seed.zoneName}`,
      TTL: 60,
      TrafficPolicyId: policy.Id,
      TrafficPolicyVersion: 1,
    });
    emu.model.completePropagation();
    const reader = createRoute53Reader(optionsFor(seed, trafficFlow(seed, { instances: [instance.Id] })));
    const error = await failure(reader.planWeights(weightsForTarget('aws', 10)));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3410', category: 'invalid-input' });
    expect(error.message).toContain(`the maximum is ${TRAFFIC_POLICY_DOCUMENT_MAX_CHARS}`);
    expect(error.message).toContain(instance.Id);
    expect(error.hint).toBe(
      'the current version 1 is not a valid base: fix the policy in Route 53 (Traffic policies) and run again',
    );
    expect(error.problems).toHaveLength(1);
    expect(error.message).toContain(`: ${error.problems[0]?.message}`);
    expect(mutating()).toEqual([]);
  });

  it('a role that is not in the document names the role, the rule and what it has', async () => {
    const seed = scenario();
    const reader = createRoute53Reader(
      optionsFor(seed, trafficFlow(seed, { roles: { gcp: 'gke', aws: { endpoint: 'alb' } } })),
    );
    const error = await failure(reader.planWeights({ gcp: 0, aws: 255 }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3403', category: 'invalid-input' });
    expect(error.message).toMatch(/role aws is endpoint "alb".*rule split.*endpoint "gke", endpoint "aws"/);
    expect(error.message).toContain(
      `traffic policy instance ${seed.trafficPolicyInstanceIds[0]} (admin.${seed.zoneName}), traffic policy ${seed.trafficPolicyId} version 1`,
    );
    expect(error.hint).toContain('route53.trafficFlow.roles.aws');
    expect(mutating()).toEqual([]);
  });

  it.each([
    ['an unknown instance id', { instances: ['0c0ffee0-0000-4000-8000-000000000000'] }],
    ['an unknown instance name', { instances: [{ name: 'nothing.example.com.' }] }],
  ])('%s is an invalid-input error with a hint', async (_label, overrides) => {
    const seed = scenario();
    const reader = createRoute53Reader(optionsFor(seed, trafficFlow(seed, overrides)));
    const error = await failure(reader.planWeights({ gcp: 0, aws: 255 }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3406', category: 'invalid-input' });
    expect(error.hint).toContain('route53.trafficFlow.instances');
    expect(mutating()).toEqual([]);
  });
});

describe('Traffic Flow: changing weights', () => {
  it('creates a version, updates the instance with the same TTL and waits until Applied', async () => {
    const seed = scenario();
    const options = optionsFor(seed);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.knobs.propagationDelayMs = 300;
    emu.control.knobs.latencyMs = 10;
    emu.control.log.clear();
    const progress: string[] = [];
    const started = Date.now();
    const applied = await createRoute53Writer(options).applyWeights(plan, {
      comment: 'shift traffic to aws',
      onProgress: (m) => progress.push(m),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const instance = emu.model.getTrafficPolicyInstance(id);
    expect(instance).toMatchObject({ State: 'Applied', TrafficPolicyVersion: 2, TTL: 60 });
    const version = emu.model.getTrafficPolicy(seed.trafficPolicyId, 2);
    expect(version.Comment).toBe('failover run run-42: shift traffic to aws');
    expect(emu.model.trafficSplit(id)?.map((t) => [t.target, t.weight])).toEqual([
      ['gke', 0],
      ['aws', 255],
    ]);
    // Weights stay strings, as the document had them.
    expect(version.Document).toContain('"Weight": "255"');
    expect(mutating()).toEqual(['CreateTrafficPolicyVersion', 'UpdateTrafficPolicyInstance']);
    // It polled while the instance was Updating.
    const polls = emu.control.log.operations().filter((o) => o === 'GetTrafficPolicyInstance').length;
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(progress.some((m) => m.includes('(Updating'))).toBe(true);
    expect(progress.at(-1)).toContain('Applied version 2');
    expect(applied.summary[id]).toEqual({ policyId: seed.trafficPolicyId, version: 2, previousVersion: 1 });

    // Restore points the instance back at version 1: no new version.
    emu.control.log.clear();
    await createRoute53Writer(options).restoreWeights(applied.undo, { comment: 'roll back' });
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
      State: 'Applied',
      TrafficPolicyVersion: 1,
    });
    expect(mutating()).toEqual(['UpdateTrafficPolicyInstance']);
    const sdk = new Route53Client({ region: 'us-east-1', endpoint: emu.url });
    const versions = await sdk.send(new ListTrafficPolicyVersionsCommand({ Id: seed.trafficPolicyId }));
    sdk.destroy();
    expect(versions.TrafficPolicies?.map((v) => v.Version)).toEqual([1, 2]);

    // Restoring again changes nothing.
    emu.control.log.clear();
    await createRoute53Writer(options).restoreWeights(applied.undo, { comment: 'roll back' });
    expect(mutating()).toEqual([]);
  });

  it('a Failed instance fails the change with its Message; the others, updated at the same time, still apply', async () => {
    const seed = scenario();
    const second = emu.model.createTrafficPolicyInstance({
      HostedZoneId: seed.hostedZoneId,
      Name: `admin2.${seed.zoneName}`,
      TTL: 60,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    });
    emu.model.completePropagation();
    const options = optionsFor(
      seed,
      trafficFlow(seed, { instances: [...seed.trafficPolicyInstanceIds, second.Id] }),
    );
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    expect(plan.changes).toHaveLength(2);
    emu.control.knobs.propagationDelayMs = 100;
    emu.control.injectFault('policy-instance-failed', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    emu.control.log.clear();
    const error = await failure(createRoute53Writer(options).applyWeights(plan, { comment: 'shift' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3413', category: 'step-failed' });
    expect(error.message).toContain('injected fault policy-instance-failed');
    expect(error.hint).toContain('update-traffic-policy-instance');
    // Both updates go out together; the error comes once both have settled.
    expect(mutating()).toEqual([
      'CreateTrafficPolicyVersion',
      'UpdateTrafficPolicyInstance',
      'UpdateTrafficPolicyInstance',
    ]);
    expect(emu.model.getTrafficPolicyInstance(second.Id)).toMatchObject({
      State: 'Applied',
      TrafficPolicyVersion: 2,
    });
    // The next plan refuses to start from a Failed instance and says how to fix it.
    const next = await failure(createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 }));
    expect(next).toMatchObject({ code: 'FO_ROUTE53_E3409' });
    // The plan's restore point brings it back.
    await createRoute53Writer(options).restoreWeights(plan.restore, { comment: 'back' });
    for (const id of [seed.trafficPolicyInstanceIds[0] as string, second.Id]) {
      expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
        State: 'Applied',
        TrafficPolicyVersion: 1,
      });
    }
  });

  it('ConcurrentModification on version creation: re-reads and tries once more', async () => {
    const seed = scenario();
    const options = optionsFor(seed);
    // The emulator cannot race two writers, so the first CreateTrafficPolicyVersion is answered
    // with the service's ConcurrentModification error by a middleware before it is sent.
    const client = new Route53Client({ region: 'us-east-1', endpoint: emu.url });
    let rejected = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'CreateTrafficPolicyVersionCommand' && rejected === 0) {
          rejected += 1;
          throw Object.assign(new Error('Another request is modifying this traffic policy.'), {
            name: 'ConcurrentModification',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'concurrentModificationOnce' },
    );
    const plan = await createRoute53Reader(options, client).planWeights({ gcp: 0, aws: 255 });
    const progress: string[] = [];
    await createRoute53Writer(options, client).applyWeights(plan, {
      comment: 'shift',
      onProgress: (m) => progress.push(m),
    });
    expect(rejected).toBe(1);
    expect(progress.join('\n')).toContain('re-reading');
    expect(mutating()).toEqual(['CreateTrafficPolicyVersion', 'UpdateTrafficPolicyInstance']);
    expect(emu.model.getTrafficPolicyInstance(seed.trafficPolicyInstanceIds[0] as string)).toMatchObject({
      TrafficPolicyVersion: 2,
      State: 'Applied',
    });
    client.destroy();
  });
});

describe('rate limits', () => {
  it('the SDK retries Throttling answers by itself', async () => {
    const seed = scenario();
    emu.control.injectFault('throttle', { operation: 'GetTrafficPolicyInstance', count: 2 });
    const targets = await createRoute53Reader(optionsFor(seed)).describeWeights();
    expect(targets[0]?.weights).toEqual({ gcp: 255, aws: 0 });
    const answers = emu.control.log.entries.filter((e) => e.operation === 'GetTrafficPolicyInstance');
    expect(answers.map((e) => e.error ?? e.status)).toEqual(['Throttling', 'Throttling', 200]);
  });

  it('each retried attempt is published, counted and described for the operator', async () => {
    const seed = scenario();
    const seen: CallRetry[] = [];
    const tally = new RetryTally((retry) => seen.push(retry));
    try {
      emu.control.injectFault('throttle', { operation: 'GetTrafficPolicyInstance', count: 2 });
      await createRoute53Reader(optionsFor(seed)).describeWeights();
    } finally {
      tally.close();
    }
    expect(seen.map((r) => [r.operation, r.reason, r.attempt, r.maxAttempts])).toEqual([
      ['GetTrafficPolicyInstance', 'Throttling', 2, 4],
      ['GetTrafficPolicyInstance', 'Throttling', 3, 4],
    ]);
    expect(seen.every((r) => r.waitedMs >= 0)).toBe(true);
    expect(tally.total).toBe(2);
    expect(tally.lines()).toEqual(['Route 53 GetTrafficPolicyInstance ×2 (Throttling)']);
    expect(describeRetry(seen[1]!)).toMatch(
      /^Route 53 GetTrafficPolicyInstance: Throttling, retry 2\/3 after \d+\.\ds$/,
    );
    // Unsubscribed: later retries are not counted.
    emu.control.injectFault('throttle', { operation: 'GetTrafficPolicyInstance', count: 1 });
    await createRoute53Reader(optionsFor(seed)).describeWeights();
    expect(tally.total).toBe(2);
  });

  it('the client-side token bucket keeps a burst of calls under the service rate', async () => {
    const seed = scenario();
    const burstOfCalls = (options: AdapterOptions) => {
      const reader = createRoute53Reader(options);
      // 5 × 2 GetHealthCheckStatus calls at once.
      return Promise.allSettled(Array.from({ length: 5 }, () => reader.healthChecks()));
    };

    // Without a client-side limit (and without SDK retries, to keep it short), the emulator's
    // small bucket throttles.
    emu.rateLimit.configure({ burst: 3, perSecond: 4 });
    await burstOfCalls(optionsFor(seed, { rateLimit: { perSecond: 1000, burst: 1000 } }, 1));
    expect(throttled()).toBeGreaterThan(0);

    // With a bucket a little below the service's, nothing is throttled.
    emu.control.log.clear();
    emu.rateLimit.configure({ burst: 3, perSecond: 4 });
    const started = Date.now();
    const results = await burstOfCalls(optionsFor(seed, { rateLimit: { perSecond: 3, burst: 2 } }));
    const elapsed = Date.now() - started;
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(emu.control.log.entries).toHaveLength(10);
    expect(throttled()).toBe(0);
    // 10 calls, 2 at once, then 3 per second: at least 8/3 s.
    expect(elapsed).toBeGreaterThanOrEqual(2500);
  });
});

describe('weighted record sets mode', () => {
  it('UPSERTs both weights in one change batch and waits until INSYNC; restore puts them back', async () => {
    const seed = scenario();
    const options = optionsFor(seed, { mode: 'record-sets' });
    const reader = createRoute53Reader(options);
    const [target] = await reader.describeWeights();
    expect(target).toMatchObject({ kind: 'record-sets', weights: { gcp: 255, aws: 0 } });

    const plan = await reader.planWeights({ gcp: 0, aws: 255 });
    expect(plan.changes[0]?.diff).toMatch(/-\s+"Weight": 255,?\n\+\s+"Weight": 0/);
    emu.control.knobs.propagationDelayMs = 250;
    emu.control.log.clear();
    const progress: string[] = [];
    const applied = await createRoute53Writer(options).applyWeights(plan, {
      comment: 'shift',
      onProgress: (m) => progress.push(m),
    });
    expect(mutating()).toEqual(['ChangeResourceRecordSets']);
    const changeId = String(applied.summary.changeId);
    expect(emu.model.getChange(changeId).Status).toBe('INSYNC');
    expect(emu.control.log.operations().filter((o) => o === 'GetChange').length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toContain('INSYNC');
    expect((await reader.describeWeights())[0]?.weights).toEqual({ gcp: 0, aws: 255 });

    emu.control.log.clear();
    await createRoute53Writer(options).restoreWeights(applied.undo, { comment: 'back' });
    expect(mutating()).toEqual(['ChangeResourceRecordSets']);
    const [after] = await reader.describeWeights();
    expect(after?.weights).toEqual({ gcp: 255, aws: 0 });
  });

  it('names the missing set identifier', async () => {
    const seed = scenario();
    const options = optionsFor(seed, {
      mode: 'record-sets',
      recordSets: {
        hostedZoneId: seed.hostedZoneId,
        name: seed.recordSet.name,
        type: 'A',
        setIdentifiers: { gcp: 'gke', aws: 'eks' },
      },
    });
    const error = await failure(createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3420' });
    expect(error.message).toContain('"eks"');
    expect(error.message).toContain('found "aws", "gke"');
    expect(mutating()).toEqual([]);
  });
});

describe('health checks', () => {
  it('healthy when most checkers report Success; unhealthy otherwise', async () => {
    const seed = scenario();
    const reader = createRoute53Reader(optionsFor(seed));
    expect(await reader.healthChecks()).toEqual([
      { role: 'gcp', id: seed.healthCheckIds.gke, healthy: true, summary: '8/8 checkers report Success' },
      { role: 'aws', id: seed.healthCheckIds.aws, healthy: true, summary: '8/8 checkers report Success' },
    ]);
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.aws, false);
    const states = await reader.healthChecks();
    expect(states[1]).toMatchObject({ role: 'aws', healthy: false });
    expect(states[1]?.summary).toMatch(/^0\/8 checkers report Success; e\.g\. Failure: HTTP Status Code 503/);
  });

  it('an unknown health check id names the config key', async () => {
    const seed = scenario();
    const reader = createRoute53Reader(
      optionsFor(seed, { healthChecks: { aws: 'a0000000-0000-4000-8000-000000000000' } }),
    );
    const error = await failure(reader.healthChecks());
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3430', category: 'invalid-input' });
    expect(error.hint).toContain('route53.healthChecks.aws');
  });
});
