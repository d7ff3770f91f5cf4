/**
 * The same record-set scenario through the real SDK against moto (an independent Route 53
 * emulator) and against ours, comparing the shapes of the answers: keys and value types, not ids.
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Route53Emulator, startRoute53Emulator } from '../../src/sandbox/route53/index.js';
import { type MotoServer, motoInstalled, startMotoServer } from '../fixtures/moto-server.js';

const motoAvailable = motoInstalled();

type Shape = string | Shape[] | { [key: string]: Shape };

/** What a value looks like: its keys and the types of its leaves, recursively. */
function shapeOf(value: unknown): Shape {
  if (value instanceof Date) return 'Date';
  if (Array.isArray(value)) {
    const shapes = value.map(shapeOf).map((s) => JSON.stringify(s));
    return [...new Set(shapes)].sort().map((s) => JSON.parse(s) as Shape);
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([key, v]) => key !== '$metadata' && v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, v]) => [key, shapeOf(v)]);
    return Object.fromEntries(entries) as Shape;
  }
  return typeof value;
}

/** Paths where the two shapes differ: `only moto: …`, `only ours: …`, `differs: …`. */
function shapeDifferences(moto: Shape, ours: Shape, path: string): string[] {
  const isRecord = (s: Shape): s is { [key: string]: Shape } => typeof s === 'object' && !Array.isArray(s);
  if (isRecord(moto) && isRecord(ours)) {
    const keys = [...new Set([...Object.keys(moto), ...Object.keys(ours)])].sort();
    return keys.flatMap((key) => {
      if (!(key in ours)) return [`only moto: ${path}.${key}`];
      if (!(key in moto)) return [`only ours: ${path}.${key}`];
      return shapeDifferences(moto[key] as Shape, ours[key] as Shape, `${path}.${key}`);
    });
  }
  if (Array.isArray(moto) && Array.isArray(ours) && moto.length === 1 && ours.length === 1) {
    return shapeDifferences(moto[0] as Shape, ours[0] as Shape, `${path}[]`);
  }
  return JSON.stringify(moto) === JSON.stringify(ours) ? [] : [`differs: ${path}`];
}

/**
 * Where moto departs from the real service, with the real behaviour we follow:
 * - DelegationSet carries Id and CallerReference only for reusable delegation sets; a zone
 *   created without one gets NameServers alone.
 * - ChangeInfo echoes the batch's Comment.
 */
const KNOWN_MOTO_DEVIATIONS = [
  'only moto: created.DelegationSet.CallerReference',
  'only moto: created.DelegationSet.Id',
  'only moto: got.DelegationSet.CallerReference',
  'only moto: got.DelegationSet.Id',
  'only ours: changed.ChangeInfo.Comment',
  'only ours: change.ChangeInfo.Comment',
];

function client(endpoint: string): Route53Client {
  return new Route53Client({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

const weighted = (id: string, weight: number, value: string): ResourceRecordSet => ({
  Name: 'app.shapes.test',
  Type: 'A',
  SetIdentifier: id,
  Weight: weight,
  TTL: 60,
  ResourceRecords: [{ Value: value }],
});

/** The record-set mode of a failover: zone, weighted split, list, wait for the change. */
async function runScenario(route53: Route53Client) {
  const created = await route53.send(
    new CreateHostedZoneCommand({ Name: 'shapes.test', CallerReference: `shapes-${Date.now()}` }),
  );
  const zoneId = created.HostedZone?.Id as string;
  const got = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
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
  const listed = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  const change = await route53.send(new GetChangeCommand({ Id: changed.ChangeInfo?.Id }));
  const shifted = await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          { Action: 'UPSERT', ResourceRecordSet: weighted('gke', 0, '203.0.113.10') },
          { Action: 'UPSERT', ResourceRecordSet: weighted('aws', 255, '203.0.113.20') },
        ],
      },
    }),
  );
  const after = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: 'app.shapes.test' }),
  );
  let duplicateCreate: { name: string; status?: number } | undefined;
  try {
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [{ Action: 'CREATE', ResourceRecordSet: weighted('gke', 0, '203.0.113.10') }],
        },
      }),
    );
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    duplicateCreate = { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  return { created, got, changed, listed, change, shifted, after, duplicateCreate };
}

const suiteName = motoAvailable
  ? 'record sets: our emulator answers in the same shapes as moto'
  : 'record sets against moto — skipped: moto_server is not installed on this machine';

describe.skipIf(!motoAvailable)(suiteName, { timeout: 30_000 }, () => {
  let moto: MotoServer | undefined;
  let motoUrl: string;
  let emu: Route53Emulator;

  beforeAll(async () => {
    moto = await startMotoServer();
    motoUrl = moto.url;
    emu = await startRoute53Emulator({ rateLimit: false });
  });

  afterAll(async () => {
    await emu?.close();
    await moto?.stop();
  });

  it('answers every step of the scenario with the same keys and value types', async () => {
    const motoClient = client(motoUrl);
    const ourClient = client(emu.url);
    const fromMoto = await runScenario(motoClient);
    const fromUs = await runScenario(ourClient);
    motoClient.destroy();
    ourClient.destroy();

    const differences = (
      ['created', 'got', 'changed', 'listed', 'change', 'shifted', 'after'] as const
    ).flatMap((step) => shapeDifferences(shapeOf(fromMoto[step]), shapeOf(fromUs[step]), step));
    expect(differences.filter((d) => !KNOWN_MOTO_DEVIATIONS.includes(d))).toEqual([]);

    // Same content where both are deterministic (moto keeps insertion order within a name and
    // type, we order by set identifier; the API documents no order there).
    const bySetIdentifier = (records: ResourceRecordSet[] = []) =>
      [...records].sort((a, b) => (a.SetIdentifier ?? '').localeCompare(b.SetIdentifier ?? ''));
    expect(bySetIdentifier(fromUs.after.ResourceRecordSets)).toEqual(
      bySetIdentifier(fromMoto.after.ResourceRecordSets),
    );
    const keys = (records: ResourceRecordSet[] = []) =>
      records.map((r) => `${r.Name} ${r.Type} ${r.SetIdentifier ?? '-'}`).sort();
    expect(keys(fromUs.listed.ResourceRecordSets)).toEqual(keys(fromMoto.listed.ResourceRecordSets));

    // The real service rejects a CREATE of an existing record; moto 5 accepts it, so only ours is checked.
    expect(fromUs.duplicateCreate).toEqual({ name: 'InvalidChangeBatch', status: 400 });
  });
});
