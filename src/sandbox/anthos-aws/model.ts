/**
 * The state the Anthos-clusters-on-AWS emulator serves: AWS clusters and their node pools by
 * resource name, with the fields the failover tool reads (state, reconciling, errors, versions,
 * endpoint). Tests and the sandbox change it in-process through the methods below.
 */
import { createHash, randomUUID } from 'node:crypto';

/** `google.cloud.gkemulticloud.v1.AwsCluster.State`; the Google client returns these names as strings. */
export const AWS_CLUSTER_STATES = [
  'STATE_UNSPECIFIED',
  'PROVISIONING',
  'RUNNING',
  'RECONCILING',
  'STOPPING',
  'ERROR',
  'DEGRADED',
] as const;
export type AwsClusterState = (typeof AWS_CLUSTER_STATES)[number];

/** `google.cloud.gkemulticloud.v1.AwsNodePool.State`: the same values as the cluster's. */
export const AWS_NODE_POOL_STATES = AWS_CLUSTER_STATES;
export type AwsNodePoolState = AwsClusterState;

/** `AwsClusterError` / `AwsNodePoolError`: a message, nothing else. */
export interface AwsResourceError {
  message: string;
}

export interface AwsNodePoolAutoscaling {
  /** The API requires at least 1. */
  minNodeCount: number;
  maxNodeCount: number;
}

export interface AwsNodePool {
  /** The short node pool id. */
  name: string;
  uid: string;
  state: AwsNodePoolState;
  reconciling: boolean;
  version: string;
  instanceType: string;
  subnetId: string;
  autoscaling: AwsNodePoolAutoscaling;
  errors: AwsResourceError[];
  createTime: Date;
  updateTime: Date;
}

export interface AwsCluster {
  project: string;
  /** The Google Cloud region that manages the cluster (`us-east4`), not the AWS region. */
  location: string;
  /** The short cluster id, as in the last segment of `AwsCluster.name`. */
  name: string;
  description: string;
  uid: string;
  state: AwsClusterState;
  /** Changes in flight; true while PROVISIONING, RECONCILING or STOPPING unless set otherwise. */
  reconciling: boolean;
  /** Private IP of the control plane's load balancer inside the VPC. */
  endpoint: string;
  awsRegion: string;
  controlPlaneVersion: string;
  errors: AwsResourceError[];
  annotations: Record<string, string>;
  createTime: Date;
  updateTime: Date;
  nodePools: AwsNodePool[];
}

export interface NewAwsNodePool {
  name: string;
  state?: AwsNodePoolState;
  autoscaling?: AwsNodePoolAutoscaling;
  instanceType?: string;
}

export interface NewAwsCluster {
  project: string;
  location: string;
  name: string;
  description?: string;
  state?: AwsClusterState;
  errors?: AwsResourceError[];
  /** Defaults to `us-east-1`. */
  awsRegion?: string;
  version?: string;
  annotations?: Record<string, string>;
  /** Defaults to one `default-pool` autoscaling 1..3. */
  nodePools?: NewAwsNodePool[];
}

export interface AwsClusterRef {
  project: string;
  location: string;
  cluster: string;
}

const DEFAULT_VERSION = '1.31.4-gke.500';
const CLUSTER_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/awsClusters\/([^/]+)$/;
const NODE_POOL_NAME = /^(projects\/[^/]+\/locations\/[^/]+\/awsClusters\/[^/]+)\/awsNodePools\/([^/]+)$/;
const LOCATION_PARENT = /^projects\/([^/]+)\/locations\/([^/]+)$/;
/** States in which the API reports changes in flight. */
const IN_FLIGHT: ReadonlySet<AwsClusterState> = new Set(['PROVISIONING', 'RECONCILING', 'STOPPING']);

export function awsClusterName(ref: AwsClusterRef): string {
  return `projects/${ref.project}/locations/${ref.location}/awsClusters/${ref.cluster}`;
}

export function parseAwsClusterName(name: string): AwsClusterRef | undefined {
  const match = CLUSTER_NAME.exec(name);
  if (!match) return undefined;
  const [, project = '', location = '', cluster = ''] = match;
  return { project, location, cluster };
}

/** `…/awsClusters/C/awsNodePools/NP` → the cluster's resource name and the pool id. */
export function parseAwsNodePoolName(name: string): { cluster: string; nodePool: string } | undefined {
  const match = NODE_POOL_NAME.exec(name);
  if (!match) return undefined;
  const [, cluster = '', nodePool = ''] = match;
  return { cluster, nodePool };
}

export function parseAwsLocationParent(parent: string): { project: string; location: string } | undefined {
  const match = LOCATION_PARENT.exec(parent);
  if (!match) return undefined;
  const [, project = '', location = ''] = match;
  return { project, location };
}

/** A stable VPC-internal IP per cluster, so repeated runs print the same plan. */
function endpointFor(resourceName: string): string {
  const digest = createHash('sha256').update(resourceName).digest();
  return `10.0.${digest[0]}.${digest[1]}`;
}

