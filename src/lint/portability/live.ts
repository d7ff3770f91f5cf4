/**
 * The live half of the portability check: the rendered kinds against the API resources the
 * destination cluster really serves, as Argo CD reports them per cluster (`info.apiVersions` of
 * `GET /api/v1/clusters/{server}`). Catches what no catalogue can: a CRD that exists on the cloud
 * but is not installed on this cluster (External Secrets, the Prometheus Operator's ServiceMonitor).
 * A kind whose CRD the render itself carries is fine: Argo CD's sync creates the CRD first.
 */
import type { KubeObject } from '../../providers/kustomize/index.js';

export interface ServedApis {
  /** The destination cluster's name. */
  cluster: string;
  /** Applications that deploy to it. */
  apps: string[];
  /** "group/version" and "group/version/Kind" entries (core group: "v1/Kind"). */
  apiVersions: ReadonlySet<string>;
}

export interface LiveFinding {
  object: { apiVersion: string; kind: string; name: string; namespace?: string };
  cluster: string;
  /** What Argo CD's sync would answer for it. */
  message: string;
}

/** One answer per application (as the Argo CD reader gives them), grouped per destination cluster. */
export function servedByCluster(
  answers: readonly { app: string; cluster: string; apiVersions: readonly string[] }[],
): ServedApis[] {
  const byCluster = new Map<string, { cluster: string; apps: string[]; apiVersions: Set<string> }>();
  for (const answer of answers) {
    const known = byCluster.get(answer.cluster);
    if (known) known.apps.push(answer.app);
    else
      byCluster.set(answer.cluster, {
        cluster: answer.cluster,
        apps: [answer.app],
        apiVersions: new Set(answer.apiVersions),
      });
  }
  return [...byCluster.values()];
}

/** Clusters whose API resources Argo CD has not cached yet: nothing can be said about them. */
export function unsyncedClusters(clusters: readonly ServedApis[]): string[] {
  return clusters.filter((c) => c.apiVersions.size === 0).map((c) => c.cluster);
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

function carriedCrds(objects: readonly KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = (o.spec ?? {}) as { group?: unknown; names?: { kind?: unknown } };
    if (typeof spec.group === 'string' && typeof spec.names?.kind === 'string')
      out.add(`${spec.group}/${spec.names.kind}`);
  }
  return out;
}

/** Rendered objects whose group/version/kind a destination cluster does not serve. */
export function unservedObjects(
  objects: readonly KubeObject[],
  clusters: readonly ServedApis[],
): LiveFinding[] {
  const carried = carriedCrds(objects);
  const findings: LiveFinding[] = [];
  for (const cluster of clusters) {
    if (cluster.apiVersions.size === 0) continue;
    for (const object of objects) {
      if (cluster.apiVersions.has(`${object.apiVersion}/${object.kind}`)) continue;
      const group = groupOf(object.apiVersion);
      if (carried.has(`${group}/${object.kind}`)) continue;
      const where = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      const otherVersion = [...cluster.apiVersions].find((v) => {
        const parts = v.split('/');
        return (
          parts.at(-1) === object.kind && parts.length >= 2 && (parts.length === 2 ? '' : parts[0]) === group
        );
      });
      findings.push({
        object: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        },
        cluster: cluster.cluster,
        // The wording of Argo CD's sync result (util/argo/argo.go AugmentSyncMsg).
        message: otherVersion
          ? `The Kubernetes API could not find version "${object.apiVersion.split('/').at(-1)}" of ${group}/${object.kind} for requested resource ${where}. Version "${otherVersion.split('/').at(-2)}" of ${group}/${object.kind} is installed on the destination cluster.`
          : `The Kubernetes API could not find ${group}/${object.kind} for requested resource ${where}. Make sure the "${object.kind}" CRD is installed on the destination cluster.`,
      });
    }
  }
  return findings;
}
