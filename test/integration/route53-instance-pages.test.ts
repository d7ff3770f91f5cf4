/**
 * Edges of the bulk instance reads and of the joint wait, against the Route 53 emulator with the
 * real @aws-sdk/client-route-53: a page of the instance lists that ends between the A and the
 * AAAA instance of one name (Route 53 then answers a type marker, which the next call must send
 * back, or the A instance comes twice), the first poll of the wait (at once, never after a poll
 * interval), and which still-pending instance the wait's progress and time-out name.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { InstanceReader, toInstance } from '../../src/providers/route53/instances.js';
import { route53Session } from '../../src/providers/route53/session.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';
import { failure } from '../support/failure.js';
import { useRoute53Emulator } from '../support/route53-emulator.js';

let emu: Route53Emulator;
let zones = 0;

useRoute53Emulator((started) => {
  emu = started;
});

afterEach(() => {
  vi.restoreAllMocks();
});

function fleet(instances: number, settle = true): WriteupSeed {
  zones += 1;
  return seedWriteupScenario(emu.model, {
    zoneName: `pages${zones}.example.net.`,
    policyName: `pages-${zones}`,
    instances,
    settle,
  });
}

function reader(on: { url: string }, pollIntervalS = 0.05): InstanceReader {
  const config = Config.parse({
    aws: { region: 'ap-southeast-2' },
    route53: {
      endpoint: on.url,
      trafficFlow: {
        instances: ['placeholder'],
        roles: { gcp: 'gke', aws: 'aws' },
        pollInterval: pollIntervalS,
      },
      rateLimit: { perSecond: 1000, burst: 1000 },
    },
  });
  const options: AdapterOptions = { config, env: {}, redactor: new Redactor(), runId: 'run-pages' };
  return new InstanceReader(route53Session(options), pollIntervalS);
}

/** A single-endpoint policy of this record type. */
function policyOf(on: Route53Emulator, name: string, recordType: 'A' | 'AAAA'): string {
  const value = recordType === 'A' ? '198.51.100.7' : '2001:db8::7';
  return on.model.createTrafficPolicy({
    Name: name,
    Document: JSON.stringify({
      AWSPolicyFormatVersion: '2015-10-01',
      RecordType: recordType,
      Endpoints: { only: { Type: 'value', Value: value } },
      StartEndpoint: 'only',
    }),
  }).Id;
}

describe('instance lists whose page ends between two record types of one name', () => {
  /**
   * One zone in an emulator of its own (the account list then holds nothing else): `a` (A only),
   * then `h-001` … `h-060` with an A and an AAAA instance each. Lists sort by zone, name, type, so
   * the first page of 100 ends on the A instance of `h-050` and the second starts at its AAAA one.
   */
  async function dualStackZone(on: Route53Emulator) {
    const zone = on.model.createHostedZone({ Name: 'dual.example.test.', CallerReference: 'dual-stack' });
    const zoneId = zone.HostedZone.Id.replace('/hostedzone/', '');
    const v4 = policyOf(on, 'dual-v4', 'A');
    const v6 = policyOf(on, 'dual-v6', 'AAAA');
    const create = (name: string, policyId: string) =>
      on.model.createTrafficPolicyInstance({
        HostedZoneId: zoneId,
        Name: `${name}.dual.example.test.`,
        TTL: 30,
        TrafficPolicyId: policyId,
        TrafficPolicyVersion: 1,
      });
    const ids = [create('a', v4).Id];
    for (let n = 1; n <= 60; n++) {
      const host = `h-${String(n).padStart(3, '0')}`;
      ids.push(create(host, v4).Id, create(host, v6).Id);
    }
    on.model.completePropagation();
    return { zoneId, ids, v4, v6 };
  }

  it('the account list and the zone list send the type marker back: every instance once', async () => {
    const own = await startRoute53Emulator({ rateLimit: false });
    try {
      const { zoneId, ids } = await dualStackZone(own);
      // The boundary really is between the two types of h-050.
      const first = own.model.listTrafficPolicyInstances({ maxItems: 100 });
      expect(first.items.at(-1)).toMatchObject({ Name: 'h-050.dual.example.test.', TrafficPolicyType: 'A' });
      expect(first.next).toMatchObject({ name: 'h-050.dual.example.test.', type: 'AAAA' });

      const all = await reader(own).list({ kind: 'account' });
      expect(all).toHaveLength(121);
      expect(all.map((i) => i.id).sort()).toEqual([...ids].sort());
      const h050 = all.filter((i) => i.name === 'h-050.dual.example.test.');
      expect(h050.map((i) => i.type).sort()).toEqual(['A', 'AAAA']);

      const inZone = await reader(own).list({ kind: 'zone', hostedZoneId: zoneId });
      expect(inZone).toHaveLength(121);
      expect(new Set(inZone.map((i) => i.id)).size).toBe(121);
      expect(own.control.log.operations()).toEqual([
        'ListTrafficPolicyInstances',
        'ListTrafficPolicyInstances',
        'ListTrafficPolicyInstancesByHostedZone',
        'ListTrafficPolicyInstancesByHostedZone',
      ]);
    } finally {
      await own.close();
    }
  });

  it('the list of one policy version pages across hosted zones with the zone and name markers', async () => {
    const own = await startRoute53Emulator({ rateLimit: false });
    try {
      const policyId = policyOf(own, 'two-zones', 'A');
      const ids: string[] = [];
      for (const zoneName of ['east.example.test.', 'west.example.test.']) {
        const zone = own.model.createHostedZone({ Name: zoneName, CallerReference: zoneName });
        for (let n = 1; n <= 70; n++) {
          const instance = own.model.createTrafficPolicyInstance({
            HostedZoneId: zone.HostedZone.Id,
            Name: `api-${n}.${zoneName}`,
            TTL: 30,
            TrafficPolicyId: policyId,
            TrafficPolicyVersion: 1,
          });
          ids.push(instance.Id);
        }
      }
      const listed = await reader(own).list({ kind: 'policy', policyId, version: 1 });
      expect(listed).toHaveLength(140);
      expect(listed.map((i) => i.id).sort()).toEqual([...ids].sort());
      expect(own.control.log.operations()).toEqual([
        'ListTrafficPolicyInstancesByPolicy',
        'ListTrafficPolicyInstancesByPolicy',
      ]);
    } finally {
      await own.close();
    }
  });
});

