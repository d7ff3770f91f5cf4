/**
 * What the plan of a standby edit checks in the renders: a `replicas:` item with a count above 0
 * in the overlay's own kustomization (raised during an incident, say) wins over the standby patch,
 * because kustomize applies `replicas:` after the patches. Putting the overlay in standby then
 * leaves that workload running, and nothing else would say so before the failback ends.
 */
import { isMap, isSeq, parseDocument } from 'yaml';
import { ALWAYS_ON_ANNOTATION, markedAlwaysOn } from '../kustomize/index.js';
import { type GitOps, type Overlay, repoFiles } from './adapter.js';
import type { ToggleResult } from './kustomization.js';
import { alwaysOnIn, type RenderSummary, renderEdited, workloadLabel } from './render.js';

interface ReplicasItem {
  name: string;
  count: unknown;
}

/** `text` without its `replicas:` items whose count is not 0, and those items; undefined when none. */
export function withoutRunningReplicasItems(
  text: string,
): { text: string; items: ReplicasItem[] } | undefined {
  const doc = parseDocument(text);
  const seq = doc.get('replicas', true);
  if (!isSeq(seq)) return undefined;
  const items: ReplicasItem[] = [];
  seq.items = seq.items.filter((node) => {
    if (!isMap(node)) return true;
    const { name, count } = node.toJSON() as Record<string, unknown>;
    if (typeof name !== 'string' || count === 0) return true;
    items.push({ name, count });
    return false;
  });
  if (items.length === 0) return undefined;
  if (seq.items.length === 0) doc.delete('replicas');
  return { text: doc.toString(), items };
}

/**
 * Warnings for workloads the standby edit of `overlay` leaves running only because a `replicas:`
 * item of its kustomization sets their count: the render after the edit runs them, the same
 * render without those items does not. Workloads that run in standby without the items (always
 * on by design) are not named. Costs one more render, only when such items exist.
 */
export async function keptUpByReplicasItems(
  gitops: GitOps,
  revision: string,
  overlay: Overlay,
  result: ToggleResult,
  render: RenderSummary,
): Promise<string[]> {
  const alwaysOn = render.alwaysOn ?? [];
  if (alwaysOn.length === 0) return [];
  const without = withoutRunningReplicasItems(result.text);
  if (!without) return [];
  const objects = await renderEdited(
    gitops.cache,
    revision,
    overlay.dir,
    overlay.file,
    without.text,
    gitops.kustomize,
    repoFiles(overlay, result),
  );
  // Running without the items, or marked to run in standby: on by design, not because of them.
  const onByDesign = new Set([...alwaysOnIn(objects), ...objects.filter(markedAlwaysOn).map(workloadLabel)]);
  return alwaysOn
    .filter((workload) => !onByDesign.has(workload))
    .map((workload) => {
      // `Deployment ns/name`: kustomize matches the item by the workload's name (a namePrefix
      // may stand before it in the render).
      const name = workload.slice(workload.lastIndexOf('/') + 1);
      const exact = without.items.filter((i) => name === i.name);
      const named = exact.length ? exact : without.items.filter((i) => name.endsWith(`-${i.name}`));
      const items = (named.length ? named : without.items)
        .map((i) => `{name: ${i.name}, count: ${String(i.count)}}`)
        .join(', ');
      return `${workload} stays up in ${overlay.dir} in standby: the replicas: item ${items} in ${overlay.file} overrides the standby entries (kustomize applies replicas: after patches). If it was raised for the incident, remove it or set its count to 0 and push; if the workload should run in standby, mark it with the annotation ${ALWAYS_ON_ANNOTATION}: always-on`;
    });
}
