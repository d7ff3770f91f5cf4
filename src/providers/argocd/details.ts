/**
 * Details of an application the wait needs beyond sync and replica counts: why the last sync
 * failed (operationState.syncResult.resources with status SyncFailed and Argo CD's message per
 * resource), the ExternalSecrets of the app with their Ready condition, and the Secrets each
 * workload's pod template needs (a pod cannot start without them).
 */
import { z } from '../../util/zod.js';
import type { ExternalSecretState, SyncFailure } from './port.js';

export const SyncResult = z.object({
  revision: z.string().optional(),
  resources: z
    .array(
      z.object({
        group: z.string().optional(),
        kind: z.string(),
        name: z.string(),
        namespace: z.string().optional(),
        status: z.string().optional(),
        message: z.string().optional(),
      }),
    )
    .nullish(),
});

export const OperationSync = z
  .object({ sync: z.object({ revision: z.string().optional() }).nullish() })
  .nullish();

/** A failed or errored last operation, with its revision and the resources that failed. */
export function syncFailure(
  state:
    | {
        phase?: string;
        message?: string;
        syncResult?: z.infer<typeof SyncResult> | null;
        operation?: z.infer<typeof OperationSync>;
      }
    | null
    | undefined,
): SyncFailure | undefined {
  if (!state || (state.phase !== 'Failed' && state.phase !== 'Error')) return undefined;
  const revision = state.syncResult?.revision || state.operation?.sync?.revision || undefined;
  return {
    phase: state.phase,
    message: state.message ?? '',
    ...(revision ? { revision } : {}),
    resources: (state.syncResult?.resources ?? [])
      .filter((r) => r.status === 'SyncFailed')
      .map((r) => ({
        kind: r.kind,
        name: r.name,
        ...(r.namespace ? { namespace: r.namespace } : {}),
        message: r.message ?? '',
      })),
  };
}

const ExternalSecretManifest = z.object({
  spec: z.object({ target: z.object({ name: z.string().optional() }).nullish() }).nullish(),
  status: z
    .object({
      conditions: z
        .array(
          z.object({
            type: z.string().optional(),
            status: z.string().optional(),
            reason: z.string().optional(),
            message: z.string().optional(),
          }),
        )
        .nullish(),
      /** Set once the target Secret was written; it stays when later refreshes fail. */
      syncedResourceVersion: z.string().optional(),
    })
    .nullish(),
});

function parse<T>(schema: z.ZodType<T>, text: string | undefined): T | undefined {
  if (!text || text === 'null') return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** An ExternalSecret of the managed resources, with its Ready condition as the controller wrote it. */
export function externalSecretState(item: {
  name: string;
  namespace?: string;
  liveState?: string;
  targetState?: string;
}): ExternalSecretState {
  const live = parse(ExternalSecretManifest, item.liveState);
  const target = parse(ExternalSecretManifest, item.targetState);
  const ready = live?.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: item.name,
    ...(item.namespace ? { namespace: item.namespace } : {}),
    secret: target?.spec?.target?.name || live?.spec?.target?.name || item.name,
    ...(live ? {} : { missing: true }),
    ready: ready?.status === 'True' ? true : ready?.status === 'False' ? false : undefined,
    ...(ready?.reason ? { reason: ready.reason } : {}),
    ...(ready?.message ? { message: ready.message } : {}),
    secretExists: ready?.status === 'True' || live?.status?.syncedResourceVersion !== undefined,
  };
}

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isJson) : []);

/** Secrets a workload's pods need to start (volumes, env and envFrom; optional references left out). */
export function secretRefsOf(targetState: string | undefined, kind: string): string[] {
  if (!targetState || targetState === 'null') return [];
  let object: unknown;
  try {
    object = JSON.parse(targetState);
  } catch {
    return [];
  }
  if (!isJson(object) || !isJson(object.spec)) return [];
  let template: unknown = object.spec.template;
  if (kind === 'CronJob') {
    const job = isJson(object.spec.jobTemplate) ? object.spec.jobTemplate : {};
    template = isJson(job.spec) ? job.spec.template : undefined;
  }
  const pod = isJson(template) && isJson(template.spec) ? template.spec : {};
  const names = new Set<string>();
  for (const volume of list(pod.volumes)) {
    const secret = isJson(volume.secret) ? volume.secret : {};
    if (typeof secret.secretName === 'string' && secret.optional !== true) names.add(secret.secretName);
  }
  for (const container of [...list(pod.initContainers), ...list(pod.containers)]) {
    for (const env of list(container.env)) {
      const ref =
        isJson(env.valueFrom) && isJson(env.valueFrom.secretKeyRef) ? env.valueFrom.secretKeyRef : {};
      if (typeof ref.name === 'string' && ref.optional !== true) names.add(ref.name);
    }
    for (const from of list(container.envFrom)) {
      const ref = isJson(from.secretRef) ? from.secretRef : {};
      if (typeof ref.name === 'string' && ref.optional !== true) names.add(ref.name);
    }
  }
  return [...names];
}
