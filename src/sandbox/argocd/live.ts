/**
 * The destination cluster of one application, as far as Argo CD sees it: live objects with the
 * fields the API server and controllers fill in (generation, status, defaults), and workloads that
 * roll towards their spec over time. Applying is client-side `kubectl apply`: the manifest replaces
 * the object's spec, except that a Deployment's spec.replicas left out of the manifest keeps the
 * value the HPA set, unless the previous manifest had it (then the field is removed and the API
 * default of 1 applies: the HPA-managed trap).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  clone,
  deepEqual,
  isMap,
  type KubeObject,
  splitApiVersion,
} from '../../providers/kustomize/types.js';
import type { NodeSpec, SecretStoreState } from './clusters.js';
import { hpaStatus, scaleTargetOf } from './hpa.js';
import { externalSecretStatus, fitsNode, type PodBlocker, podBlocker, podSpecOf } from './pod-blockers.js';

type Map = Record<string, unknown>;

export interface LiveSettings {
  /** How long a Deployment takes to go from its current to its desired ready count. */
  rolloutMs: number;
  /** A rollout not finished after this long gets the ProgressDeadlineExceeded condition. */
  progressDeadlineMs: number;
  /** Hostname the load balancer controller assigns to Ingresses and LoadBalancer Services. */
  loadBalancerHostname: (object: KubeObject) => string;
  /** Nodes a DaemonSet schedules a pod on (default 3), each labelled kubernetes.io/os: linux. */
  nodes?: number;
  /**
   * The destination cluster's nodes and secret store: pods whose node selector no node matches,
   * or that need a Secret an ExternalSecret has never synced, do not start (pod-blockers.ts).
   */
  cluster?: { nodes: NodeSpec[]; secretStore: SecretStoreState };
  /** An injected fault for a rollout that starts now (the sandbox's `fault apps …`), if any. */
  rolloutFault?: (object: KubeObject) => RolloutFault | undefined;
}

/** A rollout whose new pods never finish (stuck) or crash-loop, while `active()` (until cleared). */
export interface RolloutFault {
  kind: 'rollout-stuck' | 'crash-loop';
  active(): boolean;
}

