/**
 * The state the GKE emulator serves: clusters by resource name, each with the fields the failover
 * tool reads (status, statusMessage, conditions, versions, endpoint, node pools). Tests and the
 * sandbox control API change it in-process through the methods below.
 */
import { createHash, randomBytes } from 'node:crypto';

/** `google.container.v1.Cluster.Status`; the Google client returns these names as strings. */
export const GKE_CLUSTER_STATUSES = [
  'STATUS_UNSPECIFIED',
  'PROVISIONING',
  'RUNNING',
  'RECONCILING',
  'STOPPING',
  'ERROR',
  'DEGRADED',
] as const;
export type GkeClusterStatus = (typeof GKE_CLUSTER_STATUSES)[number];

/** `google.container.v1.NodePool.Status`. */
export const GKE_NODE_POOL_STATUSES = [
  'STATUS_UNSPECIFIED',
  'PROVISIONING',
  'RUNNING',
  'RUNNING_WITH_ERROR',
  'RECONCILING',
  'STOPPING',
  'ERROR',
] as const;
export type GkeNodePoolStatus = (typeof GKE_NODE_POOL_STATUSES)[number];

/** `google.container.v1.StatusCondition.Code` (deprecated upstream in favour of canonicalCode). */
export type GkeConditionCode =
  | 'UNKNOWN'
  | 'GCE_STOCKOUT'
  | 'GKE_SERVICE_ACCOUNT_DELETED'
  | 'GCE_QUOTA_EXCEEDED'
  | 'SET_BY_OPERATOR'
  | 'CLOUD_KMS_KEY_ERROR'
  | 'CA_EXPIRING'
  | 'NODE_SERVICE_ACCOUNT_MISSING_PERMISSIONS'
  | 'CLOUD_KMS_KEY_DESTROYED';

/** `google.rpc.Code`. */
export type GoogleRpcCode =
  | 'OK'
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS';

export interface GkeStatusCondition {
  code?: GkeConditionCode;
  message: string;
  canonicalCode?: GoogleRpcCode;
}

export interface GkeNodePoolAutoscaling {
  enabled: boolean;
  minNodeCount: number;
  maxNodeCount: number;
}

export interface GkeNodePool {
  name: string;
  status: GkeNodePoolStatus;
  statusMessage: string;
  initialNodeCount: number;
  autoscaling: GkeNodePoolAutoscaling;
  version: string;
  machineType: string;
  locations: string[];
}

export interface GkeCluster {
  project: string;
  location: string;
  /** The short cluster name, as in `Cluster.name` on the wire. */
  name: string;
  id: string;
  status: GkeClusterStatus;
  statusMessage: string;
  conditions: GkeStatusCondition[];
  currentMasterVersion: string;
  currentNodeVersion: string;
  /** Public IP of the control plane. */
  endpoint: string;
  /** RFC 3339, as the API returns it. */
  createTime: string;
  /** Zones the nodes run in. */
  locations: string[];
  network: string;
  subnetwork: string;
  resourceLabels: Record<string, string>;
  nodePools: GkeNodePool[];
}

export interface NewGkeNodePool {
  name: string;
  status?: GkeNodePoolStatus;
  initialNodeCount?: number;
  autoscaling?: GkeNodePoolAutoscaling;
  machineType?: string;
}

export interface NewGkeCluster {
  project: string;
  location: string;
  name: string;
  status?: GkeClusterStatus;
  statusMessage?: string;
  conditions?: GkeStatusCondition[];
  version?: string;
  resourceLabels?: Record<string, string>;
  /** Defaults to one `default-pool` of 3 nodes. */
  nodePools?: NewGkeNodePool[];
}

export interface GkeClusterRef {
  project: string;
  location: string;
  cluster: string;
}

const DEFAULT_VERSION = '1.31.6-gke.1020000';
const CLUSTER_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/;
const LOCATION_PARENT = /^projects\/([^/]+)\/locations\/([^/]+)$/;

export function gkeClusterName(ref: GkeClusterRef): string {
  return `projects/${ref.project}/locations/${ref.location}/clusters/${ref.cluster}`;
}

export function parseGkeClusterName(name: string): GkeClusterRef | undefined {
  const match = CLUSTER_NAME.exec(name);
  if (!match) return undefined;
  const [, project = '', location = '', cluster = ''] = match;
  return { project, location, cluster };
}

