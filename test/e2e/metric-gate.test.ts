/**
 * The metric gate end to end: the sandbox's Datadog emulator follows the AWS side, `sandbox
 * errors` forces its error rate, and to-aws must stop before any weight moves (read back through
 * the AWS SDK from the Route 53 emulator, not from the tool's output). A game day that fails still
 * cancels the downtime it scheduled. The Datadog keys never reach output or journal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetTrafficPolicyCommand,
  GetTrafficPolicyInstanceCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, limiter, runsDir, startCli, stopWorlds, type World, withWorld } from './failover-helpers.js';
import { assertBuilt, cliEnv, failover, removeTempDirs, tempDir } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

const slot = limiter(2);
/** Several CLI runs each, on a small shared machine. */
const TIMEOUT = 300_000;

/** The weights Route 53 serves, as any AWS client reads them: instance → policy version → document. */
async function route53Weights(world: World): Promise<Record<string, number>> {
  const route53 = new Route53Client({
    region: 'us-east-1',
    endpoint: world.sandbox.info.route53.endpoint,
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  });
  const id = world.sandbox.info.route53.trafficPolicyInstanceIds[0]!;
  const { TrafficPolicyInstance: instance } = await route53.send(
    new GetTrafficPolicyInstanceCommand({ Id: id }),
  );
  const { TrafficPolicy: policy } = await route53.send(
    new GetTrafficPolicyCommand({ Id: instance!.TrafficPolicyId!, Version: instance!.TrafficPolicyVersion! }),
  );
  const document = JSON.parse(policy!.Document!) as {
    Rules: Record<string, { RuleType: string; Items?: { EndpointReference: string; Weight: string }[] }>;
  };
  const split = Object.values(document.Rules).find((r) => r.RuleType === 'weighted');
  return Object.fromEntries((split?.Items ?? []).map((i) => [i.EndpointReference, Number(i.Weight)]));
}

