/**
 * The tool's own Route 53 adapter (record-set mode and health checks) run unchanged against moto,
 * an independent Route 53 implementation, and against our emulator: same plan, same result, same
 * health verdict. Plus the record-set errors moto implements, compared with ours.
 */
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { createRoute53Reader, createRoute53Writer } from '../../src/providers/route53/adapter.js';
import { type Route53Emulator, startRoute53Emulator } from '../../src/sandbox/route53/index.js';
import { type MotoServer, motoInstalled, startMotoServer } from '../fixtures/moto-server.js';

const motoAvailable = motoInstalled();
if (!motoAvailable)
  console.log('Route 53 tool-against-moto conformance skipped: moto_server is not installed');

function client(endpoint: string): Route53Client {
  return new Route53Client({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

interface Setup {
  zoneId: string;
  healthCheckId: string;
}

const weighted = (id: string, weight: number, value: string): ResourceRecordSet => ({
  Name: 'shop.moto-conf.test.',
  Type: 'CNAME',
  SetIdentifier: id,
  Weight: weight,
  TTL: 60,
  ResourceRecords: [{ Value: value }],
});

/** The same starting state on either server: a zone with a weighted pair, one HTTPS health check. */
async function setUp(route53: Route53Client, tag: string): Promise<Setup> {
  const zone = await route53.send(
    new CreateHostedZoneCommand({ Name: 'moto-conf.test', CallerReference: `zone-${tag}-${Date.now()}` }),
  );
  const zoneId = String(zone.HostedZone?.Id).replace('/hostedzone/', '');
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          { Action: 'CREATE', ResourceRecordSet: weighted('gke-side', 255, 'gke-lb.example.net') },
          { Action: 'CREATE', ResourceRecordSet: weighted('aws-side', 0, 'aws-alb.example.net') },
        ],
      },
    }),
  );
  const check = await route53.send(
    new CreateHealthCheckCommand({
      CallerReference: `hc-${tag}-${Date.now()}`,
      HealthCheckConfig: {
        Type: 'HTTPS',
        FullyQualifiedDomainName: 'aws-alb.example.net',
        ResourcePath: '/healthz',
        RequestInterval: 10,
        FailureThreshold: 2,
      },
    }),
  );
  return { zoneId, healthCheckId: check.HealthCheck?.Id as string };
}

function optionsFor(endpoint: string, setup: Setup): AdapterOptions {
  const config = Config.parse({
    aws: { region: 'us-east-1' },
    route53: {
      endpoint,
      mode: 'record-sets',
      recordSets: {
        hostedZoneId: setup.zoneId,
        name: 'shop.moto-conf.test',
        type: 'CNAME',
        setIdentifiers: { gcp: 'gke-side', aws: 'aws-side' },
        pollInterval: 0.05,
      },
      healthChecks: { aws: setup.healthCheckId },
      rateLimit: { perSecond: 1000, burst: 1000 },
    },
  });
  return { config, env: { AWS_MAX_ATTEMPTS: '1' }, redactor: new Redactor(), runId: 'conf' };
}

/** What the tool does on one server: read, plan, apply, read, restore, read, health. */
async function runTool(endpoint: string, setup: Setup) {
  const options = optionsFor(endpoint, setup);
  const reader = createRoute53Reader(options);
  const before = await reader.describeWeights();
  const plan = await reader.planWeights({ gcp: 0, aws: 255 });
  const applied = await createRoute53Writer(options).applyWeights(plan, { comment: 'to aws' });
  const after = await reader.describeWeights();
  await createRoute53Writer(options).restoreWeights(applied.undo, { comment: 'back' });
  const restored = await reader.describeWeights();
  const health = await reader.healthChecks();
  return {
    before: before.map((t) => t.weights),
    // The zone ids differ between the servers; everything else in the diff must not.
    diff: plan.changes.map((c) => c.diff.split(setup.zoneId).join('ZONE')),
    after: after.map((t) => t.weights),
    restored: restored.map((t) => t.weights),
    health: health.map((h) => ({ role: h.role, healthy: h.healthy })),
  };
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!error) throw new Error('expected the call to fail');
  return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
}

const suiteName = motoAvailable
  ? 'the Route 53 adapter against moto and against our emulator'
  : 'the Route 53 adapter against moto — skipped: moto_server is not installed on this machine';

