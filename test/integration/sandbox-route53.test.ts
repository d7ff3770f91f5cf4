/**
 * The real @aws-sdk/client-route-53 against the Route 53 emulator over loopback: only the
 * endpoint and the dummy credentials differ from production.
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  CreateTrafficPolicyCommand,
  CreateTrafficPolicyInstanceCommand,
  CreateTrafficPolicyVersionCommand,
  DeleteTrafficPolicyInstanceCommand,
  GetChangeCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  GetHostedZoneCommand,
  GetTrafficPolicyCommand,
  GetTrafficPolicyInstanceCommand,
  ListHealthChecksCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  ListTrafficPoliciesCommand,
  ListTrafficPolicyInstancesByHostedZoneCommand,
  ListTrafficPolicyInstancesByPolicyCommand,
  ListTrafficPolicyInstancesCommand,
  ListTrafficPolicyVersionsCommand,
  type ResourceRecordSet,
  Route53Client,
  type Route53ClientConfig,
  Route53ServiceException,
  type TrafficPolicyInstance,
  UpdateTrafficPolicyInstanceCommand,
  waitUntilResourceRecordSetsChanged,
} from '@aws-sdk/client-route-53';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  validateTrafficPolicyDocument,
  type WriteupSeed,
  writeupPolicyDocument,
} from '../../src/sandbox/route53/index.js';

let emu: Route53Emulator;
let route53: Route53Client;
let seed: WriteupSeed;

function client(overrides: Partial<Route53ClientConfig> = {}): Route53Client {
  return new Route53Client({
    region: 'us-east-1',
    endpoint: emu.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...overrides,
  });
}

/** Runs a call expected to fail and returns the SDK's error. */
async function failure(promise: Promise<unknown>): Promise<Route53ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Route53ServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls GetTrafficPolicyInstance until it is Applied or Failed (at most ~5 s). */
async function waitForInstance(id: string): Promise<TrafficPolicyInstance> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { TrafficPolicyInstance } = await route53.send(new GetTrafficPolicyInstanceCommand({ Id: id }));
    const state = TrafficPolicyInstance?.State;
    if (state === 'Applied' || state === 'Failed') return TrafficPolicyInstance as TrafficPolicyInstance;
    await sleep(50);
  }
  throw new Error(`instance ${id} still in progress`);
}

function weightsOf(document: string): number[] {
  const parsed = JSON.parse(document) as { Rules: { split: { Items: Array<{ Weight: string }> } } };
  return parsed.Rules.split.Items.map((item) => Number(item.Weight));
}

beforeAll(async () => {
  // Throttling has its own tests; the rest should not depend on the request rate.
  emu = await startRoute53Emulator({ rateLimit: false });
  seed = seedWriteupScenario(emu.model);
  route53 = client();
});

afterEach(() => {
  emu.control.knobs.outage = false;
  emu.control.knobs.latencyMs = 0;
  emu.control.knobs.propagationDelayMs = 0;
  emu.control.clearFaults();
  emu.control.log.clear();
  emu.rateLimit.configure(false);
});

afterAll(async () => {
  route53.destroy();
  await emu.close();
});

describe('hosted zones', () => {
  it('creates a zone with SOA and NS records, a PENDING change and four name servers', async () => {
    const created = await route53.send(
      new CreateHostedZoneCommand({
        Name: 'zones.test',
        CallerReference: 'zones-1',
        HostedZoneConfig: { Comment: 'c' },
      }),
    );
    expect(created.HostedZone?.Id).toMatch(/^\/hostedzone\/Z[A-Z0-9]{20}$/);
    expect(created.HostedZone?.Name).toBe('zones.test.');
    expect(created.HostedZone?.Config).toEqual({ Comment: 'c', PrivateZone: false });
    expect(created.HostedZone?.ResourceRecordSetCount).toBe(2);
    expect(created.ChangeInfo?.Id).toMatch(/^\/change\/C[A-Z0-9]{20}$/);
    expect(created.ChangeInfo?.Status).toBe('PENDING');
    expect(created.ChangeInfo?.SubmittedAt).toBeInstanceOf(Date);
    expect(created.DelegationSet?.NameServers).toHaveLength(4);
    expect(created.Location).toBe(`${emu.url}/2013-04-01${created.HostedZone?.Id}`);

    const zoneId = created.HostedZone?.Id as string;
    const got = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
    expect(got.HostedZone?.Id).toBe(zoneId);
    expect(got.DelegationSet?.NameServers).toEqual(created.DelegationSet?.NameServers);

    const records = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(records.ResourceRecordSets?.map((r) => r.Type)).toEqual(['NS', 'SOA']);
  });

  it('rejects a reused caller reference and unknown zones', async () => {
    await route53.send(new CreateHostedZoneCommand({ Name: 'dup.test', CallerReference: 'dup-1' }));
    const dup = await failure(
      route53.send(new CreateHostedZoneCommand({ Name: 'dup.test', CallerReference: 'dup-1' })),
    );
    expect(dup.name).toBe('HostedZoneAlreadyExists');
    expect(dup.$metadata.httpStatusCode).toBe(409);

    const missing = await failure(route53.send(new GetHostedZoneCommand({ Id: 'ZNOSUCHZONE' })));
    expect(missing.name).toBe('NoSuchHostedZone');
    expect(missing.$metadata.httpStatusCode).toBe(404);

    const invalid = await failure(
      route53.send(new CreateHostedZoneCommand({ Name: 'bad..name', CallerReference: 'x' })),
    );
    expect(invalid.name).toBe('InvalidDomainName');
  });

  it('pages ListHostedZones by marker and orders ListHostedZonesByName by reversed labels', async () => {
    const first = await route53.send(new ListHostedZonesCommand({ MaxItems: 1 }));
    expect(first.HostedZones).toHaveLength(1);
    expect(first.IsTruncated).toBe(true);
    expect(first.MaxItems).toBe(1);
    const all = await route53.send(new ListHostedZonesCommand({}));
    const second = await route53.send(new ListHostedZonesCommand({ Marker: first.NextMarker, MaxItems: 1 }));
    expect(second.HostedZones?.[0]?.Id).toBe(all.HostedZones?.[1]?.Id);

    await route53.send(new CreateHostedZoneCommand({ Name: 'a.zzz.test', CallerReference: 'order-1' }));
    await route53.send(new CreateHostedZoneCommand({ Name: 'b.aaa.test', CallerReference: 'order-2' }));
    const byName = await route53.send(new ListHostedZonesByNameCommand({ DNSName: 'aaa.test' }));
    const names = byName.HostedZones?.map((z) => z.Name) ?? [];
    expect(names.indexOf('b.aaa.test.')).toBeLessThan(names.indexOf('a.zzz.test.'));
    expect(names).not.toContain('example.com.');
    expect(byName.DNSName).toBe('aaa.test');

    const paged = await route53.send(new ListHostedZonesByNameCommand({ MaxItems: 1 }));
    expect(paged.IsTruncated).toBe(true);
    const next = await route53.send(
      new ListHostedZonesByNameCommand({
        DNSName: paged.NextDNSName,
        HostedZoneId: paged.NextHostedZoneId,
        MaxItems: 1,
      }),
    );
    expect(next.HostedZones?.[0]?.Id).toBe(`/hostedzone/${paged.NextHostedZoneId}`);
  });
});