export class AnthosAwsModel {
  private readonly clusters = new Map<string, AwsCluster>();

  createCluster(input: NewAwsCluster): AwsCluster {
    const resourceName = awsClusterName({
      project: input.project,
      location: input.location,
      cluster: input.name,
    });
    if (this.clusters.has(resourceName))
      throw new Error(`Anthos-on-AWS sandbox: cluster ${resourceName} already exists`);
    const version = input.version ?? DEFAULT_VERSION;
    const state = input.state ?? 'RUNNING';
    const now = new Date();
    const cluster: AwsCluster = {
      project: input.project,
      location: input.location,
      name: input.name,
      description: input.description ?? '',
      uid: randomUUID(),
      state,
      reconciling: IN_FLIGHT.has(state),
      endpoint: endpointFor(resourceName),
      awsRegion: input.awsRegion ?? 'us-east-1',
      controlPlaneVersion: version,
      errors: (input.errors ?? []).map((e) => ({ ...e })),
      annotations: { ...(input.annotations ?? {}) },
      createTime: now,
      updateTime: now,
      nodePools: (input.nodePools ?? [{ name: 'default-pool' }]).map((pool, index) => {
        const poolState = pool.state ?? 'RUNNING';
        return {
          name: pool.name,
          uid: randomUUID(),
          state: poolState,
          reconciling: IN_FLIGHT.has(poolState),
          version,
          instanceType: pool.instanceType ?? 'm5.xlarge',
          subnetId: `subnet-${createHash('sha256').update(`${resourceName}#${index}`).digest('hex').slice(0, 17)}`,
          autoscaling: pool.autoscaling ?? { minNodeCount: 1, maxNodeCount: 3 },
          errors: [],
          createTime: now,
          updateTime: now,
        };
      }),
    };
    this.clusters.set(resourceName, cluster);
    return cluster;
  }

  getCluster(resourceName: string): AwsCluster | undefined {
    return this.clusters.get(resourceName);
  }

  /** Clusters of a project in one location, or in all of them when location is `-`, sorted by name. */
  listClusters(project: string, location: string): AwsCluster[] {
    return [...this.clusters.values()]
      .filter((c) => c.project === project && (location === '-' || c.location === location))
      .sort((a, b) => awsClusterName(toRef(a)).localeCompare(awsClusterName(toRef(b))));
  }

  getNodePool(clusterName: string, nodePool: string): AwsNodePool | undefined {
    return this.clusters.get(clusterName)?.nodePools.find((p) => p.name === nodePool);
  }

  /**
   * Sets the state. `reconciling` follows the state (true while PROVISIONING, RECONCILING or
   * STOPPING) unless given.
   */
  setState(resourceName: string, state: AwsClusterState, reconciling?: boolean): void {
    const cluster = this.mustGet(resourceName);
    cluster.state = state;
    cluster.reconciling = reconciling ?? IN_FLIGHT.has(state);
    cluster.updateTime = new Date();
  }

  setErrors(resourceName: string, errors: AwsResourceError[]): void {
    const cluster = this.mustGet(resourceName);
    cluster.errors = errors.map((e) => ({ ...e }));
    cluster.updateTime = new Date();
  }

  addError(resourceName: string, error: AwsResourceError): void {
    const cluster = this.mustGet(resourceName);
    cluster.errors.push({ ...error });
    cluster.updateTime = new Date();
  }

  clearErrors(resourceName: string): void {
    this.setErrors(resourceName, []);
  }

  setNodePoolState(
    resourceName: string,
    nodePool: string,
    state: AwsNodePoolState,
    errors: AwsResourceError[] = [],
  ): void {
    const pool = this.mustGetNodePool(resourceName, nodePool);
    pool.state = state;
    pool.reconciling = IN_FLIGHT.has(state);
    pool.errors = errors.map((e) => ({ ...e }));
    pool.updateTime = new Date();
  }

  setNodePoolAutoscaling(resourceName: string, nodePool: string, autoscaling: AwsNodePoolAutoscaling): void {
    const pool = this.mustGetNodePool(resourceName, nodePool);
    pool.autoscaling = { ...autoscaling };
    pool.updateTime = new Date();
  }

  private mustGet(resourceName: string): AwsCluster {
    const cluster = this.clusters.get(resourceName);
    if (!cluster) throw new Error(`Anthos-on-AWS sandbox: no cluster ${resourceName}`);
    return cluster;
  }

  private mustGetNodePool(resourceName: string, nodePool: string): AwsNodePool {
    const pool = this.mustGet(resourceName).nodePools.find((p) => p.name === nodePool);
    if (!pool) throw new Error(`Anthos-on-AWS sandbox: cluster ${resourceName} has no node pool ${nodePool}`);
    return pool;
  }
}

export function toRef(cluster: AwsCluster): AwsClusterRef {
  return { project: cluster.project, location: cluster.location, cluster: cluster.name };
}
