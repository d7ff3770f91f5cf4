/**
 * The state the EKS emulator serves: clusters and their managed node groups, shaped as the botocore
 * model `eks/2017-11-01` describes them. Tests and the sandbox control API change it in-process.
 */
import { createHash, randomUUID } from 'node:crypto';

export const EKS_CLUSTER_STATUSES = [
  'CREATING',
  'ACTIVE',
  'DELETING',
  'FAILED',
  'UPDATING',
  'PENDING',
] as const;
export type EksClusterStatus = (typeof EKS_CLUSTER_STATUSES)[number];

export const EKS_NODEGROUP_STATUSES = [
  'CREATING',
  'ACTIVE',
  'UPDATING',
  'DELETING',
  'CREATE_FAILED',
  'DELETE_FAILED',
  'DEGRADED',
] as const;
export type EksNodegroupStatus = (typeof EKS_NODEGROUP_STATUSES)[number];

export type EksCapacityType = 'ON_DEMAND' | 'SPOT' | 'CAPACITY_BLOCK';

/** A cluster or node group health issue. `code` is a ClusterIssueCode / NodegroupIssueCode. */
export interface EksHealthIssue {
  code: string;
  message: string;
  resourceIds?: string[];
}

export interface EksScalingConfig {
  minSize: number;
  maxSize: number;
  desiredSize: number;
}

export interface EksCluster {
  name: string;
  arn: string;
  createdAt: Date;
  version: string;
  endpoint: string;
  roleArn: string;
  status: EksClusterStatus;
  platformVersion: string;
  healthIssues: EksHealthIssue[];
  tags: Record<string, string>;
  /** The 32-hex id AWS puts in the endpoint host and OIDC issuer. */
  endpointId: string;
  vpcId: string;
  subnetIds: string[];
}

export interface EksNodegroup {
  nodegroupName: string;
  nodegroupArn: string;
  clusterName: string;
  version: string;
  releaseVersion: string;
  createdAt: Date;
  modifiedAt: Date;
  status: EksNodegroupStatus;
  capacityType: EksCapacityType;
  scalingConfig: EksScalingConfig;
  instanceTypes: string[];
  subnets: string[];
  amiType: string;
  nodeRole: string;
  labels: Record<string, string>;
  diskSize: number;
  healthIssues: EksHealthIssue[];
  autoScalingGroupName: string;
  tags: Record<string, string>;
}

export interface NewEksCluster {
  name: string;
  version?: string;
  status?: EksClusterStatus;
  roleArn?: string;
  tags?: Record<string, string>;
}

export interface NewEksNodegroup {
  nodegroupName: string;
  status?: EksNodegroupStatus;
  scalingConfig?: EksScalingConfig;
  instanceTypes?: string[];
  capacityType?: EksCapacityType;
  amiType?: string;
  labels?: Record<string, string>;
  tags?: Record<string, string>;
}

/** Platform versions and AMI release versions of the Kubernetes versions the sandbox seeds. */
const PLATFORM_VERSION: Record<string, string> = { '1.29': 'eks.28', '1.30': 'eks.26', '1.31': 'eks.20' };
const RELEASE_VERSION: Record<string, string> = {
  '1.29': '1.29.13-20250123',
  '1.30': '1.30.9-20250123',
  '1.31': '1.31.5-20250123',
};
const DEFAULT_VERSION = '1.31';

function validateScaling(scaling: EksScalingConfig): void {
  const { minSize, maxSize, desiredSize } = scaling;
  const integers = [minSize, maxSize, desiredSize].every((n) => Number.isInteger(n) && n >= 0);
  if (!integers || maxSize < 1 || minSize > maxSize || desiredSize < minSize || desiredSize > maxSize) {
    // The same rule UpdateNodegroupConfig enforces with InvalidParameterException.
    throw new RangeError(
      `EKS sandbox: invalid scaling config min=${minSize} max=${maxSize} desired=${desiredSize} ` +
        '(need 0 <= min <= desired <= max, max >= 1)',
    );
  }
}

export class EksModel {
  private readonly clusters = new Map<string, EksCluster>();
  /** Node groups by cluster name, then by node group name. */
  private readonly nodegroups = new Map<string, Map<string, EksNodegroup>>();

  constructor(
    readonly region = 'us-east-1',
    readonly accountId = '123456789012',
  ) {}

  createCluster(input: NewEksCluster): EksCluster {
    if (this.clusters.has(input.name)) throw new Error(`EKS sandbox: cluster ${input.name} already exists`);
    const version = input.version ?? DEFAULT_VERSION;
    const endpointId = createHash('md5')
      .update(`${this.accountId}/${this.region}/${input.name}`)
      .digest('hex');
    const cluster: EksCluster = {
      name: input.name,
      arn: `arn:aws:eks:${this.region}:${this.accountId}:cluster/${input.name}`,
      createdAt: new Date(),
      version,
      endpoint: `https://${endpointId.toUpperCase()}.gr7.${this.region}.eks.amazonaws.com`,
      roleArn: input.roleArn ?? `arn:aws:iam::${this.accountId}:role/eks-cluster-role`,
      status: input.status ?? 'ACTIVE',
      platformVersion: PLATFORM_VERSION[version] ?? 'eks.1',
      healthIssues: [],
      tags: { ...(input.tags ?? {}) },
      endpointId,
      vpcId: `vpc-${endpointId.slice(0, 17)}`,
      subnetIds: [0, 1, 2].map((i) => `subnet-${endpointId.slice(i + 1, i + 18)}`),
    };
    this.clusters.set(cluster.name, cluster);
    this.nodegroups.set(cluster.name, new Map());
    return cluster;
  }

