/**
 * Resource health exactly as Argo CD assesses it (gitops-engine's built-in checks and the CronJob
 * Lua check shipped with Argo CD 3.2), traps included:
 * - a Deployment scaled to 0 is Healthy (updated/available replicas "match" 0);
 * - a suspended CronJob is Healthy with the message "CronJob is Suspended" (3.2 reports Healthy
 *   instead of Suspended, argoproj/argo-cd#24428); before 3.2 CronJobs had no health at all.
 * Application health is the worst resource health: Healthy < Suspended < Progressing < Missing <
 * Degraded < Unknown.
 */
import { isMap, type KubeObject } from '../../providers/kustomize/types.js';
import { externalSecretHealth } from './health-external-secret.js';

export type HealthStatusCode = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';

export interface HealthStatus {
  status: HealthStatusCode;
  message?: string;
}

/** Which Argo CD CronJob health behaviour to model. */
export type CronJobHealthModel =
  /** Argo CD ≥ 3.2 (default): suspended → Healthy "CronJob is Suspended". */
  | 'argocd-3.2'
  /** Argo CD < 3.2: CronJobs have no health and do not count towards the app's health. */
  | 'none'
  /** A `resource.customizations.health.batch_CronJob` override that reports Suspended. */
  | 'suspended';

export const HEALTH_ORDER: readonly HealthStatusCode[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

export function isWorse(current: HealthStatusCode, candidate: HealthStatusCode): boolean {
  return HEALTH_ORDER.indexOf(candidate) > HEALTH_ORDER.indexOf(current);
}

type Map = Record<string, unknown>;

function field(object: unknown, ...path: string[]): unknown {
  let node = object;
  for (const key of path) node = isMap(node) ? node[key] : undefined;
  return node;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function conditionsOf(object: KubeObject): Map[] {
  const conditions = field(object, 'status', 'conditions');
  return Array.isArray(conditions) ? conditions.filter(isMap) : [];
}

function deploymentHealth(object: KubeObject): HealthStatus {
  const spec = (object.spec ?? {}) as Map;
  const status = (object.status ?? {}) as Map;
  const name = object.metadata.name;
  if (spec.paused === true) return { status: 'Suspended', message: 'Deployment is paused' };
  if (num(object.metadata.generation) <= num(status.observedGeneration)) {
    const progressing = conditionsOf(object).find((c) => c.type === 'Progressing');
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : undefined;
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      return { status: 'Degraded', message: `Deployment "${name}" exceeded its progress deadline` };
    }
    if (replicas !== undefined && num(status.updatedReplicas) < replicas) {
      return {
        status: 'Progressing',
        message: `Waiting for rollout to finish: ${num(status.updatedReplicas)} out of ${replicas} new replicas have been updated...`,
      };
    }
    if (num(status.replicas) > num(status.updatedReplicas)) {
      return {
        status: 'Progressing',
        message: `Waiting for rollout to finish: ${num(status.replicas) - num(status.updatedReplicas)} old replicas are pending termination...`,
      };
    }
    if (num(status.availableReplicas) < num(status.updatedReplicas)) {
      return {
        status: 'Progressing',
        message: `Waiting for rollout to finish: ${num(status.availableReplicas)} of ${num(status.updatedReplicas)} updated replicas are available...`,
      };
    }
    return { status: 'Healthy' };
  }
  return {
    status: 'Progressing',
    message: 'Waiting for rollout to finish: observed deployment generation less than desired generation',
  };
}

function replicaSetHealth(object: KubeObject): HealthStatus {
  const status = (object.status ?? {}) as Map;
  const replicas = num(field(object, 'spec', 'replicas'));
  if (num(object.metadata.generation) <= num(status.observedGeneration)) {
    if (replicas > num(status.availableReplicas)) {
      return {
        status: 'Progressing',
        message: `Waiting for rollout to finish: ${num(status.availableReplicas)} out of ${replicas} new replicas are available...`,
      };
    }
    return { status: 'Healthy' };
  }
  return {
    status: 'Progressing',
    message: 'Waiting for rollout to finish: observed replica set generation less than desired generation',
  };
}

/** gitops-engine pkg/health/health_statefulset.go (from kubectl's rollout status). */
function statefulSetHealth(object: KubeObject): HealthStatus {
  const status = (object.status ?? {}) as Map;
  const observed = num(status.observedGeneration);
  if (observed === 0 || num(object.metadata.generation) > observed) {
    return { status: 'Progressing', message: 'Waiting for statefulset spec update to be observed...' };
  }
  const replicas = field(object, 'spec', 'replicas');
  const ready = num(status.readyReplicas);
  if (typeof replicas === 'number' && ready < replicas) {
    return { status: 'Progressing', message: `Waiting for ${replicas - ready} pods to be ready...` };
  }
  const strategy = (field(object, 'spec', 'updateStrategy') ?? {}) as Map;
  const partition = field(strategy, 'rollingUpdate', 'partition');
  if (strategy.type === 'RollingUpdate' && isMap(strategy.rollingUpdate)) {
    if (typeof replicas === 'number' && typeof partition === 'number') {
      const want = replicas - partition;
      if (num(status.updatedReplicas) < want) {
        return {
          status: 'Progressing',
          message: `Waiting for partitioned roll out to finish: ${num(status.updatedReplicas)} out of ${want} new pods have been updated...`,
        };
      }
    }
    return {
      status: 'Healthy',
      message: `partitioned roll out complete: ${num(status.updatedReplicas)} new pods have been updated...`,
    };
  }
  if (strategy.type === 'OnDelete') {
    return { status: 'Healthy', message: `statefulset has ${ready} ready pods` };
  }
  if (status.updateRevision !== status.currentRevision) {
    return {
      status: 'Progressing',
      message: `waiting for statefulset rolling update to complete ${num(status.updatedReplicas)} pods at revision ${String(status.updateRevision)}...`,
    };
  }
  return {
    status: 'Healthy',
    message: `statefulset rolling update complete ${num(status.currentReplicas)} pods at revision ${String(status.currentRevision)}...`,
  };
}

/** gitops-engine pkg/health/health_daemonset.go. */
function daemonSetHealth(object: KubeObject): HealthStatus {
  const status = (object.status ?? {}) as Map;
  const name = object.metadata.name;
  if (num(object.metadata.generation) > num(status.observedGeneration)) {
    return {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: observed daemon set generation less than desired generation',
    };
  }
  const desired = num(status.desiredNumberScheduled);
  const updated = num(status.updatedNumberScheduled);
  if (field(object, 'spec', 'updateStrategy', 'type') === 'OnDelete') {
    return {
      status: 'Healthy',
      message: `daemon set ${updated} out of ${desired} new pods have been updated`,
    };
  }
  if (updated < desired) {
    return {
      status: 'Progressing',
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    };
  }
  if (num(status.numberAvailable) < desired) {
    return {
      status: 'Progressing',
      message: `Waiting for daemon set "${name}" rollout to finish: ${num(status.numberAvailable)} of ${desired} updated pods are available...`,
    };
  }
  return { status: 'Healthy' };
}

function podHealth(object: KubeObject): HealthStatus {
  const phase = field(object, 'status', 'phase');
  const ready = conditionsOf(object).some((c) => c.type === 'Ready' && c.status === 'True');
  if (phase === 'Running' && ready) return { status: 'Healthy', message: 'running' };
  if (phase === 'Failed') return { status: 'Degraded' };
  return { status: 'Progressing', message: typeof phase === 'string' ? phase : undefined };
}

function loadBalancerHealth(object: KubeObject): HealthStatus {
  const ingress = field(object, 'status', 'loadBalancer', 'ingress');
  return Array.isArray(ingress) && ingress.length > 0 ? { status: 'Healthy' } : { status: 'Progressing' };
}

const HPA_DEGRADED = new Set([
  'AbleToScale/FailedGetScale',
  'AbleToScale/FailedUpdateScale',
  'ScalingActive/FailedGetResourceMetric',
  'ScalingActive/InvalidSelector',
]);

function hpaHealth(object: KubeObject): HealthStatus {
  for (const condition of conditionsOf(object)) {
    const message = typeof condition.message === 'string' ? condition.message : undefined;
    if (HPA_DEGRADED.has(`${String(condition.type)}/${String(condition.reason)}`))
      return { status: 'Degraded', message };
    if (
      (condition.type === 'AbleToScale' || condition.type === 'ScalingLimited') &&
      condition.status === 'True'
    ) {
      return { status: 'Healthy', message };
    }
  }
  return { status: 'Progressing', message: 'Waiting to Autoscale' };
}

/** Argo CD 3.2's resource_customizations/batch/CronJob/health.lua, transcribed. */
function cronJobHealth(object: KubeObject, model: CronJobHealthModel): HealthStatus | undefined {
  if (model === 'none') return undefined;
  if (field(object, 'spec', 'suspend') === true) {
    return { status: model === 'suspended' ? 'Suspended' : 'Healthy', message: 'CronJob is Suspended' };
  }
  const status = object.status;
  if (!isMap(status)) return { status: 'Progressing', message: 'Waiting for CronJob' };
  if (status.lastScheduleTime !== undefined) {
    if (status.lastSuccessfulTime === undefined) {
      return {
        status: 'Healthy',
        message: 'The CronJob never completed successfully. It may not be healthy',
      };
    }
    if (Array.isArray(status.active) && status.active.length > 0) {
      return {
        status: 'Healthy',
        message: 'The job is running. Its last execution may not have been successful',
      };
    }
    if (String(status.lastSuccessfulTime) < String(status.lastScheduleTime)) {
      return { status: 'Degraded', message: 'CronJob has not completed its last execution successfully' };
    }
    return { status: 'Healthy', message: 'CronJob has completed its last execution successfully' };
  }
  return { status: 'Healthy', message: 'CronJob has not been scheduled yet' };
}

/** The health of one live object, or undefined for kinds Argo CD has no health check for. */
export function resourceHealth(
  object: KubeObject,
  cronJobs: CronJobHealthModel = 'argocd-3.2',
): HealthStatus | undefined {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  if (object.metadata.deletionTimestamp) return { status: 'Progressing', message: 'Pending deletion' };
  switch (`${group}/${object.kind}`) {
    case 'apps/Deployment':
      return deploymentHealth(object);
    case 'apps/ReplicaSet':
      return replicaSetHealth(object);
    case 'apps/StatefulSet':
      return statefulSetHealth(object);
    case 'apps/DaemonSet':
      return daemonSetHealth(object);
    case '/Pod':
      return podHealth(object);
    case '/Service':
      return field(object, 'spec', 'type') === 'LoadBalancer'
        ? loadBalancerHealth(object)
        : { status: 'Healthy' };
    case 'networking.k8s.io/Ingress':
    case 'extensions/Ingress':
      return loadBalancerHealth(object);
    case 'autoscaling/HorizontalPodAutoscaler':
      return hpaHealth(object);
    case 'batch/CronJob':
      return cronJobHealth(object, cronJobs);
    case 'external-secrets.io/ExternalSecret':
      return externalSecretHealth(object);
    default:
      return undefined;
  }
}
