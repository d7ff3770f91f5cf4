/** EKS over @aws-sdk/client-eks: is the standby cluster able to carry traffic? */
import type * as EksSdk from '@aws-sdk/client-eks';
import { invalidInput } from '../../engine/errors.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { awsClientSettings, awsError, explainCredentialErrors } from '../aws.js';
import { reportRetries } from '../call-retries.js';
import type { AdapterOptions } from '../options.js';
import type { ClusterHealth } from '../types.js';
import type { EksReader } from './port.js';

const { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, ListNodegroupsCommand } =
  requireCommonJs('@aws-sdk/client-eks') as typeof EksSdk;
type EKSClient = EksSdk.EKSClient;

export function createEksReader({ config, env }: AdapterOptions, client?: EKSClient): EksReader {
  const eks = config.eks;
  if (!eks) {
    throw invalidInput('FO_EKS_E3101', 'the config has no `eks` section', {
      hint: 'add eks.cluster (the standby cluster name) to the config',
    });
  }
  const settings = awsClientSettings(config, eks.endpoint, env);
  const sdk = client ?? new EKSClient(settings);
  explainCredentialErrors(sdk, config, env);
  reportRetries(sdk, 'EKS', settings.maxAttempts);
  const resource = `EKS cluster ${eks.cluster} (${config.aws.region})`;
  return {
    async describeCluster(signal) {
      try {
        const { cluster } = await sdk.send(new DescribeClusterCommand({ name: eks.cluster }), {
          abortSignal: signal,
        });
        const names =
          eks.nodeGroups ??
          (await sdk.send(new ListNodegroupsCommand({ clusterName: eks.cluster }), { abortSignal: signal }))
            .nodegroups ??
          [];
        const groups = await Promise.all(
          names.map(
            async (name) =>
              (
                await sdk.send(
                  new DescribeNodegroupCommand({ clusterName: eks.cluster, nodegroupName: name }),
                  { abortSignal: signal },
                )
              ).nodegroup,
          ),
        );
        const problems: string[] = [];
        const warnings: string[] = [];
        const status = cluster?.status ?? 'UNKNOWN';
        if (status !== 'ACTIVE' && status !== 'UPDATING') problems.push(`cluster status ${status}`);
        if (status === 'UPDATING') warnings.push('cluster is UPDATING (usable, but changes are in progress)');
        for (const issue of cluster?.health?.issues ?? [])
          problems.push(`health issue ${issue.code}: ${issue.message ?? ''}`.trim());
        const ready = groups.filter((g) => g?.status === 'ACTIVE' && (g.scalingConfig?.desiredSize ?? 0) > 0);
        for (const g of groups) {
          if (!g) continue;
          const desired = g.scalingConfig?.desiredSize ?? 0;
          if (g.status !== 'ACTIVE')
            (ready.length ? warnings : problems).push(`node group ${g.nodegroupName} is ${g.status}`);
          else if (desired === 0)
            (ready.length ? warnings : problems).push(
              `node group ${g.nodegroupName} has no capacity (desiredSize 0)`,
            );
          for (const issue of g.health?.issues ?? [])
            warnings.push(`node group ${g.nodegroupName}: ${issue.code} ${issue.message ?? ''}`.trim());
        }
        if (groups.length === 0) problems.push('no node group: nothing can run');
        else if (ready.length === 0 && !problems.some((p) => p.startsWith('node group')))
          problems.push('no ACTIVE node group with capacity');
        const result: ClusterHealth = {
          name: `eks ${eks.cluster}`,
          status,
          usable: problems.length === 0,
          problems,
          warnings,
          detail: {
            version: cluster?.version ?? null,
            nodeGroups: groups.map((g) => ({
              name: g?.nodegroupName ?? '',
              status: g?.status ?? '',
              desired: g?.scalingConfig?.desiredSize ?? 0,
            })),
          },
        };
        return result;
      } catch (error) {
        throw awsError(error, 'EKS', resource);
      }
    },
  };
}
