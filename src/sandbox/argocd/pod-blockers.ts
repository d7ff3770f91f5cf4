/**
 * Why a workload's pods cannot start in the emulated cluster, as the scheduler and the kubelet say
 * it, and the External Secrets controller that decides whether the secrets they need exist.
 *
 * - Scheduling: a pod whose nodeSelector or required node affinity no node matches stays Pending
 *   with PodScheduled=False, reason Unschedulable and the scheduler's message
 *   `0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.`
 * - Secrets: an ExternalSecret that cannot sync never creates its target Secret; a pod that reads
 *   it through env stays in CreateContainerConfigError (`secret "x" not found`), one that mounts it
 *   in ContainerCreating (FailedMount). Secrets no ExternalSecret manages are taken as existing.
 * - ExternalSecret status: the Ready condition the controller writes (SecretSynced "Secret was
 *   synced", or SecretSyncedError with the provider's message).
 */
import { isMap, type KubeObject } from '../../providers/kustomize/types.js';
import type { NodeSpec, SecretStoreState } from './clusters.js';

type Map = Record<string, unknown>;

export interface PodBlocker {
  /** Pod-level reason: Unschedulable, CreateContainerConfigError, ContainerCreating. */
  reason: string;
  message: string;
  /** The ExternalSecret whose Secret is missing, when that is the cause. */
  externalSecret?: { namespace: string; name: string };
}

const asMap = (v: unknown): Map => (isMap(v) ? v : {});
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The pod template's spec of a workload kind, or undefined. */
export function podSpecOf(object: KubeObject): Map | undefined {
  const spec = asMap(object.spec);
  switch (object.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return asMap(asMap(spec.template).spec);
    case 'CronJob':
      return asMap(asMap(asMap(asMap(spec.jobTemplate).spec).template).spec);
    default:
      return undefined;
  }
}

