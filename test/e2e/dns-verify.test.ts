/**
 * DNS answers on the wire around a real staged to-aws and a to-gcp in the sandbox: a DNS client
 * library (Node's resolver, a fresh channel per query, so nothing is cached; and dns-packet over
 * TCP) asks the sandbox's DNS server before, during a shift stopped at 50 % (200 answers within
 * the tolerance) and after; the runs sample the answers themselves (verify.dns, and the gate
 * between the stages of `to-aws --stages 50,100`: 400 answers within the tolerance); the step tree,
 * the report and `failover status` show the counts.
 */
import { Resolver } from 'node:dns/promises';
import { readFileSync, writeFileSync } from 'node:fs';
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

/** `dig` 200 times through c-ares: the answers per address. */
async function digMany(world: World, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const [address = 'none'] = await dig(world);
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  return counts;
}

interface RunJson {
  outcome: string;
  outputs: Record<
    string,
    { dns?: Record<string, number | string>; dnsStages?: Record<string, number | string>[]; ok?: boolean }
  >;
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
  it('answers GKE, a 50/50 split, GKE after to-gcp, AWS after a staged to-aws; runs, report and status count the answers', () =>
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

      // A resolver's view half-way (another client than the step's): 200 answers, the AWS share
      // within four standard deviations of a fair coin's (√(0.25/200) ≈ 3.5 points), as the step's
      // own 10 points are over 400 answers. A bound of 10 points here failed about 1 run in 270.
      const halfway = await digMany(world, 200);
      expect((halfway.get(gcp) ?? 0) + (halfway.get(aws) ?? 0)).toBe(200);
      const fourSigma = 4 * Math.sqrt(0.25 / 200);
      expect(Math.abs((halfway.get(aws) ?? 0) / 200 - Number(halfDns.expectedAws))).toBeLessThanOrEqual(
        fourSigma,
      );

      // A staged to-aws: the gate between the stages samples the DNS answers at 50 %… (from the
      // 50/50 split the runbook above left, the 50 % stage is already there and 100 % is next; so
      // go back to GKE first).
      const back = await cli(world, ['--yes', '--output', 'json', 'to-gcp'], { timeoutMs: 420_000 });
      expect(back.code, back.stderr.slice(-2000)).toBe(0);
      expect((JSON.parse(back.stdout) as RunJson).outputs.dns?.dns).toMatchObject({
        samples: 20,
        gcp: 20,
        aws: 0,
      });
      expect(await dig(world)).toEqual([gcp]);
      expect(await digTcp(world)).toEqual([gcp]);

      const report = join(world.dir, 'to-aws.md');
      const full = await cli(
        world,
        ['--yes', '--output', 'json', 'to-aws', '--stages', '50,100', '--report', `md:${report}`],
        {
          timeoutMs: 420_000,
        },
      );
      expect(full.code, full.stderr.slice(-2000)).toBe(0);
      const outputs = (JSON.parse(full.stdout) as RunJson).outputs;
      const [stage] = outputs.shift?.dnsStages ?? [];
      expect(stage).toMatchObject({ stage: '50%', samples: 400, other: 0, server });
      expect(Math.abs(Number(stage?.aws) / 400 - Number(stage?.expectedAws))).toBeLessThanOrEqual(0.1);
      // …and verify.dns every answer after it.
      expect(outputs.dns?.dns).toMatchObject({
        samples: 20,
        aws: 20,
        gcp: 0,
        other: 0,
      });
      // The step tree (NDJSON on stderr with --output json) said so as it happened; the report lists the check.
      expect(full.stderr).toMatch(
        /"stepId":"dns","level":"info","message":"admin\.example\.com: 20\/20 answers → AWS \(20 queries to 127\.0\.0\.1:\d+ in /,
      );
      expect(full.stderr).toMatch(
        /"stepId":"shift","level":"info","message":"stage 50%: admin\.example\.com: \d+\/400 → AWS, \d+\/400 → GCP; AWS share/,
      );
      expect(readFileSync(report, 'utf8')).toMatch(
        /\| dns \| DNS answers for admin\.example\.com \| ✅ ok \| admin\.example\.com: 20\/20 answers → AWS \|/,
      );
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