export function parseGkeLocationParent(parent: string): { project: string; location: string } | undefined {
  const match = LOCATION_PARENT.exec(parent);
  if (!match) return undefined;
  const [, project = '', location = ''] = match;
  return { project, location };
}

/** A region (`asia-northeast1`) spreads nodes over three zones; a zone (`asia-northeast1-a`) is its own. */
function zonesOf(location: string): string[] {
  return /-[a-z]$/.test(location) ? [location] : ['a', 'b', 'c'].map((zone) => `${location}-${zone}`);
}

/** A stable public-looking IP per cluster, so repeated runs print the same plan. */
function endpointFor(resourceName: string): string {
  const digest = createHash('sha256').update(resourceName).digest();
  return `34.84.${digest[0]}.${digest[1]}`;
}

/** RFC 3339 with seconds and a `+00:00` offset, the form the GKE API uses. */
function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

export class GkeModel {
  private readonly clusters = new Map<string, GkeCluster>();

  createCluster(input: NewGkeCluster): GkeCluster {
    const resourceName = gkeClusterName({
      project: input.project,
      location: input.location,
      cluster: input.name,
    });
    if (this.clusters.has(resourceName))
      throw new Error(`GKE sandbox: cluster ${resourceName} already exists`);
    const version = input.version ?? DEFAULT_VERSION;
    const locations = zonesOf(input.location);
    const pools = input.nodePools ?? [{ name: 'default-pool' }];
    const cluster: GkeCluster = {
      project: input.project,
      location: input.location,
      name: input.name,
      id: randomBytes(32).toString('hex'),
      status: input.status ?? 'RUNNING',
      statusMessage: input.statusMessage ?? '',
      conditions: [...(input.conditions ?? [])],
      currentMasterVersion: version,
      currentNodeVersion: version,
      endpoint: endpointFor(resourceName),
      createTime: rfc3339(new Date()),
      locations,
      network: 'default',
      subnetwork: 'default',
      resourceLabels: { ...(input.resourceLabels ?? {}) },
      nodePools: pools.map((pool) => ({
        name: pool.name,
        status: pool.status ?? 'RUNNING',
        statusMessage: '',
        initialNodeCount: pool.initialNodeCount ?? 3,
        autoscaling: pool.autoscaling ?? { enabled: false, minNodeCount: 0, maxNodeCount: 0 },
        version,
        machineType: pool.machineType ?? 'e2-standard-4',
        locations,
      })),
    };
    this.clusters.set(resourceName, cluster);
    return cluster;
  }

  getCluster(resourceName: string): GkeCluster | undefined {
    return this.clusters.get(resourceName);
  }

  /** Clusters of a project in one location, or in all of them when location is `-`. */
  listClusters(project: string, location: string): GkeCluster[] {
    return [...this.clusters.values()]
      .filter((c) => c.project === project && (location === '-' || c.location === location))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Sets the status; a given statusMessage replaces the current one (pass '' to clear it). */
  setStatus(resourceName: string, status: GkeClusterStatus, statusMessage?: string): void {
    const cluster = this.mustGet(resourceName);
    cluster.status = status;
    if (statusMessage !== undefined) cluster.statusMessage = statusMessage;
  }

  setStatusMessage(resourceName: string, statusMessage: string): void {
    this.mustGet(resourceName).statusMessage = statusMessage;
  }

  setConditions(resourceName: string, conditions: GkeStatusCondition[]): void {
    this.mustGet(resourceName).conditions = conditions.map((c) => ({ ...c }));
  }

  addCondition(resourceName: string, condition: GkeStatusCondition): void {
    this.mustGet(resourceName).conditions.push({ ...condition });
  }

  clearConditions(resourceName: string): void {
    this.mustGet(resourceName).conditions = [];
  }

  setNodePoolStatus(
    resourceName: string,
    poolName: string,
    status: GkeNodePoolStatus,
    statusMessage = '',
  ): void {
    const pool = this.mustGet(resourceName).nodePools.find((p) => p.name === poolName);
    if (!pool) throw new Error(`GKE sandbox: cluster ${resourceName} has no node pool ${poolName}`);
    pool.status = status;
    pool.statusMessage = statusMessage;
  }

  private mustGet(resourceName: string): GkeCluster {
    const cluster = this.clusters.get(resourceName);
    if (!cluster) throw new Error(`GKE sandbox: no cluster ${resourceName}`);
    return cluster;
  }
}
