/**
 * ExternalSecret health as Argo CD's built-in Lua check assesses it
 * (resource_customizations/external-secrets.io/ExternalSecret/health.lua): the first Ready
 * condition decides, False → Degraded and True → Healthy, each with the condition's message;
 * without one, Progressing "Waiting for ExternalSecret".
 */
import { isMap, type KubeObject } from '../../providers/kustomize/types.js';
import type { HealthStatus } from './health.js';

export function externalSecretHealth(object: KubeObject): HealthStatus {
  const status = isMap(object.status) ? object.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  for (const condition of conditions) {
    if (!isMap(condition) || condition.type !== 'Ready') continue;
    const message = typeof condition.message === 'string' ? condition.message : undefined;
    if (condition.status === 'False') return { status: 'Degraded', ...(message ? { message } : {}) };
    if (condition.status === 'True') return { status: 'Healthy', ...(message ? { message } : {}) };
  }
  return { status: 'Progressing', message: 'Waiting for ExternalSecret' };
}
