/**
 * The destination clusters of the emulated Argo CD: which API resources each serves (built-ins plus
 * its CRDs), which labels its nodes carry, and its secret store (what ExternalSecrets sync from).
 * Argo CD learns the served resources from the cluster's discovery API and reports them per
 * cluster as `info.apiVersions` (util/argo/argo.go `APIResourcesToStrings(resources, true)`: every
 * "group/version" and "group/version/Kind", sorted; the core group is "v1"). A sync of a kind the
 * destination does not serve fails before anything is applied (see served-kinds.ts).
 */

/** "group/version/Kind" (core group: "v1/Kind"). */
export type GroupVersionKind = string;

export interface NodeSpec {
  name: string;
  labels: Record<string, string>;
}

export interface SecretStoreState {
  /** Every ExternalSecret of the cluster fails to sync (the provider denies or cannot be reached). */
  failing: boolean;
  /** Only these remote keys fail (when `failing` is false). */
  failingKeys: Set<string>;
}

export interface ClusterProfile {
  name: string;
  server: string;
  serverVersion: string;
  /** Resources the API server serves, as "group/version/Kind". */
  resources: Set<GroupVersionKind>;
  nodes: NodeSpec[];
  secretStore: SecretStoreState;
}

/** What a fresh EKS/GKE cluster's API server serves before anyone installs a CRD. */
export const BUILTIN_RESOURCES: readonly GroupVersionKind[] = [
  'v1/ConfigMap',
  'v1/Endpoints',
  'v1/Event',
  'v1/LimitRange',
  'v1/Namespace',
  'v1/Node',
  'v1/PersistentVolume',
  'v1/PersistentVolumeClaim',
  'v1/Pod',
  'v1/PodTemplate',
  'v1/ReplicationController',
  'v1/ResourceQuota',
  'v1/Secret',
  'v1/Service',
  'v1/ServiceAccount',
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration',
  'apiextensions.k8s.io/v1/CustomResourceDefinition',
  'apps/v1/ControllerRevision',
  'apps/v1/DaemonSet',
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
  'apps/v1/StatefulSet',
  'autoscaling/v1/HorizontalPodAutoscaler',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'batch/v1/CronJob',
  'batch/v1/Job',
  'coordination.k8s.io/v1/Lease',
  'discovery.k8s.io/v1/EndpointSlice',
  'events.k8s.io/v1/Event',
  'networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/IngressClass',
  'networking.k8s.io/v1/NetworkPolicy',
  'node.k8s.io/v1/RuntimeClass',
  'policy/v1/PodDisruptionBudget',
  'rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
  'scheduling.k8s.io/v1/PriorityClass',
  'storage.k8s.io/v1/CSIDriver',
  'storage.k8s.io/v1/StorageClass',
];

/** External Secrets Operator's CRDs (installed on both clouds in the write-up's setup). */
export const EXTERNAL_SECRETS_RESOURCES: readonly GroupVersionKind[] = [
  'external-secrets.io/v1/ClusterSecretStore',
  'external-secrets.io/v1/ExternalSecret',
  'external-secrets.io/v1/SecretStore',
  'external-secrets.io/v1beta1/ClusterSecretStore',
  'external-secrets.io/v1beta1/ExternalSecret',
  'external-secrets.io/v1beta1/SecretStore',
];

/** CRDs a GKE cluster comes with (GKE Ingress, managed certificates, Managed Prometheus). */
export const GKE_RESOURCES: readonly GroupVersionKind[] = [
  'cloud.google.com/v1/BackendConfig',
  'cloud.google.com/v1beta1/BackendConfig',
  'networking.gke.io/v1/ManagedCertificate',
  'networking.gke.io/v1beta1/FrontendConfig',
  'networking.gke.io/v1/ServiceNetworkEndpointGroup',
  'monitoring.googleapis.com/v1/PodMonitoring',
  'monitoring.googleapis.com/v1/ClusterPodMonitoring',
];

