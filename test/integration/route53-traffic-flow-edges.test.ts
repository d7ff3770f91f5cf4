/**
 * Traffic Flow mode at its edges, through the real @aws-sdk/client-route-53 against the Route 53
 * emulator: instances named by DNS name (zone ids with and without `/hostedzone/`, case, the
 * wildcard, A and AAAA instances of one name, a name in two zones), Failed instances before a
 * change, fleets on one and on several policy versions, instances that change between the plan and
 * the change, and the errors Route 53 answers to CreateTrafficPolicyVersion. Outcomes are read
 * back from the emulator's model and request log.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { createRoute53Reader, createRoute53Writer } from '../../src/providers/route53/adapter.js';
import { route53Session } from '../../src/providers/route53/session.js';
import { TrafficFlow } from '../../src/providers/route53/traffic-flow.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';
import { failure } from '../support/failure.js';
import { useRoute53Emulator } from '../support/route53-emulator.js';

let emu: Route53Emulator;
let scenarios = 0;

useRoute53Emulator((started) => {
  emu = started;
});

function scenario(instances = 1): WriteupSeed {
  scenarios += 1;
  return seedWriteupScenario(emu.model, {
    zoneName: `e${scenarios}.example.io.`,
    policyName: `edges-e${scenarios}`,
    ttl: 120,
    instances,
  });
}

type Ref = string | { name: string; hostedZoneId?: string };

function optionsFor(instances: Ref[]): AdapterOptions {
  const config = Config.parse({
    aws: { region: 'sa-east-1' },
    route53: {
      endpoint: emu.url,
      trafficFlow: { instances, roles: { gcp: 'gke', aws: 'aws' }, pollInterval: 0.02 },
      rateLimit: { perSecond: 1000, burst: 1000 },
    },
  });
  return { config, env: { AWS_MAX_ATTEMPTS: '1' }, redactor: new Redactor(), runId: 'run-edges' };
}

const ops = () => emu.control.log.operations();
const count = (operation: string) => ops().filter((o) => o === operation).length;
const mutating = () => emu.control.log.mutating().map((e) => e.operation);

/** A weighted AAAA policy with the same endpoint names as the write-up's A policy. */
function aaaaPolicy(name: string): string {
  return emu.model.createTrafficPolicy({
    Name: name,
    Document: JSON.stringify({
      AWSPolicyFormatVersion: '2015-10-01',
      RecordType: 'AAAA',
      Endpoints: {
        gke: { Type: 'value', Value: '2001:db8::10' },
        aws: { Type: 'value', Value: '2001:db8::20' },
      },
      StartRule: 'split',
      Rules: {
        split: {
          RuleType: 'weighted',
          Items: [
            { EndpointReference: 'gke', Weight: '200' },
            { EndpointReference: 'aws', Weight: '55' },
          ],
        },
      },
    }),
  }).Id;
}

/** A client whose first `times` CreateTrafficPolicyVersion calls run `answer` instead of being sent. */
function clientAnswering(
  times: number,
  answer: () => unknown,
): { client: Route53Client; calls: () => number } {
  const client = new Route53Client({ region: 'sa-east-1', endpoint: emu.url, maxAttempts: 1 });
  let calls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'CreateTrafficPolicyVersionCommand') return next(args);
      calls += 1;
      if (calls > times) return next(args);
      return answer() as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'answerCreateVersion' },
  );
  return { client, calls: () => calls };
}

function serviceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

