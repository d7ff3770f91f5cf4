/**
 * The real @aws-sdk/client-eks against the EKS emulator over loopback: only the endpoint and the
 * dummy credentials differ from production.
 */
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  type EKSClientConfig,
  EKSServiceException,
  ListClustersCommand,
  ListNodegroupsCommand,
  paginateListClusters,
  ResourceNotFoundException,
  ServiceUnavailableException,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EksEmulator, seedWriteupEks, startEksEmulator } from '../../src/sandbox/eks/index.js';

let emu: EksEmulator;
let eks: EKSClient;

function client(overrides: Partial<EKSClientConfig> = {}): EKSClient {
  return new EKSClient({
    region: 'us-east-1',
    endpoint: emu.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...overrides,
  });
}

/** Runs a call expected to fail and returns the SDK's error. */
async function failure(promise: Promise<unknown>): Promise<EKSServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EKSServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  emu = await startEksEmulator();
  seedWriteupEks(emu.model);
  eks = client();
});

afterEach(() => {
  emu.control.knobs.outage = false;
  emu.control.knobs.latencyMs = 0;
  emu.control.clearFaults();
  emu.control.log.clear();
});

afterAll(async () => {
  eks.destroy();
  await emu.close();
});

describe('EKS emulator with the real AWS SDK', () => {
  it('seeds the write-up standby cluster and node group', async () => {
    const fresh = await startEksEmulator();
    try {
      expect(seedWriteupEks(fresh.model)).toEqual({ cluster: 'standby-aws', nodeGroups: ['general'] });
      expect(fresh.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await fresh.close();
    }
  });

  it('DescribeCluster returns the model shape with typed fields', async () => {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'standby-aws' }));
    expect(cluster).toMatchObject({
      name: 'standby-aws',
      arn: 'arn:aws:eks:us-east-1:123456789012:cluster/standby-aws',
      version: '1.31',
      status: 'ACTIVE',
      roleArn: expect.stringMatching(/^arn:aws:iam::123456789012:role\//),
      platformVersion: expect.stringMatching(/^eks\.\d+$/),
      health: { issues: [] },
      tags: {},
    });
    // createdAt travels as epoch seconds; the SDK turns it into a Date close to now.
    expect(cluster?.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - (cluster?.createdAt?.getTime() ?? 0))).toBeLessThan(60_000);
    expect(cluster?.endpoint).toMatch(/^https:\/\/[0-9A-F]{32}\.gr7\.us-east-1\.eks\.amazonaws\.com$/);
    expect(cluster?.resourcesVpcConfig?.subnetIds).toHaveLength(3);
    expect(cluster?.identity?.oidc?.issuer).toMatch(/^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\//);
  });

  it('ListClusters and ListNodegroups return names; ListClusters pages by nextToken', async () => {
    expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual(['standby-aws']);
    expect((await eks.send(new ListNodegroupsCommand({ clusterName: 'standby-aws' }))).nodegroups).toEqual([
      'general',
    ]);

    const paged = await startEksEmulator();
    const pagedClient = new EKSClient({
      region: 'us-east-1',
      endpoint: paged.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      for (const name of ['a', 'b', 'c', 'd', 'e']) paged.model.createCluster({ name });
      const first = await pagedClient.send(new ListClustersCommand({ maxResults: 2 }));
      expect(first.clusters).toEqual(['a', 'b']);
      expect(first.nextToken).toEqual(expect.any(String));
      const names: string[] = [];
      for await (const page of paginateListClusters({ client: pagedClient, pageSize: 2 }, {})) {
        names.push(...(page.clusters ?? []));
      }
      expect(names).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(paged.control.log.operations()).toEqual(Array(4).fill('ListClusters'));

      const invalid = await failure(pagedClient.send(new ListClustersCommand({ maxResults: 101 })));
      expect(invalid.name).toBe('InvalidParameterException');
      expect(invalid.$metadata.httpStatusCode).toBe(400);
    } finally {
      pagedClient.destroy();
      await paged.close();
    }
  });

  it('DescribeNodegroup returns scaling, status, capacity and health', async () => {
    const { nodegroup } = await eks.send(
      new DescribeNodegroupCommand({ clusterName: 'standby-aws', nodegroupName: 'general' }),
    );
    expect(nodegroup).toMatchObject({
      nodegroupName: 'general',
      clusterName: 'standby-aws',
      status: 'ACTIVE',
      scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 3 },
      capacityType: 'ON_DEMAND',
      instanceTypes: [expect.any(String)],
      health: { issues: [] },
      version: '1.31',
    });
    expect(nodegroup?.nodegroupArn).toMatch(
      /^arn:aws:eks:us-east-1:123456789012:nodegroup\/standby-aws\/general\/[0-9a-f-]{36}$/,
    );
    expect(nodegroup?.createdAt).toBeInstanceOf(Date);
    expect(nodegroup?.resources?.autoScalingGroups?.[0]?.name).toMatch(/^eks-general-/);
  });

  it('unknown cluster and node group are ResourceNotFoundException (404) with the EKS message', async () => {
    const cluster = await failure(eks.send(new DescribeClusterCommand({ name: 'nope' })));
    expect(cluster).toBeInstanceOf(ResourceNotFoundException);
    expect(cluster.name).toBe('ResourceNotFoundException');
    expect(cluster.message).toBe('No cluster found for name: nope.');
    expect(cluster.$metadata.httpStatusCode).toBe(404);
    expect(cluster.$metadata.requestId).toEqual(expect.any(String));
    expect((cluster as ResourceNotFoundException).clusterName).toBe('nope');

    const nodegroup = await failure(
      eks.send(new DescribeNodegroupCommand({ clusterName: 'standby-aws', nodegroupName: 'gpu' })),
    );
    expect(nodegroup).toBeInstanceOf(ResourceNotFoundException);
    expect(nodegroup.message).toBe('No node group found for name: gpu.');

    const list = await failure(eks.send(new ListNodegroupsCommand({ clusterName: 'nope' })));
    expect(list).toBeInstanceOf(ResourceNotFoundException);
    // Client errors are not retried: one request each.
    expect(emu.control.log.entries.map((e) => [e.operation, e.status, e.error])).toEqual([
      ['DescribeCluster', 404, 'ResourceNotFoundException'],
      ['DescribeNodegroup', 404, 'ResourceNotFoundException'],
      ['ListNodegroups', 404, 'ResourceNotFoundException'],
    ]);
  });

  it('status changes and health issues set on the model show up in the next describe', async () => {
    const { model } = emu;
    try {
      model.setClusterStatus('standby-aws', 'UPDATING');
      model.addClusterHealthIssue('standby-aws', {
        code: 'Ec2SubnetNotFound',
        message: 'One or more subnets were deleted.',
        resourceIds: ['subnet-0abc'],
      });
      model.setNodegroupStatus('standby-aws', 'general', 'DEGRADED');
      model.addNodegroupHealthIssue('standby-aws', 'general', {
        code: 'AsgInstanceLaunchFailures',
        message: 'Could not launch On-Demand Instances.',
      });
      model.setNodegroupDesiredSize('standby-aws', 'general', 7);

      const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'standby-aws' }));
      expect(cluster?.status).toBe('UPDATING');
      expect(cluster?.health?.issues).toEqual([
        {
          code: 'Ec2SubnetNotFound',
          message: 'One or more subnets were deleted.',
          resourceIds: ['subnet-0abc'],
        },
      ]);
      const { nodegroup } = await eks.send(
        new DescribeNodegroupCommand({ clusterName: 'standby-aws', nodegroupName: 'general' }),
      );
      expect(nodegroup?.status).toBe('DEGRADED');
      expect(nodegroup?.scalingConfig).toEqual({ minSize: 2, maxSize: 10, desiredSize: 7 });
      expect(nodegroup?.health?.issues).toEqual([
        {
          code: 'AsgInstanceLaunchFailures',
          message: 'Could not launch On-Demand Instances.',
          resourceIds: [],
        },
      ]);
      // EKS refuses a desired size outside [min, max]; so does the model.
      expect(() => model.setNodegroupDesiredSize('standby-aws', 'general', 11)).toThrow(RangeError);
      expect(() => model.setNodegroupDesiredSize('standby-aws', 'general', 0)).toThrow(RangeError);
      model.setNodegroupScaling('standby-aws', 'general', { minSize: 0, desiredSize: 0 });
      const scaledDown = await eks.send(
        new DescribeNodegroupCommand({ clusterName: 'standby-aws', nodegroupName: 'general' }),
      );
      expect(scaledDown.nodegroup?.scalingConfig).toEqual({ minSize: 0, maxSize: 10, desiredSize: 0 });
    } finally {
      model.setClusterStatus('standby-aws', 'ACTIVE');
      model.clearClusterHealthIssues('standby-aws');
      model.setNodegroupStatus('standby-aws', 'general', 'ACTIVE');
      model.clearNodegroupHealthIssues('standby-aws', 'general');
      model.setNodegroupScaling('standby-aws', 'general', { minSize: 2, maxSize: 10, desiredSize: 3 });
    }
  });

  it('throttling answers 429 ThrottlingException, which the SDK retries by itself', async () => {
    emu.control.injectFault('throttle', { operation: 'DescribeCluster', count: 2 });
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'standby-aws' }));
    expect(cluster?.status).toBe('ACTIVE');
    expect(emu.control.log.entries.map((e) => [e.status, e.error])).toEqual([
      [429, 'ThrottlingException'],
      [429, 'ThrottlingException'],
      [200, undefined],
    ]);

    // With retries off the caller sees the throttling error itself.
    emu.control.injectFault('throttle', { count: 1 });
    const once = client({ maxAttempts: 1 });
    try {
      const error = await failure(once.send(new ListClustersCommand({})));
      expect(error.name).toBe('ThrottlingException');
      expect(error.$metadata.httpStatusCode).toBe(429);
    } finally {
      once.destroy();
    }
  });

  it('a server error is 500 ServerException, retried as transient', async () => {
    emu.control.injectFault('server-error', { operation: 'ListNodegroups', count: 1 });
    const { nodegroups } = await eks.send(new ListNodegroupsCommand({ clusterName: 'standby-aws' }));
    expect(nodegroups).toEqual(['general']);
    expect(emu.control.log.entries.map((e) => [e.status, e.error])).toEqual([
      [500, 'ServerException'],
      [200, undefined],
    ]);
  });

  it('an outage answers 503 ServiceUnavailableException until it is over', async () => {
    emu.control.knobs.outage = true;
    const error = await failure(eks.send(new DescribeClusterCommand({ name: 'standby-aws' })));
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect(error.$metadata.httpStatusCode).toBe(503);
    // The SDK's standard retry mode makes 3 attempts in all before giving up.
    expect(emu.control.log.entries).toHaveLength(3);
    expect(emu.control.log.entries.every((e) => e.status === 503)).toBe(true);

    emu.control.knobs.outage = false;
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'standby-aws' }));
    expect(cluster?.status).toBe('ACTIVE');
  });

  it('latency delays every answer', async () => {
    emu.control.knobs.latencyMs = 250;
    const started = performance.now();
    await eks.send(new DescribeClusterCommand({ name: 'standby-aws' }));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('logs every request with its operation; reads are not mutating, unmodelled writes are', async () => {
    await eks.send(new ListClustersCommand({}));
    await eks.send(new DescribeClusterCommand({ name: 'standby-aws' }));
    await eks.send(new ListNodegroupsCommand({ clusterName: 'standby-aws' }));
    await eks.send(new DescribeNodegroupCommand({ clusterName: 'standby-aws', nodegroupName: 'general' }));
    expect(emu.control.log.entries.map((e) => [e.service, e.operation, e.mutating, e.status])).toEqual([
      ['eks', 'ListClusters', false, 200],
      ['eks', 'DescribeCluster', false, 200],
      ['eks', 'ListNodegroups', false, 200],
      ['eks', 'DescribeNodegroup', false, 200],
    ]);
    expect(emu.control.log.mutating()).toEqual([]);

    // A write the emulator does not model still shows up as mutating, and changes nothing.
    const error = await failure(
      eks.send(
        new UpdateNodegroupConfigCommand({
          clusterName: 'standby-aws',
          nodegroupName: 'general',
          scalingConfig: { desiredSize: 5 },
        }),
      ),
    );
    expect(error.$metadata.httpStatusCode).toBe(501);
    expect(emu.control.log.mutating().map((e) => e.operation)).toEqual(['UpdateNodegroupConfig']);
    expect(emu.model.getNodegroup('standby-aws', 'general')?.scalingConfig.desiredSize).toBe(3);
  });
});
