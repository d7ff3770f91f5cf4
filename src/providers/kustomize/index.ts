/**
 * Kustomize rendering for the sandbox: a built-in renderer for the subset standby overlays use
 * (see SPEC.md), and `kubectl kustomize` when it is installed. Both return plain objects in
 * `kustomize build` order.
 */
import { renderKustomization } from './builtin.js';
import { findKubectl, renderWithKubectl } from './kubectl.js';
import type { KubeObject } from './types.js';

export { renderKustomization } from './builtin.js';
export { isDirectory, KUSTOMIZATION_FILES, kustomizationFileOf } from './files.js';
export { applyJsonPatch, type JsonPatchOperation, parseJsonPatch } from './json-patch.js';
export { findKubectl, renderWithKubectl } from './kubectl.js';
export { matchesLabelSelector } from './resource.js';
export { applyStrategicMerge } from './strategic-merge.js';
export { isClusterScoped } from './transformers.js';
export { type KubeMetadata, type KubeObject, KustomizeError, parseYamlDocuments } from './types.js';

export type RendererName = 'kubectl' | 'builtin';

/** `kubectl` when preferred and installed, otherwise the built-in renderer. */
export async function chooseRenderer(prefer: RendererName = 'kubectl'): Promise<RendererName> {
  if (prefer === 'kubectl' && (await findKubectl())) return 'kubectl';
  return 'builtin';
}

/** Renders `dir` with kubectl when preferred and on PATH (the default), else with the built-in renderer. */
export async function render(dir: string, options: { prefer?: RendererName } = {}): Promise<KubeObject[]> {
  return (await chooseRenderer(options.prefer)) === 'kubectl'
    ? renderWithKubectl(dir)
    : renderKustomization(dir);
}