describe('instances named by DNS name', () => {
  it('one zone list for names in the same zone, however its id is written; A and AAAA of a name, any case, the wildcard', async () => {
    const seed = scenario(2);
    const zone = seed.zoneName;
    const v6 = aaaaPolicy(`edges-v6-${scenarios}`);
    const aaaa = emu.model.createTrafficPolicyInstance({
      HostedZoneId: seed.hostedZoneId,
      Name: `admin.${zone}`,
      TTL: 120,
      TrafficPolicyId: v6,
      TrafficPolicyVersion: 1,
    });
    const wildcard = emu.model.createTrafficPolicyInstance({
      HostedZoneId: seed.hostedZoneId,
      Name: `*.${zone}`,
      TTL: 120,
      TrafficPolicyId: v6,
      TrafficPolicyVersion: 1,
    });
    emu.model.completePropagation();
    emu.control.log.clear();
    const [admin, admin2] = seed.trafficPolicyInstanceIds as [string, string];
    const targets = await createRoute53Reader(
      optionsFor([
        {
          name: `ADMIN.${zone.slice(0, -1).toUpperCase()}`,
          hostedZoneId: `/hostedzone/${seed.hostedZoneId}`,
        },
        { name: `admin-2.${zone}`, hostedZoneId: seed.hostedZoneId },
        { name: `\\052.${zone}`, hostedZoneId: seed.hostedZoneId },
      ]),
    ).describeWeights();
    expect(targets.map((t) => t.id).sort()).toEqual([admin, admin2, aaaa.Id, wildcard.Id].sort());
    expect(targets.find((t) => t.id === aaaa.Id)?.weights).toEqual({ gcp: 200, aws: 55 });
    expect(count('ListTrafficPolicyInstancesByHostedZone')).toBe(1);
    expect(count('ListTrafficPolicyInstances')).toBe(0);
  });

  it('names without a zone: the account list is read once for all of them', async () => {
    const seed = scenario(2);
    emu.control.log.clear();
    const targets = await createRoute53Reader(
      optionsFor([{ name: `admin.${seed.zoneName}` }, { name: `admin-2.${seed.zoneName}` }]),
    ).describeWeights();
    expect(targets.map((t) => t.id).sort()).toEqual([...seed.trafficPolicyInstanceIds].sort());
    expect(count('ListTrafficPolicyInstances')).toBe(1);
  });

  it('a name found nowhere says where it was looked for', async () => {
    const seed = scenario();
    const inZone = await failure(
      createRoute53Reader(
        optionsFor([{ name: `nope.${seed.zoneName}`, hostedZoneId: seed.hostedZoneId }]),
      ).describeWeights(),
    );
    expect(inZone.message).toBe(
      `no traffic policy instance named nope.${seed.zoneName} in hosted zone ${seed.hostedZoneId}`,
    );
    expect(inZone.hint).toMatch(/names end with the zone/);
    const anywhere = await failure(
      createRoute53Reader(optionsFor([{ name: `nope.${seed.zoneName}` }])).describeWeights(),
    );
    expect(anywhere).toMatchObject({
      code: 'FO_ROUTE53_E3406',
      message: `no traffic policy instance named nope.${seed.zoneName}`,
    });
  });

  it('a name with instances in two hosted zones of that name needs the zone', async () => {
    const seed = scenario();
    const twin = emu.model.createHostedZone({ Name: seed.zoneName, CallerReference: `twin-${scenarios}` });
    const twinId = twin.HostedZone.Id.replace('/hostedzone/', '');
    emu.model.createTrafficPolicyInstance({
      HostedZoneId: twinId,
      Name: `admin.${seed.zoneName}`,
      TTL: 60,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    });
    emu.model.completePropagation();
    const name = `admin.${seed.zoneName}`;
    const error = await failure(createRoute53Reader(optionsFor([{ name }])).describeWeights());
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3407', category: 'invalid-input' });
    const zones = [seed.hostedZoneId, twinId];
    expect([
      `${name} has traffic policy instances in 2 hosted zones (${zones.join(', ')})`,
      `${name} has traffic policy instances in 2 hosted zones (${zones.reverse().join(', ')})`,
    ]).toContain(error.message);
    expect(error.hint).toBe(`add hostedZoneId to route53.trafficFlow.instances for ${name}`);
    // With the zone it is found.
    const [target] = await createRoute53Reader(
      optionsFor([{ name, hostedZoneId: seed.hostedZoneId }]),
    ).describeWeights();
    expect(target?.id).toBe(seed.trafficPolicyInstanceIds[0]);
  });

  it('one instance read by id: the same record the list gives', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const session = route53Session(optionsFor([id]));
    emu.control.log.clear();
    const instance = await new TrafficFlow(session).getInstance(id);
    expect(instance).toMatchObject({
      id,
      name: `admin.${seed.zoneName}`,
      state: 'Applied',
      version: 1,
      ttl: 120,
    });
    expect(ops()).toEqual(['GetTrafficPolicyInstance']);
  });

  it('without route53.trafficFlow, Traffic Flow mode says what to add', () => {
    const config = Config.parse({ aws: { region: 'sa-east-1' }, route53: { endpoint: emu.url } });
    const session = route53Session({ config, env: {}, redactor: new Redactor(), runId: 'r' });
    expect(() => new TrafficFlow(session)).toThrow(
      expect.objectContaining({
        code: 'FO_ROUTE53_E3400',
        message: 'route53.mode is traffic-flow but route53.trafficFlow is missing',
        hint: expect.stringMatching(/add route53\.trafficFlow \(instances, roles\)/),
      }),
    );
  });
});

