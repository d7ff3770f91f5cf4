/**
 * Reading traffic policy instances in bulk, and the joint wait for Applied, against the Route 53
 * emulator with the real @aws-sdk/client-route-53: a few ids are read one by one, more from the
 * account's list (paged with Route 53's markers), each list scope uses its own operation, and the
 * joint wait polls the list of the version the instances were pointed at. The emulator's request
 * log says which operations were sent.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { FailoverError } from '../../src/engine/errors.js';
import { Redactor } from '../../src/engine/redact.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { InstanceReader, isSettled, label, toInstance } from '../../src/providers/route53/instances.js';
import { route53Session } from '../../src/providers/route53/session.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';
import { failure } from '../support/failure.js';
import { useRoute53Emulator } from '../support/route53-emulator.js';

let emu: Route53Emulator;
let zones = 0;

useRoute53Emulator((started) => {
  emu = started;
});

function fleet(instances: number, settle = true): WriteupSeed {
  zones += 1;
  return seedWriteupScenario(emu.model, {
    zoneName: `fleet${zones}.example.org.`,
    policyName: `fleet-${zones}`,
    instances,
    settle,
  });
}

function reader(): InstanceReader {
  const config = Config.parse({
    aws: { region: 'eu-central-1' },
    route53: {
      endpoint: emu.url,
      trafficFlow: { instances: ['placeholder'], roles: { gcp: 'gke', aws: 'aws' }, pollInterval: 0.05 },
      rateLimit: { perSecond: 1000, burst: 1000 },
    },
  });
  const options: AdapterOptions = { config, env: {}, redactor: new Redactor(), runId: 'run-reads' };
  return new InstanceReader(route53Session(options), 0.05);
}

const ops = () => emu.control.log.operations();
const count = (operation: string) => ops().filter((o) => o === operation).length;

describe('reading instances by id', () => {
  it('up to three ids: one GetTrafficPolicyInstance each, in the order asked, repeats kept', async () => {
    const seed = fleet(3);
    const [a, b] = seed.trafficPolicyInstanceIds as [string, string];
    const read = await reader().byIds([b, a, b]);
    expect(read.map((i) => i.id)).toEqual([b, a, b]);
    expect(read[1]).toMatchObject({
      hostedZoneId: seed.hostedZoneId,
      name: `admin.${seed.zoneName}`,
      state: 'Applied',
      policyId: seed.trafficPolicyId,
      version: 1,
      type: 'A',
    });
    expect(ops()).toEqual(['GetTrafficPolicyInstance', 'GetTrafficPolicyInstance']);
  });

  it('more than three ids: read from the account list, with no single reads', async () => {
    const seed = fleet(6);
    const ids = seed.trafficPolicyInstanceIds.slice(1, 6).reverse();
    const read = await reader().byIds(ids);
    expect(read.map((i) => i.id)).toEqual(ids);
    expect(read.every((i) => i.policyId === seed.trafficPolicyId && i.state === 'Applied')).toBe(true);
    expect(count('ListTrafficPolicyInstances')).toBeGreaterThanOrEqual(1);
    expect(count('GetTrafficPolicyInstance')).toBe(0);
  });

  it('an id the list does not hold is read on its own and fails as not found, naming it', async () => {
    const seed = fleet(4);
    const ids = [...seed.trafficPolicyInstanceIds, 'not-an-instance-0000'];
    const error = await failure(reader().byIds(ids));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3406' });
    expect(error.message).toBe('traffic policy instance not-an-instance-0000 not found');
    expect(error.hint).toMatch(/route53\.trafficFlow\.instances/);
    expect(ops().filter((o) => o === 'GetTrafficPolicyInstance')).toHaveLength(1);
  });
  it('exactly three ids are still read one by one', async () => {
    const seed = fleet(3);
    const ids = seed.trafficPolicyInstanceIds;
    const read = await reader().byIds([...ids, ids[0] as string]);
    expect(read.map((i) => i.id)).toEqual([...ids, ids[0]]);
    expect(ops()).toEqual([
      'GetTrafficPolicyInstance',
      'GetTrafficPolicyInstance',
      'GetTrafficPolicyInstance',
    ]);
  });

  it('a read that fails for another reason than not found is a Route 53 error, not "not found"', async () => {
    const seed = fleet(1);
    emu.control.injectFault('server-error', { operation: 'GetTrafficPolicyInstance', count: 10 });
    try {
      const error = await failure(reader().byIds(seed.trafficPolicyInstanceIds));
      expect(error.code).not.toBe('FO_ROUTE53_E3406');
      expect(error.message).toMatch(/^Route 53: .*traffic policy instance /);
    } finally {
      emu.control.clearFaults();
    }
  });

  it('an aborted run sends no read', async () => {
    const seed = fleet(2);
    const controller = new AbortController();
    controller.abort();
    const error = await failure(reader().byIds(seed.trafficPolicyInstanceIds, controller.signal));
    expect(error.code).toBe('FO_AWS_E3001');
    const listed = await failure(reader().list({ kind: 'account' }, controller.signal));
    expect(listed.message).toBe('Route 53: call for traffic policy instances was interrupted');
    expect(ops()).toEqual([]);
  });
});

describe('listing instances', () => {
  it('a hosted zone of 130 instances is read in full across pages, with its own operation', async () => {
    const seed = fleet(130);
    const listed = await reader().list({ kind: 'zone', hostedZoneId: seed.hostedZoneId });
    expect(new Set(listed.map((i) => i.id))).toEqual(new Set(seed.trafficPolicyInstanceIds));
    expect(listed).toHaveLength(130);
    expect(ops()).toEqual([
      'ListTrafficPolicyInstancesByHostedZone',
      'ListTrafficPolicyInstancesByHostedZone',
    ]);
  });

  it('the account list pages across zones; the policy list holds only that version', async () => {
    const big = fleet(120);
    const small = fleet(2);
    const all = await reader().list({ kind: 'account' });
    const ids = new Set(all.map((i) => i.id));
    for (const id of [...big.trafficPolicyInstanceIds, ...small.trafficPolicyInstanceIds])
      expect(ids.has(id)).toBe(true);
    expect(ids.size).toBe(all.length);
    expect(count('ListTrafficPolicyInstances')).toBeGreaterThanOrEqual(2);
    emu.control.log.clear();
    const ofPolicy = await reader().list({ kind: 'policy', policyId: small.trafficPolicyId, version: 1 });
    expect(ofPolicy.map((i) => i.id).sort()).toEqual([...small.trafficPolicyInstanceIds].sort());
    expect(ops()).toEqual(['ListTrafficPolicyInstancesByPolicy']);
  });

  it('a list that fails names what was listed', async () => {
    const error = await failure(reader().list({ kind: 'zone', hostedZoneId: 'ZNOSUCHZONE0' }));
    expect(error.message).toMatch(/^Route 53: .*traffic policy instances of hosted zone ZNOSUCHZONE0/);
    const policy = await failure(reader().list({ kind: 'policy', policyId: 'no-such-policy', version: 9 }));
    expect(policy.message).toMatch(
      /^Route 53: .*traffic policy instances of policy no-such-policy version 9/,
    );
    emu.control.injectFault('server-error', { operation: 'ListTrafficPolicyInstances', count: 10 });
    try {
      const account = await failure(reader().list({ kind: 'account' }));
      expect(account.message).toMatch(/^Route 53: .*traffic policy instances(?! of)/);
    } finally {
      emu.control.clearFaults();
    }
  });
});

describe('the joint wait for Applied', () => {
  it('many instances pointed at one version: polls that version’s list until all are Applied', async () => {
    emu.control.knobs.propagationDelayMs = 400;
    const seed = fleet(5, false);
    const ids = seed.trafficPolicyInstanceIds;
    const progress: string[] = [];
    const settled = await reader().waitAll(
      ids,
      { policyId: seed.trafficPolicyId, version: 1 },
      { onProgress: (m) => progress.push(m) },
    );
    expect([...settled.keys()].sort()).toEqual([...ids].sort());
    expect([...settled.values()].every((i) => i.state === 'Applied')).toBe(true);
    // Polled every 50 ms over a 400 ms propagation: a handful of polls, not a busy loop.
    expect(count('ListTrafficPolicyInstancesByPolicy')).toBeGreaterThanOrEqual(2);
    expect(count('ListTrafficPolicyInstancesByPolicy')).toBeLessThanOrEqual(30);
    expect(count('GetTrafficPolicyInstance')).toBe(0);
    expect(progress[0]).toMatch(
      new RegExp(
        `^waiting for Route 53 to apply version 1 of policy ${seed.trafficPolicyId} on 5 of 5 traffic policy instances \\(Creating, \\d+s\\)$`,
      ),
    );
    // Reported once at the start, then at most every 10 s: not on every poll.
    expect(progress).toHaveLength(1);
  });

  it('without a shared version: polls the account list and says "the pending changes"', async () => {
    emu.control.knobs.propagationDelayMs = 300;
    const seed = fleet(4, false);
    const progress: string[] = [];
    const settled = await reader().waitAll(seed.trafficPolicyInstanceIds, undefined, {
      onProgress: (m) => progress.push(m),
    });
    expect(settled.size).toBe(4);
    expect(count('ListTrafficPolicyInstances')).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(
      /^waiting for Route 53 to apply the pending changes on 4 of 4 traffic policy instances \(Creating, \d+s\)$/,
    );
  });

  it('instances missing from the version list (moved elsewhere) are read on their own', async () => {
    const seed = fleet(4);
    const v2 = emu.model.createTrafficPolicyVersion(seed.trafficPolicyId, {
      Document: emu.model.getTrafficPolicy(seed.trafficPolicyId, 1).Document,
    });
    const settled = await reader().waitAll(
      seed.trafficPolicyInstanceIds,
      { policyId: seed.trafficPolicyId, version: v2.Version },
      {},
    );
    expect([...settled.values()].map((i) => [i.state, i.version])).toEqual([
      ['Applied', 1],
      ['Applied', 1],
      ['Applied', 1],
      ['Applied', 1],
    ]);
    expect(ops()).toEqual([
      'ListTrafficPolicyInstancesByPolicy',
      'GetTrafficPolicyInstance',
      'GetTrafficPolicyInstance',
      'GetTrafficPolicyInstance',
      'GetTrafficPolicyInstance',
    ]);
  });

  it('three instances are polled one by one, never from a list', async () => {
    emu.control.knobs.propagationDelayMs = 200;
    const seed = fleet(3, false);
    const settled = await reader().waitAll(seed.trafficPolicyInstanceIds, undefined, {});
    expect(settled.size).toBe(3);
    expect(ops().every((o) => o === 'GetTrafficPolicyInstance')).toBe(true);
  });

  it('one instance: read on its own, named in the progress line', async () => {
    emu.control.knobs.propagationDelayMs = 200;
    const seed = fleet(1, false);
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const progress: string[] = [];
    const settled = await reader().waitAll([id], undefined, { onProgress: (m) => progress.push(m) });
    expect(settled.get(id)?.state).toBe('Applied');
    expect(count('ListTrafficPolicyInstances')).toBe(0);
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatch(
      new RegExp(
        `^traffic policy instance ${id} \\(admin\\.${seed.zoneName.replaceAll('.', '\\.')}\\): waiting for Route 53 to apply the pending change \\(Creating, \\d+s\\)$`,
      ),
    );
  });

  it('an instance already settled ends the wait at once, with no progress line', async () => {
    const seed = fleet(1);
    const progress: string[] = [];
    const settled = await reader().waitAll(seed.trafficPolicyInstanceIds, undefined, {
      onProgress: (m) => progress.push(m),
    });
    expect(settled.size).toBe(1);
    expect(progress).toEqual([]);
    expect(ops()).toEqual(['GetTrafficPolicyInstance']);
  });

  it("an abort during the wait ends it with the run's own reason, or as an interrupted Route 53 wait", async () => {
    emu.control.knobs.propagationDelayMs = 5000;
    const seed = fleet(1, false);
    const interrupted = new FailoverError('FO_ENGINE_E1020', 'aborted', 'interrupted');
    const withReason = new AbortController();
    const error = await failure(
      reader().waitAll(seed.trafficPolicyInstanceIds, undefined, {
        signal: withReason.signal,
        onProgress: () => withReason.abort(interrupted),
      }),
    );
    expect(error).toBe(interrupted);
    const bare = new AbortController();
    const wrapped = await failure(
      reader().waitAll(seed.trafficPolicyInstanceIds, undefined, {
        signal: bare.signal,
        onProgress: () => bare.abort(),
      }),
    );
    expect(wrapped).toMatchObject({ code: 'FO_AWS_E3001' });
    expect(wrapped.message).toBe('Route 53: call for traffic policy instances was interrupted');
    expect(count('GetTrafficPolicyInstance')).toBe(2);
  });
});

describe('the joint wait against the clock', () => {
  function shiftClockFrom(armed: () => boolean, byMs: number): void {
    const real = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => real() + (armed() ? byMs : 0));
  }

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('gives up after 20 minutes, retryable, naming how many and one still pending', async () => {
    emu.control.knobs.propagationDelayMs = 60_000;
    const seed = fleet(1, false);
    const id = seed.trafficPolicyInstanceIds[0] as string;
    let reported = false;
    shiftClockFrom(() => reported, 21 * 60_000);
    const error = await failure(
      reader().waitAll([id], undefined, {
        onProgress: () => {
          reported = true;
        },
      }),
    );
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3414', category: 'step-failed', retryable: true });
    expect(error.message).toBe(
      `1 traffic policy instance(s) still not Applied after 21 minutes (e.g. traffic policy instance ${id} (admin.${seed.zoneName}): Creating)`,
    );
    expect(error.hint).toMatch(/run again once they are Applied/);
  });

  it('reports progress again once 10 s have passed, not before', async () => {
    emu.control.knobs.propagationDelayMs = 400;
    const seed = fleet(1, false);
    const progress: string[] = [];
    shiftClockFrom(() => progress.length > 0, 11_000);
    await reader().waitAll(seed.trafficPolicyInstanceIds, undefined, { onProgress: (m) => progress.push(m) });
    // The first line, then one more as the clock passed 10 s; none on the polls after it.
    expect(progress).toHaveLength(2);
    expect(progress[1]).toMatch(/\(Creating, 11s\)$/);
  });
});

describe('instance records', () => {
  it('an answer without id, policy or version is incomplete; absent fields read as empty', () => {
    expect(() =>
      toInstance({ Id: 'i-1', TrafficPolicyId: 'p' } as never, 'traffic policy instance i-1'),
    ).toThrow('traffic policy instance i-1: Route 53 returned an incomplete traffic policy instance');
    expect(() => toInstance(undefined, 'x')).toThrow(/incomplete/);
    let incomplete: unknown;
    try {
      toInstance({ Id: 'i-1', TrafficPolicyVersion: 1 } as never, 'x');
    } catch (error) {
      incomplete = error;
    }
    expect(incomplete).toMatchObject({ code: 'FO_ROUTE53_E3405', category: 'step-failed' });
    expect(
      toInstance(
        { Id: 'i-1', TrafficPolicyId: 'p', TrafficPolicyVersion: 3, HostedZoneId: '/hostedzone/Z1' } as never,
        'x',
      ),
    ).toEqual({
      id: 'i-1',
      hostedZoneId: 'Z1',
      name: '',
      ttl: 0,
      state: 'Unknown',
      message: '',
      policyId: 'p',
      version: 3,
      type: '',
    });
  });

  it('only Applied and Failed are settled; a label names the DNS name when there is one', () => {
    expect(['Applied', 'Failed'].map(isSettled)).toEqual([true, true]);
    expect(['Creating', 'Updating', 'Deleting', 'applied', ''].map(isSettled)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(label({ id: 'i-1', name: 'admin.example.org.' })).toBe(
      'traffic policy instance i-1 (admin.example.org.)',
    );
    expect(label({ id: 'i-1', name: '' })).toBe('traffic policy instance i-1');
  });
});