/** Kinds whose pods roll towards a target count over time. */
const ROLLING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const NODE_LABELS: Record<string, string> = { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' };

interface Rollout {
  fromReady: number;
  target: number;
  templateChanged: boolean;
  startedAt: number;
  fault?: RolloutFault;
}

export interface LiveEntry {
  object: KubeObject;
  /** The manifest last applied (what `kubectl.kubernetes.io/last-applied-configuration` holds). */
  applied: KubeObject;
  rollout?: Rollout;
  /** Generation the controller has seen; catches up on the next tick. */
  observedGeneration: number;
  /** Why the workload's new pods cannot start (the scheduler's or the kubelet's reason). */
  blocked?: PodBlocker;
}

export type ApplyResult = 'created' | 'configured' | 'unchanged';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function objectKey(object: KubeObject): string {
  const { group } = splitApiVersion(object.apiVersion);
  return `${group}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function spec(object: KubeObject): Map {
  if (!isMap(object.spec)) object.spec = {};
  return object.spec as Map;
}

function lerp(from: number, to: number, progress: number): number {
  return Math.round(from + (to - from) * progress);
}

/** Status counters as the API server returns them: zero values are omitted (omitempty). */
function counters(values: Record<string, number>): Map {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== 0));
}

let resourceVersionCounter = 1000;
function nextResourceVersion(): string {
  resourceVersionCounter += 1;
  return String(resourceVersionCounter);
}

export class LiveCluster {
  private readonly entries = new Map<string, LiveEntry>();

  constructor(private readonly settings: LiveSettings) {}

  list(): LiveEntry[] {
    return [...this.entries.values()];
  }

  get(key: string): LiveEntry | undefined {
    return this.entries.get(key);
  }

  /** Something changes with time alone: a rollout under way, or an autoscaler. */
  inMotion(): boolean {
    for (const entry of this.entries.values()) {
      if (entry.rollout || entry.object.kind === 'HorizontalPodAutoscaler') return true;
    }
    return false;
  }

  find(kind: string, name: string, namespace?: string): LiveEntry | undefined {
    return this.list().find(
      (e) =>
        e.object.kind === kind &&
        e.object.metadata.name === name &&
        (namespace === undefined || e.object.metadata.namespace === namespace),
    );
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** `kubectl apply` of one manifest. */
  apply(manifest: KubeObject, now: number): ApplyResult {
    const key = objectKey(manifest);
    const existing = this.entries.get(key);
    const next = clone(manifest);
    next.metadata.annotations = { ...next.metadata.annotations, [LAST_APPLIED]: JSON.stringify(manifest) };
    this.applyDefaults(next, existing, manifest);
    if (!existing) {
      next.metadata.uid = randomUUID();
      next.metadata.creationTimestamp = new Date(now).toISOString();
      next.metadata.generation = 1;
      next.metadata.resourceVersion = nextResourceVersion();
      next.status = this.initialStatus(next);
      const entry: LiveEntry = { object: next, applied: clone(manifest), observedGeneration: 0 };
      this.entries.set(key, entry);
      if (ROLLING.has(next.kind)) this.startRollout(entry, 0, false, now);
      return 'created';
    }
    const previous = existing.object;
    if (
      deepEqual(existing.applied, manifest) &&
      deepEqual(withoutServerFields(previous), withoutServerFields(next))
    ) {
      return 'unchanged';
    }
    for (const field of ['uid', 'creationTimestamp', 'generation'])
      next.metadata[field] = previous.metadata[field];
    next.status = previous.status;
    const specChanged = !deepEqual(previous.spec, next.spec);
    if (specChanged) next.metadata.generation = Number(previous.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = nextResourceVersion();
    existing.object = next;
    existing.applied = clone(manifest);
    if (ROLLING.has(next.kind) && specChanged) {
      const templateChanged = !deepEqual(spec(previous).template, spec(next).template);
      this.startRollout(existing, readyOf(previous), templateChanged, now);
    }
    return 'configured';
  }

  /** Sets a Deployment's spec.replicas the way the scale subresource does (used by the HPA). */
  scale(entry: LiveEntry, replicas: number, now: number): void {
    const object = entry.object;
    spec(object).replicas = replicas;
    object.metadata.generation = Number(object.metadata.generation ?? 1) + 1;
    object.metadata.resourceVersion = nextResourceVersion();
    this.startRollout(entry, readyOf(object), false, now);
  }

  /** Finishes every rollout at once: the state of a cluster that has been running for a while. */
  settle(now: number): void {
    this.tick(now, false); // HPAs size their targets first
    for (const entry of this.entries.values()) {
      if (!ROLLING.has(entry.object.kind)) continue;
      const target = this.targetOf(entry.object);
      entry.rollout = {
        fromReady: target,
        target,
        templateChanged: false,
        startedAt: Number.NEGATIVE_INFINITY,
      };
    }
    this.tick(now, false);
    this.tick(now, false); // observedGeneration catches up one pass later
  }

  /** Advances controllers: Deployment rollouts, HPAs, the Deployment controller's observedGeneration. */
  tick(now: number, stalled: boolean): void {
    for (const entry of this.entries.values()) {
      if (entry.object.kind === 'HorizontalPodAutoscaler') this.tickHpa(entry, now);
      if (entry.object.kind === 'ExternalSecret' && this.settings.cluster)
        this.tickExternalSecret(entry, now);
    }
    const cluster = this.settings.cluster;
    const externalSecrets = cluster
      ? this.list()
          .filter((e) => e.object.kind === 'ExternalSecret')
          .map((e) => e.object)
      : [];
    for (const entry of this.entries.values()) {
      if (!cluster || !ROLLING.has(entry.object.kind)) continue;
      const wasBlocked = entry.blocked !== undefined;
      entry.blocked = podBlocker(entry.object, cluster.nodes, externalSecrets);
      if (wasBlocked && !entry.blocked && entry.rollout) entry.rollout.startedAt = now;
    }
    for (const entry of this.entries.values()) {
      if (entry.object.kind === 'Deployment') this.tickDeployment(entry, now, stalled);
      if (entry.object.kind === 'StatefulSet' || entry.object.kind === 'DaemonSet')
        this.tickPodSet(entry, now, stalled);
    }
  }

  /** Pods a workload should run: spec.replicas, or for a DaemonSet one per node its selector matches. */
  private targetOf(object: KubeObject): number {
    if (object.kind !== 'DaemonSet') return Number(spec(object).replicas ?? 1);
    const nodes = this.settings.cluster?.nodes;
    if (nodes) {
      const podSpec = podSpecOf(object) ?? {};
      return nodes.filter((n) => fitsNode(podSpec, n)).length;
    }
    const template = isMap(spec(object).template) ? (spec(object).template as Map) : {};
    const podSpec = isMap(template.spec) ? (template.spec as Map) : {};
    const selector = isMap(podSpec.nodeSelector) ? (podSpec.nodeSelector as Map) : {};
    const matches = Object.entries(selector).every(([k, v]) => NODE_LABELS[k] === String(v));
    return matches ? (this.settings.nodes ?? 3) : 0;
  }

  /**
   * The StatefulSet and DaemonSet controllers: pods become ready (and updated) over the rollout
   * time; the status fields are the ones the API server reports (zero counters omitted), and
   * observedGeneration catches up one pass after a spec change.
   */
  private tickPodSet(entry: LiveEntry, now: number, stalled: boolean): void {
    const object = entry.object;
    const generation = Number(object.metadata.generation ?? 1);
    const observedGeneration = entry.observedGeneration;
    entry.observedGeneration = generation;
    const target = this.targetOf(object);
    const rollout = entry.rollout;
    let ready = readyOf(object);
    let updated = target;
    if (rollout) {
      const progress =
        this.settings.rolloutMs <= 0 ? 1 : Math.min(1, (now - rollout.startedAt) / this.settings.rolloutMs);
      ready = lerp(rollout.fromReady, target, progress);
      updated = rollout.templateChanged ? lerp(0, target, progress) : target;
      const fault = activeFault(rollout);
      if ((stalled || fault === 'rollout-stuck') && target > 0 && target > rollout.fromReady)
        ready = Math.min(ready, target - 1);
      if (fault === 'crash-loop') ready = Math.min(ready, rollout.fromReady);
      // New pods cannot start (see tick: the rollout starts over once the cause is gone).
      if (entry.blocked && ready > rollout.fromReady) ready = rollout.fromReady;
      if (ready === target && updated === target) entry.rollout = undefined;
    }
    const previousStatus = (isMap(object.status) ? object.status : {}) as Map;
    const observed = Math.max(observedGeneration, Number(previousStatus.observedGeneration ?? 0));
    const revision = `${object.metadata.name}-${templateHash(object).slice(0, 10)}`;
    const status: Map =
      object.kind === 'DaemonSet'
        ? {
            observedGeneration: observed,
            ...counters({
              currentNumberScheduled: Math.max(ready, target),
              desiredNumberScheduled: target,
              numberReady: ready,
              numberAvailable: ready,
              updatedNumberScheduled: Math.min(updated, Math.max(ready, target)),
              numberUnavailable: Math.max(0, target - ready),
            }),
            numberMisscheduled: 0,
          }
        : {
            observedGeneration: observed,
            ...counters({
              replicas: Math.max(ready, target),
              readyReplicas: ready,
              availableReplicas: ready,
              currentReplicas: entry.rollout?.templateChanged ? Math.max(0, target - updated) : ready,
              updatedReplicas: updated,
            }),
            currentRevision: entry.rollout?.templateChanged ? `${revision}-previous` : revision,
            updateRevision: revision,
            collisionCount: 0,
          };
    if (!deepEqual(status, object.status)) {
      object.status = status;
      object.metadata.resourceVersion = nextResourceVersion();
    }
  }

  private applyDefaults(next: KubeObject, existing: LiveEntry | undefined, manifest: KubeObject): void {
    const nextSpec = spec(next);
    switch (next.kind) {
      case 'Deployment': {
        if (typeof nextSpec.replicas !== 'number') {
          const previousReplicas = existing ? spec(existing.object).replicas : undefined;
          const wasApplied = existing ? typeof spec(existing.applied).replicas === 'number' : false;
          // Field never in the manifest: whoever owns it (the HPA) keeps it. Field removed from the
          // manifest: apply deletes it and the API server defaults it to 1.
          nextSpec.replicas = !wasApplied && typeof previousReplicas === 'number' ? previousReplicas : 1;
        }
        nextSpec.progressDeadlineSeconds ??= 600;
        nextSpec.revisionHistoryLimit ??= 10;
        nextSpec.strategy ??= {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
        };
        break;
      }
      case 'CronJob':
        nextSpec.suspend ??= false;
        nextSpec.concurrencyPolicy ??= 'Allow';
        break;
      case 'StatefulSet':
        if (typeof nextSpec.replicas !== 'number') nextSpec.replicas = 1;
        nextSpec.podManagementPolicy ??= 'OrderedReady';
        nextSpec.revisionHistoryLimit ??= 10;
        nextSpec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
        break;
      case 'DaemonSet':
        nextSpec.revisionHistoryLimit ??= 10;
        nextSpec.updateStrategy ??= {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
        };
        break;
      case 'Service':
        nextSpec.type ??= 'ClusterIP';
        nextSpec.clusterIP ??=
          existing && isMap(existing.object.spec) ? existing.object.spec.clusterIP : fakeClusterIp(manifest);
        break;
    }
  }

  private initialStatus(object: KubeObject): unknown {
    switch (object.kind) {
      case 'CronJob':
        return {};
      case 'Ingress':
        return { loadBalancer: { ingress: [{ hostname: this.settings.loadBalancerHostname(object) }] } };
      case 'Service':
        return spec(object).type === 'LoadBalancer'
          ? { loadBalancer: { ingress: [{ hostname: this.settings.loadBalancerHostname(object) }] } }
          : { loadBalancer: {} };
      default:
        return {};
    }
  }

  private startRollout(entry: LiveEntry, fromReady: number, templateChanged: boolean, now: number): void {
    const target = this.targetOf(entry.object);
    // Only a rollout that starts new pods can hit a pod fault; scaling down never does.
    const fault =
      target > fromReady || templateChanged ? this.settings.rolloutFault?.(entry.object) : undefined;
    entry.rollout = { fromReady, target, templateChanged, startedAt: now, ...(fault ? { fault } : {}) };
  }

  private tickDeployment(entry: LiveEntry, now: number, stalled: boolean): void {
    const object = entry.object;
    const generation = Number(object.metadata.generation ?? 1);
    // The Deployment controller sees a new generation on its next pass, not in the same instant.
    const observedGeneration = entry.observedGeneration;
    entry.observedGeneration = generation;
    const target = Number(spec(object).replicas ?? 1);
    const rollout = entry.rollout;
    let ready = readyOf(object);
    let updated = target;
    let total = target;
    let deadlineExceeded = false;
    if (rollout) {
      const elapsed = now - rollout.startedAt;
      const progress = this.settings.rolloutMs <= 0 ? 1 : Math.min(1, elapsed / this.settings.rolloutMs);
      ready = lerp(rollout.fromReady, target, progress);
      updated = rollout.templateChanged ? lerp(0, target, progress) : target;
      const fault = activeFault(rollout);
      if (fault === 'crash-loop' && target > 0) {
        // New pods start, crash and restart with a growing back-off: none gets ready; a new
        // template gets its surge of pods (25 %) and the old pods keep serving.
        ready = Math.min(ready, rollout.fromReady);
        if (rollout.templateChanged) updated = Math.min(updated, Math.max(1, Math.ceil(target / 4)));
      }
      if ((stalled || fault === 'rollout-stuck') && target > 0) {
        // A rollout that never finishes: the last new pod never gets ready (scaling down still works).
        if (target > rollout.fromReady) ready = Math.min(ready, target - 1);
        if (rollout.templateChanged) updated = Math.min(updated, target - 1);
      }
      // New pods stay Pending (or cannot create their containers) and the rollout heads for its
      // progress deadline; it starts over once the cause is gone (see tick).
      if (entry.blocked && ready > rollout.fromReady) ready = rollout.fromReady;
      total = rollout.templateChanged && updated < target ? target + 1 : Math.max(target, ready);
      const done = ready === target && updated === target;
      if (done) entry.rollout = undefined;
      deadlineExceeded = !done && elapsed > this.settings.progressDeadlineMs;
    }
    const rsName = `${object.metadata.name}-${templateHash(object)}`;
    const previousStatus = (isMap(object.status) ? object.status : {}) as Map;
    const status: Map = {
      observedGeneration: Math.max(observedGeneration, Number(previousStatus.observedGeneration ?? 0)),
      ...counters({
        replicas: total,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: ready,
        unavailableReplicas: Math.max(0, total - ready),
      }),
      conditions: [
        {
          type: 'Available',
          status: ready >= target ? 'True' : 'False',
          reason: ready >= target ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message:
            ready >= target
              ? 'Deployment has minimum availability.'
              : 'Deployment does not have minimum availability.',
        },
        deadlineExceeded
          ? {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: `ReplicaSet "${rsName}" has timed out progressing.`,
            }
          : {
              type: 'Progressing',
              status: 'True',
              reason: entry.rollout ? 'ReplicaSetUpdated' : 'NewReplicaSetAvailable',
              message: entry.rollout
                ? `ReplicaSet "${rsName}" is progressing.`
                : `ReplicaSet "${rsName}" has successfully progressed.`,
            },
      ],
    };
    if (!deepEqual(status, object.status)) {
      object.status = status;
      object.metadata.resourceVersion = nextResourceVersion();
    }
  }

  /** The External Secrets controller: Ready as the secret store allows. */
  private tickExternalSecret(entry: LiveEntry, now: number): void {
    const store = this.settings.cluster?.secretStore;
    if (!store) return;
    const object = entry.object;
    const status = externalSecretStatus(object, store, now);
    const previous = isMap(object.status) ? object.status : {};
    // A Secret synced once stays when later syncs fail (ESO keeps it): remember that it exists.
    if (!status.syncedResourceVersion && previous.syncedResourceVersion)
      status.syncedResourceVersion = previous.syncedResourceVersion;
    if (!deepEqual(stripRefresh(status), stripRefresh(previous))) {
      object.status = status;
      object.metadata.resourceVersion = nextResourceVersion();
    }
  }

  private tickHpa(entry: LiveEntry, now: number): void {
    const hpa = entry.object;
    const ref = scaleTargetOf(hpa);
    const target = this.find(ref.kind, ref.name, hpa.metadata.namespace);
    const transition = new Date(now).toISOString();
    const current = target ? Number(spec(target.object).replicas ?? 1) : undefined;
    const { status, desired } = hpaStatus(hpa, ref, current);
    if (target && desired !== undefined && desired !== current) this.scale(target, desired, now);
    const previous = isMap(hpa.status) ? hpa.status : {};
    const sameConditions = deepEqual(stripTimes(previous.conditions), stripTimes(status.conditions));
    if (!sameConditions || previous.currentReplicas !== status.currentReplicas) {
      status.conditions = (status.conditions as Map[]).map((c) => ({ ...c, lastTransitionTime: transition }));
      hpa.status = status;
      hpa.metadata.resourceVersion = nextResourceVersion();
    }
  }
}

function stripRefresh(status: Record<string, unknown>): unknown {
  const { refreshTime: _r, ...rest } = status;
  return rest;
}

function stripTimes(conditions: unknown): unknown {
  return Array.isArray(conditions)
    ? conditions.map((c) => (isMap(c) ? { ...c, lastTransitionTime: undefined } : c))
    : conditions;
}

function activeFault(rollout: Rollout): RolloutFault['kind'] | undefined {
  return rollout.fault?.active() ? rollout.fault.kind : undefined;
}

/**
 * Pods of the entry that crash-loop now, with their restart count and back-off as the kubelet
 * reports them (10 s doubling to 5 min; one restart per back-off, in the sandbox's compressed time).
 */
export function crashLoop(
  entry: LiveEntry,
  now: number,
  rolloutMs: number,
): { restarts: number; backOff: string } | undefined {
  const rollout = entry.rollout;
  if (!rollout || activeFault(rollout) !== 'crash-loop') return undefined;
  const period = Math.max(50, rolloutMs / 4);
  const restarts = Math.max(1, Math.floor((now - rollout.startedAt) / period));
  const seconds = Math.min(300, 10 * 2 ** Math.min(5, restarts - 1));
  const backOff = `${Math.floor(seconds / 60) > 0 ? `${Math.floor(seconds / 60)}m` : ''}${seconds % 60}s`;
  return { restarts, backOff };
}

function readyOf(object: KubeObject): number {
  const status = isMap(object.status) ? object.status : {};
  const ready = object.kind === 'DaemonSet' ? status.numberReady : status.readyReplicas;
  return typeof ready === 'number' ? ready : 0;
}

function withoutServerFields(object: KubeObject): unknown {
  const { status: _status, ...rest } = object;
  const {
    uid: _u,
    creationTimestamp: _c,
    generation: _g,
    resourceVersion: _r,
    ...metadata
  } = object.metadata;
  return { ...rest, metadata };
}

/** The pod-template-hash Kubernetes derives from a Deployment's template. */
export function templateHash(object: KubeObject): string {
  const template = isMap(object.spec) ? object.spec.template : undefined;
  return createHash('sha256')
    .update(JSON.stringify(template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

function fakeClusterIp(object: KubeObject): string {
  const digest = createHash('sha256').update(objectKey(object)).digest();
  return `10.96.${digest[0]}.${digest[1] === 0 ? 1 : digest[1]}`;
}
