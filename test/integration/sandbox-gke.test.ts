/**
 * The real ClusterManagerClient (@google-cloud/container, google-gax, gRPC) against the GKE
 * emulator over loopback, with the options the production adapter uses for an endpoint override.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ClusterManagerClient } from '@google-cloud/container';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type GkeEmulator,
  gkeClusterName,
  localGoogleClientOptions,
  seedWriteupGke,
  startGkeEmulator,
} from '../../src/sandbox/gke/index.js';

/** A gRPC status carried by the error google-gax throws. */
interface GrpcFailure {
  code: number;
  details: string;
}

async function failure(promise: Promise<unknown>): Promise<GrpcFailure> {
  try {
    await promise;
  } catch (error) {
    const { code, details } = error as Partial<GrpcFailure>;
    if (typeof code === 'number' && typeof details === 'string') return { code, details };
    throw error;
  }
  throw new Error('expected the call to fail');
}

// Tripwires for the credential lookups the client options must avoid: a metadata "server" on
// loopback that counts hits, and an ADC path that does not exist (reading it would fail the call).
const TRIPWIRE_ENV = ['GCE_METADATA_HOST', 'GCE_METADATA_IP', 'GOOGLE_APPLICATION_CREDENTIALS'] as const;
const savedEnv = new Map<string, string | undefined>();
let metadataTripwire: Server;
let metadataHits = 0;

// Every TCP connection this process opens, to prove the emulator is the only peer.
interface Connection {
  address?: string;
  port?: number;
}
const connections: Connection[] = [];
const onSocket = (message: unknown): void => {
  const { socket } = message as { socket: Socket };
  const connection: Connection = {};
  connections.push(connection);
  socket.once('connect', () => {
    connection.address = socket.remoteAddress;
    connection.port = socket.remotePort;
  });
  socket.once('error', (error: NodeJS.ErrnoException & { address?: string; port?: number }) => {
    connection.address ??= error.address;
    connection.port ??= error.port;
  });
};

let emu: GkeEmulator;
let gke: ClusterManagerClient;
let adminGke: string;

