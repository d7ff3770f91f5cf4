/**
 * The sandbox DNS server on the wire: Node's own resolver (c-ares, a fresh channel per query so
 * nothing is cached) and a dns-packet client over UDP and TCP ask it what the Route 53 emulator's
 * records say, as Route 53's name servers would answer.
 */
import { Resolver } from 'node:dns/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryDns } from '../../src/providers/dns/client.js';
import { aliasTargetAddress, type DnsServer, startDnsServer } from '../../src/sandbox/dns/index.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
  writeupPolicyDocument,
} from '../../src/sandbox/route53/index.js';

const ALB = 'k8s-shop-ingress-77aa88bb99-424242.eu-west-1.elb.amazonaws.com';
const GKE = '192.0.2.77';
let emu: Route53Emulator;
let dns: DnsServer;
let seed: WriteupSeed;

/** What `dig @127.0.0.1 -p PORT name A` prints in its answer section, through c-ares. */
async function dig(name: string): Promise<string[]> {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${dns.port}`]);
  return resolver.resolve4(name);
}

async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

beforeAll(async () => {
  emu = await startRoute53Emulator({ rateLimit: false });
  seed = seedWriteupScenario(emu.model, {
    zoneName: 'shop.test.',
    gkeAddress: GKE,
    awsAlbDnsName: ALB,
    weights: { gke: 255, aws: 0 },
  });
  dns = await startDnsServer({ route53: emu });
});

afterAll(async () => {
  await dns?.close();
  await emu?.close();
});

afterEach(() => {
  emu.control.knobs.propagationDelayMs = 0;
  emu.model.setHealthCheckHealthy(seed.healthCheckIds.gke, true);
  emu.model.setHealthCheckHealthy(seed.healthCheckIds.aws, true);
});

describe('sandbox DNS server', () => {
  it('answers the traffic policy instance with the GKE address, authoritatively, over UDP and TCP', async () => {
    expect(await dig('admin.shop.test')).toEqual([GKE]);
    for (const transport of ['udp', 'tcp'] as const) {
      const answer = await queryDns({ host: '127.0.0.1', port: dns.port }, 'admin.shop.test', 'A', {
        transport,
      });
      expect(answer).toMatchObject({ rcode: 'NOERROR', authoritative: true, transport });
      expect(answer.answers).toEqual([{ name: 'admin.shop.test', type: 'A', ttl: 60, data: GKE }]);
    }
  });

  it('tells NXDOMAIN from NODATA, with the SOA in the authority section', async () => {
    const server = { host: '127.0.0.1', port: dns.port };
    const missing = await queryDns(server, 'nope.shop.test', 'A');
    expect(missing).toMatchObject({ rcode: 'NXDOMAIN', authoritative: true, answers: [] });
    expect(missing.authorities.map((a) => a.type)).toEqual(['SOA']);
    expect(missing.authorities[0]?.ttl).toBe(900);
    const noAaaa = await queryDns(server, 'admin.shop.test', 'AAAA');
    expect(noAaaa).toMatchObject({ rcode: 'NOERROR', authoritative: true, answers: [] });
    expect(noAaaa.authorities.map((a) => a.type)).toEqual(['SOA']);
    expect(await errorCode(dig('nope.shop.test'))).toBe('ENOTFOUND');
    // Not our zone: refused, not authoritative.
    const other = await queryDns(server, 'example.org', 'A');
    expect(other).toMatchObject({ rcode: 'REFUSED', authoritative: false });
    // The apex NS and SOA come from the hosted zone.
    const ns = await queryDns(server, 'shop.test', 'NS', { transport: 'tcp' });
    const zone = emu.model.getHostedZone(seed.hostedZoneId);
    expect(ns.answers.map((a) => a.data).sort()).toEqual([...zone.DelegationSet.NameServers].sort());
  });

  it('honours health checks and moves to AWS once the new policy version is Applied', async () => {
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.gke, false);
    // GKE unhealthy: the zero-weight AWS item is the healthy one left.
    expect(await dig('admin.shop.test')).toEqual([aliasTargetAddress(ALB)]);
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.gke, true);

    emu.control.knobs.propagationDelayMs = 400;
    const instanceId = seed.trafficPolicyInstanceIds[0] as string;
    const next = emu.model.createTrafficPolicyVersion(seed.trafficPolicyId, {
      Document: writeupPolicyDocument({
        gkeAddress: GKE,
        awsAlbDnsName: ALB,
        gkeHealthCheckId: seed.healthCheckIds.gke,
        awsHealthCheckId: seed.healthCheckIds.aws,
        weights: { gke: 0, aws: 255 },
      }),
    });
    emu.model.updateTrafficPolicyInstance(instanceId, {
      TTL: 60,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: next.Version,
    });
    expect(emu.model.getTrafficPolicyInstance(instanceId).State).toBe('Updating');
    expect(await dig('admin.shop.test')).toEqual([GKE]);
    await new Promise((r) => setTimeout(r, 450));
    expect(emu.model.getTrafficPolicyInstance(instanceId).State).toBe('Applied');
    expect(await dig('admin.shop.test')).toEqual([aliasTargetAddress(ALB)]);
  });
});

describe('weighted record sets through the Route 53 API', () => {
  it('keeps answering the old weights until the change is INSYNC, then splits by weight', async () => {
    const { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } = await import(
      '@aws-sdk/client-route-53'
    );
    const client = new Route53Client({
      region: 'us-east-1',
      endpoint: emu.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const server = { host: '127.0.0.1', port: dns.port };
    const name = seed.recordSet.name;
    const sample = async (n: number) => {
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const answer = await queryDns(server, name, 'A');
        const key = answer.answers.map((a) => a.data).join(',');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    };
    expect(await sample(20)).toEqual(new Map([[GKE, 20]]));

    emu.control.knobs.propagationDelayMs = 500;
    const weighted = (set: string, weight: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet:
        set === 'gke'
          ? {
              Name: name,
              Type: 'A' as const,
              SetIdentifier: 'gke',
              Weight: weight,
              TTL: 60,
              ResourceRecords: [{ Value: GKE }],
              HealthCheckId: seed.healthCheckIds.gke,
            }
          : {
              Name: name,
              Type: 'A' as const,
              SetIdentifier: 'aws',
              Weight: weight,
              AliasTarget: {
                HostedZoneId: 'Z32O12XQLNTSW2',
                DNSName: `dualstack.${ALB}`,
                EvaluateTargetHealth: true,
              },
              HealthCheckId: seed.healthCheckIds.aws,
            },
    });
    const out = await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: seed.hostedZoneId,
        ChangeBatch: { Changes: [weighted('gke', 1), weighted('aws', 1)] },
      }),
    );
    // PENDING: the name servers still answer the old records.
    expect(await sample(20)).toEqual(new Map([[GKE, 20]]));
    let status = out.ChangeInfo?.Status;
    for (let i = 0; i < 40 && status !== 'INSYNC'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await client.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }))).ChangeInfo?.Status;
    }
    expect(status).toBe('INSYNC');
    // A 50/50 split over 400 queries: each side's share within 0.1 of one half (about 4 sigma).
    const counts = await sample(400);
    const aws = counts.get(aliasTargetAddress(ALB)) ?? 0;
    const gke = counts.get(GKE) ?? 0;
    expect(aws + gke).toBe(400);
    expect(Math.abs(aws / 400 - 0.5)).toBeLessThan(0.1);
    client.destroy();
  });
});
