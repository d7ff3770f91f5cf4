/**
 * The real AwsClustersClient (@google-cloud/gkemulticloud 3.1 on google-gax 5, gRPC) against the
 * Anthos-clusters-on-AWS emulator over loopback, with the options the production adapter uses for
 * an endpoint override. Running on Node 20 is itself part of the point: the package declares
 * node >=22, and package.json pins it to the google-gax 5 the rest of the tool uses.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AwsClustersClient } from '@google-cloud/gkemulticloud';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnthosAwsEmulator,
  awsClusterName,
  CLUSTER_NOT_FOUND,
  localGoogleClientOptions,
  NODE_POOL_NOT_FOUND,
  seedWriteupAnthos,
  startAnthosAwsEmulator,
} from '../../src/sandbox/anthos-aws/index.js';

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

let emu: AnthosAwsEmulator;
let aws: AwsClustersClient;
let adminAws: string;

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

  emu = await startAnthosAwsEmulator();
  adminAws = awsClusterName(seedWriteupAnthos(emu.model));
  aws = new AwsClustersClient(localGoogleClientOptions(emu.endpoint));
  // The API is deprecated upstream; the client's process warnings are noise in test output.
  aws.warn = () => {};
});

afterEach(() => {
  emu.control.knobs.outage = false;
  emu.control.knobs.latencyMs = 0;
  emu.control.clearFaults();
  emu.control.log.clear();
});

afterAll(async () => {
  unsubscribe('net.client.socket', onSocket);
  await aws?.close();
  await emu?.close();
  await new Promise<void>((resolve) => metadataTripwire.close(() => resolve()));
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('Anthos-on-AWS emulator with the real AwsClustersClient', () => {
  it('runs on this Node with google-gax 5 (the package itself declares node >=22)', () => {
    expect(process.versions.node.split('.')[0]).toBe('20');
    expect(emu.endpoint).toBe(`127.0.0.1:${emu.port}`);
  });

  it('GetAwsCluster returns the AwsCluster message: full name, state by name, timestamps', async () => {
    expect(adminAws).toBe('projects/karte-prod/locations/us-east4/awsClusters/admin-aws');
    const before = Math.floor(Date.now() / 1000);
    const [cluster] = await aws.getAwsCluster({ name: adminAws });
    expect(cluster).toMatchObject({
      name: adminAws,
      state: 'RUNNING',
      reconciling: false,
      errors: [],
      awsRegion: 'us-east-1',
      endpoint: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      controlPlane: { version: expect.stringMatching(/^1\.\d+\.\d+-gke\.\d+$/) },
      fleet: {
        membership: expect.stringMatching(/^projects\/\d+\/locations\/global\/memberships\/admin-aws$/),
      },
    });
    // int64 seconds come back as a string; the seed was created moments ago.
    expect(Number(cluster.createTime?.seconds)).toBeGreaterThan(before - 60);
    expect(Number(cluster.createTime?.seconds)).toBeLessThanOrEqual(before + 1);
    expect(typeof cluster.etag).toBe('string');
  });

  it('ListAwsClusters lists one location or all (-) and pages with next_page_token', async () => {
    for (const name of ['batch-aws', 'canary-aws', 'zeta-aws']) {
      emu.model.createCluster({ project: 'karte-prod', location: 'us-west1', name });
    }
    emu.model.createCluster({ project: 'other', location: 'us-east4', name: 'elsewhere' });
    const [inUsEast4] = await aws.listAwsClusters({ parent: 'projects/karte-prod/locations/us-east4' });
    expect(inUsEast4.map((c) => c.name)).toEqual([adminAws]);

    // The client follows next_page_token by itself: 4 clusters in pages of 3 take two calls.
    const [everywhere] = await aws.listAwsClusters({
      parent: 'projects/karte-prod/locations/-',
      pageSize: 3,
    });
    expect(everywhere.map((c) => c.name?.split('/').at(-1))).toEqual([
      'admin-aws',
      'batch-aws',
      'canary-aws',
      'zeta-aws',
    ]);
    expect(emu.control.log.operations()).toEqual(['ListAwsClusters', 'ListAwsClusters', 'ListAwsClusters']);

    // One page at a time: the token is what the next request carries.
    const [first, , firstResponse] = await aws.listAwsClusters(
      { parent: 'projects/karte-prod/locations/-', pageSize: 3 },
      { autoPaginate: false },
    );
    expect(first).toHaveLength(3);
    expect(firstResponse?.nextPageToken).toBeTruthy();
    const [rest, , restResponse] = await aws.listAwsClusters(
      {
        parent: 'projects/karte-prod/locations/-',
        pageSize: 3,
        pageToken: firstResponse?.nextPageToken ?? '',
      },
      { autoPaginate: false },
    );
    expect(rest.map((c) => c.name?.split('/').at(-1))).toEqual(['zeta-aws']);
    expect(restResponse?.nextPageToken).toBe('');
  });

  it('node pools: List and Get, NOT_FOUND for an unknown pool', async () => {
    const [pools] = await aws.listAwsNodePools({ parent: adminAws });
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({
      name: `${adminAws}/awsNodePools/general`,
      state: 'RUNNING',
      autoscaling: { minNodeCount: 2, maxNodeCount: 10 },
      errors: [],
    });
    const [pool] = await aws.getAwsNodePool({ name: `${adminAws}/awsNodePools/general` });
    expect(pool.subnetId).toMatch(/^subnet-[0-9a-f]{17}$/);
    const missing = await failure(aws.getAwsNodePool({ name: `${adminAws}/awsNodePools/nope` }));
    expect(missing).toEqual({ code: 5, details: NODE_POOL_NOT_FOUND });
  });

  it('an unknown cluster is NOT_FOUND (5) with the API wording; a malformed name is INVALID_ARGUMENT (3)', async () => {
    const missing = await failure(
      aws.getAwsCluster({ name: 'projects/karte-prod/locations/us-east4/awsClusters/nope' }),
    );
    expect(missing).toEqual({ code: 5, details: CLUSTER_NOT_FOUND });
    expect(CLUSTER_NOT_FOUND).toBe('cluster not found');
    const poolsOfMissing = await failure(
      aws.listAwsNodePools({ parent: 'projects/karte-prod/locations/us-east4/awsClusters/nope' }),
    );
    expect(poolsOfMissing.code).toBe(5);
    const malformed = await failure(aws.getAwsCluster({ name: 'admin-aws' }));
    expect(malformed.code).toBe(3);
    // Not retried: NOT_FOUND and INVALID_ARGUMENT are not in the client's retry codes.
    expect(emu.control.log.entries.map((e) => [e.operation, e.status, e.error])).toEqual([
      ['GetAwsCluster', 5, 'NOT_FOUND'],
      ['ListAwsNodePools', 5, 'NOT_FOUND'],
      ['GetAwsCluster', 3, 'INVALID_ARGUMENT'],
    ]);
  });

  it('state, reconciling and errors set on the model reach the client', async () => {
    try {
      emu.model.setState(adminAws, 'DEGRADED');
      emu.model.setErrors(adminAws, [{ message: 'Control plane replica in us-east-1a is unreachable.' }]);
      emu.model.addError(adminAws, { message: 'KMS key is disabled.' });
      emu.model.setNodePoolState(adminAws, 'general', 'ERROR', [{ message: 'Instance profile missing.' }]);
      const [degraded] = await aws.getAwsCluster({ name: adminAws });
      expect(degraded.state).toBe('DEGRADED');
      expect(degraded.reconciling).toBe(false);
      expect(degraded.errors).toEqual([
        { message: 'Control plane replica in us-east-1a is unreachable.' },
        { message: 'KMS key is disabled.' },
      ]);
      const [[pool]] = await aws.listAwsNodePools({ parent: adminAws });
      expect([pool?.state, pool?.errors]).toEqual(['ERROR', [{ message: 'Instance profile missing.' }]]);

      emu.model.setState(adminAws, 'RECONCILING');
      emu.model.clearErrors(adminAws);
      const [reconciling] = await aws.getAwsCluster({ name: adminAws });
      expect([reconciling.state, reconciling.reconciling, reconciling.errors]).toEqual([
        'RECONCILING',
        true,
        [],
      ]);
      // update_time moves with every change; create_time does not.
      expect(Number(reconciling.updateTime?.seconds)).toBeGreaterThanOrEqual(
        Number(reconciling.createTime?.seconds),
      );

      emu.model.setState(adminAws, 'RUNNING', true);
      const [runningWithChanges] = await aws.getAwsCluster({ name: adminAws });
      expect([runningWithChanges.state, runningWithChanges.reconciling]).toEqual(['RUNNING', true]);
    } finally {
      emu.model.setState(adminAws, 'RUNNING');
      emu.model.clearErrors(adminAws);
      emu.model.setNodePoolState(adminAws, 'general', 'RUNNING');
    }
  });

  it('an outage is UNAVAILABLE (14); the client retries it and recovers when the outage ends', async () => {
    emu.control.knobs.outage = true;
    // Retries off for this call (not `maxRetries`, which google-gax writes into the shared settings).
    const down = await failure(aws.getAwsCluster({ name: adminAws }, { retry: { retryCodes: [] } }));
    expect(down).toEqual({ code: 14, details: 'The service is currently unavailable.' });
    expect(emu.control.log.entries).toHaveLength(1);
    emu.control.log.clear();

    // GetAwsCluster retries UNAVAILABLE on its own (aws_clusters_client_config.json), from 1 s backoff.
    const outageOver = setTimeout(() => {
      emu.control.knobs.outage = false;
    }, 300);
    try {
      const [cluster] = await aws.getAwsCluster({ name: adminAws }, { timeout: 10_000 });
      expect(cluster.state).toBe('RUNNING');
    } finally {
      clearTimeout(outageOver);
    }
    const statuses = emu.control.log.entries.map((e) => e.error ?? 'OK');
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(0, -1).every((s) => s === 'UNAVAILABLE')).toBe(true);
    expect(statuses.at(-1)).toBe('OK');
  });

  it('injected faults: server-error is INTERNAL (13), throttle is RESOURCE_EXHAUSTED (8), neither retried', async () => {
    emu.control.injectFault('server-error', { operation: 'GetAwsCluster', count: 1 });
    expect((await failure(aws.getAwsCluster({ name: adminAws }))).code).toBe(13);
    emu.control.injectFault('throttle', { operation: 'ListAwsClusters', count: 1 });
    expect((await failure(aws.listAwsClusters({ parent: 'projects/karte-prod/locations/-' }))).code).toBe(8);
    const [cluster] = await aws.getAwsCluster({ name: adminAws });
    expect(cluster.state).toBe('RUNNING');
    expect(emu.control.log.entries.map((e) => [e.operation, e.error ?? 'OK'])).toEqual([
      ['GetAwsCluster', 'INTERNAL'],
      ['ListAwsClusters', 'RESOURCE_EXHAUSTED'],
      ['GetAwsCluster', 'OK'],
    ]);
  });

  it('latency delays every answer', async () => {
    emu.control.knobs.latencyMs = 250;
    const started = performance.now();
    await aws.getAwsCluster({ name: adminAws });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('unimplemented methods answer UNIMPLEMENTED (12) and are logged as mutating when they would be', async () => {
    const deletion = await failure(aws.deleteAwsCluster({ name: adminAws }));
    expect(deletion.code).toBe(12);
    const serverConfig = await failure(
      aws.getAwsServerConfig({ name: 'projects/karte-prod/locations/us-east4/awsServerConfig' }),
    );
    expect(serverConfig.code).toBe(12);
    expect(emu.control.log.entries.map((e) => [e.service, e.operation, e.mutating])).toEqual([
      ['anthos-aws', 'DeleteAwsCluster', true],
      ['anthos-aws', 'GetAwsServerConfig', false],
    ]);
    expect(emu.model.getCluster(adminAws)?.state).toBe('RUNNING');
  });

  it('a fresh client makes no credentials lookup and answers getProjectId locally', async () => {
    const started = performance.now();
    const client = new AwsClustersClient(localGoogleClientOptions(emu.endpoint, { projectId: 'sandbox' }));
    client.warn = () => {};
    try {
      const [cluster] = await client.getAwsCluster({ name: adminAws });
      expect(cluster.state).toBe('RUNNING');
      expect(await client.getProjectId()).toBe('sandbox');
    } finally {
      await client.close();
    }
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(emu.control.log.operations()).toEqual(['GetAwsCluster']);
  });

  it('across this file, nothing connected anywhere but the emulator, and nothing asked the metadata server', () => {
    // grpc-js shares subchannels between clients with the same target, so the sockets were opened by
    // the first calls; the subscription was in place before any client existed.
    expect(connections.length).toBeGreaterThan(0);
    expect(connections).toEqual(connections.map(() => ({ address: '127.0.0.1', port: emu.port })));
    expect(metadataHits).toBe(0);
  });
});
