/**
 * Anthos clusters on AWS over @google-cloud/gkemulticloud (AwsClustersClient, gRPC). The API is
 * regional: the client talks to `{location}-gkemulticloud.googleapis.com`, with Application Default
 * Credentials. With `anthosAws.endpoint` set (emulators), it talks plaintext to that endpoint and
 * never looks for credentials.
 *
 * Optional: EKS is the default AWS-side cluster type; this adapter is only built when a check asks
 * for it, and it needs the `anthosAws` config section.
 */
import type * as Gkemulticloud from '@google-cloud/gkemulticloud';
import type { AwsClustersClient } from '@google-cloud/gkemulticloud';
import type { CallOptions } from 'google-gax';
import { FailoverError, invalidInput } from '../../engine/errors.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { abortable } from '../gke/adapter.js';
import { localGoogleClientOptions } from '../google/client-options.js';
import { googleError } from '../google/errors.js';
import type { AdapterOptions } from '../options.js';
import type { ClusterHealth } from '../types.js';
import type { AnthosAwsReader } from './port.js';

const USABLE = new Set(['RUNNING', 'RECONCILING']);
const SERVICE = 'Anthos clusters on AWS';

/**
 * The management API is a Google Cloud service even though the cluster runs on AWS, so it can be
 * down in the very incident we fail over for: fail fast, and let the runbook's retry policy decide,
 * instead of the client's own UNAVAILABLE retries (up to 10 minutes).
 */
const CALL_OPTIONS: CallOptions = { timeout: 15_000, retry: { retryCodes: [] } };

/** Regional endpoint of the GKE Multi-Cloud API; `location` is the Google Cloud region managing the cluster. */
export function anthosAwsApiEndpoint(location: string): string {
  return `${location}-gkemulticloud.googleapis.com`;
}

export function createAnthosAwsReader({ config }: AdapterOptions): AnthosAwsReader {
  const anthos = config.anthosAws;
  if (!anthos) {
    throw invalidInput('FO_ANTHOS_E3251', 'the config has no `anthosAws` section', {
      hint: 'add anthosAws.project, anthosAws.location and anthosAws.cluster to the config, or check the EKS cluster instead (check.eks-cluster) if the AWS side runs EKS',
    });
  }
  const name = `projects/${anthos.project}/locations/${anthos.location}/awsClusters/${anthos.cluster}`;
  const resource = `AWS cluster ${name}`;
  let client: AwsClustersClient | undefined;
  // Loaded on first use: most setups run EKS and never pay for this SDK.
  const sdk = () => {
    if (!client) {
      const { AwsClustersClient } = requireCommonJs('@google-cloud/gkemulticloud') as typeof Gkemulticloud;
      const created = new AwsClustersClient(
        anthos.endpoint
          ? localGoogleClientOptions(anthos.endpoint, { projectId: anthos.project })
          : { apiEndpoint: anthosAwsApiEndpoint(anthos.location) },
      );
      // Google marks the AWS API deprecated and the client says so through process warnings on
      // first use; that would print into the operator's terminal. Known and documented: silence it.
      created.warn = () => {};
      client = created;
    }
    return client;
  };
  return {
    async describeCluster(signal) {
      try {
        const aws = sdk();
        const [[cluster], [pools]] = await Promise.all([
          abortable(aws.getAwsCluster({ name }, CALL_OPTIONS), signal),
          abortable(aws.listAwsNodePools({ parent: name }, CALL_OPTIONS), signal),
        ]);
        const state = String(cluster.state ?? 'STATE_UNSPECIFIED');
        const usableState = USABLE.has(state);
        const problems: string[] = [];
        const warnings: string[] = [];
        if (!usableState) problems.push(`cluster state ${state}`);
        if (state === 'RECONCILING')
          warnings.push('cluster is RECONCILING (usable, but changes are in flight)');
        else if (usableState && cluster.reconciling)
          warnings.push('cluster has changes in flight (reconciling)');
        // Errors on a usable cluster are worth saying; on an unusable one they are the reason.
        for (const error of cluster.errors ?? [])
          (usableState ? warnings : problems).push(`cluster error: ${error.message ?? ''}`.trim());

        const nodePools = pools.map((pool) => ({
          name: (pool.name ?? '').split('/').at(-1) ?? '',
          state: String(pool.state ?? 'STATE_UNSPECIFIED'),
          minNodeCount: pool.autoscaling?.minNodeCount ?? 0,
          maxNodeCount: pool.autoscaling?.maxNodeCount ?? 0,
          errors: (pool.errors ?? []).map((e) => e.message ?? ''),
        }));
        const ready = nodePools.filter((p) => USABLE.has(p.state) && p.maxNodeCount > 0);
        for (const pool of nodePools) {
          const errors = pool.errors.length ? `: ${pool.errors.join('; ')}` : '';
          if (!USABLE.has(pool.state))
            (ready.length ? warnings : problems).push(`node pool ${pool.name} is ${pool.state}${errors}`);
          else if (errors) warnings.push(`node pool ${pool.name}${errors}`);
        }
        if (nodePools.length === 0) problems.push('no node pool: nothing can run');

        const result: ClusterHealth = {
          name: `anthos-aws ${anthos.cluster} (${anthos.location})`,
          status: state,
          usable: problems.length === 0,
          problems,
          warnings,
          detail: {
            version: cluster.controlPlane?.version ?? null,
            awsRegion: cluster.awsRegion ?? null,
            endpoint: cluster.endpoint ?? null,
            reconciling: cluster.reconciling ?? false,
            errors: (cluster.errors ?? []).map((e) => e.message ?? ''),
            nodePools: nodePools.map(({ name: poolName, state: poolState, minNodeCount, maxNodeCount }) => ({
              name: poolName,
              state: poolState,
              minNodeCount,
              maxNodeCount,
            })),
          },
        };
        return result;
      } catch (error) {
        throw withAnthosHint(googleError(error, SERVICE, resource));
      }
    },
  };
}

/** A not-found cluster here is almost always a config mix-up between the Google and the AWS region. */
function withAnthosHint(error: FailoverError): FailoverError {
  if (error.code !== 'FO_GCP_E3303') return error;
  return new FailoverError(error.code, error.category, error.message, {
    hint: 'check anthosAws.project, anthosAws.cluster and anthosAws.location: the location is the Google Cloud region that manages the cluster (e.g. us-east4), not the AWS region it runs in',
    cause: error.cause,
    retryable: error.retryable,
  });
}
