/**
 * Why pods do not come up, as Argo CD shows it: `GET /api/v1/applications/{name}/resource-tree`
 * (ApplicationService.ResourceTree, what the UI draws) lists the pods under each workload with
 * Argo CD's pod health and the kubelet's status reason in `info` ("Status Reason":
 * CrashLoopBackOff, ImagePullBackOff, …; "Restart Count"). A ready-count alone cannot tell a slow
 * rollout from a crash loop; this can.
 */
import { z } from '../../util/zod.js';
import type { ArgoCdClient } from './client.js';
import type { PodProblem } from './port.js';

const TreeNode = z.object({
  kind: z.string(),
  namespace: z.string().nullish(),
  name: z.string(),
  info: z.array(z.object({ name: z.string(), value: z.string().nullish() })).nullish(),
  health: z.object({ status: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

const ResourceTree = z.object({ nodes: z.array(TreeNode).nullish() });

/** Waiting reasons that do not heal by waiting (pod phase reasons the kubelet reports). */
const FAILING_REASONS = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'OOMKilled',
  'Error',
]);

/** The app's pods that fail to start, with the kubelet's reason and restart count. */
export async function readPodProblems(
  client: ArgoCdClient,
  app: string,
  signal: AbortSignal | undefined,
): Promise<PodProblem[]> {
  const tree = await client.get(
    `/api/v1/applications/${encodeURIComponent(app)}/resource-tree`,
    ResourceTree,
    {
      signal,
      app,
    },
  );
  const problems: PodProblem[] = [];
  for (const node of tree.nodes ?? []) {
    if (node.kind !== 'Pod') continue;
    const info = new Map((node.info ?? []).map((i) => [i.name, i.value ?? '']));
    const reason = info.get('Status Reason') ?? '';
    if (!FAILING_REASONS.has(reason) && node.health?.status !== 'Degraded') continue;
    const restarts = Number.parseInt(info.get('Restart Count') ?? '', 10);
    problems.push({
      app,
      pod: node.namespace ? `${node.namespace}/${node.name}` : node.name,
      reason: reason || 'Degraded',
      ...(Number.isFinite(restarts) ? { restarts } : {}),
      ...(node.health?.message ? { message: node.health.message } : {}),
    });
  }
  return problems;
}

/** `CrashLoopBackOff: admin/api-7d-x (5 restarts), admin/api-7d-y (4 restarts)`, one clause per reason. */
export function describePodProblems(problems: readonly PodProblem[], max = 3): string {
  const byReason = new Map<string, PodProblem[]>();
  for (const p of problems) byReason.set(p.reason, [...(byReason.get(p.reason) ?? []), p]);
  return [...byReason.entries()]
    .map(([reason, pods]) => {
      const named = pods
        .slice(0, max)
        .map((p) => `${p.pod}${p.restarts !== undefined ? ` (${p.restarts} restarts)` : ''}`);
      const more = pods.length > max ? ` and ${pods.length - max} more` : '';
      return `${reason}: ${named.join(', ')}${more}`;
    })
    .join('; ');
}