/** CRDs of the AWS Load Balancer Controller on EKS. */
export const EKS_RESOURCES: readonly GroupVersionKind[] = [
  'elbv2.k8s.aws/v1beta1/IngressClassParams',
  'elbv2.k8s.aws/v1beta1/TargetGroupBinding',
];

/** Kinds of add-ons a test cluster may also have (Argo Rollouts, KEDA, Prometheus Operator). */
const ADD_ON_RESOURCES: readonly GroupVersionKind[] = [
  'argoproj.io/v1alpha1/Rollout',
  'keda.sh/v1alpha1/ScaledObject',
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
];

function nodes(prefix: string, labels: (i: number) => Record<string, string>, count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i}`,
    labels: {
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': `${prefix}-${i}`,
      ...labels(i),
    },
  }));
}

const store = (): SecretStoreState => ({ failing: false, failingKeys: new Set() });

/** The active GKE cluster: built-ins, GKE's CRDs and External Secrets; two node pools. */
export function gkeCluster(name = 'gke-primary', server = `https://${name}.cluster.invalid`): ClusterProfile {
  return {
    name,
    server,
    serverVersion: '1.31',
    resources: new Set([...BUILTIN_RESOURCES, ...GKE_RESOURCES, ...EXTERNAL_SECRETS_RESOURCES]),
    nodes: nodes(
      `gke-${name}`,
      (i) => ({
        'cloud.google.com/gke-nodepool': i < 2 ? 'default-pool' : 'batch',
        'cloud.google.com/machine-family': 'e2',
        'topology.kubernetes.io/zone': ['asia-northeast1-a', 'asia-northeast1-b', 'asia-northeast1-c'][
          i % 3
        ]!,
      }),
      3,
    ),
    secretStore: store(),
  };
}

/** The AWS standby (EKS): built-ins, the load balancer controller's CRDs and External Secrets; no GKE CRD. */
export function eksCluster(name = 'aws-standby', server = `https://${name}.cluster.invalid`): ClusterProfile {
  return {
    name,
    server,
    serverVersion: '1.31',
    resources: new Set([...BUILTIN_RESOURCES, ...EKS_RESOURCES, ...EXTERNAL_SECRETS_RESOURCES]),
    nodes: nodes(
      `ip-10-0-${name.length}`,
      (i) => ({
        'eks.amazonaws.com/nodegroup': 'standby',
        'eks.amazonaws.com/capacityType': 'ON_DEMAND',
        'node.kubernetes.io/instance-type': 'm6i.large',
        'topology.kubernetes.io/zone': ['us-east-1a', 'us-east-1b', 'us-east-1c'][i % 3]!,
      }),
      3,
    ),
    secretStore: store(),
  };
}

/** Argo CD's own cluster (`in-cluster`): every kind the emulator knows, so plain tests need no setup. */
export function inCluster(): ClusterProfile {
  return {
    name: 'in-cluster',
    server: 'https://kubernetes.default.svc',
    serverVersion: '1.31',
    resources: new Set([
      ...BUILTIN_RESOURCES,
      ...GKE_RESOURCES,
      ...EKS_RESOURCES,
      ...EXTERNAL_SECRETS_RESOURCES,
      ...ADD_ON_RESOURCES,
    ]),
    nodes: nodes('node', () => ({}), 3),
    secretStore: store(),
  };
}

/** The clusters the emulator knows by default: in-cluster plus the demo's GKE and AWS clusters. */
export function defaultClusters(): ClusterProfile[] {
  return [inCluster(), gkeCluster(), eksCluster()];
}

/**
 * `info.apiVersions` as Argo CD reports it (APIResourcesToStrings with includeKinds): each
 * "group/version" and each "group/version/Kind", sorted.
 */
export function apiVersionsOf(profile: ClusterProfile): string[] {
  const out = new Set<string>();
  for (const gvk of profile.resources) {
    out.add(gvk.slice(0, gvk.lastIndexOf('/')));
    out.add(gvk);
  }
  return [...out].sort();
}

export function gvkOf(apiVersion: string, kind: string): GroupVersionKind {
  return `${apiVersion}/${kind}`;
}
