/**
 * What a sync does with a kind the destination cluster does not serve, and how argocd-server
 * describes a cluster.
 *
 * gitops-engine's sync (pkg/sync/sync_context.go `getSyncTasks`) asks discovery for every task's
 * group/version/kind; a kind that is not served fails the task (`ResultCodeSyncFailed`) unless the
 * sync itself carries the CRD (or the SkipDryRunOnMissingResource option), and the operation ends
 * `Failed` "one or more synchronization tasks are not valid" before anything is applied. Argo CD's
 * controller then rewrites each such task's message (util/argo/argo.go `AugmentSyncMsg`):
 * `The Kubernetes API could not find <group>/<Kind> for requested resource <ns>/<name>. Make sure
 * the "<Kind>" CRD is installed on the destination cluster.`, or, when another version of the kind
 * is served, `The Kubernetes API could not find version "<v>" of <group>/<Kind> for requested
 * resource <ns>/<name>. Version "<v2>" of <group>/<Kind> is installed on the destination cluster.`
 */
import { type KubeObject, splitApiVersion } from '../../providers/kustomize/types.js';
import { apiVersionsOf, type ClusterProfile, gvkOf } from './clusters.js';

export const INVALID_TASKS_MESSAGE = 'one or more synchronization tasks are not valid';

const SKIP_DRY_RUN = 'SkipDryRunOnMissingResource=true';

/** A sync task that failed validation, as operationState.syncResult.resources lists it. */
export interface FailedTask {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: 'SyncFailed';
  message: string;
  syncPhase: 'Sync';
}

function crdsIn(objects: readonly KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const object of objects) {
    if (object.kind !== 'CustomResourceDefinition') continue;
    const spec = (object.spec ?? {}) as { group?: unknown; names?: { kind?: unknown } };
    if (typeof spec.group === 'string' && typeof spec.names?.kind === 'string')
      out.add(`${spec.group}/${spec.names.kind}`);
  }
  return out;
}

/** Is `apiVersion`/`kind` served by the cluster (exactly that version)? */
export function serves(profile: ClusterProfile, apiVersion: string, kind: string): boolean {
  return profile.resources.has(gvkOf(apiVersion, kind));
}

/** The Argo CD message for a resource whose kind the destination does not serve. */
export function notServedMessage(profile: ClusterProfile, object: KubeObject): string {
  const { group, version } = splitApiVersion(object.apiVersion);
  const where = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
  // getAPIResourceInfo: same group and kind first, else the same kind in any group.
  const served = [...profile.resources].map((gvk) => {
    const parts = gvk.split('/');
    const kind = parts.pop()!;
    const v = parts.pop()!;
    return { group: parts.join('/'), version: v, kind };
  });
  const other =
    served.find((r) => r.group === group && r.kind === object.kind) ??
    served.find((r) => r.kind === object.kind);
  if (!other) {
    return `The Kubernetes API could not find ${group}/${object.kind} for requested resource ${where}. Make sure the "${object.kind}" CRD is installed on the destination cluster.`;
  }
  return `The Kubernetes API could not find version "${version}" of ${group}/${object.kind} for requested resource ${where}. Version "${other.version}" of ${other.group}/${other.kind} is installed on the destination cluster.`;
}

/**
 * The tasks of a sync that fail validation on `profile`: kinds it does not serve, unless the same
 * sync carries their CRD or the resource opts out of the dry run.
 */
export function invalidTasks(profile: ClusterProfile, objects: readonly KubeObject[]): FailedTask[] {
  const carried = crdsIn(objects);
  const failed: FailedTask[] = [];
  for (const object of objects) {
    if (serves(profile, object.apiVersion, object.kind)) continue;
    const { group, version } = splitApiVersion(object.apiVersion);
    if (carried.has(`${group}/${object.kind}`)) continue;
    const options = object.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '';
    if (options.split(',').some((o) => o.trim() === SKIP_DRY_RUN)) continue;
    failed.push({
      group,
      version,
      kind: object.kind,
      namespace: object.metadata.namespace ?? '',
      name: object.metadata.name,
      status: 'SyncFailed',
      message: notServedMessage(profile, object),
      syncPhase: 'Sync',
    });
  }
  return failed;
}

/** A CRD applied by a sync makes its kind served (the API server registers it). */
export function registerCrds(profile: ClusterProfile, objects: readonly KubeObject[]): void {
  for (const object of objects) {
    if (object.kind !== 'CustomResourceDefinition') continue;
    const spec = (object.spec ?? {}) as {
      group?: unknown;
      names?: { kind?: unknown };
      versions?: { name?: unknown; served?: unknown }[];
    };
    if (typeof spec.group !== 'string' || typeof spec.names?.kind !== 'string') continue;
    for (const v of spec.versions ?? []) {
      if (typeof v.name === 'string' && v.served !== false)
        profile.resources.add(`${spec.group}/${v.name}/${spec.names.kind}`);
    }
  }
}

/**
 * The Cluster object argocd-server's `GET /api/v1/clusters/{server}` answers: sanitized (no
 * credentials), with the controller's cached ClusterInfo (server/cluster/cluster.go toAPIResponse).
 */
export function clusterJson(
  profile: ClusterProfile,
  applicationsCount: number,
  syncedAt: string,
): Record<string, unknown> {
  const connectionState = { status: 'Successful', message: '', attemptedAt: syncedAt };
  const apiVersions = apiVersionsOf(profile);
  return {
    server: profile.server,
    name: profile.name,
    config: { tlsClientConfig: { insecure: false } },
    connectionState,
    serverVersion: profile.serverVersion,
    info: {
      connectionState: { status: 'Successful', message: '', modifiedAt: syncedAt },
      serverVersion: profile.serverVersion,
      cacheInfo: {
        resourcesCount: 0,
        apisCount: apiVersions.length,
        lastCacheSyncTime: syncedAt,
      },
      applicationsCount,
      apiVersions,
    },
  };
}
