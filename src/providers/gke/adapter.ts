/**
 * GKE over @google-cloud/container (ClusterManagerClient, gRPC). Credentials come from Application
 * Default Credentials; with `gke.endpoint` set (emulators), the client talks plaintext to it and
 * never looks for credentials.
 */
import type { protos } from '@google-cloud/container';
import { invalidInput } from '../../engine/errors.js';
import { googleError } from '../google/errors.js';
import { callGoogle, type GoogleClientSpec } from '../google/thread.js';
import type { AdapterOptions } from '../options.js';
import type { ClusterHealth } from '../types.js';
import type { GkeReader } from './port.js';

const USABLE = new Set(['RUNNING', 'RECONCILING']);

type Cluster = protos.google.container.v1.ICluster;

export function createGkeReader({ config }: AdapterOptions): GkeReader {
  const gke = config.gke;
  if (!gke) {
    throw invalidInput('FO_GKE_E3201', 'the config has no `gke` section', {
      hint: 'add gke.project, gke.location and gke.cluster to the config',
    });
  }
  const name = `projects/${gke.project}/locations/${gke.location}/clusters/${gke.cluster}`;
  const client: GoogleClientSpec = {
    api: 'gke',
    ...(gke.endpoint ? { endpoint: gke.endpoint, projectId: gke.project } : {}),
  };
  return {
    async describeCluster(signal) {
      try {
        // A failing GKE is often why we are here: fail fast instead of the client's long retries.
        const cluster = await callGoogle<Cluster>(
          client,
          'getCluster',
          { name },
          { timeoutMs: 15_000, signal },
        );
        const status = String(cluster.status ?? 'STATUS_UNSPECIFIED');
        const problems: string[] = [];
        const warnings: string[] = [];
        if (!USABLE.has(status))
          problems.push(
            `cluster status ${status}${cluster.statusMessage ? `: ${cluster.statusMessage}` : ''}`,
          );
        if (status === 'RECONCILING')
          warnings.push('cluster is RECONCILING (usable, but the control plane is changing)');
        for (const condition of cluster.conditions ?? []) {
          const text =
            `condition ${String(condition.code ?? condition.canonicalCode ?? 'UNKNOWN')}: ${condition.message ?? ''}`.trim();
          (USABLE.has(status) ? warnings : problems).push(text);
        }
        const result: ClusterHealth = {
          name: `gke ${gke.cluster} (${gke.location})`,
          status,
          usable: problems.length === 0,
          problems,
          warnings,
          detail: {
            version: cluster.currentMasterVersion ?? null,
            nodePools: (cluster.nodePools ?? []).map((p) => ({
              name: p.name ?? '',
              status: String(p.status ?? ''),
            })),
          },
        };
        return result;
      } catch (error) {
        throw googleError(error, 'GKE', `GKE cluster ${name}`);
      }
    },
  };
}
