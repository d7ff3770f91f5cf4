/** Which kinds are cluster-scoped (no namespace): the built-in Kubernetes ones, as kustomize knows them without CRD schemas. */
const CLUSTER_SCOPED = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** The annotation that marks a workload meant to run in standby: `failover.example.com/standby: always-on`. */
export const ALWAYS_ON_ANNOTATION = 'failover.example.com/standby';

export function markedAlwaysOn(object: { metadata: { annotations?: Record<string, string> } }): boolean {
  return object.metadata.annotations?.[ALWAYS_ON_ANNOTATION] === 'always-on';
}
