/**
 * The resource tree argocd-server answers (`GET /api/v1/applications/{name}/resource-tree`): the
 * live objects of an app plus the children controllers create, synthesized from the workloads'
 * status (a ReplicaSet and pods per Deployment, pods per StatefulSet and DaemonSet).
 */
import { isMap, type KubeObject, splitApiVersion } from '../../providers/kustomize/types.js';
import type { HealthStatus } from './health.js';
import { type LiveEntry, templateHash } from './live.js';

/** A crash-looping pod's restart count and the kubelet's current back-off, if it crash-loops. */
export type CrashLoopOf = (entry: LiveEntry) => { restarts: number; backOff: string } | undefined;

export function resourceTree(
  entries: readonly LiveEntry[],
  healthOf: (object: KubeObject) => HealthStatus | undefined,
  crashLoopOf: CrashLoopOf = () => undefined,
): Record<string, unknown> {
  const nodes: Record<string, unknown>[] = [];
  for (const entry of entries) {
    const object = entry.object;
    const { group, version } = splitApiVersion(object.apiVersion);
    const health = healthOf(object);
    const node: Record<string, unknown> = {
      group,
      version,
      kind: object.kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      createdAt: object.metadata.creationTimestamp,
      info: [],
    };
    if (health) node.health = health;
    const images = imagesOf(object);
    if (images.length > 0) node.images = images;
    nodes.push(node);
    const crash = crashLoopOf(entry);
    if (object.kind === 'Deployment') nodes.push(...podNodes(entry, crash));
    if (object.kind === 'StatefulSet' || object.kind === 'DaemonSet')
      nodes.push(...ownedPodNodes(entry, crash));
  }
  return { nodes, hosts: [] };
}

/** Pods a StatefulSet (`name-0`, `name-1`…) or a DaemonSet (one per node) owns directly. */
function ownedPodNodes(entry: LiveEntry, crash: CrashLoop): Record<string, unknown>[] {
  const owner = entry.object;
  const namespace = owner.metadata.namespace ?? '';
  const status = (owner.status ?? {}) as Record<string, unknown>;
  const daemon = owner.kind === 'DaemonSet';
  const total = Number((daemon ? status.currentNumberScheduled : status.replicas) ?? 0);
  const ready = Number((daemon ? status.numberReady : status.readyReplicas) ?? 0);
  const nodes: Record<string, unknown>[] = [];
  for (let i = 0; i < total; i += 1) {
    const name = daemon
      ? `${owner.metadata.name}-${(i + 10).toString(36).padStart(5, 'd')}`
      : `${owner.metadata.name}-${i}`;
    const parent = {
      group: 'apps',
      kind: owner.kind,
      namespace,
      name: owner.metadata.name,
      uid: owner.metadata.uid,
    };
    nodes.push(podNode(entry, name, `${String(owner.metadata.uid)}-pod-${i}`, parent, i < ready, crash));
  }
  return nodes;
}

function podNodes(entry: LiveEntry, crash: CrashLoop): Record<string, unknown>[] {
  const deployment = entry.object;
  const namespace = deployment.metadata.namespace ?? '';
  const status = (deployment.status ?? {}) as Record<string, unknown>;
  const desired = Number((deployment.spec as Record<string, unknown> | undefined)?.replicas ?? 1);
  const total = Number(status.replicas ?? 0);
  const ready = Number(status.readyReplicas ?? 0);
  const rsName = `${deployment.metadata.name}-${templateHash(deployment)}`;
  const rsUid = `${String(deployment.metadata.uid)}-rs`;
  const revision = String(deployment.metadata.generation ?? 1);
  const nodes: Record<string, unknown>[] = [
    {
      group: 'apps',
      version: 'v1',
      kind: 'ReplicaSet',
      namespace,
      name: rsName,
      uid: rsUid,
      parentRefs: [
        {
          group: 'apps',
          kind: 'Deployment',
          namespace,
          name: deployment.metadata.name,
          uid: deployment.metadata.uid,
        },
      ],
      info: [{ name: 'Revision', value: `Rev:${revision}` }],
      health:
        ready >= desired
          ? { status: 'Healthy' }
          : {
              status: 'Progressing',
              message: `Waiting for rollout to finish: ${ready} out of ${desired} new replicas are available...`,
            },
      resourceVersion: deployment.metadata.resourceVersion,
    },
  ];
  const parent = { group: 'apps', kind: 'ReplicaSet', namespace, name: rsName, uid: rsUid };
  for (let i = 0; i < total; i += 1) {
    const name = `${rsName}-${i.toString(36).padStart(5, 'x')}`;
    nodes.push(podNode(entry, name, `${rsUid}-pod-${i}`, parent, i < ready, crash));
  }
  return nodes;
}

