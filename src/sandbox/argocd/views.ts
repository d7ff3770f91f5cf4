/**
 * The Argo CD emulator's answers computed from an application record: the Application resource
 * (sync and health status, resources, operation), its managed resources, and the per-resource
 * comparison behind both (three-way, as Argo CD compares with client-side apply).
 */
import { deepEqual, isMap, type KubeObject, splitApiVersion } from '../../providers/kustomize/types.js';
import type { AppRecord, ResourceView } from './app-record.js';
import { type CronJobHealthModel, type HealthStatusCode, isWorse, resourceHealth } from './health.js';
import { objectKey } from './live.js';
import { imagesOf } from './tree.js';

/** What `model.workloads(app)` reports about each Deployment and CronJob in the live cluster. */
export interface WorkloadSummary {
  kind: string;
  name: string;
  namespace: string | undefined;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  suspend?: boolean;
  /** Why new pods cannot start: the scheduler's reason (Unschedulable) or the kubelet's. */
  blocked?: { reason: string; message: string };
}

/** The workloads of an app's live cluster, as the tests and the sandbox's status read them. */
export function workloadSummaries(app: AppRecord): WorkloadSummary[] {
  return app.live
    .list()
    .filter((e) => ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'].includes(e.object.kind))
    .map((entry) => {
      const { object } = entry;
      const spec = (object.spec ?? {}) as Record<string, unknown>;
      const status = (object.status ?? {}) as Record<string, unknown>;
      const summary: WorkloadSummary = {
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
      };
      if (object.kind === 'DaemonSet') {
        summary.replicas = Number(status.desiredNumberScheduled ?? 0);
        summary.readyReplicas = Number(status.numberReady ?? 0);
        summary.availableReplicas = Number(status.numberAvailable ?? 0);
        summary.updatedReplicas = Number(status.updatedNumberScheduled ?? 0);
      } else if (object.kind === 'Deployment' || object.kind === 'StatefulSet') {
        summary.replicas = Number(spec.replicas ?? 1);
        summary.readyReplicas = Number(status.readyReplicas ?? 0);
        summary.availableReplicas = Number(status.availableReplicas ?? 0);
        summary.updatedReplicas = Number(status.updatedReplicas ?? 0);
      }
      if (entry.blocked) summary.blocked = { reason: entry.blocked.reason, message: entry.blocked.message };
      if (object.kind === 'CronJob') {
        summary.suspend = spec.suspend === true;
      }
      return summary;
    });
}

export function resourceViews(app: AppRecord, cronJobHealth: CronJobHealthModel): ResourceView[] {
  const views: ResourceView[] = [];
  const desired = app.compared?.desired ?? [];
  const wanted = new Set<string>();
  for (const target of desired) {
    const key = objectKey(target);
    wanted.add(key);
    const live = app.live.get(key);
    const { group, version } = splitApiVersion(target.apiVersion);
    // Three-way, like Argo CD with client-side apply: every field of the target must be live, and
    // the last applied manifest must be this one (otherwise a field removed from git would not count).
    const synced =
      live !== undefined && deepEqual(live.applied, target) && isSubset(withoutStatus(target), live.object);
    views.push({
      group,
      version,
      kind: target.kind,
      namespace: target.metadata.namespace ?? '',
      name: target.metadata.name,
      status: synced ? 'Synced' : 'OutOfSync',
      health: live ? resourceHealth(live.object, cronJobHealth) : { status: 'Missing' },
      target,
      live,
    });
  }
  for (const live of app.live.list()) {
    if (wanted.has(objectKey(live.object))) continue;
    const { group, version } = splitApiVersion(live.object.apiVersion);
    views.push({
      group,
      version,
      kind: live.object.kind,
      namespace: live.object.metadata.namespace ?? '',
      name: live.object.metadata.name,
      status: 'OutOfSync',
      requiresPruning: true,
      health: resourceHealth(live.object, cronJobHealth),
      live,
    });
  }
  return views;
}

export function appHealth(views: ResourceView[]): HealthStatusCode {
  let worst: HealthStatusCode = 'Healthy';
  for (const view of views) {
    if (view.health && isWorse(worst, view.health.status)) worst = view.health.status;
  }
  return worst;
}

export function sourceJson(app: AppRecord): Record<string, unknown> {
  return { repoURL: app.spec.repoURL, path: app.spec.path, targetRevision: app.spec.targetRevision };
}

export function destinationJson(app: AppRecord): Record<string, unknown> {
  const destination = app.spec.destination ?? {};
  return {
    ...(destination.name
      ? { name: destination.name }
      : { server: destination.server ?? 'https://kubernetes.default.svc' }),
    ...(destination.server && destination.name ? { server: destination.server } : {}),
    ...(destination.namespace ? { namespace: destination.namespace } : {}),
  };
}

export function applicationJson(app: AppRecord, cronJobHealth: CronJobHealthModel): Record<string, unknown> {
  const views = resourceViews(app, cronJobHealth);
  const outOfSync = views.some((v) => v.status === 'OutOfSync');
  const syncStatus = app.comparisonError || !app.compared ? 'Unknown' : outOfSync ? 'OutOfSync' : 'Synced';
  const healthStatus = appHealth(views);
  const spec = app.spec;
  const syncPolicy = app.automated
    ? { automated: { prune: spec.prune === true, selfHeal: spec.selfHeal === true } }
    : {};
  const status: Record<string, unknown> = {
    resources: views.map((view) => ({
      group: view.group,
      version: view.version,
      kind: view.kind,
      namespace: view.namespace,
      name: view.name,
      status: view.status,
      ...(view.health ? { health: view.health } : {}),
      ...(view.requiresPruning ? { requiresPruning: true } : {}),
    })),
    sync: {
      status: syncStatus,
      comparedTo: { source: sourceJson(app), destination: destinationJson(app) },
      ...(app.compared ? { revision: app.compared.revision } : {}),
    },
    health: { status: healthStatus, ...(app.health ? { lastTransitionTime: app.health.since } : {}) },
    history: app.history,
    reconciledAt: app.reconciledAt,
    sourceType: 'Kustomize',
    summary: { images: [...new Set(app.live.list().flatMap((e) => imagesOf(e.object)))].sort() },
    controllerNamespace: 'argocd',
  };
  if (app.operationState) status.operationState = app.operationState;
  const conditions: Record<string, unknown>[] = [];
  if (app.comparisonError) {
    conditions.push({
      type: 'ComparisonError',
      message: app.comparisonError.message,
      lastTransitionTime: app.comparisonError.at,
    });
  }
  if (app.syncError) {
    conditions.push({
      type: 'SyncError',
      message: app.syncError.message,
      lastTransitionTime: app.syncError.at,
    });
  }
  if (conditions.length > 0) status.conditions = conditions;
  const application: Record<string, unknown> = {
    metadata: {
      name: spec.name,
      namespace: 'argocd',
      uid: app.uid,
      creationTimestamp: app.createdAt,
      labels: spec.labels ?? {},
    },
    spec: {
      project: spec.project ?? 'default',
      source: sourceJson(app),
      destination: destinationJson(app),
      syncPolicy,
    },
    status,
  };
  if (app.operation) application.operation = app.operation.json;
  return structuredClone(application);
}

export function managedResourcesJson(
  app: AppRecord,
  cronJobHealth: CronJobHealthModel,
): Record<string, unknown> {
  return {
    items: resourceViews(app, cronJobHealth).map((view) => {
      const liveJson = view.live ? JSON.stringify(view.live.object) : 'null';
      return {
        group: view.group,
        version: view.version,
        kind: view.kind,
        namespace: view.namespace,
        name: view.name,
        targetState: view.target ? JSON.stringify(view.target) : 'null',
        liveState: liveJson,
        normalizedLiveState: liveJson,
        predictedLiveState: view.target ? JSON.stringify(view.target) : 'null',
        hook: false,
        modified: view.status === 'OutOfSync',
        resourceVersion: view.live?.object.metadata.resourceVersion ?? '',
      };
    }),
  };
}

function isSubset(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      desired.length === live.length &&
      desired.every((item, i) => isSubset(item, live[i]))
    );
  }
  if (isMap(desired)) {
    return isMap(live) && Object.entries(desired).every(([key, value]) => isSubset(value, live[key]));
  }
  // Argo CD normalizes numbers and strings the way the API server does; equal text is equal here.
  return (
    desired === live || (desired !== undefined && live !== undefined && String(desired) === String(live))
  );
}

function withoutStatus(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = object;
  return rest as KubeObject;
}