describe.skipIf(!motoAvailable)(suiteName, { timeout: 30_000 }, () => {
  let moto: MotoServer | undefined;
  let motoUrl: string;
  let emu: Route53Emulator;
  let motoClient: Route53Client;
  let ourClient: Route53Client;

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    moto = await startMotoServer();
    motoUrl = moto.url;
    emu = await startRoute53Emulator({ rateLimit: false });
    motoClient = client(motoUrl);
    ourClient = client(emu.url);
  });

  afterAll(async () => {
    motoClient?.destroy();
    ourClient?.destroy();
    await emu?.close();
    await moto?.stop();
  });

  it('record-set mode and health checks: the tool reads, plans, shifts and restores the same on both', async () => {
    const onMoto = await runTool(motoUrl, await setUp(motoClient, 'moto'));
    const onOurs = await runTool(emu.url, await setUp(ourClient, 'ours'));
    expect(onOurs).toEqual(onMoto);
    expect(onOurs.before).toEqual([{ gcp: 255, aws: 0 }]);
    expect(onOurs.after).toEqual([{ gcp: 0, aws: 255 }]);
    expect(onOurs.restored).toEqual([{ gcp: 255, aws: 0 }]);
    expect(onOurs.health).toEqual([{ role: 'aws', healthy: true }]);
  });

  it('health checks: the same defaults filled in, the same observation shape, the same not-found error', async () => {
    const read = async (route53: Route53Client, tag: string) => {
      const { healthCheckId } = await setUp(route53, `${tag}-hc`);
      const got = await route53.send(new GetHealthCheckCommand({ HealthCheckId: healthCheckId }));
      const status = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId }));
      const missing = await errorOf(
        route53.send(
          new GetHealthCheckStatusCommand({ HealthCheckId: '11111111-2222-3333-4444-555555555555' }),
        ),
      );
      return { config: got.HealthCheck?.HealthCheckConfig, status, missing };
    };
    const fromMoto = await read(motoClient, 'moto');
    const fromUs = await read(ourClient, 'ours');
    for (const key of [
      'Type',
      'FullyQualifiedDomainName',
      'ResourcePath',
      'RequestInterval',
      'FailureThreshold',
    ]) {
      expect([key, fromUs.config?.[key as 'Type']]).toEqual([key, fromMoto.config?.[key as 'Type']]);
    }
    // Port 443 for HTTPS when none is given, as the service fills it in.
    expect(fromUs.config?.Port).toBe(443);
    const observation = (s: typeof fromUs.status) => s.HealthCheckObservations?.[0];
    expect(Object.keys(observation(fromUs.status) ?? {}).sort()).toEqual(
      Object.keys(observation(fromMoto.status) ?? {}).sort(),
    );
    expect(observation(fromUs.status)?.StatusReport?.Status).toMatch(/^Success: /);
    expect(observation(fromMoto.status)?.StatusReport?.Status).toMatch(/^Success: /);
    expect(observation(fromUs.status)?.StatusReport?.CheckedTime).toBeInstanceOf(Date);
    expect(fromUs.missing).toEqual(fromMoto.missing);
  });

  it('record-set errors moto implements agree; where moto departs from the service we follow the service', async () => {
    const tryBatch = (route53: Route53Client, zoneId: string, changes: Change[]) =>
      errorOf(
        route53.send(
          new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }),
        ),
      );
    const motoZone = (await setUp(motoClient, 'moto-err')).zoneId;
    const ourZone = (await setUp(ourClient, 'ours-err')).zoneId;
    const outside: Change[] = [
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'www.elsewhere.test',
          Type: 'A',
          TTL: 60,
          ResourceRecords: [{ Value: '192.0.2.1' }],
        },
      },
    ];
    const a = await tryBatch(motoClient, motoZone, outside);
    const b = await tryBatch(ourClient, ourZone, outside);
    expect([b.name, b.status]).toEqual([a.name, a.status]);
    expect([b.name, b.status]).toEqual(['InvalidChangeBatch', 400]);
    // Same text; the service (and we) put InvalidChangeBatch problems in a bracketed list.
    expect(b.message).toBe(`[${a.message.replace('www.elsewhere.test ', 'www.elsewhere.test. ')}]`);

    const noZone = await errorOf(
      motoClient.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'ZNOPE' })),
    );
    const ourNoZone = await errorOf(
      ourClient.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'ZNOPE' })),
    );
    expect(ourNoZone).toEqual(noZone);

    // A DELETE of a record that does not exist: moto answers InvalidInput with a structural
    // message; Route 53 answers InvalidChangeBatch "… but it was not found", which we follow.
    const deleteMissing: Change[] = [
      { Action: 'DELETE', ResourceRecordSet: weighted('gone', 1, 'x.example.net') },
    ];
    expect((await tryBatch(motoClient, motoZone, deleteMissing)).name).toBe('InvalidInput');
    const ours = await tryBatch(ourClient, ourZone, deleteMissing);
    expect(ours.name).toBe('InvalidChangeBatch');
    expect(ours.message).toContain('but it was not found');
  });
});