describe('a new document that would be rejected', () => {
  it('lists every problem, each named, joined in the message and given one by one', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const error = await failure(createRoute53Reader(optionsFor([id])).planWeights({ gcp: 256, aws: 300 }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3410', category: 'invalid-input' });
    expect(error.problems.map((p) => p.message)).toEqual([
      'Rules.split.Items[0].Weight must be an integer from 0 to 255 (got "256")',
      'Rules.split.Items[1].Weight must be an integer from 0 to 255 (got "300")',
    ]);
    expect(error.message).toBe(
      `traffic policy instance ${id} (admin.${seed.zoneName}): the new version of traffic policy ${seed.trafficPolicyId} would be rejected: ` +
        error.problems.map((p) => p.message).join('; '),
    );
    expect(mutating()).toEqual([]);
  });
});

describe('Failed instances before a change', () => {
  it('status shows the Failed message; a plan refuses, naming the version and the message', async () => {
    scenarios += 1;
    emu.control.injectFault('policy-instance-failed', { operation: 'CreateTrafficPolicyInstance', count: 1 });
    const seed = seedWriteupScenario(emu.model, {
      zoneName: `f${scenarios}.example.io.`,
      policyName: `failed-${scenarios}`,
    });
    emu.control.clearFaults();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const message = emu.model.getTrafficPolicyInstance(id).Message;
    expect(message).toMatch(/injected fault/);
    const reader = createRoute53Reader(optionsFor([id]));
    const [target] = await reader.describeWeights();
    expect(target).toMatchObject({ state: 'Failed', detail: { message } });
    const error = await failure(reader.planWeights({ gcp: 0, aws: 255 }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3409', category: 'step-failed' });
    expect(error.message).toBe(
      `traffic policy instance ${id} (admin.${seed.zoneName}) is Failed (version 1 of policy ${seed.trafficPolicyId}): ${message}`,
    );
    expect(error.hint).toBe(
      'Route 53 still answers with the last version it applied. Fix the cause, then point the instance at a ' +
        'good version (`aws route53 update-traffic-policy-instance …`) or roll the failed run back, and run again',
    );
  });

  it('an Applied instance has no message in its status; a Failed one without a message says so', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const reader = createRoute53Reader(optionsFor([id]));
    const [target] = await reader.describeWeights();
    expect(target?.detail).not.toHaveProperty('message');
    emu.model.reportInstanceState(id, 'Failed', 1);
    const error = await failure(reader.planWeights({ gcp: 0, aws: 255 }));
    expect(error.message).toMatch(/is Failed \(version 1 of policy .*\): no message$/);
  });
});

describe('a fleet', () => {
  it('on one version: one new version, all pointed at it together, one progress line each way', async () => {
    const seed = scenario(3);
    const options = optionsFor(seed.trafficPolicyInstanceIds);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 26, aws: 229 });
    expect(plan.changes.map((c) => c.converged)).toEqual([false, false, false]);
    expect(plan.changes[2]?.diff).toContain(
      `+++ traffic policy ${seed.trafficPolicyId} new version (gcp 26 (10.2%) / aws 229 (89.8%))`,
    );
    emu.control.knobs.propagationDelayMs = 60;
    emu.control.log.clear();
    const progress: string[] = [];
    const applied = await createRoute53Writer(options).applyWeights(plan, {
      comment: 'fleet',
      onProgress: (m) => progress.push(m),
    });
    expect(mutating()).toEqual([
      'CreateTrafficPolicyVersion',
      'UpdateTrafficPolicyInstance',
      'UpdateTrafficPolicyInstance',
      'UpdateTrafficPolicyInstance',
    ]);
    expect(progress[0]).toBe(
      `created version 2 of traffic policy ${seed.trafficPolicyId} (gcp 26 (10.2%) / aws 229 (89.8%))`,
    );
    expect(progress[1]).toBe(
      `updating 3 traffic policy instances to version 2 of policy ${seed.trafficPolicyId}`,
    );
    expect(progress.at(-1)).toBe('3 traffic policy instances Applied');
    for (const id of seed.trafficPolicyInstanceIds) {
      expect(applied.summary[id]).toEqual({ policyId: seed.trafficPolicyId, version: 2, previousVersion: 1 });
      expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
        State: 'Applied',
        TrafficPolicyVersion: 2,
        TTL: 120,
      });
    }
  });

  it('on two policies: a version each; the way back points each at its own version', async () => {
    const first = scenario();
    const second = scenario();
    const ids = [...first.trafficPolicyInstanceIds, ...second.trafficPolicyInstanceIds];
    const options = optionsFor(ids);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const applied = await createRoute53Writer(options).applyWeights(plan, { comment: 'two' });
    expect(mutating()).toEqual([
      'CreateTrafficPolicyVersion',
      'UpdateTrafficPolicyInstance',
      'CreateTrafficPolicyVersion',
      'UpdateTrafficPolicyInstance',
    ]);
    emu.control.knobs.propagationDelayMs = 40;
    emu.control.log.clear();
    const progress: string[] = [];
    await createRoute53Writer(options).restoreWeights(applied.undo, {
      comment: 'back',
      onProgress: (m) => progress.push(m),
    });
    expect(progress[0]).toBe('updating 2 traffic policy instances to 2 policy versions');
    expect(progress.at(-1)).toBe('2 traffic policy instances Applied');
    // The two instances are on different versions: no list to share, each read on its own.
    expect(count('ListTrafficPolicyInstancesByPolicy')).toBe(0);
    for (const id of ids) {
      expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
        State: 'Applied',
        TrafficPolicyVersion: 1,
      });
    }
  });

  it('a restore with nothing recorded sends nothing', async () => {
    scenario();
    emu.control.log.clear();
    const writer = createRoute53Writer(optionsFor(['placeholder']));
    await writer.restoreWeights({ mode: 'traffic-flow', instances: [] }, { comment: 'none' });
    await writer.restoreWeights({ mode: 'traffic-flow' }, { comment: 'none' });
    expect(ops()).toEqual([]);
  });

  it('an update refused among others: the others are still waited out, then the refusal is the error', async () => {
    const seed = scenario(2);
    const options = optionsFor(seed.trafficPolicyInstanceIds);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.knobs.propagationDelayMs = 80;
    emu.control.injectFault('server-error', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    emu.control.log.clear();
    const error = await failure(createRoute53Writer(options).applyWeights(plan, { comment: 'one refused' }));
    expect(error.message).toMatch(/^Route 53: .*traffic policy instance [0-9a-f-]+ \(admin(-2)?\./);
    const states = seed.trafficPolicyInstanceIds.map((id) => emu.model.getTrafficPolicyInstance(id));
    // One was updated and waited for until Applied on version 2; the other stayed on version 1.
    expect(states.map((s) => `${s.State} ${s.TrafficPolicyVersion}`).sort()).toEqual([
      'Applied 1',
      'Applied 2',
    ]);
    expect(count('GetTrafficPolicyInstance')).toBeGreaterThanOrEqual(2);
  });
});