function expressionMatches(expression: Map, labels: Record<string, string>): boolean {
  const key = String(expression.key ?? '');
  const values = asArray(expression.values).map(String);
  const has = Object.hasOwn(labels, key);
  switch (expression.operator) {
    case 'In':
      return has && values.includes(labels[key]!);
    case 'NotIn':
      return !has || !values.includes(labels[key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const value = Number(labels[key]);
      const bound = Number(values[0]);
      return has && (expression.operator === 'Gt' ? value > bound : value < bound);
    }
    default:
      return false;
  }
}

/** The node selector and the required node affinity (any term, every expression) hold on `node`. */
export function fitsNode(podSpec: Map, node: NodeSpec): boolean {
  const selector = asMap(podSpec.nodeSelector);
  if (!Object.entries(selector).every(([k, v]) => node.labels[k] === String(v))) return false;
  const required = asMap(
    asMap(asMap(podSpec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution,
  );
  const terms = asArray(required.nodeSelectorTerms).map(asMap);
  if (terms.length === 0) return true;
  return terms.some((term) =>
    asArray(term.matchExpressions)
      .map(asMap)
      .every((e) => expressionMatches(e, node.labels)),
  );
}

/** Secrets the pod needs to start (optional references left out), and how it uses each. */
export function secretRefs(podSpec: Map): { name: string; via: 'env' | 'volume'; volume?: string }[] {
  const refs: { name: string; via: 'env' | 'volume'; volume?: string }[] = [];
  for (const volume of asArray(podSpec.volumes).map(asMap)) {
    const secret = asMap(volume.secret);
    if (typeof secret.secretName === 'string' && secret.optional !== true)
      refs.push({ name: secret.secretName, via: 'volume', volume: String(volume.name ?? '') });
  }
  const containers = [...asArray(podSpec.initContainers), ...asArray(podSpec.containers)].map(asMap);
  for (const container of containers) {
    for (const env of asArray(container.env).map(asMap)) {
      const ref = asMap(asMap(env.valueFrom).secretKeyRef);
      if (typeof ref.name === 'string' && ref.optional !== true) refs.push({ name: ref.name, via: 'env' });
    }
    for (const from of asArray(container.envFrom).map(asMap)) {
      const ref = asMap(from.secretRef);
      if (typeof ref.name === 'string' && ref.optional !== true) refs.push({ name: ref.name, via: 'env' });
    }
  }
  return refs;
}

/** The Secret an ExternalSecret writes: spec.target.name, else its own name. */
export function externalSecretTarget(es: KubeObject): string {
  const target = asMap(asMap(es.spec).target);
  return typeof target.name === 'string' && target.name ? target.name : es.metadata.name;
}

function readyCondition(es: KubeObject): Map | undefined {
  return asArray(asMap(es.status).conditions)
    .map(asMap)
    .find((c) => c.type === 'Ready');
}

/** Why the pods of `workload` cannot start, or undefined when nothing stops them. */
export function podBlocker(
  workload: KubeObject,
  nodes: readonly NodeSpec[],
  externalSecrets: readonly KubeObject[],
): PodBlocker | undefined {
  const podSpec = podSpecOf(workload);
  if (!podSpec) return undefined;
  // DaemonSets only run where they fit: a selector no node matches means 0 pods, not Pending ones.
  if (workload.kind !== 'DaemonSet' && nodes.length > 0 && !nodes.some((n) => fitsNode(podSpec, n))) {
    return {
      reason: 'Unschedulable',
      message: `0/${nodes.length} nodes are available: ${nodes.length} node(s) didn't match Pod's node affinity/selector.`,
    };
  }
  const namespace = workload.metadata.namespace ?? '';
  for (const ref of secretRefs(podSpec)) {
    const es = externalSecrets.find(
      (e) => (e.metadata.namespace ?? '') === namespace && externalSecretTarget(e) === ref.name,
    );
    // A Secret synced once stays when later syncs fail (ESO keeps it).
    if (!es || readyCondition(es)?.status === 'True' || asMap(es.status).syncedResourceVersion) continue;
    const externalSecret = { namespace, name: es.metadata.name };
    return ref.via === 'env'
      ? { reason: 'CreateContainerConfigError', message: `secret "${ref.name}" not found`, externalSecret }
      : {
          reason: 'ContainerCreating',
          message: `MountVolume.SetUp failed for volume "${ref.volume}" : secret "${ref.name}" not found`,
          externalSecret,
        };
  }
  return undefined;
}

/** Remote keys an ExternalSecret reads (spec.data[].remoteRef.key, spec.dataFrom[].extract.key). */
function remoteKeys(es: KubeObject): string[] {
  const spec = asMap(es.spec);
  const keys = asArray(spec.data)
    .map((d) => asMap(asMap(d).remoteRef).key)
    .concat(asArray(spec.dataFrom).map((d) => asMap(asMap(d).extract).key));
  return keys.filter((k): k is string => typeof k === 'string');
}

/** The status the External Secrets controller writes for `es` given the store's state. */
export function externalSecretStatus(es: KubeObject, store: SecretStoreState, now: number): Map {
  const keys = remoteKeys(es);
  const failedKey = store.failing
    ? (keys[0] ?? es.metadata.name)
    : keys.find((k) => store.failingKeys.has(k));
  const previous = readyCondition(es);
  const condition: Map =
    failedKey === undefined
      ? { type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'Secret was synced' }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'SecretSyncedError',
          message: `could not get secret data from provider: key "${failedKey}" from ExternalSecret "${es.metadata.name}"`,
        };
  const same = previous && previous.status === condition.status && previous.message === condition.message;
  condition.lastTransitionTime = same ? previous.lastTransitionTime : new Date(now).toISOString();
  const status: Map = { conditions: [condition], refreshTime: new Date(now).toISOString() };
  if (failedKey === undefined) status.syncedResourceVersion = `${es.metadata.generation ?? 1}-synced`;
  return status;
}
