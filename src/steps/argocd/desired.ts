/**
 * What each workload should look like, read from the overlay rendered at the revision Argo CD
 * syncs: the same render the plan shows. Replicated kinds want spec.replicas (the API default of 1
 * when absent, or what an HPA set when one manages them), CronJobs want spec.suspend as rendered,
 * DaemonSets want every scheduled pod ready. Autoscalers that would keep a 0 from holding are noted
 * on their target.
 */
import { type KubeObject, markedAlwaysOn } from '../../providers/kustomize/index.js';

/** Kinds that run pods and scale with spec.replicas. */
export const REPLICATED_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Rollout']);
/** Every kind the wait judges. */
export const WORKLOAD_KINDS = new Set([...REPLICATED_KINDS, 'DaemonSet', 'CronJob']);

export interface DesiredWorkload {
  kind: string;
  name: string;
  namespace?: string;
  /** Replicated kinds: spec.replicas as rendered; undefined when the manifest leaves it out. */
  replicas?: number;
  /** An HPA or KEDA ScaledObject in the render targets it (owns spec.replicas when it is absent). */
  autoscaled?: boolean;
  /** CronJobs: spec.suspend as rendered. */
  suspend?: boolean;
  /** Why a 0 may not hold: `HorizontalPodAutoscaler admin/web (minReplicas 2)`, `KEDA ScaledObject admin/q`. */
  heldUpBy?: string;
  /** Marked always on in standby (annotation failover.example.com/standby: always-on). */
  alwaysOnAnnotation?: boolean;
}

function specOf(object: KubeObject): Record<string, unknown> {
  const spec = object.spec;
  return typeof spec === 'object' && spec !== null && !Array.isArray(spec)
    ? (spec as Record<string, unknown>)
    : {};
}

export function workloadKey(kind: string, name: string, namespace?: string): string {
  return `${kind}|${namespace ?? ''}|${name}`;
}

export function describeWorkload(w: { kind: string; name: string; namespace?: string }): string {
  return `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name}`;
}

/** Rendered workloads by kind, name and namespace, with a lookup that tolerates a missing namespace. */
export class DesiredIndex {
  private readonly byKey = new Map<string, DesiredWorkload>();

  constructor(readonly workloads: readonly DesiredWorkload[]) {
    for (const w of workloads) this.byKey.set(workloadKey(w.kind, w.name, w.namespace), w);
  }

  /** The rendered workload for a live one; a render without namespace matches any namespace. */
  find(kind: string, name: string, namespace?: string): DesiredWorkload | undefined {
    return (
      this.byKey.get(workloadKey(kind, name, namespace)) ??
      (namespace ? this.byKey.get(workloadKey(kind, name)) : undefined) ??
      (namespace ? undefined : this.workloads.find((w) => w.kind === kind && w.name === name))
    );
  }
}

function scalerOf(object: KubeObject): { kind: string; name: string; holds: string | undefined } | undefined {
  const spec = specOf(object);
  const ref = spec.scaleTargetRef as Record<string, unknown> | undefined;
  if (!ref || typeof ref.name !== 'string') return undefined;
  const kind = typeof ref.kind === 'string' ? ref.kind : 'Deployment';
  const annotations = object.metadata.annotations ?? {};
  if (object.kind === 'HorizontalPodAutoscaler') {
    // An HPA is inactive while its target has 0 replicas; it only matters at minReplicas 0 (never
    // scaled down by it) or when the target is not at 0.
    const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
    return {
      kind,
      name: ref.name,
      holds: `HorizontalPodAutoscaler ${object.metadata.name} (minReplicas ${min})`,
    };
  }
  if (object.kind === 'ScaledObject') {
    const paused =
      annotations['autoscaling.keda.sh/paused'] === 'true' ||
      annotations['autoscaling.keda.sh/paused-replicas'] === '0';
    if (paused) return { kind, name: ref.name, holds: undefined };
    const min = typeof spec.minReplicaCount === 'number' ? spec.minReplicaCount : 0;
    return {
      kind,
      name: ref.name,
      holds: `KEDA ScaledObject ${object.metadata.name} scales it up${min > 0 ? ` and holds minReplicaCount ${min}` : ' when its triggers fire'}`,
    };
  }
  return undefined;
}

/** The workloads of a render, with what each should be. */
export function desiredWorkloads(objects: readonly KubeObject[]): DesiredIndex {
  const scalers = new Map<string, string | undefined>();
  for (const object of objects) {
    const scaler = scalerOf(object);
    if (scaler) scalers.set(workloadKey(scaler.kind, scaler.name, object.metadata.namespace), scaler.holds);
  }
  const out: DesiredWorkload[] = [];
  for (const object of objects) {
    if (!WORKLOAD_KINDS.has(object.kind)) continue;
    if (object.kind === 'Rollout' && !object.apiVersion.startsWith('argoproj.io/')) continue;
    const spec = specOf(object);
    const { name, namespace } = object.metadata;
    const key = workloadKey(object.kind, name, namespace);
    const base: DesiredWorkload = { kind: object.kind, name, ...(namespace ? { namespace } : {}) };
    if (markedAlwaysOn(object)) base.alwaysOnAnnotation = true;
    if (REPLICATED_KINDS.has(object.kind)) {
      if (typeof spec.replicas === 'number') base.replicas = spec.replicas;
      if (scalers.has(key)) {
        base.autoscaled = true;
        const holds = scalers.get(key);
        if (holds) base.heldUpBy = holds;
      }
    } else if (object.kind === 'CronJob') {
      base.suspend = spec.suspend === true;
    }
    out.push(base);
  }
  return new DesiredIndex(out);
}

/** Dormant as rendered: 0 replicas, or suspended. DaemonSets are never dormant by their manifest. */
export function dormantAsRendered(w: DesiredWorkload): boolean {
  if (REPLICATED_KINDS.has(w.kind)) return w.replicas === 0;
  if (w.kind === 'CronJob') return w.suspend === true;
  return false;
}