describe('the first poll of the joint wait', () => {
  it('is sent at once, not after a poll interval: settled instances end the wait in one read', async () => {
    const seed = fleet(2);
    const started = Date.now();
    // A poll interval of 4 s: waiting it out before the first read would show in the elapsed time.
    const settled = await reader(emu, 4).waitAll(seed.trafficPolicyInstanceIds, undefined, {});
    expect(Date.now() - started).toBeLessThan(2000);
    expect(settled.size).toBe(2);
    expect(emu.control.log.operations()).toEqual(['GetTrafficPolicyInstance', 'GetTrafficPolicyInstance']);
  });

  it('an already-aborted run fails on the first read (naming the instance), not in a sleep', async () => {
    const seed = fleet(1);
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const aborted = new AbortController();
    aborted.abort();
    const error = await failure(reader(emu).waitAll([id], undefined, { signal: aborted.signal }));
    expect(error.message).toBe(`Route 53: call for traffic policy instance ${id} was interrupted`);
  });
});

describe('the still-pending instance the wait names', () => {
  /** Two instances: the first Applied, the second Updating for a minute. */
  function oneBusy(): { done: string; busy: string; seed: WriteupSeed } {
    const seed = fleet(2);
    const [done, busy] = seed.trafficPolicyInstanceIds as [string, string];
    emu.control.knobs.propagationDelayMs = 60_000;
    emu.model.updateTrafficPolicyInstance(busy, {
      TTL: 60,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    });
    expect(emu.model.getTrafficPolicyInstance(busy).State).toBe('Updating');
    expect(emu.model.getTrafficPolicyInstance(done).State).toBe('Applied');
    return { done, busy, seed };
  }

  it('the progress line gives the state of a pending instance, not of one that settled in the same poll', async () => {
    const { done, busy } = oneBusy();
    const progress: string[] = [];
    const controller = new AbortController();
    const error = await failure(
      reader(emu).waitAll([done, busy], undefined, {
        signal: controller.signal,
        onProgress: (m) => {
          progress.push(m);
          controller.abort();
        },
      }),
    );
    expect(error.code).toBe('FO_AWS_E3001');
    expect(progress).toHaveLength(1);
    expect(progress[0]).toMatch(
      /^waiting for Route 53 to apply the pending changes on 1 of 2 traffic policy instances \(Updating, \d+s\)$/,
    );
  });

  it('a time-out on the poll where others settled names the instance still pending', async () => {
    const { done, busy, seed } = oneBusy();
    const shared = reader(emu);
    // The clock jumps 25 minutes just after the wait starts: its very first poll is past the limit.
    const real = Date.now.bind(Date);
    let calls = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => real() + (calls++ > 0 ? 25 * 60_000 : 0));
    const error = await failure(shared.waitAll([done, busy], undefined, {}));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3414', retryable: true });
    expect(error.message).toBe(
      `1 traffic policy instance(s) still not Applied after 25 minutes (e.g. traffic policy instance ${busy} (admin-2.${seed.zoneName}): Updating)`,
    );
  });

  it('progress: once while the clock stands still, again when exactly 10 s have passed', async () => {
    emu.control.knobs.propagationDelayMs = 400;
    const seed = fleet(1, false);
    // A coarse clock: it stands still for the first three polls, then reads exactly 10.001 s later
    // (the first report counts from 1 ms, so that is exactly 10 s after it).
    const base = Date.now();
    const polls = () => emu.control.log.operations().length;
    vi.spyOn(Date, 'now').mockImplementation(() => base + (polls() >= 3 ? 10_001 : 0));
    const progress: string[] = [];
    await reader(emu).waitAll(seed.trafficPolicyInstanceIds, undefined, {
      onProgress: (m) => progress.push(m),
    });
    expect(polls()).toBeGreaterThanOrEqual(4);
    expect(progress).toHaveLength(2);
    expect(progress[0]).toMatch(/\(Creating, 0s\)$/);
    expect(progress[1]).toMatch(/\(Creating, 10s\)$/);
  });

  it('exactly 20 minutes is not yet past the limit: the wait goes on until Applied', async () => {
    emu.control.knobs.propagationDelayMs = 200;
    const seed = fleet(1, false);
    const base = Date.now();
    let calls = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => base + (calls++ > 0 ? 20 * 60_000 : 0));
    const progress: string[] = [];
    const settled = await reader(emu).waitAll(seed.trafficPolicyInstanceIds, undefined, {
      onProgress: (m) => progress.push(m),
    });
    expect([...settled.values()].map((i) => i.state)).toEqual(['Applied']);
    expect(progress[0]).toMatch(/\(Creating, 1200s\)$/);
  });
});