describe('record sets', () => {
  let zoneId: string;
  const weighted = (id: string, weight: number, value: string): ResourceRecordSet => ({
    Name: 'www.records.test',
    Type: 'A',
    SetIdentifier: id,
    Weight: weight,
    TTL: 60,
    ResourceRecords: [{ Value: value }],
  });

  beforeAll(async () => {
    const zone = await route53.send(
      new CreateHostedZoneCommand({ Name: 'records.test', CallerReference: 'records' }),
    );
    zoneId = zone.HostedZone?.Id as string;
  });

  it('UPSERTs weighted records, propagates PENDING → INSYNC, and the SDK waiter sees INSYNC', async () => {
    emu.control.knobs.propagationDelayMs = 600;
    const changed = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: 'split',
          Changes: [
            { Action: 'UPSERT', ResourceRecordSet: weighted('gke', 255, '203.0.113.10') },
            { Action: 'UPSERT', ResourceRecordSet: weighted('aws', 0, '203.0.113.20') },
          ],
        },
      }),
    );
    expect(changed.ChangeInfo?.Status).toBe('PENDING');
    expect(changed.ChangeInfo?.Comment).toBe('split');
    const changeId = changed.ChangeInfo?.Id as string;

    const pending = await route53.send(new GetChangeCommand({ Id: changeId }));
    expect(pending.ChangeInfo?.Status).toBe('PENDING');

    const started = Date.now();
    const waited = await waitUntilResourceRecordSetsChanged(
      { client: route53, maxWaitTime: 10, minDelay: 1, maxDelay: 1 },
      { Id: changeId },
    );
    expect(waited.state).toBe('SUCCESS');
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    const insync = await route53.send(new GetChangeCommand({ Id: changeId }));
    expect(insync.ChangeInfo?.Status).toBe('INSYNC');

    const listed = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: 'www.records.test' }),
    );
    expect(listed.ResourceRecordSets).toEqual([
      { ...weighted('aws', 0, '203.0.113.20'), Name: 'www.records.test.' },
      { ...weighted('gke', 255, '203.0.113.10'), Name: 'www.records.test.' },
    ]);
  });

  it('pages ListResourceRecordSets with StartRecordName/Type/Identifier and MaxItems', async () => {
    const seen: string[] = [];
    let next: { name?: string; type?: string; identifier?: string } = {};
    for (let page = 0; page < 10; page++) {
      const result = await route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          MaxItems: 1,
          StartRecordName: next.name,
          StartRecordType: next.type as ResourceRecordSet['Type'],
          StartRecordIdentifier: next.identifier,
        }),
      );
      for (const r of result.ResourceRecordSets ?? [])
        seen.push(`${r.Name} ${r.Type} ${r.SetIdentifier ?? '-'}`);
      if (!result.IsTruncated) break;
      next = {
        name: result.NextRecordName,
        type: result.NextRecordType,
        identifier: result.NextRecordIdentifier,
      };
    }
    expect(seen).toEqual([
      'records.test. NS -',
      'records.test. SOA -',
      'www.records.test. A aws',
      'www.records.test. A gke',
    ]);
  });

  it('rejects CREATE of an existing record and DELETE of a missing one, all or nothing', async () => {
    const error = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              { Action: 'CREATE', ResourceRecordSet: { ...weighted('new', 10, '203.0.113.30') } },
              { Action: 'CREATE', ResourceRecordSet: weighted('gke', 255, '203.0.113.10') },
              { Action: 'DELETE', ResourceRecordSet: { ...weighted('gone', 1, '203.0.113.40') } },
            ],
          },
        }),
      ),
    );
    expect(error.name).toBe('InvalidChangeBatch');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      "[Tried to create resource record set [name='www.records.test.', type='A', set-identifier='gke'] but it already exists, " +
        "Tried to delete resource record set [name='www.records.test.', type='A', set-identifier='gone'] but it was not found]",
    );
    const listed = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(listed.ResourceRecordSets?.map((r) => r.SetIdentifier)).not.toContain('new');
  });

  it.each([
    {
      what: 'a weighted record without SetIdentifier',
      record: {
        Name: 'w.records.test',
        Type: 'A',
        Weight: 1,
        TTL: 60,
        ResourceRecords: [{ Value: '203.0.113.1' }],
      },
      code: 'InvalidInput',
      message:
        "Invalid request: Missing field 'SetIdentifier' in Change with [Action=CREATE, Name=w.records.test., Type=A, SetIdentifier=null]",
    },
    {
      what: 'a SetIdentifier without Weight',
      record: {
        Name: 'w.records.test',
        Type: 'A',
        SetIdentifier: 'x',
        TTL: 60,
        ResourceRecords: [{ Value: '203.0.113.1' }],
      },
      code: 'InvalidInput',
      message: 'Expected exactly one of [Weight, Region, Failover, GeoLocation',
    },
    {
      what: 'both TTL and AliasTarget',
      record: {
        Name: 'alias.records.test',
        Type: 'A',
        TTL: 60,
        AliasTarget: {
          HostedZoneId: 'Z14GRHDCWA56QT',
          DNSName: 'lb.example.net',
          EvaluateTargetHealth: false,
        },
      },
      code: 'InvalidInput',
      message:
        'Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in Change with [Action=CREATE, Name=alias.records.test., Type=A, SetIdentifier=null]',
    },
    {
      what: 'a weight above 255',
      record: { ...weighted('big', 256, '203.0.113.1') },
      code: 'InvalidInput',
      message: "maxInclusive '255'",
    },
    {
      what: 'a name outside the zone',
      record: { Name: 'www.other.test', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.1' }] },
      code: 'InvalidChangeBatch',
      message: '[RRSet with DNS name www.other.test. is not permitted in zone records.test.]',
    },
    {
      what: 'an A record that is not an IPv4 address',
      record: { Name: 'v.records.test', Type: 'A', TTL: 60, ResourceRecords: [{ Value: 'not-an-ip' }] },
      code: 'InvalidChangeBatch',
      message: 'ARRDATAIllegalIPv4Address',
    },
    {
      what: 'a simple record next to the weighted set',
      record: { Name: 'www.records.test', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.1' }] },
      code: 'InvalidChangeBatch',
      message: 'cannot be created because a weighted set exists',
    },
    {
      what: 'a CNAME next to the A records',
      record: {
        Name: 'www.records.test',
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: 'x.records.test' }],
      },
      code: 'InvalidChangeBatch',
      message: 'conflicting RRSet of type A',
    },
  ])('rejects $what', async ({ record, code, message }) => {
    const error = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: record as ResourceRecordSet }] },
        }),
      ),
    );
    expect(error.name).toBe(code);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toContain(message);
    // The service lists InvalidChangeBatch problems in brackets; InvalidInput is one plain message.
    expect(error.message.startsWith('[')).toBe(code === 'InvalidChangeBatch');
  });

  it('answers a malformed change with InvalidInput even when the batch also conflicts', async () => {
    const error = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              { Action: 'CREATE', ResourceRecordSet: weighted('gke', 255, '203.0.113.10') },
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: 'm.records.test',
                  Type: 'A',
                  Weight: 3,
                  TTL: 60,
                  ResourceRecords: [{ Value: '203.0.113.3' }],
                },
              },
            ],
          },
        }),
      ),
    );
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toContain("Missing field 'SetIdentifier'");
  });

  it('collects problems of well-formed changes with the zone into one InvalidChangeBatch list', async () => {
    const error = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'CREATE',
                ResourceRecordSet: {
                  Name: 'a.other.test',
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: '203.0.113.9' }],
                },
              },
              { Action: 'CREATE', ResourceRecordSet: weighted('gke', 255, '203.0.113.10') },
              {
                Action: 'CREATE',
                ResourceRecordSet: {
                  Name: 'b.records.test',
                  Type: 'AAAA',
                  TTL: 60,
                  ResourceRecords: [{ Value: '203.0.113.9' }],
                },
              },
            ],
          },
        }),
      ),
    );
    expect(error.name).toBe('InvalidChangeBatch');
    expect(error.message).toBe(
      '[RRSet with DNS name a.other.test. is not permitted in zone records.test., ' +
        "Tried to create resource record set [name='www.records.test.', type='A', set-identifier='gke'] but it already exists, " +
        "Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '203.0.113.9'']",
    );
  });

  it('DELETEs a record only with its exact current values', async () => {
    const mismatch = await failure(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [{ Action: 'DELETE', ResourceRecordSet: weighted('aws', 0, '203.0.113.99') }],
          },
        }),
      ),
    );
    expect(mismatch.message).toContain('do not match the current values');

    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [{ Action: 'DELETE', ResourceRecordSet: weighted('aws', 0, '203.0.113.20') }],
        },
      }),
    );
    const listed = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(listed.ResourceRecordSets?.filter((r) => r.Type === 'A').map((r) => r.SetIdentifier)).toEqual([
      'gke',
    ]);
  });

  it('answers NoSuchChange and NoSuchHostedZone with 404', async () => {
    const change = await failure(route53.send(new GetChangeCommand({ Id: '/change/CNOSUCHCHANGE' })));
    expect(change.name).toBe('NoSuchChange');
    expect(change.$metadata.httpStatusCode).toBe(404);
    const zone = await failure(route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'ZNOPE' })));
    expect(zone.name).toBe('NoSuchHostedZone');
  });
});