function journalsText(world: World): string {
  const dir = runsDir(world);
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

describe.concurrent('metric gate (sandbox Datadog)', { timeout: TIMEOUT }, () => {
  it('with AWS at 30 % errors to-aws stops before the weights move and names the query and value; with auto it succeeds', () =>
    slot(() =>
      withWorld(async (world) => {
        const before = await route53Weights(world);
        expect(before).toEqual({ gke: 255, aws: 0 });

        const set = await cli(world, ['sandbox', 'errors', 'aws', '30', '--dir', world.dir]);
        expect(set.code, set.stderr).toBe(0);
        const stopped = await cli(world, ['to-aws', '--yes'], { timeoutMs: 240_000 });
        expect(stopped.code, `${stopped.stdout}\n${stopped.stderr}`).toBe(1);
        const said = `${stopped.stdout}\n${stopped.stderr}`;
        // Which query, and the value it read.
        expect(said, said).toContain(
          'sum:trace.http.request.errors{service:admin,cloud:aws}.as_rate() / sum:trace.http.request.hits{service:admin,cloud:aws}.as_rate() * 100',
        );
        expect(said, said).toContain('value 30 outside <= 1');
        expect(said).toContain('admin 5xx rate on AWS (Alert)');
        expect(await route53Weights(world)).toEqual(before);
        // Judged by the Datadog emulator, twice (failureThreshold 2), and no weight update was sent.
        const ops = world.sandbox.requests();
        expect(ops.filter((r) => r.service === 'datadog' && r.operation === 'QueryMetrics').length).toBe(2);
        expect(ops.some((r) => r.operation === 'UpdateTrafficPolicyInstance')).toBe(false);

        const auto = await cli(world, ['sandbox', 'errors', 'aws', 'auto', '--dir', world.dir]);
        expect(auto.code, auto.stderr).toBe(0);
        const moved = await cli(world, ['to-aws', '--yes'], { timeoutMs: 240_000 });
        expect(moved.code, `${moved.stdout}\n${moved.stderr}`).toBe(0);
        const movedSaid = `${moved.stdout}\n${moved.stderr}`;
        expect(movedSaid).toMatch(/✓ aws-metrics \d/);
        expect(movedSaid).toMatch(/✓ aws-metrics-after \d/);
        expect(await route53Weights(world)).toEqual({ gke: 0, aws: 255 });

        // The keys the sandbox config names are secrets: never printed, never journaled.
        const keys = [world.sandbox.datadog.keys.apiKey, world.sandbox.datadog.keys.appKey];
        const everything = `${said}\n${movedSaid}\n${journalsText(world)}`;
        for (const key of keys) expect(everything).not.toContain(key);
        expect(journalsText(world)).toContain('check.metric');
      }),
    ));

  it('a game day whose to-aws fails the gate still cancels the downtime it scheduled, and the report says so', () =>
    slot(() =>
      withWorld(async (world) => {
        await cli(world, ['sandbox', 'errors', 'aws', '30', '--dir', world.dir]);
        const report = join(world.dir, 'game-day.md');
        const r = await cli(
          world,
          ['drill', '--mode', 'game-day', '--hold', '0s', '--yes', '--report', `md:${report}`],
          { timeoutMs: 240_000 },
        );
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
        const downtimes = world.sandbox.datadog.model.downtimes;
        expect(downtimes).toHaveLength(1);
        expect(downtimes[0]).toMatchObject({ scope: ['cloud:gcp'], monitorTags: ['service:admin'] });
        expect(downtimes[0]?.canceled, `${r.stdout}\n${r.stderr}`).toBeGreaterThan(0);
        const md = readFileSync(report, 'utf8');
        const id = downtimes[0]?.id;
        expect(md).toContain(
          `- Datadog downtime ${id} (scope cloud:gcp; monitors service:admin) scheduled for GKE`,
        );
        expect(md).toContain(`- Datadog downtime ${id} (scope cloud:gcp; monitors service:admin): cancelled`);
        expect(await route53Weights(world)).toEqual({ gke: 255, aws: 0 });
      }),
    ));

  it('a game day left with a second Ctrl-C (exit at once) still cancels its downtime on the way out', () =>
    slot(() =>
      withWorld(async (world) => {
        const running = startCli(world, ['drill', '--mode', 'game-day', '--hold', '0s', '--yes'], 240_000);
        // Inside to-aws, past the downtime and the lock.
        await running.waitForStderr(/^▶ (activate-aws|aws-running)/m, 120_000);
        expect(world.sandbox.datadog.model.downtimes).toHaveLength(1);
        running.child.kill('SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 150));
        running.child.kill('SIGINT');
        const r = await running.exited;
        expect(r.code, r.stderr).toBe(3);
        expect(r.stderr).toMatch(/second SIGINT: exiting/);
        const [downtime] = world.sandbox.datadog.model.downtimes;
        expect(downtime?.canceled, r.stderr).toBeGreaterThan(0);
        expect(r.stderr).toContain(
          `Datadog downtime ${downtime?.id} (scope cloud:gcp; monitors service:admin) cancelled`,
        );
      }),
    ));

  it('to-gcp gates on GKE: with GKE at 30 % errors the traffic stays on AWS; with auto it moves back', () =>
    slot(() =>
      withWorld(async (world) => {
        const toAws = await cli(world, ['to-aws', '--yes'], { timeoutMs: 240_000 });
        expect(toAws.code, `${toAws.stdout}\n${toAws.stderr}`).toBe(0);
        expect(await route53Weights(world)).toEqual({ gke: 0, aws: 255 });

        await cli(world, ['sandbox', 'errors', 'gcp', '30', '--dir', world.dir]);
        const stopped = await cli(world, ['to-gcp', '--yes'], { timeoutMs: 240_000 });
        expect(stopped.code, `${stopped.stdout}\n${stopped.stderr}`).toBe(1);
        const said = `${stopped.stdout}\n${stopped.stderr}`;
        expect(said).toMatch(/✗ gke-metrics /);
        expect(said).toContain(
          'sum:trace.http.request.errors{service:admin,cloud:gcp}.as_rate() / sum:trace.http.request.hits{service:admin,cloud:gcp}.as_rate() * 100',
        );
        expect(said).toContain('value 30 outside <= 1');
        expect(await route53Weights(world)).toEqual({ gke: 0, aws: 255 });

        await cli(world, ['sandbox', 'errors', 'gcp', 'auto', '--dir', world.dir]);
        const back = await cli(world, ['to-gcp', '--yes'], { timeoutMs: 240_000 });
        expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
        expect(`${back.stdout}\n${back.stderr}`).toMatch(/✓ gke-metrics-after \d/);
        expect(await route53Weights(world)).toEqual({ gke: 255, aws: 0 });
      }),
    ));

  it('the emulated series follow the sandbox: a side at 0 ready or down answers 100 %, a healthy one about 0.1 %', () =>
    slot(() =>
      withWorld(async (world) => {
        // Prometheus's HTTP API, as any client asks it.
        const rate = async (cloud: string): Promise<number> => {
          const query = `100 * sum(rate(http_requests_total{cloud="${cloud}",code=~"5.."}[1m])) / sum(rate(http_requests_total{cloud="${cloud}"}[1m]))`;
          const response = await fetch(
            `${world.sandbox.info.prometheus.endpoint}/api/v1/query?${new URLSearchParams({ query })}`,
          );
          const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
          return Number(body.data.result[0]?.value[1]);
        };
        expect(await rate('aws')).toBe(100); // the standby: every Deployment at 0
        const gke = await rate('gcp');
        expect(gke).toBeGreaterThan(0);
        expect(gke).toBeLessThan(0.2);
        world.sandbox.outage('gke', true);
        expect(await rate('gcp')).toBe(100);
        world.sandbox.outage('gke', false);
        expect(await rate('gcp')).toBeLessThan(0.2);
        await cli(world, ['sandbox', 'errors', 'gcp', '7.5', '--dir', world.dir]);
        expect(await rate('gcp')).toBe(7.5);
      }),
    ));

  // The arguments are checked before the sandbox is looked for: no sandbox needs to run here.
  it('`sandbox errors` refuses a bad side or percentage with exit 2', async () => {
    const dir = tempDir('failover-sandbox-errors-');
    const side = await failover(['sandbox', 'errors', 'azure', '5', '--dir', dir], {
      env: cliEnv(dir),
      cwd: dir,
    });
    expect(side.code).toBe(2);
    expect(side.stderr).toContain('unknown side "azure"');
    const pct = await failover(['sandbox', 'errors', 'aws', '130', '--dir', dir], {
      env: cliEnv(dir),
      cwd: dir,
    });
    expect(pct.code).toBe(2);
    expect(pct.stderr).toContain('from 0 to 100');
  });
});