describe('an instance list longer than the page limit', () => {
  /**
   * A loopback stand-in for Route 53 that answers ListTrafficPolicyInstances(ByPolicy) with one
   * instance a page and a marker that moves on every page, forever (as a runaway list would), and
   * records each query string. Only this can show the page limit: the emulator would need 20,000
   * instances.
   */
  async function endlessList(): Promise<{ url: string; queries: URLSearchParams[]; close(): Promise<void> }> {
    const queries: URLSearchParams[] = [];
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      queries.push(url.searchParams);
      const n = queries.length;
      const root = url.pathname.includes('/trafficpolicy')
        ? 'ListTrafficPolicyInstancesByPolicyResponse'
        : 'ListTrafficPolicyInstancesResponse';
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="https://route53.amazonaws.com/doc/2013-04-01/">` +
          '<TrafficPolicyInstances><TrafficPolicyInstance>' +
          `<Id>endless-${n}</Id><HostedZoneId>ZENDLESS${n % 3}</HostedZoneId><Name>n-${n}.endless.test.</Name>` +
          '<TTL>60</TTL><State>Applied</State><Message></Message><TrafficPolicyId>p-endless</TrafficPolicyId>' +
          '<TrafficPolicyVersion>4</TrafficPolicyVersion><TrafficPolicyType>AAAA</TrafficPolicyType>' +
          '</TrafficPolicyInstance></TrafficPolicyInstances>' +
          `<HostedZoneIdMarker>ZENDLESS${(n + 1) % 3}</HostedZoneIdMarker>` +
          `<TrafficPolicyInstanceNameMarker>n-${n + 1}.endless.test.</TrafficPolicyInstanceNameMarker>` +
          `<TrafficPolicyInstanceTypeMarker>${n % 2 ? 'AAAA' : 'A'}</TrafficPolicyInstanceTypeMarker>` +
          `<IsTruncated>true</IsTruncated><MaxItems>1</MaxItems></${root}>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      queries,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  it('stops after 200 pages with an error that says so and what to give instead', async () => {
    const endless = await endlessList();
    try {
      const error = await failure(
        reader(endless).list({ kind: 'policy', policyId: 'p-endless', version: 4 }),
      );
      expect(error).toMatchObject({ code: 'FO_ROUTE53_E3408', category: 'step-failed' });
      expect(error.message).toBe(
        'traffic policy instances of policy p-endless version 4: more than 200 pages',
      );
      expect(error.hint).toBe('give the instance ids (or hostedZoneId) in route53.trafficFlow.instances');
      expect(endless.queries).toHaveLength(200);
      // Each call after the first sends back the three markers of the answer before it.
      expect(Object.fromEntries(endless.queries[0] as URLSearchParams)).toEqual({
        id: 'p-endless',
        version: '4',
      });
      expect(Object.fromEntries(endless.queries[1] as URLSearchParams)).toEqual({
        id: 'p-endless',
        version: '4',
        hostedzoneid: 'ZENDLESS2',
        trafficpolicyinstancename: 'n-2.endless.test.',
        trafficpolicyinstancetype: 'AAAA',
      });
      expect(endless.queries[2]?.get('trafficpolicyinstancetype')).toBe('A');
      expect(endless.queries[199]?.get('trafficpolicyinstancename')).toBe('n-200.endless.test.');
    } finally {
      await endless.close();
    }
  });
});

describe('the pace of the wait', () => {
  it('polls once per poll interval: 0.2 s over a 500 ms propagation is a handful of reads', async () => {
    emu.control.knobs.propagationDelayMs = 500;
    const seed = fleet(1, false);
    const started = Date.now();
    const settled = await reader(emu, 0.2).waitAll(seed.trafficPolicyInstanceIds, undefined, {});
    expect([...settled.values()].map((i) => i.state)).toEqual(['Applied']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    const reads = emu.control.log.operations().length;
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(5);
  });
});

describe('an instance record without a hosted zone', () => {
  it('reads as an empty zone id, not as something made up', () => {
    expect(
      toInstance(
        { Id: 'i-9', TrafficPolicyId: 'p', TrafficPolicyVersion: 1, Name: 'x.example.' } as never,
        'x',
      ).hostedZoneId,
    ).toBe('');
  });
});
