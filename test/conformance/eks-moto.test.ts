/**
 * A second opinion on the EKS wire shapes: moto (an independent Python EKS emulator) and ours are
 * read with the same real SDK client, and the keys and value types they share must agree, as must
 * the not-found errors.
 */
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  EKSServiceException,
  ListClustersCommand,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EksEmulator, startEksEmulator } from '../../src/sandbox/eks/index.js';
import { type MotoServer, motoInstalled, startMotoServer } from '../fixtures/moto-server.js';

const hasMoto = motoInstalled();

function eksClient(endpoint: string): EKSClient {
  return new EKSClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

/** The type skeleton of an SDK output value: what a caller can rely on, without the values. */
type Shape = string | Shape[] | { [key: string]: Shape };

function shapeOf(value: unknown): Shape {
  if (value === null || value === undefined) return 'absent';
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  }
  return typeof value;
}

/** Type disagreements on the keys both shapes have (recursively); returns paths like `scalingConfig.minSize`. */
function mismatches(ours: Shape, theirs: Shape, path = ''): string[] {
  if (typeof ours === 'string' || typeof theirs === 'string') {
    return ours === theirs ? [] : [`${path}: ours ${JSON.stringify(ours)}, moto ${JSON.stringify(theirs)}`];
  }
  if (Array.isArray(ours) || Array.isArray(theirs)) {
    if (!Array.isArray(ours) || !Array.isArray(theirs)) return [`${path}: array vs non-array`];
    const [a] = ours;
    const [b] = theirs;
    return a === undefined || b === undefined ? [] : mismatches(a, b, `${path}[]`);
  }
  return Object.keys(ours)
    .filter((key) => key in theirs)
    .flatMap((key) => mismatches(ours[key] as Shape, theirs[key] as Shape, path ? `${path}.${key}` : key));
}

function commonKeys(a: object, b: object): string[] {
  return Object.keys(a).filter((key) => key in b);
}

async function caught(promise: Promise<unknown>): Promise<EKSServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EKSServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

let moto: MotoServer | undefined;
let motoEks: EKSClient;
let emu: EksEmulator;
let ourEks: EKSClient;

// Skipped when moto is not installed: the point is to compare against it.
const title = hasMoto
  ? 'EKS emulator shapes agree with moto'
  : 'EKS emulator shapes agree with moto (skipped: `moto_server` is not on PATH)';

describe.skipIf(!hasMoto)(title, () => {
  beforeAll(async () => {
    moto = await startMotoServer();
    motoEks = eksClient(moto.url);

    // The same cluster and node group in both.
    await motoEks.send(
      new CreateClusterCommand({
        name: 'standby-aws',
        version: '1.31',
        roleArn: 'arn:aws:iam::123456789012:role/eks-cluster-role',
        resourcesVpcConfig: { subnetIds: ['subnet-0a', 'subnet-0b', 'subnet-0c'] },
      }),
    );
    await motoEks.send(
      new CreateNodegroupCommand({
        clusterName: 'standby-aws',
        nodegroupName: 'general',
        nodeRole: 'arn:aws:iam::123456789012:role/eks-node-role',
        subnets: ['subnet-0a'],
        scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 3 },
      }),
    );
    emu = await startEksEmulator();
    emu.model.createCluster({ name: 'standby-aws', version: '1.31' });
    emu.model.createNodegroup('standby-aws', {
      nodegroupName: 'general',
      scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 3 },
    });
    ourEks = eksClient(emu.url);
  }, 30_000);

  afterAll(async () => {
    motoEks?.destroy();
    ourEks?.destroy();
    await emu?.close();
    await moto?.stop();
  });

  it('DescribeCluster: shared keys have the same types, and the core fields are shared', async () => {
    const ours = (await ourEks.send(new DescribeClusterCommand({ name: 'standby-aws' }))).cluster ?? {};
    const theirs = (await motoEks.send(new DescribeClusterCommand({ name: 'standby-aws' }))).cluster ?? {};
    expect(commonKeys(ours, theirs)).toEqual(
      expect.arrayContaining([
        'name',
        'arn',
        'createdAt',
        'version',
        'endpoint',
        'roleArn',
        'resourcesVpcConfig',
        'kubernetesNetworkConfig',
        'logging',
        'identity',
        'status',
        'certificateAuthority',
        'platformVersion',
        'tags',
      ]),
    );
    expect(mismatches(shapeOf(ours), shapeOf(theirs))).toEqual([]);
    expect([ours.status, theirs.status]).toEqual(['ACTIVE', 'ACTIVE']);
    expect(ours.arn).toBe(theirs.arn);
    expect(ours.version).toBe(theirs.version);
  });

  it('DescribeNodegroup: shared keys have the same types, and the core fields are shared', async () => {
    const input = { clusterName: 'standby-aws', nodegroupName: 'general' };
    const ours = (await ourEks.send(new DescribeNodegroupCommand(input))).nodegroup ?? {};
    const theirs = (await motoEks.send(new DescribeNodegroupCommand(input))).nodegroup ?? {};
    expect(commonKeys(ours, theirs)).toEqual(
      expect.arrayContaining([
        'nodegroupName',
        'nodegroupArn',
        'clusterName',
        'version',
        'releaseVersion',
        'createdAt',
        'modifiedAt',
        'status',
        'capacityType',
        'scalingConfig',
        'instanceTypes',
        'subnets',
        'amiType',
        'nodeRole',
        'labels',
        'resources',
        'diskSize',
        'health',
        'tags',
      ]),
    );
    expect(mismatches(shapeOf(ours), shapeOf(theirs))).toEqual([]);
    expect(ours.scalingConfig).toEqual(theirs.scalingConfig);
    expect(ours.health).toEqual(theirs.health);
    // The ARN differs only in its random suffix.
    const prefix = (arn = '') => arn.replace(/[0-9a-f-]{36}$/, '');
    expect(prefix(ours.nodegroupArn)).toBe(prefix(theirs.nodegroupArn));
  });

  it('ListClusters and ListNodegroups agree', async () => {
    const list = async (client: EKSClient) => ({
      clusters: (await client.send(new ListClustersCommand({}))).clusters,
      nodegroups: (await client.send(new ListNodegroupsCommand({ clusterName: 'standby-aws' }))).nodegroups,
    });
    expect(await list(ourEks)).toEqual(await list(motoEks));
  });

  it('not-found errors agree in name, status and message', async () => {
    const describeError = async (client: EKSClient) => {
      const error = await caught(client.send(new DescribeClusterCommand({ name: 'nope' })));
      return [error.name, error.$metadata.httpStatusCode, error.message];
    };
    expect(await describeError(ourEks)).toEqual(await describeError(motoEks));
    expect(await describeError(ourEks)).toEqual([
      'ResourceNotFoundException',
      404,
      'No cluster found for name: nope.',
    ]);

    const nodegroupError = async (client: EKSClient) => {
      const error = await caught(
        client.send(new DescribeNodegroupCommand({ clusterName: 'standby-aws', nodegroupName: 'gpu' })),
      );
      return [error.name, error.$metadata.httpStatusCode, error.message];
    };
    expect(await nodegroupError(ourEks)).toEqual(await nodegroupError(motoEks));
  });
});
