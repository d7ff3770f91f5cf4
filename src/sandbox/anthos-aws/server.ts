/**
 * `google.cloud.gkemulticloud.v1.AwsClusters` over gRPC: GetAwsCluster, ListAwsClusters,
 * GetAwsNodePool and ListAwsNodePools from the model; every other method answers UNIMPLEMENTED.
 */
import { createHash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { EmulatorControl } from '../common/control.js';
import {
  type GrpcRequest,
  GrpcStatusError,
  type RunningGrpcServer,
  startGrpcServer,
} from '../common/grpc-server.js';
import {
  type AnthosAwsModel,
  type AwsCluster,
  type AwsNodePool,
  awsClusterName,
  parseAwsClusterName,
  parseAwsLocationParent,
  parseAwsNodePoolName,
  toRef,
} from './model.js';
import { AWS_CLUSTERS_SERVICE, awsClustersProtos } from './protos.js';

/**
 * The details the real API sends for an unknown cluster (as recorded from the GKE Multi-Cloud API in
 * Config Connector's gkemulticloud fixtures); the node pool wording is modelled on it.
 */
export const CLUSTER_NOT_FOUND = 'cluster not found';
export const NODE_POOL_NOT_FOUND = 'node pool not found';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

function field(request: GrpcRequest, name: string): string {
  const value = request[name];
  return typeof value === 'string' ? value : '';
}

function numberField(request: GrpcRequest, name: string): number {
  const value = request[name];
  return typeof value === 'number' ? value : Number(value ?? 0);
}

/** Read-only methods by naming convention (Get*, List*); everything else changes something. */
export function isMutatingAwsClustersMethod(method: string): boolean {
  return !/^(Get|List)/.test(method);
}

/** `google.protobuf.Timestamp` as proto-loader encodes it (int64 seconds as a string). */
function timestamp(date: Date): { seconds: string; nanos: number } {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function etag(uid: string, updateTime: Date): string {
  return createHash('sha256').update(`${uid}@${updateTime.toISOString()}`).digest('base64').slice(0, 12);
}

/** A fleet project number that looks real and stays the same per project id. */
function projectNumber(project: string): string {
  const digest = createHash('sha256').update(project).digest();
  return String(100_000_000_000 + (digest.readUInt32BE(0) % 900_000_000_000));
}

function nodePoolMessage(cluster: AwsCluster, pool: AwsNodePool): object {
  return {
    name: `${awsClusterName(toRef(cluster))}/awsNodePools/${pool.name}`,
    version: pool.version,
    config: {
      instanceType: pool.instanceType,
      iamInstanceProfile: `${cluster.name}-np`,
      configEncryption: { kmsKeyArn: `arn:aws:kms:${cluster.awsRegion}:000000000000:key/sandbox` },
    },
    autoscaling: pool.autoscaling,
    subnetId: pool.subnetId,
    state: pool.state,
    uid: pool.uid,
    reconciling: pool.reconciling,
    createTime: timestamp(pool.createTime),
    updateTime: timestamp(pool.updateTime),
    etag: etag(pool.uid, pool.updateTime),
    maxPodsConstraint: { maxPodsPerNode: '110' },
    errors: pool.errors.map((e) => ({ message: e.message })),
    management: { autoRepair: true },
  };
}

/** The `google.cloud.gkemulticloud.v1.AwsCluster` message (camelCase, enums by name) for a modelled cluster. */
export function awsClusterMessage(cluster: AwsCluster): object {
  const number = projectNumber(cluster.project);
  return {
    name: awsClusterName(toRef(cluster)),
    description: cluster.description,
    networking: {
      vpcId: 'vpc-0sandbox',
      podAddressCidrBlocks: ['10.2.0.0/16'],
      serviceAddressCidrBlocks: ['10.1.0.0/16'],
    },
    awsRegion: cluster.awsRegion,
    controlPlane: {
      version: cluster.controlPlaneVersion,
      instanceType: 'm5.large',
      subnetIds: cluster.nodePools.map((p) => p.subnetId),
      iamInstanceProfile: `${cluster.name}-cp`,
      databaseEncryption: { kmsKeyArn: `arn:aws:kms:${cluster.awsRegion}:000000000000:key/sandbox` },
      awsServicesAuthentication: {
        roleArn: `arn:aws:iam::000000000000:role/${cluster.name}-api`,
        roleSessionName: 'multicloud-service-agent',
      },
      configEncryption: { kmsKeyArn: `arn:aws:kms:${cluster.awsRegion}:000000000000:key/sandbox` },
    },
    authorization: { adminUsers: [{ username: 'admin@example.com' }] },
    state: cluster.state,
    endpoint: cluster.endpoint,
    uid: cluster.uid,
    reconciling: cluster.reconciling,
    createTime: timestamp(cluster.createTime),
    updateTime: timestamp(cluster.updateTime),
    etag: etag(cluster.uid, cluster.updateTime),
    annotations: cluster.annotations,
    workloadIdentityConfig: {
      issuerUri: `https://gkemulticloud.googleapis.com/v1/${awsClusterName(toRef(cluster))}`,
      workloadPool: `${cluster.project}.svc.id.goog`,
      identityProvider: `https://gkemulticloud.googleapis.com/v1/${awsClusterName(toRef(cluster))}`,
    },
    fleet: {
      project: `projects/${number}`,
      membership: `projects/${number}/locations/global/memberships/${cluster.name}`,
    },
    errors: cluster.errors.map((e) => ({ message: e.message })),
  };
}

/** One page of a sorted list; the token is the opaque (base64url) name of the last item sent. */
function page<T>(
  items: T[],
  nameOf: (item: T) => string,
  request: GrpcRequest,
): { items: T[]; nextPageToken: string } {
  const requested = numberField(request, 'pageSize');
  if (requested < 0) throw new GrpcStatusError(status.INVALID_ARGUMENT, 'page_size must not be negative.');
  const size = Math.min(requested || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const token = field(request, 'pageToken');
  let start = 0;
  if (token) {
    const after = Buffer.from(token, 'base64url').toString('utf8');
    const index = items.findIndex((item) => nameOf(item) === after);
    if (index < 0) throw new GrpcStatusError(status.INVALID_ARGUMENT, `Invalid page token "${token}".`);
    start = index + 1;
  }
  const slice = items.slice(start, start + size);
  const last = slice.at(-1);
  const more = start + size < items.length && last !== undefined;
  return { items: slice, nextPageToken: more ? Buffer.from(nameOf(last), 'utf8').toString('base64url') : '' };
}

function requireClusterName(name: string, what = 'name'): string {
  if (!parseAwsClusterName(name)) {
    throw new GrpcStatusError(
      status.INVALID_ARGUMENT,
      `Malformed ${what} "${name}": expected projects/*/locations/*/awsClusters/*.`,
    );
  }
  return name;
}

function mustFindCluster(model: AnthosAwsModel, resourceName: string): AwsCluster {
  const cluster = model.getCluster(resourceName);
  if (!cluster) throw new GrpcStatusError(status.NOT_FOUND, CLUSTER_NOT_FOUND);
  return cluster;
}

function getAwsCluster(model: AnthosAwsModel, request: GrpcRequest): object {
  const name = requireClusterName(field(request, 'name'));
  return awsClusterMessage(mustFindCluster(model, name));
}

function listAwsClusters(model: AnthosAwsModel, request: GrpcRequest): object {
  const parent = field(request, 'parent');
  const scope = parseAwsLocationParent(parent);
  if (!scope) {
    throw new GrpcStatusError(
      status.INVALID_ARGUMENT,
      `Malformed parent "${parent}": expected projects/*/locations/*.`,
    );
  }
  const clusters = model.listClusters(scope.project, scope.location);
  const { items, nextPageToken } = page(clusters, (c) => awsClusterName(toRef(c)), request);
  return { awsClusters: items.map(awsClusterMessage), nextPageToken };
}

function getAwsNodePool(model: AnthosAwsModel, request: GrpcRequest): object {
  const name = field(request, 'name');
  const parsed = parseAwsNodePoolName(name);
  if (!parsed) {
    throw new GrpcStatusError(
      status.INVALID_ARGUMENT,
      `Malformed name "${name}": expected projects/*/locations/*/awsClusters/*/awsNodePools/*.`,
    );
  }
  const cluster = mustFindCluster(model, parsed.cluster);
  const pool = cluster.nodePools.find((p) => p.name === parsed.nodePool);
  if (!pool) throw new GrpcStatusError(status.NOT_FOUND, NODE_POOL_NOT_FOUND);
  return nodePoolMessage(cluster, pool);
}

function listAwsNodePools(model: AnthosAwsModel, request: GrpcRequest): object {
  const cluster = mustFindCluster(model, requireClusterName(field(request, 'parent'), 'parent'));
  const pools = [...cluster.nodePools].sort((a, b) => a.name.localeCompare(b.name));
  const { items, nextPageToken } = page(pools, (p) => p.name, request);
  return { awsNodePools: items.map((pool) => nodePoolMessage(cluster, pool)), nextPageToken };
}

export function startAwsClustersServer(
  model: AnthosAwsModel,
  control: EmulatorControl,
  port?: number,
): Promise<RunningGrpcServer> {
  return startGrpcServer({
    ...awsClustersProtos(),
    serviceName: AWS_CLUSTERS_SERVICE,
    control,
    isMutating: isMutatingAwsClustersMethod,
    handlers: {
      GetAwsCluster: (request) => getAwsCluster(model, request),
      ListAwsClusters: (request) => listAwsClusters(model, request),
      GetAwsNodePool: (request) => getAwsNodePool(model, request),
      ListAwsNodePools: (request) => listAwsNodePools(model, request),
    },
    ...(port === undefined ? {} : { port }),
  });
}
