/**
 * What the destination cluster of each application really serves, as Argo CD reports it:
 * `GET /api/v1/clusters/{server}?id.type=url` (ClusterService.Get, the call Argo CD's UI makes)
 * answers the Cluster with the controller's cached `info.apiVersions`, which lists every
 * "group/version" and every "group/version/Kind" the cluster's discovery API serves
 * (util/argo/argo.go `APIResourcesToStrings(resources, true)`; core kinds are "v1/Kind"). The
 * application's `spec.destination` names the cluster by server or by name.
 */
import { z } from '../../util/zod.js';
import type { ArgoCdClient } from './client.js';
import type { ClusterApis } from './port.js';

const Destination = z.object({
  spec: z
    .object({
      destination: z.object({ server: z.string().optional(), name: z.string().optional() }).nullish(),
    })
    .nullish(),
});

const Cluster = z.object({
  server: z.string().optional(),
  name: z.string().optional(),
  info: z
    .object({
      apiVersions: z.array(z.string()).nullish(),
      connectionState: z.object({ status: z.string().optional(), message: z.string().optional() }).nullish(),
    })
    .nullish(),
});

const appPath = (name: string) => `/api/v1/applications/${encodeURIComponent(name)}`;

/** The served API resources of each app's destination cluster (one read per distinct cluster). */
export async function readClusterApis(
  client: ArgoCdClient,
  apps: readonly string[],
  signal: AbortSignal | undefined,
): Promise<ClusterApis[]> {
  const clusters = new Map<string, Promise<z.infer<typeof Cluster>>>();
  return Promise.all(
    apps.map(async (app): Promise<ClusterApis> => {
      const answer = await client.get(appPath(app), Destination, { signal, app });
      const destination = answer.spec?.destination ?? {};
      // A destination by server wins, as Argo CD resolves it; `in-cluster` when neither is set.
      const server = destination.server || (destination.name ? undefined : 'https://kubernetes.default.svc');
      const query = server
        ? `${encodeURIComponent(server)}?id.type=url`
        : `${encodeURIComponent(destination.name ?? '')}?id.type=name_escaped`;
      let cluster = clusters.get(query);
      if (!cluster) {
        cluster = client.get(`/api/v1/clusters/${query}`, Cluster, { signal });
        clusters.set(query, cluster);
      }
      const found = await cluster;
      return {
        app,
        cluster: found.name || found.server || server || destination.name || '',
        apiVersions: found.info?.apiVersions ?? [],
        ...(found.info?.connectionState?.status ? { connection: found.info.connectionState.status } : {}),
      };
    }),
  );
}

/** Is `apiVersion` + `kind` among the served "group/version/Kind" entries? */
export function servesKind(apiVersions: ReadonlySet<string>, apiVersion: string, kind: string): boolean {
  return apiVersions.has(`${apiVersion}/${kind}`);
}