describe('instances that change between the plan and the change', () => {
  it('moved to another version: refused before any version is created', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor([id]);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const v2 = emu.model.createTrafficPolicyVersion(seed.trafficPolicyId, {
      Document: emu.model.getTrafficPolicy(seed.trafficPolicyId, 1).Document,
    });
    emu.model.updateTrafficPolicyInstance(id, {
      TTL: 120,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: v2.Version,
    });
    emu.model.completePropagation();
    emu.control.log.clear();
    const error = await failure(createRoute53Writer(options).applyWeights(plan, { comment: 'late' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3411', retryable: false });
    expect(error.hint).toBe(
      'someone else changed it; check who, then run again (the new plan starts from the current version)',
    );
    expect(error.message).toBe(
      `traffic policy instance ${id} (admin.${seed.zoneName}) changed since the plan: it now uses version 2 of policy ${seed.trafficPolicyId}, the plan was made from version 1 of ${seed.trafficPolicyId}`,
    );
    expect(mutating()).toEqual([]);
  });

  it('Failed on the planned version: refused with its message', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor([id]);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.injectFault('policy-instance-failed', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    emu.model.updateTrafficPolicyInstance(id, {
      TTL: 120,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    });
    emu.model.completePropagation();
    emu.control.clearFaults();
    const message = emu.model.getTrafficPolicyInstance(id).Message;
    emu.control.log.clear();
    const error = await failure(createRoute53Writer(options).applyWeights(plan, { comment: 'late' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3409' });
    expect(error.message).toBe(
      `traffic policy instance ${id} (admin.${seed.zoneName}) is Failed: ${message}`,
    );
    expect(error.hint).toBe('point the instance at a good version first, then run again');
    expect(mutating()).toEqual([]);
  });
});

describe('what Route 53 answers to a new version', () => {
  async function planned(seed: WriteupSeed) {
    const options = optionsFor(seed.trafficPolicyInstanceIds);
    return { options, plan: await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 }) };
  }

  it('a policy at 1,000 versions: says so and how to go on', async () => {
    const seed = scenario();
    const { options, plan } = await planned(seed);
    const document = emu.model.getTrafficPolicy(seed.trafficPolicyId, 1).Document;
    for (let n = 2; n <= 1000; n++)
      emu.model.createTrafficPolicyVersion(seed.trafficPolicyId, { Document: document });
    const error = await failure(createRoute53Writer(options).applyWeights(plan, { comment: 'full' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3412', category: 'step-failed' });
    expect(error.message).toBe(`traffic policy ${seed.trafficPolicyId} has 1,000 versions, the maximum`);
    expect(error.hint).toMatch(/^create a new traffic policy from the latest document/);
  });

  it('a document Route 53 rejects is an input error naming its reason', async () => {
    const seed = scenario();
    const { options, plan } = await planned(seed);
    const { client } = clientAnswering(1, () => {
      throw serviceError('InvalidTrafficPolicyDocument', 'health check 1234 does not exist');
    });
    const error = await failure(createRoute53Writer(options, client).applyWeights(plan, { comment: 'bad' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3410', category: 'invalid-input' });
    expect(error.message).toBe(
      `traffic policy ${seed.trafficPolicyId}: Route 53 rejected the new version: health check 1234 does not exist`,
    );
    expect(error.hint).toMatch(/passed the client-side checks/);
    client.destroy();
  });

  it('an answer without a version number is an error, not version undefined', async () => {
    const seed = scenario();
    const { options, plan } = await planned(seed);
    const { client } = clientAnswering(1, () => ({ output: { $metadata: {} }, response: {} }));
    const error = await failure(createRoute53Writer(options, client).applyWeights(plan, { comment: 'odd' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3405' });
    expect(error.message).toBe(`traffic policy ${seed.trafficPolicyId}: no version in the answer`);
    expect(mutating()).toEqual([]);
    client.destroy();
  });

  it('ConcurrentModification twice: tried once more only, then a Route 53 error', async () => {
    const seed = scenario();
    const { options, plan } = await planned(seed);
    const { client, calls } = clientAnswering(2, () => {
      throw serviceError('ConcurrentModification', 'Another request is modifying this traffic policy.');
    });
    const error = await failure(createRoute53Writer(options, client).applyWeights(plan, { comment: 'busy' }));
    expect(calls()).toBe(2);
    expect(error.code).not.toBe('FO_ROUTE53_E3411');
    expect(error.message).toMatch(new RegExp(`^Route 53: .*traffic policy ${seed.trafficPolicyId}`));
    expect(mutating()).toEqual([]);
    client.destroy();
  });

  it('ConcurrentModification while an instance was moved: refused, naming where it went', async () => {
    const seed = scenario(2);
    const { options, plan } = await planned(seed);
    const moved = seed.trafficPolicyInstanceIds[1] as string;
    const { client, calls } = clientAnswering(1, () => {
      // The other writer's change: a version 2, and the second instance on it.
      const v2 = emu.model.createTrafficPolicyVersion(seed.trafficPolicyId, {
        Document: emu.model.getTrafficPolicy(seed.trafficPolicyId, 1).Document,
      });
      emu.model.updateTrafficPolicyInstance(moved, {
        TTL: 120,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: v2.Version,
      });
      emu.model.completePropagation();
      throw serviceError('ConcurrentModification', 'Another request is modifying this traffic policy.');
    });
    const error = await failure(createRoute53Writer(options, client).applyWeights(plan, { comment: 'race' }));
    expect(calls()).toBe(1);
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3411' });
    expect(error.message).toBe(
      `traffic policy instance ${moved} (admin-2.${seed.zoneName}) moved to version 2 of policy ${seed.trafficPolicyId} while this run was changing it`,
    );
    expect(error.hint).toBe('another change is in progress: check who, then run again');
    expect(mutating()).toEqual([]);
    client.destroy();
  });
});