describe('health checks', () => {
  it('creates with defaults, lists, and reports status from every checker region', async () => {
    const created = await route53.send(
      new CreateHealthCheckCommand({
        CallerReference: 'hc-1',
        HealthCheckConfig: {
          Type: 'HTTPS',
          FullyQualifiedDomainName: 'health.test',
          ResourcePath: '/healthz',
        },
      }),
    );
    const check = created.HealthCheck;
    expect(check?.Id).toMatch(/^[0-9a-f-]{36}$/);
    expect(check?.HealthCheckConfig).toMatchObject({
      Type: 'HTTPS',
      Port: 443,
      RequestInterval: 30,
      FailureThreshold: 3,
      EnableSNI: true,
      Inverted: false,
    });
    expect(check?.HealthCheckVersion).toBe(1);
    expect(created.Location).toBe(`${emu.url}/2013-04-01/healthcheck/${check?.Id}`);

    const again = await route53.send(
      new CreateHealthCheckCommand({
        CallerReference: 'hc-1',
        HealthCheckConfig: {
          Type: 'HTTPS',
          FullyQualifiedDomainName: 'health.test',
          ResourcePath: '/healthz',
        },
      }),
    );
    expect(again.HealthCheck?.Id).toBe(check?.Id);
    const conflict = await failure(
      route53.send(
        new CreateHealthCheckCommand({
          CallerReference: 'hc-1',
          HealthCheckConfig: { Type: 'HTTP', FullyQualifiedDomainName: 'health.test' },
        }),
      ),
    );
    expect(conflict.name).toBe('HealthCheckAlreadyExists');
    expect(conflict.$metadata.httpStatusCode).toBe(409);

    const got = await route53.send(new GetHealthCheckCommand({ HealthCheckId: check?.Id }));
    expect(got.HealthCheck).toEqual(check);
    const listed = await route53.send(new ListHealthChecksCommand({}));
    expect(listed.HealthChecks?.map((c) => c.Id)).toEqual(
      expect.arrayContaining([check?.Id, seed.healthCheckIds.gke, seed.healthCheckIds.aws]),
    );

    const status = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: check?.Id }));
    const observations = status.HealthCheckObservations ?? [];
    expect(observations).toHaveLength(8);
    for (const observation of observations) {
      expect(observation.Region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
      expect(observation.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(observation.StatusReport?.Status).toBe('Success: HTTP Status Code 200, OK');
      expect(observation.StatusReport?.CheckedTime).toBeInstanceOf(Date);
    }
  });

  it('reports Failure after the model marks the check unhealthy', async () => {
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.aws, false);
    const status = await route53.send(
      new GetHealthCheckStatusCommand({ HealthCheckId: seed.healthCheckIds.aws }),
    );
    expect(
      status.HealthCheckObservations?.every((o) => o.StatusReport?.Status?.startsWith('Failure: ')),
    ).toBe(true);
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.aws, true);
    const healthy = await route53.send(
      new GetHealthCheckStatusCommand({ HealthCheckId: seed.healthCheckIds.aws }),
    );
    expect(healthy.HealthCheckObservations?.[0]?.StatusReport?.Status).toMatch(/^Success: /);
  });

  it('answers NoSuchHealthCheck with 404', async () => {
    const error = await failure(
      route53.send(
        new GetHealthCheckStatusCommand({ HealthCheckId: '00000000-0000-0000-0000-000000000000' }),
      ),
    );
    expect(error.name).toBe('NoSuchHealthCheck');
    expect(error.$metadata.httpStatusCode).toBe(404);
  });
});

