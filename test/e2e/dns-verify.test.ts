/**
 * DNS answers on the wire around a real to-aws in the sandbox (to-gcp runs the same step in the
 * failover suites, whose sandbox config verifies DNS too): a DNS client library
 * (Node's resolver, a fresh channel per query, so nothing is cached; and dns-packet over TCP) asks
 * the sandbox's DNS server before and after, the runs' verify.dns step samples the answers (a
 * staged shift stopped at 50 % included: 400 answers within the tolerance), and `failover status`
 * reports them.
 */
import { Resolver } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryDns } from '../../src/providers/dns/client.js';
import { cli, stopWorlds, type World, withWorld } from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

beforeAll(assertBuilt);
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

async function dig(world: World): Promise<string[]> {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([`${world.sandbox.info.dns.host}:${world.sandbox.info.dns.port}`]);
  return resolver.resolve4('admin.example.com');
}

async function digTcp(world: World): Promise<string[]> {
  const { host, port } = world.sandbox.info.dns;
  const answer = await queryDns({ host, port }, 'admin.example.com', 'A', { transport: 'tcp' });
  expect(answer.authoritative).toBe(true);
  return answer.answers.map((a) => a.data);
}

interface RunJson {
  outcome: string;
  outputs: Record<string, { dns?: Record<string, number | string>; ok?: boolean }>;
}

interface DnsJson {
  name: string;
  server: string;
  samples: number;
  gcp: number;
  aws: number;
  other: number;
}

describe('DNS verification in the sandbox', { timeout: 900_000 }, () => {
  it('answers GKE, then a 50/50 split, then AWS; the runs and status count the answers', () =>
    withWorld(async (world) => {
      const { gcp, aws } = world.sandbox.info.dns.addresses;
      const server = `${world.sandbox.info.dns.host}:${world.sandbox.info.dns.port}`;
      expect(await dig(world)).toEqual([gcp]);
      expect(await digTcp(world)).toEqual([gcp]);

      // Half-way through a shift (50/50 weights, as a 50 % stage leaves them): the step samples
      // 400 answers and checks the AWS share against the weights.
      const runbook = join(world.dir, 'half-way.yaml');
      writeFileSync(
        runbook,
        [
          'name: half-way',
          'steps:',
          '  - id: shift',
          '    uses: route53.set-weights',
          '    with:',
          '      weights: { gcp: "50%", aws: "50%" }',
          '  - id: dns',
          '    uses: verify.dns',
          '    with:',
          '      to: aws',
          '',
        ].join('\n'),
      );
      const half = await cli(world, ['--yes', '--output', 'json', 'run', runbook], { timeoutMs: 420_000 });
      expect(half.code, half.stdout.slice(-2000)).toBe(0);
      const halfDns = (JSON.parse(half.stdout) as RunJson).outputs.dns?.dns ?? {};
      expect(halfDns).toMatchObject({ samples: 400, other: 0, server });
      expect(Number(halfDns.expectedAws)).toBeCloseTo(0.5, 1);
      expect(Math.abs(Number(halfDns.aws) / 400 - Number(halfDns.expectedAws))).toBeLessThanOrEqual(0.1);

      const full = await cli(world, ['--yes', '--output', 'json', 'to-aws'], { timeoutMs: 420_000 });
      expect(full.code, full.stderr.slice(-2000)).toBe(0);
      expect((JSON.parse(full.stdout) as RunJson).outputs.dns?.dns).toMatchObject({
        samples: 20,
        aws: 20,
        gcp: 0,
        other: 0,
      });
      expect(await dig(world)).toEqual([aws]);
      expect(await digTcp(world)).toEqual([aws]);
      const status = await cli(world, ['status'], { timeoutMs: 300_000 });
      expect(status.stdout).toContain(`DNS answers (${server}): admin.example.com: 20/20 answers → AWS`);
      const json = await cli(world, ['--output', 'json', 'status'], { timeoutMs: 300_000 });
      expect((JSON.parse(json.stdout) as { dns: DnsJson }).dns).toEqual({
        name: 'admin.example.com',
        server,
        samples: 20,
        gcp: 0,
        aws: 20,
        other: 0,
      });
    }));
});