beforeAll(async () => {
  metadataTripwire = createServer((_req, res) => {
    metadataHits += 1;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => metadataTripwire.listen(0, '127.0.0.1', resolve));
  const tripwireHost = `127.0.0.1:${(metadataTripwire.address() as AddressInfo).port}`;
  for (const name of TRIPWIRE_ENV) savedEnv.set(name, process.env[name]);
  process.env.GCE_METADATA_HOST = tripwireHost;
  process.env.GCE_METADATA_IP = tripwireHost;
  process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/failover-test-adc.json';
  subscribe('net.client.socket', onSocket);

  emu = await startGkeEmulator();
  const seed = seedWriteupGke(emu.model);
  adminGke = gkeClusterName(seed);
  gke = new ClusterManagerClient(localGoogleClientOptions(emu.endpoint));
});

afterEach(() => {
  emu.control.knobs.outage = false;
  emu.control.knobs.latencyMs = 0;
  emu.control.clearFaults();
  emu.control.log.clear();
});

afterAll(async () => {
  unsubscribe('net.client.socket', onSocket);
  await gke?.close();
  await emu?.close();
  await new Promise<void>((resolve) => metadataTripwire.close(() => resolve()));
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('GKE emulator with the real ClusterManagerClient', () => {
  it('seeds the write-up cluster', () => {
    expect(adminGke).toBe('projects/karte-prod/locations/asia-northeast1/clusters/admin-gke');
    expect(emu.endpoint).toBe(`127.0.0.1:${emu.port}`);
  });

  it('GetCluster returns the Cluster message with enums as names', async () => {
    const [cluster] = await gke.getCluster({ name: adminGke });
    expect(cluster).toMatchObject({
      name: 'admin-gke',
      location: 'asia-northeast1',
      status: 'RUNNING',
      statusMessage: '',
      conditions: [],
      currentMasterVersion: expect.stringMatching(/^1\.\d+\.\d+-gke\.\d+$/),
      endpoint: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
      locations: ['asia-northeast1-a', 'asia-northeast1-b', 'asia-northeast1-c'],
      selfLink:
        'https://container.googleapis.com/v1/projects/karte-prod/locations/asia-northeast1/clusters/admin-gke',
    });
    expect(cluster.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(cluster.nodePools).toHaveLength(1);
    expect(cluster.nodePools?.[0]).toMatchObject({
      name: 'default-pool',
      status: 'RUNNING',
      initialNodeCount: 3,
      autoscaling: { enabled: true, minNodeCount: 3, maxNodeCount: 10 },
    });
  });

  it('GetCluster also accepts the legacy projectId/zone/clusterId fields', async () => {
    const [cluster] = await gke.getCluster({
      projectId: 'karte-prod',
      zone: 'asia-northeast1',
      clusterId: 'admin-gke',
    });
    expect(cluster.name).toBe('admin-gke');
    const missing = await failure(
      gke.getCluster({ projectId: 'karte-prod', zone: 'asia-northeast1', clusterId: 'x' }),
    );
    expect(missing).toEqual({
      code: 5,
      details: 'Not found: projects/karte-prod/zones/asia-northeast1/clusters/x.',
    });
  });

  it('ListClusters lists a location, all locations (-), and via legacy fields', async () => {
    emu.model.createCluster({ project: 'karte-prod', location: 'us-central1-a', name: 'batch' });
    emu.model.createCluster({ project: 'other', location: 'asia-northeast1', name: 'elsewhere' });
    const [inTokyo] = await gke.listClusters({ parent: 'projects/karte-prod/locations/asia-northeast1' });
    expect(inTokyo.clusters?.map((c) => c.name)).toEqual(['admin-gke']);
    expect(inTokyo.missingZones).toEqual([]);
    const [everywhere] = await gke.listClusters({ parent: 'projects/karte-prod/locations/-' });
    expect(everywhere.clusters?.map((c) => [c.name, c.location])).toEqual([
      ['admin-gke', 'asia-northeast1'],
      ['batch', 'us-central1-a'],
    ]);
    const [legacy] = await gke.listClusters({ projectId: 'karte-prod', zone: 'us-central1-a' });
    expect(legacy.clusters?.map((c) => c.name)).toEqual(['batch']);
    expect(emu.control.log.operations()).toEqual(['ListClusters', 'ListClusters', 'ListClusters']);
  });

  it('an unknown cluster is NOT_FOUND (5) with the API message; a malformed name is INVALID_ARGUMENT (3)', async () => {
    const missing = await failure(
      gke.getCluster({ name: 'projects/karte-prod/locations/asia-northeast1/clusters/nope' }),
    );
    expect(missing).toEqual({
      code: 5,
      details: 'Not found: projects/karte-prod/locations/asia-northeast1/clusters/nope.',
    });
    const malformed = await failure(gke.getCluster({ name: 'admin-gke' }));
    expect(malformed.code).toBe(3);
    // Not retried: NOT_FOUND and INVALID_ARGUMENT are not in the client's retry codes.
    expect(emu.control.log.entries.map((e) => [e.operation, e.status, e.error])).toEqual([
      ['GetCluster', 5, 'NOT_FOUND'],
      ['GetCluster', 3, 'INVALID_ARGUMENT'],
    ]);
  });

  it('status, statusMessage and conditions set on the model reach the client', async () => {
    try {
      emu.model.setStatus(adminGke, 'DEGRADED', 'Some nodes are unavailable.');
      emu.model.setConditions(adminGke, [
        {
          code: 'GCE_STOCKOUT',
          message: 'Zone asia-northeast1-a is out of resources.',
          canonicalCode: 'RESOURCE_EXHAUSTED',
        },
      ]);
      emu.model.addCondition(adminGke, { message: 'Node pool default-pool is repairing.' });
      emu.model.setNodePoolStatus(adminGke, 'default-pool', 'RUNNING_WITH_ERROR', 'One node failed.');
      const [cluster] = await gke.getCluster({ name: adminGke });
      expect(cluster.status).toBe('DEGRADED');
      expect(cluster.statusMessage).toBe('Some nodes are unavailable.');
      expect(cluster.conditions).toEqual([
        {
          code: 'GCE_STOCKOUT',
          message: 'Zone asia-northeast1-a is out of resources.',
          canonicalCode: 'RESOURCE_EXHAUSTED',
        },
        { code: 'UNKNOWN', message: 'Node pool default-pool is repairing.', canonicalCode: 'UNKNOWN' },
      ]);
      expect(cluster.nodePools?.[0]?.status).toBe('RUNNING_WITH_ERROR');

      emu.model.setStatus(adminGke, 'RECONCILING');
      const [reconciling] = await gke.getCluster({ name: adminGke });
      expect(reconciling.status).toBe('RECONCILING');
      // Status alone keeps the message; setStatusMessage changes it.
      expect(reconciling.statusMessage).toBe('Some nodes are unavailable.');
      emu.model.setStatusMessage(adminGke, '');
      emu.model.clearConditions(adminGke);
      const [cleared] = await gke.getCluster({ name: adminGke });
      expect([cleared.statusMessage, cleared.conditions]).toEqual(['', []]);
    } finally {
      emu.model.setStatus(adminGke, 'RUNNING', '');
      emu.model.clearConditions(adminGke);
      emu.model.setNodePoolStatus(adminGke, 'default-pool', 'RUNNING');
    }
  });

  it('an outage is UNAVAILABLE (14); the client retries it and recovers when the outage ends', async () => {
    emu.control.knobs.outage = true;
    // Retries off for this call. (Not `maxRetries: 0`: google-gax writes that into the client's shared
    // retry settings, so every later call on the client would stop retrying too.)
    const down = await failure(gke.getCluster({ name: adminGke }, { retry: { retryCodes: [] } }));
    expect(down.code).toBe(14);
    expect(emu.control.log.entries).toHaveLength(1);
    emu.control.log.clear();

    // GetCluster is idempotent: google-gax retries UNAVAILABLE with backoff on its own.
    const outageOver = setTimeout(() => {
      emu.control.knobs.outage = false;
    }, 400);
    try {
      const [cluster] = await gke.getCluster({ name: adminGke });
      expect(cluster.status).toBe('RUNNING');
    } finally {
      clearTimeout(outageOver);
    }
    const statuses = emu.control.log.entries.map((e) => e.error ?? 'OK');
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(0, -1).every((s) => s === 'UNAVAILABLE')).toBe(true);
    expect(statuses.at(-1)).toBe('OK');
  });

  it('injected faults: server-error is INTERNAL (13), throttle is RESOURCE_EXHAUSTED (8), neither retried', async () => {
    emu.control.injectFault('server-error', { operation: 'GetCluster', count: 1 });
    expect((await failure(gke.getCluster({ name: adminGke }))).code).toBe(13);
    emu.control.injectFault('throttle', { operation: 'ListClusters', count: 1 });
    expect((await failure(gke.listClusters({ parent: 'projects/karte-prod/locations/-' }))).code).toBe(8);
    const [cluster] = await gke.getCluster({ name: adminGke });
    expect(cluster.status).toBe('RUNNING');
    expect(emu.control.log.entries.map((e) => [e.operation, e.error ?? 'OK'])).toEqual([
      ['GetCluster', 'INTERNAL'],
      ['ListClusters', 'RESOURCE_EXHAUSTED'],
      ['GetCluster', 'OK'],
    ]);
  });

  it('latency delays every answer', async () => {
    emu.control.knobs.latencyMs = 250;
    const started = performance.now();
    await gke.getCluster({ name: adminGke });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('unimplemented methods answer UNIMPLEMENTED (12) and are logged as mutating when they would be', async () => {
    const error = await failure(
      gke.setNodePoolSize({ name: `${adminGke}/nodePools/default-pool`, nodeCount: 5 }),
    );
    expect(error.code).toBe(12);
    await gke.getCluster({ name: adminGke });
    expect(emu.control.log.entries.map((e) => [e.service, e.operation, e.mutating])).toEqual([
      ['gke', 'SetNodePoolSize', true],
      ['gke', 'GetCluster', false],
    ]);
    expect(emu.model.getCluster(adminGke)?.nodePools[0]?.initialNodeCount).toBe(3);
  });

  it('a fresh client makes no credentials lookup and answers getProjectId locally', async () => {
    const started = performance.now();
    const client = new ClusterManagerClient(localGoogleClientOptions(emu.endpoint, { projectId: 'sandbox' }));
    try {
      const [cluster] = await client.getCluster({ name: adminGke });
      expect(cluster.name).toBe('admin-gke');
      expect(await client.getProjectId()).toBe('sandbox');
    } finally {
      await client.close();
    }
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(emu.control.log.operations()).toEqual(['GetCluster']);
  });

  it('across this file, nothing connected anywhere but the emulator, and nothing asked the metadata server', () => {
    // grpc-js shares subchannels between clients with the same target, so the sockets were opened by
    // the first calls; the subscription was in place before any client existed.
    expect(connections.length).toBeGreaterThan(0);
    expect(connections).toEqual(connections.map(() => ({ address: '127.0.0.1', port: emu.port })));
    expect(metadataHits).toBe(0);
  });
});