describe('traffic flow', () => {
  const instanceId = () => seed.trafficPolicyInstanceIds[0] as string;

  it('serves the seeded write-up state: policy v1 with the weighted split, instance Applied', async () => {
    const { TrafficPolicyInstance: instance } = await route53.send(
      new GetTrafficPolicyInstanceCommand({ Id: instanceId() }),
    );
    expect(instance).toEqual({
      Id: instanceId(),
      HostedZoneId: seed.hostedZoneId,
      Name: 'admin.example.com.',
      TTL: 60,
      State: 'Applied',
      Message: '',
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
      TrafficPolicyType: 'A',
    });
    const { TrafficPolicy: policy } = await route53.send(
      new GetTrafficPolicyCommand({ Id: seed.trafficPolicyId, Version: 1 }),
    );
    expect(policy?.Name).toBe('admin-example-com');
    expect(policy?.Type).toBe('A');
    expect(weightsOf(policy?.Document ?? '')).toEqual([255, 0]);
    expect(validateTrafficPolicyDocument(policy?.Document ?? '')).toEqual([]);

    const summaries = await route53.send(new ListTrafficPoliciesCommand({}));
    expect(summaries.TrafficPolicySummaries).toContainEqual({
      Id: seed.trafficPolicyId,
      Name: 'admin-example-com',
      Type: 'A',
      LatestVersion: 1,
      TrafficPolicyCount: 1,
    });
    expect(summaries.IsTruncated).toBe(false);

    const records = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: seed.hostedZoneId,
        StartRecordName: 'admin.example.com',
      }),
    );
    expect(records.ResourceRecordSets?.[0]).toEqual({
      Name: 'admin.example.com.',
      Type: 'A',
      TrafficPolicyInstanceId: instanceId(),
    });
  });

  it('shifts traffic: new version (201 + Location), update instance Creating → Applied, PriorRequestNotComplete meanwhile', async () => {
    emu.control.knobs.propagationDelayMs = 1000; // room for the second update to arrive while the first is in flight
    const { TrafficPolicy: v1 } = await route53.send(
      new GetTrafficPolicyCommand({ Id: seed.trafficPolicyId, Version: 1 }),
    );
    // What the adapter does: read the current version, swap the weights, keep everything else.
    const shifted = JSON.parse(v1?.Document ?? '') as {
      Rules: { split: { Items: Array<{ Weight: string }> } };
    };
    shifted.Rules.split.Items = shifted.Rules.split.Items.map((item, i) => ({
      ...item,
      Weight: i === 0 ? '0' : '255',
    }));

    const created = await route53.send(
      new CreateTrafficPolicyVersionCommand({
        Id: seed.trafficPolicyId,
        Document: JSON.stringify(shifted, null, 2),
        Comment: 'to-aws',
      }),
    );
    expect(created.TrafficPolicy?.Version).toBe(2);
    expect(created.TrafficPolicy?.Comment).toBe('to-aws');
    // The document comes back byte for byte, indentation, quotes and all.
    const { TrafficPolicy: v2 } = await route53.send(
      new GetTrafficPolicyCommand({ Id: seed.trafficPolicyId, Version: 2 }),
    );
    expect(v2?.Document).toBe(JSON.stringify(shifted, null, 2));
    expect(v1?.Document).toBe(emu.model.getTrafficPolicy(seed.trafficPolicyId, 1).Document);
    expect(v1?.Document).toContain('\n  "AWSPolicyFormatVersion"');
    expect(created.Location).toBe(`${emu.url}/2013-04-01/trafficpolicy/${seed.trafficPolicyId}/2`);

    const versions = await route53.send(new ListTrafficPolicyVersionsCommand({ Id: seed.trafficPolicyId }));
    expect(versions.TrafficPolicies?.map((v) => v.Version)).toEqual([1, 2]);
    const firstPage = await route53.send(
      new ListTrafficPolicyVersionsCommand({ Id: seed.trafficPolicyId, MaxItems: 1 }),
    );
    expect(firstPage.IsTruncated).toBe(true);
    expect(firstPage.TrafficPolicyVersionMarker).toBe('2');

    const updated = await route53.send(
      new UpdateTrafficPolicyInstanceCommand({
        Id: instanceId(),
        TTL: 30,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 2,
      }),
    );
    expect(updated.TrafficPolicyInstance?.State).toBe('Updating');
    expect(updated.TrafficPolicyInstance?.TrafficPolicyVersion).toBe(2);

    // The SDK retries PriorRequestNotComplete by itself; one attempt shows the raw answer.
    const impatient = client({ maxAttempts: 1 });
    const prior = await failure(
      impatient.send(
        new UpdateTrafficPolicyInstanceCommand({
          Id: instanceId(),
          TTL: 30,
          TrafficPolicyId: seed.trafficPolicyId,
          TrafficPolicyVersion: 1,
        }),
      ),
    );
    impatient.destroy();
    expect(prior.name).toBe('PriorRequestNotComplete');
    expect(prior.$metadata.httpStatusCode).toBe(400);

    const applied = await waitForInstance(instanceId());
    expect(applied.State).toBe('Applied');
    expect(applied.TTL).toBe(30);
    expect(emu.model.trafficSplit(instanceId())?.map((t) => [t.target, t.weight])).toEqual([
      ['gke', 0],
      ['aws', 255],
    ]);

    const byPolicy = await route53.send(
      new ListTrafficPolicyInstancesByPolicyCommand({
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 2,
      }),
    );
    expect(byPolicy.TrafficPolicyInstances?.map((i) => i.Id)).toEqual([instanceId()]);
    const onV1 = await route53.send(
      new ListTrafficPolicyInstancesByPolicyCommand({
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 1,
      }),
    );
    expect(onV1.TrafficPolicyInstances).toEqual([]);
    const byZone = await route53.send(
      new ListTrafficPolicyInstancesByHostedZoneCommand({ HostedZoneId: seed.hostedZoneId }),
    );
    expect(byZone.TrafficPolicyInstances?.map((i) => i.State)).toEqual(['Applied']);
    const all = await route53.send(new ListTrafficPolicyInstancesCommand({}));
    expect(all.TrafficPolicyInstances?.map((i) => i.Name)).toContain('admin.example.com.');
    expect(all.IsTruncated).toBe(false);
  });

  it('ends an update in Failed with a Message under policy-instance-failed, keeping the old split', async () => {
    const before = emu.model.trafficSplit(instanceId());
    const current = await route53.send(new GetTrafficPolicyInstanceCommand({ Id: instanceId() }));
    emu.control.injectFault('policy-instance-failed', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    emu.control.knobs.propagationDelayMs = 100;
    await route53.send(
      new UpdateTrafficPolicyInstanceCommand({
        Id: instanceId(),
        TTL: 60,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 1,
      }),
    );
    const failed = await waitForInstance(instanceId());
    expect(failed.State).toBe('Failed');
    expect(failed.Message).toMatch(/policy-instance-failed/);
    expect(emu.model.trafficSplit(instanceId())).toEqual(before);
    expect(current.TrafficPolicyInstance?.State).toBe('Applied');

    // A retry after the failure goes through.
    await route53.send(
      new UpdateTrafficPolicyInstanceCommand({
        Id: instanceId(),
        TTL: 60,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 1,
      }),
    );
    expect((await waitForInstance(instanceId())).State).toBe('Applied');
    expect(emu.model.trafficSplit(instanceId())?.map((t) => t.weight)).toEqual([255, 0]);
  });

  it('answers PriorRequestNotComplete when the fault is injected, and the SDK retries it', async () => {
    emu.control.injectFault('prior-request-not-complete', {
      operation: 'UpdateTrafficPolicyInstance',
      count: 1,
    });
    const updated = await route53.send(
      new UpdateTrafficPolicyInstanceCommand({
        Id: instanceId(),
        TTL: 60,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 1,
      }),
    );
    expect(updated.TrafficPolicyInstance?.State).toBe('Updating');
    expect(emu.control.log.entries.map((e) => [e.operation, e.status, e.error])).toEqual([
      ['UpdateTrafficPolicyInstance', 400, 'PriorRequestNotComplete'],
      ['UpdateTrafficPolicyInstance', 200, undefined],
    ]);
    emu.model.completePropagation();
  });

  it('answers NoSuchTrafficPolicyInstance, NoSuchTrafficPolicy and ConflictingTypes', async () => {
    const noInstance = await failure(
      route53.send(new GetTrafficPolicyInstanceCommand({ Id: '11111111-2222-3333-4444-555555555555' })),
    );
    expect(noInstance.name).toBe('NoSuchTrafficPolicyInstance');
    expect(noInstance.$metadata.httpStatusCode).toBe(404);

    const noVersion = await failure(
      route53.send(new GetTrafficPolicyCommand({ Id: seed.trafficPolicyId, Version: 99 })),
    );
    expect(noVersion.name).toBe('NoSuchTrafficPolicy');
    expect(noVersion.$metadata.httpStatusCode).toBe(404);
    const noPolicy = await failure(
      route53.send(new CreateTrafficPolicyVersionCommand({ Id: 'no-such-policy', Document: '{}' })),
    );
    expect(noPolicy.name).toBe('NoSuchTrafficPolicy');

    const cname = await route53.send(
      new CreateTrafficPolicyVersionCommand({
        Id: seed.trafficPolicyId,
        Document: JSON.stringify({
          AWSPolicyFormatVersion: '2015-10-01',
          RecordType: 'CNAME',
          Endpoints: { aws: { Type: 'value', Value: 'standby.example.net' } },
          StartEndpoint: 'aws',
        }),
      }),
    );
    expect(cname.TrafficPolicy?.Type).toBe('CNAME');
    const conflicting = await failure(
      route53.send(
        new UpdateTrafficPolicyInstanceCommand({
          Id: instanceId(),
          TTL: 60,
          TrafficPolicyId: seed.trafficPolicyId,
          TrafficPolicyVersion: cname.TrafficPolicy?.Version,
        }),
      ),
    );
    expect(conflicting.name).toBe('ConflictingTypes');
    expect(conflicting.$metadata.httpStatusCode).toBe(400);
  });

  it('creates and deletes an instance, with its record', async () => {
    const created = await route53.send(
      new CreateTrafficPolicyInstanceCommand({
        HostedZoneId: seed.hostedZoneId,
        Name: 'beta.example.com',
        TTL: 120,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 1,
      }),
    );
    const instance = created.TrafficPolicyInstance as TrafficPolicyInstance;
    expect(instance.State).toBe('Creating');
    expect(created.Location).toBe(`${emu.url}/2013-04-01/trafficpolicyinstance/${instance.Id}`);
    expect((await waitForInstance(instance.Id as string)).State).toBe('Applied');

    const duplicate = await failure(
      route53.send(
        new CreateTrafficPolicyInstanceCommand({
          HostedZoneId: seed.hostedZoneId,
          Name: 'beta.example.com.',
          TTL: 120,
          TrafficPolicyId: seed.trafficPolicyId,
          TrafficPolicyVersion: 1,
        }),
      ),
    );
    expect(duplicate.name).toBe('TrafficPolicyInstanceAlreadyExists');
    expect(duplicate.$metadata.httpStatusCode).toBe(409);

    // A delete propagates too: Deleting (the record still there, another delete refused), then gone.
    emu.control.knobs.propagationDelayMs = 200;
    await route53.send(new DeleteTrafficPolicyInstanceCommand({ Id: instance.Id }));
    const deleting = await route53.send(new GetTrafficPolicyInstanceCommand({ Id: instance.Id }));
    expect(deleting.TrafficPolicyInstance?.State).toBe('Deleting');
    const again = await failure(
      client({ maxAttempts: 1 }).send(new DeleteTrafficPolicyInstanceCommand({ Id: instance.Id })),
    );
    expect(again.name).toBe('PriorRequestNotComplete');
    const during = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: seed.hostedZoneId,
        StartRecordName: 'beta.example.com',
      }),
    );
    expect(during.ResourceRecordSets?.[0]).toMatchObject({
      Name: 'beta.example.com.',
      TrafficPolicyInstanceId: instance.Id,
    });
    await sleep(250);
    const gone = await failure(route53.send(new GetTrafficPolicyInstanceCommand({ Id: instance.Id })));
    expect(gone.name).toBe('NoSuchTrafficPolicyInstance');
    const records = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: seed.hostedZoneId,
        StartRecordName: 'beta.example.com',
      }),
    );
    expect(records.ResourceRecordSets?.some((r) => r.Name === 'beta.example.com.')).toBe(false);
  });

  it('pages the instance lists with their name/type (and zone) markers', async () => {
    const extra: string[] = [];
    for (const name of ['m1.example.com', 'm2.example.com']) {
      const created = await route53.send(
        new CreateTrafficPolicyInstanceCommand({
          HostedZoneId: seed.hostedZoneId,
          Name: name,
          TTL: 60,
          TrafficPolicyId: seed.trafficPolicyId,
          TrafficPolicyVersion: 1,
        }),
      );
      extra.push(created.TrafficPolicyInstance?.Id as string);
    }
    const walk = async (
      list: (marker: { name?: string; type?: string; zone?: string }) => Promise<{
        TrafficPolicyInstances?: TrafficPolicyInstance[];
        IsTruncated?: boolean;
        TrafficPolicyInstanceNameMarker?: string;
        TrafficPolicyInstanceTypeMarker?: string;
        HostedZoneIdMarker?: string;
      }>,
    ) => {
      const names: string[] = [];
      let marker: { name?: string; type?: string; zone?: string } = {};
      for (let page = 0; page < 10; page++) {
        const result = await list(marker);
        expect(result.TrafficPolicyInstances?.length).toBe(1);
        names.push(...(result.TrafficPolicyInstances ?? []).map((i) => i.Name as string));
        if (!result.IsTruncated) break;
        marker = {
          name: result.TrafficPolicyInstanceNameMarker,
          type: result.TrafficPolicyInstanceTypeMarker,
          zone: result.HostedZoneIdMarker,
        };
      }
      return names;
    };
    const expected = ['admin.example.com.', 'm1.example.com.', 'm2.example.com.'];
    expect(
      await walk((m) =>
        route53.send(
          new ListTrafficPolicyInstancesByHostedZoneCommand({
            HostedZoneId: seed.hostedZoneId,
            MaxItems: 1,
            TrafficPolicyInstanceNameMarker: m.name,
            TrafficPolicyInstanceTypeMarker: m.type as 'A' | undefined,
          }),
        ),
      ),
    ).toEqual(expected);
    expect(
      await walk((m) =>
        route53.send(
          new ListTrafficPolicyInstancesCommand({
            MaxItems: 1,
            HostedZoneIdMarker: m.zone,
            TrafficPolicyInstanceNameMarker: m.name,
            TrafficPolicyInstanceTypeMarker: m.type as 'A' | undefined,
          }),
        ),
      ),
    ).toEqual(expected);
    emu.model.completePropagation();
    for (const id of extra) await route53.send(new DeleteTrafficPolicyInstanceCommand({ Id: id }));
  });

  it('ends a create in Failed under policy-instance-failed', async () => {
    emu.control.injectFault('policy-instance-failed', { operation: 'CreateTrafficPolicyInstance', count: 1 });
    const created = await route53.send(
      new CreateTrafficPolicyInstanceCommand({
        HostedZoneId: seed.hostedZoneId,
        Name: 'gamma.example.com',
        TTL: 60,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 1,
      }),
    );
    const failed = await waitForInstance(created.TrafficPolicyInstance?.Id as string);
    expect(failed.State).toBe('Failed');
    expect(failed.Message).not.toBe('');
    await route53.send(new DeleteTrafficPolicyInstanceCommand({ Id: failed.Id }));
  });

  const validDocument = () =>
    JSON.parse(
      writeupPolicyDocument({
        gkeAddress: '203.0.113.10',
        awsAlbDnsName: 'alb.example.net',
        gkeHealthCheckId: seed.healthCheckIds.gke,
        awsHealthCheckId: seed.healthCheckIds.aws,
        weights: { gke: 255, aws: 0 },
      }),
    ) as Record<string, unknown> & {
      Endpoints: Record<string, unknown>;
      Rules: { split: { Items: Array<Record<string, unknown>> } };
    };

  it.each([
    {
      what: 'broken JSON',
      document: () => '{"AWSPolicyFormatVersion": ',
      message: 'Document is not valid JSON',
    },
    {
      what: 'an unknown format version',
      document: () => JSON.stringify({ ...validDocument(), AWSPolicyFormatVersion: '2012-10-17' }),
      message: 'AWSPolicyFormatVersion "2012-10-17" is not supported; use "2015-10-01" or "2023-05-09"',
    },
    {
      what: 'both StartRule and StartEndpoint',
      document: () => JSON.stringify({ ...validDocument(), StartEndpoint: 'gke' }),
      message: 'Specify exactly one of StartRule or StartEndpoint, not both',
    },
    {
      what: 'a weight of 300',
      document: () => {
        const doc = validDocument();
        doc.Rules.split.Items[1] = { ...doc.Rules.split.Items[1], Weight: 300 };
        return JSON.stringify(doc);
      },
      message: 'Rules.split.Items[1].Weight must be an integer from 0 to 255 (got 300)',
    },
    {
      what: 'a dangling EndpointReference',
      document: () => {
        const doc = validDocument();
        doc.Rules.split.Items[0] = { ...doc.Rules.split.Items[0], EndpointReference: 'gcp' };
        return JSON.stringify(doc);
      },
      message: 'Rules.split.Items[0].EndpointReference "gcp" does not match any endpoint in Endpoints',
    },
    {
      what: 'an unknown endpoint type',
      document: () => {
        const doc = validDocument();
        doc.Endpoints.aws = { Type: 'alb', Value: 'alb.example.net' };
        return JSON.stringify(doc);
      },
      message: 'Endpoints.aws.Type "alb" is not valid',
    },
    {
      what: 'a document over 102,400 characters',
      document: () => JSON.stringify({ ...validDocument(), Padding: 'x'.repeat(102_400) }),
      message: 'the maximum is 102400 characters',
    },
    {
      what: 'an unknown health check',
      document: () => {
        const doc = validDocument();
        doc.Rules.split.Items[0] = { ...doc.Rules.split.Items[0], HealthCheck: 'no-such-check' };
        return JSON.stringify(doc);
      },
      message: 'Rules.split.Items[0].HealthCheck "no-such-check" is not a health check',
    },
  ])('rejects $what with InvalidTrafficPolicyDocument', async ({ document, message }) => {
    const error = await failure(
      route53.send(new CreateTrafficPolicyVersionCommand({ Id: seed.trafficPolicyId, Document: document() })),
    );
    expect(error.name).toBe('InvalidTrafficPolicyDocument');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toContain(message);
  });

  it('rejects a new policy with a broken document and a duplicate name', async () => {
    const broken = await failure(
      route53.send(
        new CreateTrafficPolicyCommand({ Name: 'broken', Document: JSON.stringify({ RecordType: 'A' }) }),
      ),
    );
    expect(broken.name).toBe('InvalidTrafficPolicyDocument');
    expect(broken.message).toContain('AWSPolicyFormatVersion is required');
    expect(broken.message).toContain('Specify exactly one of StartRule or StartEndpoint');

    const geo = {
      AWSPolicyFormatVersion: '2015-10-01',
      RecordType: 'A',
      Endpoints: { a: { Type: 'value', Value: '192.0.2.1' }, b: { Type: 'value', Value: '192.0.2.2' } },
      Rules: {
        g: {
          RuleType: 'geo',
          Locations: [
            { EndpointReference: 'a', Continent: 'XX', EvaluateTargetHealth: 'false' },
            { EndpointReference: 'b', IsDefault: true },
          ],
        },
      },
      StartRule: 'g',
    };
    const codes = await failure(
      route53.send(new CreateTrafficPolicyCommand({ Name: 'geo-broken', Document: JSON.stringify(geo) })),
    );
    expect(codes.name).toBe('InvalidTrafficPolicyDocument');
    expect(codes.$metadata.httpStatusCode).toBe(400);
    expect(codes.message).toContain('Rules.g.Locations[0].Continent "XX" is not a continent code');
    expect(codes.message).toContain(
      'Rules.g.Locations[0].EvaluateTargetHealth must be true or false (got "false")',
    );

    const created = await route53.send(
      new CreateTrafficPolicyCommand({ Name: 'second', Document: JSON.stringify(validDocument()) }),
    );
    expect(created.TrafficPolicy?.Version).toBe(1);
    expect(created.Location).toBe(`${emu.url}/2013-04-01/trafficpolicy/${created.TrafficPolicy?.Id}/1`);
    const duplicate = await failure(
      route53.send(
        new CreateTrafficPolicyCommand({ Name: 'second', Document: JSON.stringify(validDocument()) }),
      ),
    );
    expect(duplicate.name).toBe('TrafficPolicyAlreadyExists');
    expect(duplicate.$metadata.httpStatusCode).toBe(409);
  });

  it('stops at 1,000 versions with TooManyTrafficPolicyVersionsForCurrentPolicy', async () => {
    const document = JSON.stringify(validDocument());
    const policy = emu.model.createTrafficPolicy({ Name: 'many-versions', Document: document });
    for (let version = 2; version <= 1000; version++) {
      emu.model.createTrafficPolicyVersion(policy.Id, { Document: document });
    }
    const error = await failure(
      route53.send(new CreateTrafficPolicyVersionCommand({ Id: policy.Id, Document: document })),
    );
    expect(error.name).toBe('TooManyTrafficPolicyVersionsForCurrentPolicy');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });
});