export function imagesOf(object: KubeObject): string[] {
  const images: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isMap(node)) {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
          for (const c of value) if (isMap(c) && typeof c.image === 'string') images.push(c.image);
        } else walk(value);
      }
    }
  };
  walk(object.spec);
  return images;
}

/**
 * A resource-tree node for a pod of `entry`: running when ready, else still being created, or
 * held by what blocks the workload, as Argo CD's pod info and gitops-engine's pod health put it (a
 * Pending pod is Progressing with the pod's status message, empty when it is Unschedulable; a
 * container waiting in an *Error reason is Degraded with the container's message).
 */
function podNode(
  entry: LiveEntry,
  name: string,
  uid: string,
  parent: Record<string, unknown>,
  ready: boolean,
  crash: CrashLoop,
): Record<string, unknown> {
  const owner = entry.object;
  if (!ready && crash) return crashLoopPodNode(owner, name, uid, parent, crash);
  const blocked = ready ? undefined : entry.blocked;
  const reason = ready
    ? 'Running'
    : blocked
      ? blocked.reason === 'Unschedulable'
        ? 'Pending'
        : blocked.reason
      : 'ContainerCreating';
  const health = ready
    ? { status: 'Healthy', message: 'running' }
    : blocked?.reason.endsWith('Error')
      ? { status: 'Degraded', message: blocked.message }
      : { status: 'Progressing', message: blocked ? '' : 'ContainerCreating' };
  return {
    group: '',
    version: 'v1',
    kind: 'Pod',
    namespace: owner.metadata.namespace ?? '',
    name,
    uid,
    parentRefs: [parent],
    info: [
      { name: 'Status Reason', value: reason },
      { name: 'Containers', value: ready ? '1/1' : '0/1' },
    ],
    health,
    images: imagesOf(owner),
    resourceVersion: owner.metadata.resourceVersion,
  };
}

type CrashLoop = ReturnType<CrashLoopOf>;

/** A crash-looping pod: Degraded with the kubelet's back-off message, as Argo CD's pod health puts it. */
function crashLoopPodNode(
  owner: KubeObject,
  name: string,
  uid: string,
  parent: Record<string, unknown>,
  crash: NonNullable<CrashLoop>,
): Record<string, unknown> {
  const namespace = owner.metadata.namespace ?? '';
  return {
    group: '',
    version: 'v1',
    kind: 'Pod',
    namespace,
    name,
    uid,
    parentRefs: [parent],
    info: [
      { name: 'Status Reason', value: 'CrashLoopBackOff' },
      { name: 'Containers', value: '0/1' },
      { name: 'Restart Count', value: String(crash.restarts) },
    ],
    health: {
      status: 'Degraded',
      message: `back-off ${crash.backOff} restarting failed container=${firstContainer(owner)} pod=${name}_${namespace || 'default'}(${uid})`,
    },
    images: imagesOf(owner),
    resourceVersion: owner.metadata.resourceVersion,
  };
}

function firstContainer(object: KubeObject): string {
  const template = isMap(object.spec) && isMap(object.spec.template) ? object.spec.template : {};
  const containers = isMap(template.spec) ? template.spec.containers : undefined;
  const first = Array.isArray(containers) ? containers[0] : undefined;
  return isMap(first) && typeof first.name === 'string' ? first.name : object.metadata.name;
}
