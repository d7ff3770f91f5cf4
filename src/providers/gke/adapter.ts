/**
 * GKE over @google-cloud/container (ClusterManagerClient, gRPC). Credentials come from Application
 * Default Credentials; with `gke.endpoint` set (emulators), the client talks plaintext to it and
 * never looks for credentials.
 */
import type { ClusterManagerClient } from '@google-cloud/container';
import type * as ClusterManagerModule from '@google-cloud/container/build/src/v1/cluster_manager_client.js';
import { invalidInput } from '../../engine/errors.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { localGoogleClientOptions } from '../google/client-options.js';
import { googleError } from '../google/errors.js';
import type { AdapterOptions } from '../options.js';
import type { ClusterHealth } from '../types.js';
import type { GkeReader } from './port.js';

const USABLE = new Set(['RUNNING', 'RECONCILING']);

/** The package's protos.json, which the v1 client builds its gRPC stubs from. */
const PROTOS_JSON = '@google-cloud/container/build/protos/protos.json';

interface ProtoNamespace {
  nested?: Record<string, ProtoNamespace>;
}

/**
 * The client builds its stubs and reflection descriptors from the whole of protos.json, which
 * describes the v1 and the v1beta1 API (nothing of v1 refers to v1beta1). Building the v1beta1
 * half too costs about 200 ms of CPU per process, a sixth of `failover status`. This process only
 * uses v1, so that half leaves the (module-cached) JSON before the first client is made.
 */
function withoutV1beta1Protos(): void {
  const protos = requireCommonJs(PROTOS_JSON) as ProtoNamespace;
  const versions = protos.nested?.google?.nested?.container?.nested;
  if (versions?.v1 && versions.v1beta1) delete versions.v1beta1;
}

export function createGkeReader({ config }: AdapterOptions): GkeReader {
  const gke = config.gke;
  if (!gke) {
    throw invalidInput('FO_GKE_E3201', 'the config has no `gke` section', {
      hint: 'add gke.project, gke.location and gke.cluster to the config',
    });
  }
  const name = `projects/${gke.project}/locations/${gke.location}/clusters/${gke.cluster}`;
  let client: ClusterManagerClient | undefined;
  // The v1 client alone: the package index also loads the v1beta1 client and a 12 MB generated
  // protobuf module that the client never uses (it reads protos.json), a third of its load time.
  const sdk = () => {
    if (!client) {
      withoutV1beta1Protos();
      const { ClusterManagerClient } = requireCommonJs(
        '@google-cloud/container/build/src/v1/cluster_manager_client.js',
      ) as typeof ClusterManagerModule;
      client = new ClusterManagerClient(
        gke.endpoint ? localGoogleClientOptions(gke.endpoint, { projectId: gke.project }) : {},
      );
    }
    return client;
  };
  return {
    async describeCluster(signal) {
      try {
        // A failing GKE is often why we are here: fail fast instead of the client's long retries.
        const call = sdk().getCluster({ name }, { timeout: 15_000, retry: { retryCodes: [] } });
        const [cluster] = await abortable(call, signal);
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

/** google-gax calls take no AbortSignal: cancel the call when the signal aborts. */
export function abortable<T>(call: Promise<T> & { cancel?: () => void }, signal?: AbortSignal): Promise<T> {
  if (!signal) return call;
  if (signal.aborted) {
    call.cancel?.();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      call.cancel?.();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
