/** `google.container.v1.ClusterManager` over gRPC: GetCluster and ListClusters from the model. */
import { status } from '@grpc/grpc-js';
import type { EmulatorControl } from '../common/control.js';
import {
  type GrpcRequest,
  GrpcStatusError,
  type RunningGrpcServer,
  startGrpcServer,
} from '../common/grpc-server.js';
import {
  type GkeCluster,
  type GkeModel,
  type GkeNodePool,
  gkeClusterName,
  parseGkeClusterName,
  parseGkeLocationParent,
} from './model.js';
import { CLUSTER_MANAGER_SERVICE, clusterManagerProtos } from './protos.js';

function field(request: GrpcRequest, name: string): string {
  const value = request[name];
  return typeof value === 'string' ? value : '';
}

/** Read-only methods by naming convention (Get*, List*, Check*, Fetch*); everything else mutates. */
export function isMutatingClusterManagerMethod(method: string): boolean {
  return !/^(Get|List|Check|Fetch)/.test(method);
}

function nodePoolMessage(cluster: GkeCluster, pool: GkeNodePool): object {
  return {
    name: pool.name,
    config: { machineType: pool.machineType, diskSizeGb: 100, imageType: 'COS_CONTAINERD' },
    initialNodeCount: pool.initialNodeCount,
    locations: pool.locations,
    selfLink: `${selfLink(cluster)}/nodePools/${pool.name}`,
    version: pool.version,
    status: pool.status,
    statusMessage: pool.statusMessage,
    autoscaling: pool.autoscaling,
    management: { autoUpgrade: true, autoRepair: true },
  };
}

function selfLink(cluster: GkeCluster): string {
  return `https://container.googleapis.com/v1/projects/${cluster.project}/locations/${cluster.location}/clusters/${cluster.name}`;
}

/** The `google.container.v1.Cluster` message (camelCase, enums by name) for a modelled cluster. */
export function clusterMessage(cluster: GkeCluster): object {
  return {
    name: cluster.name,
    id: cluster.id,
    location: cluster.location,
    zone: cluster.location,
    locations: cluster.locations,
    selfLink: selfLink(cluster),
    endpoint: cluster.endpoint,
    initialClusterVersion: cluster.currentMasterVersion,
    currentMasterVersion: cluster.currentMasterVersion,
    currentNodeVersion: cluster.currentNodeVersion,
    createTime: cluster.createTime,
    status: cluster.status,
    statusMessage: cluster.statusMessage,
    conditions: cluster.conditions.map((c) => ({
      code: c.code ?? 'UNKNOWN',
      message: c.message,
      canonicalCode: c.canonicalCode ?? 'UNKNOWN',
    })),
    network: cluster.network,
    subnetwork: cluster.subnetwork,
    resourceLabels: cluster.resourceLabels,
    nodePools: cluster.nodePools.map((pool) => nodePoolMessage(cluster, pool)),
    currentNodeCount: cluster.nodePools.reduce((sum, pool) => sum + pool.initialNodeCount, 0),
    loggingService: 'logging.googleapis.com/kubernetes',
    monitoringService: 'monitoring.googleapis.com/kubernetes',
  };
}

function getCluster(model: GkeModel, request: GrpcRequest): object {
  const name = field(request, 'name');
  let resourceName: string;
  // How the caller named the cluster is how the real API names it back in NOT_FOUND.
  let displayName: string;
  if (name) {
    if (!parseGkeClusterName(name)) {
      throw new GrpcStatusError(
        status.INVALID_ARGUMENT,
        `Invalid resource name "${name}": expected projects/*/locations/*/clusters/*.`,
      );
    }
    resourceName = name;
    displayName = name;
  } else {
    const project = field(request, 'projectId');
    const zone = field(request, 'zone');
    const cluster = field(request, 'clusterId');
    if (!project || !zone || !cluster) {
      throw new GrpcStatusError(
        status.INVALID_ARGUMENT,
        'Either name or all of project_id, zone and cluster_id must be specified.',
      );
    }
    resourceName = gkeClusterName({ project, location: zone, cluster });
    displayName = `projects/${project}/zones/${zone}/clusters/${cluster}`;
  }
  const cluster = model.getCluster(resourceName);
  if (!cluster) throw new GrpcStatusError(status.NOT_FOUND, `Not found: ${displayName}.`);
  return clusterMessage(cluster);
}

function listClusters(model: GkeModel, request: GrpcRequest): object {
  const parent = field(request, 'parent');
  let scope: { project: string; location: string } | undefined;
  if (parent) {
    scope = parseGkeLocationParent(parent);
    if (!scope) {
      throw new GrpcStatusError(
        status.INVALID_ARGUMENT,
        `Invalid parent "${parent}": expected projects/*/locations/*.`,
      );
    }
  } else {
    const project = field(request, 'projectId');
    const zone = field(request, 'zone');
    if (!project || !zone) {
      throw new GrpcStatusError(
        status.INVALID_ARGUMENT,
        'Either parent or both project_id and zone must be specified.',
      );
    }
    scope = { project, location: zone };
  }
  return {
    clusters: model.listClusters(scope.project, scope.location).map(clusterMessage),
    missingZones: [],
  };
}

export function startClusterManagerServer(
  model: GkeModel,
  control: EmulatorControl,
  port?: number,
): Promise<RunningGrpcServer> {
  const protos = clusterManagerProtos();
  return startGrpcServer({
    ...protos,
    serviceName: CLUSTER_MANAGER_SERVICE,
    control,
    isMutating: isMutatingClusterManagerMethod,
    handlers: {
      GetCluster: (request) => getCluster(model, request),
      ListClusters: (request) => listClusters(model, request),
    },
    ...(port === undefined ? {} : { port }),
  });
}
