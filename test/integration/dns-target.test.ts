/**
 * What `verify: {dns: {}}` takes from Route 53 when the config names nothing, over the real SDK
 * adapter against the emulator: the name that carries the weights, the hosted zone's own name
 * servers (GetHostedZone's delegation set, so production needs no new setting) and each side's
 * answer values — for Traffic Flow and for weighted record sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { createPorts } from '../../src/providers/index.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
} from '../../src/sandbox/route53/index.js';

const GKE = '198.18.7.20';
const ALB = 'k8s-shop-front-9f8e7d-777.eu-central-1.elb.amazonaws.com';
let emu: Route53Emulator;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  emu = await startRoute53Emulator({ rateLimit: false });
});
afterAll(async () => emu?.close());

describe('the DNS target of verify.dns, from Route 53', () => {
  it.each(['traffic-flow', 'record-sets'] as const)(
    '%s: name, the zone name servers, each side',
    async (mode) => {
      const seed = seedWriteupScenario(emu.model, {
        zoneName: `${mode}.shop.test.`,
        policyName: `shop-${mode}`,
        gkeAddress: GKE,
        awsAlbDnsName: ALB,
      });
      const config = Config.parse({
        aws: { region: 'eu-central-1' },
        route53: {
          mode,
          endpoint: emu.url,
          trafficFlow: { instances: seed.trafficPolicyInstanceIds, roles: { gcp: 'gke', aws: 'aws' } },
          recordSets: { hostedZoneId: seed.hostedZoneId, ...seed.recordSet },
        },
        verify: { dns: {} },
      });
      const ports = createPorts({ config, env: {}, redactor: new Redactor(), runId: 'run-target' });
      emu.control.log.clear();
      const target = await ports.read.route53.dnsTarget();
      const zone = emu.model.getHostedZone(seed.hostedZoneId);
      expect(zone.DelegationSet.NameServers.length).toBeGreaterThan(0);
      expect(target).toMatchObject({
        name: mode === 'traffic-flow' ? `admin.${mode}.shop.test.` : seed.recordSet.name,
        type: 'A',
        hostedZoneId: seed.hostedZoneId,
        nameServers: zone.DelegationSet.NameServers,
      });
      expect(target.sides.gcp).toEqual([GKE]);
      expect(target.sides.aws.map((v) => v.replace(/^dualstack\./, '').replace(/\.$/, ''))).toEqual([ALB]);
      expect(emu.control.log.mutating()).toEqual([]);
      expect(emu.control.log.entries.map((e) => e.operation)).toContain('GetHostedZone');
    },
  );
});