  createNodegroup(clusterName: string, input: NewEksNodegroup): EksNodegroup {
    const cluster = this.mustGetCluster(clusterName);
    const groups = this.nodegroups.get(clusterName) ?? new Map<string, EksNodegroup>();
    if (groups.has(input.nodegroupName)) {
      throw new Error(`EKS sandbox: node group ${input.nodegroupName} already exists in ${clusterName}`);
    }
    const scalingConfig = { ...(input.scalingConfig ?? { minSize: 2, maxSize: 2, desiredSize: 2 }) };
    validateScaling(scalingConfig);
    const id = randomUUID();
    const now = new Date();
    const nodegroup: EksNodegroup = {
      nodegroupName: input.nodegroupName,
      nodegroupArn: `arn:aws:eks:${this.region}:${this.accountId}:nodegroup/${clusterName}/${input.nodegroupName}/${id}`,
      clusterName,
      version: cluster.version,
      releaseVersion: RELEASE_VERSION[cluster.version] ?? `${cluster.version}.0-20250123`,
      createdAt: now,
      modifiedAt: now,
      status: input.status ?? 'ACTIVE',
      capacityType: input.capacityType ?? 'ON_DEMAND',
      scalingConfig,
      instanceTypes: [...(input.instanceTypes ?? ['m6i.large'])],
      subnets: [...cluster.subnetIds],
      amiType: input.amiType ?? 'AL2023_x86_64_STANDARD',
      nodeRole: `arn:aws:iam::${this.accountId}:role/eks-node-role`,
      labels: { ...(input.labels ?? {}) },
      diskSize: 20,
      healthIssues: [],
      autoScalingGroupName: `eks-${input.nodegroupName}-${id}`,
      tags: { ...(input.tags ?? {}) },
    };
    groups.set(nodegroup.nodegroupName, nodegroup);
    this.nodegroups.set(clusterName, groups);
    return nodegroup;
  }

  getCluster(name: string): EksCluster | undefined {
    return this.clusters.get(name);
  }

  /** Cluster names in creation order, as ListClusters pages through them. */
  clusterNames(): string[] {
    return [...this.clusters.keys()];
  }

  getNodegroup(clusterName: string, nodegroupName: string): EksNodegroup | undefined {
    return this.nodegroups.get(clusterName)?.get(nodegroupName);
  }

  nodegroupNames(clusterName: string): string[] {
    return [...(this.nodegroups.get(clusterName)?.keys() ?? [])];
  }

  setClusterStatus(name: string, status: EksClusterStatus): void {
    this.mustGetCluster(name).status = status;
  }

  addClusterHealthIssue(name: string, issue: EksHealthIssue): void {
    this.mustGetCluster(name).healthIssues.push({ ...issue });
  }

  clearClusterHealthIssues(name: string): void {
    this.mustGetCluster(name).healthIssues = [];
  }

  setNodegroupStatus(clusterName: string, nodegroupName: string, status: EksNodegroupStatus): void {
    const nodegroup = this.mustGetNodegroup(clusterName, nodegroupName);
    nodegroup.status = status;
    nodegroup.modifiedAt = new Date();
  }

  /** Throws a RangeError outside [minSize, maxSize], as EKS rejects it; use setNodegroupScaling to move the bounds. */
  setNodegroupDesiredSize(clusterName: string, nodegroupName: string, desiredSize: number): void {
    this.setNodegroupScaling(clusterName, nodegroupName, { desiredSize });
  }

  setNodegroupScaling(clusterName: string, nodegroupName: string, scaling: Partial<EksScalingConfig>): void {
    const nodegroup = this.mustGetNodegroup(clusterName, nodegroupName);
    const next = { ...nodegroup.scalingConfig, ...scaling };
    validateScaling(next);
    nodegroup.scalingConfig = next;
    nodegroup.modifiedAt = new Date();
  }

  addNodegroupHealthIssue(clusterName: string, nodegroupName: string, issue: EksHealthIssue): void {
    const nodegroup = this.mustGetNodegroup(clusterName, nodegroupName);
    nodegroup.healthIssues.push({ ...issue });
    nodegroup.modifiedAt = new Date();
  }

  clearNodegroupHealthIssues(clusterName: string, nodegroupName: string): void {
    const nodegroup = this.mustGetNodegroup(clusterName, nodegroupName);
    nodegroup.healthIssues = [];
    nodegroup.modifiedAt = new Date();
  }

  private mustGetCluster(name: string): EksCluster {
    const cluster = this.clusters.get(name);
    if (!cluster) throw new Error(`EKS sandbox: no cluster named ${name}`);
    return cluster;
  }

  private mustGetNodegroup(clusterName: string, nodegroupName: string): EksNodegroup {
    const nodegroup = this.getNodegroup(clusterName, nodegroupName);
    if (!nodegroup) throw new Error(`EKS sandbox: cluster ${clusterName} has no node group ${nodegroupName}`);
    return nodegroup;
  }
}