describe('wire details', () => {
  it('reads indented XML bodies and answers unknown routes with 501 NotImplemented', async () => {
    // Other clients pretty-print; whitespace between elements must not matter.
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
  <ChangeBatch>
    <Changes>
      <Change>
        <Action>UPSERT</Action>
        <ResourceRecordSet>
          <Name>indented.example.com</Name>
          <Type>TXT</Type>
          <TTL>300</TTL>
          <ResourceRecords>
            <ResourceRecord><Value>"a &amp; b"</Value></ResourceRecord>
          </ResourceRecords>
        </ResourceRecordSet>
      </Change>
    </Changes>
  </ChangeBatch>
</ChangeResourceRecordSetsRequest>`;
    const response = await fetch(`${emu.url}/2013-04-01/hostedzone/${seed.hostedZoneId}/rrset/`, {
      method: 'POST',
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<Status>PENDING</Status>');
    const listed = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: seed.hostedZoneId,
        StartRecordName: 'indented.example.com',
        StartRecordType: 'TXT',
        MaxItems: 1,
      }),
    );
    expect(listed.ResourceRecordSets?.[0]).toEqual({
      Name: 'indented.example.com.',
      Type: 'TXT',
      TTL: 300,
      ResourceRecords: [{ Value: '"a & b"' }],
    });

    const unknown = await fetch(`${emu.url}/2013-04-01/delegationset`);
    expect(unknown.status).toBe(501);
    const text = await unknown.text();
    expect(text).toContain('<Code>NotImplemented</Code>');
    expect(text).toContain('<Type>Receiver</Type>');
    expect(emu.control.log.entries.at(-1)).toMatchObject({
      operation: 'Unknown',
      mutating: false,
      status: 501,
    });
  });
});

describe('knobs, faults and rate limits', () => {
  it('the SDK retries injected Throttling and succeeds', async () => {
    emu.control.injectFault('throttle', { operation: 'GetTrafficPolicyInstance', count: 2 });
    const result = await route53.send(
      new GetTrafficPolicyInstanceCommand({ Id: seed.trafficPolicyInstanceIds[0] }),
    );
    expect(result.TrafficPolicyInstance?.Id).toBe(seed.trafficPolicyInstanceIds[0]);
    expect(emu.control.log.entries.map((e) => [e.status, e.error])).toEqual([
      [400, 'Throttling'],
      [400, 'Throttling'],
      [200, undefined],
    ]);
  });

  it('the token bucket throttles a burst with 400 Throttling "Rate exceeded"', async () => {
    emu.rateLimit.configure({ burst: 3, perSecond: 0.5 });
    const once = client({ maxAttempts: 1 });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => once.send(new GetHostedZoneCommand({ Id: seed.hostedZoneId }))),
    );
    once.destroy();
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(rejected).toHaveLength(5);
    for (const { reason } of rejected) {
      expect(reason).toBeInstanceOf(Route53ServiceException);
      expect((reason as Route53ServiceException).name).toBe('Throttling');
      expect((reason as Route53ServiceException).message).toBe('Rate exceeded');
      expect((reason as Route53ServiceException).$metadata.httpStatusCode).toBe(400);
    }

    // With its default retries, the SDK gets through once tokens come back (one every 50 ms).
    emu.rateLimit.configure({ burst: 1, perSecond: 20 });
    emu.control.log.clear();
    const both = await Promise.all([
      route53.send(new GetHostedZoneCommand({ Id: seed.hostedZoneId })),
      route53.send(new GetHostedZoneCommand({ Id: seed.hostedZoneId })),
    ]);
    expect(both.map((r) => r.HostedZone?.Name)).toEqual(['example.com.', 'example.com.']);
    expect(emu.control.log.entries.filter((e) => e.error === 'Throttling').length).toBeGreaterThanOrEqual(1);
    expect(emu.control.log.entries.filter((e) => e.status === 200)).toHaveLength(2);
  });

  it('the SDK retries an injected 500 InternalFailure', async () => {
    emu.control.injectFault('server-error', { count: 1 });
    const result = await route53.send(new ListTrafficPoliciesCommand({}));
    expect(result.TrafficPolicySummaries?.length).toBeGreaterThan(0);
    expect(emu.control.log.entries[0]).toMatchObject({ status: 500, error: 'InternalFailure' });
  });

  it('an outage answers 503 ServiceUnavailable to everything until it ends', async () => {
    emu.control.knobs.outage = true;
    const once = client({ maxAttempts: 1 });
    const error = await failure(once.send(new ListHostedZonesCommand({})));
    expect(error.name).toBe('ServiceUnavailable');
    expect(error.$metadata.httpStatusCode).toBe(503);
    const alsoDown = await failure(once.send(new GetChangeCommand({ Id: 'C1' })));
    expect(alsoDown.$metadata.httpStatusCode).toBe(503);
    emu.control.knobs.outage = false;
    expect((await once.send(new ListHostedZonesCommand({}))).HostedZones?.length).toBeGreaterThan(0);
    once.destroy();
  });

  it('latency delays every answer', async () => {
    emu.control.knobs.latencyMs = 250;
    const started = Date.now();
    await route53.send(new ListTrafficPoliciesCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('logs each request with its operation name and whether it mutates', async () => {
    const zoneId = seed.hostedZoneId;
    await route53.send(new GetTrafficPolicyInstanceCommand({ Id: seed.trafficPolicyInstanceIds[0] }));
    await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    const change = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'log.example.com',
                Type: 'TXT',
                TTL: 60,
                ResourceRecords: [{ Value: '"x"' }],
              },
            },
          ],
        },
      }),
    );
    await route53.send(new GetChangeCommand({ Id: change.ChangeInfo?.Id }));
    await route53.send(
      new UpdateTrafficPolicyInstanceCommand({
        Id: seed.trafficPolicyInstanceIds[0],
        TTL: 60,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 1,
      }),
    );
    expect(emu.control.log.entries.map((e) => [e.operation, e.mutating])).toEqual([
      ['GetTrafficPolicyInstance', false],
      ['ListResourceRecordSets', false],
      ['ChangeResourceRecordSets', true],
      ['GetChange', false],
      ['UpdateTrafficPolicyInstance', true],
    ]);
    expect(emu.control.log.mutating().map((e) => e.operation)).toEqual([
      'ChangeResourceRecordSets',
      'UpdateTrafficPolicyInstance',
    ]);
    expect(emu.control.log.entries.every((e) => e.service === 'route53')).toBe(true);
  });
});
