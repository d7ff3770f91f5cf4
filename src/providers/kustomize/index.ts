/**
 * Kustomize rendering: the overlay is built by kustomize itself (`kustomize build`, or
 * `kubectl kustomize`), as Argo CD's repo-server builds it, and the YAML stream is parsed into
 * plain objects in build order. See SPEC.md.
 */
import { resolve } from 'node:path';
import { ExecError, exec } from '../../util/exec.js';
import { type KustomizeSettings, type KustomizeTool, locateKustomize } from './tool.js';
import { asKubeObject, type KubeObject, KustomizeError, parseYamlDocuments } from './types.js';

export {
  FILE_FIELDS,
  filePaths,
  isDirectory,
  isFile,
  KUSTOMIZATION_FILES,
  kustomizationFileOf,
} from './files.js';
export { ALWAYS_ON_ANNOTATION, isClusterScoped, markedAlwaysOn } from './kinds.js';
export { matchesLabelSelector, matchesSelector, parseSelector, type Selector } from './resource.js';
export {
  buildOptionsOf,
  INSTALL_HINT,
  type KustomizeSettings,
  type KustomizeTool,
  kustomizeNotFound,
  kustomizeToolAt,
  locateKustomize,
} from './tool.js';
export { type KubeMetadata, type KubeObject, KustomizeError, parseYamlDocuments } from './types.js';

export interface RenderOptions {
  /** The config's `kustomize` section: a binary to use, build options. */
  kustomize?: KustomizeSettings | undefined;
  /** An already located tool (skips the lookup). */
  tool?: KustomizeTool | undefined;
  /** Default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Renders the kustomization in `dir`. Throws `FO_KUSTOMIZE_E4001` when no kustomize is installed,
 * and a KustomizeError carrying kustomize's own message (its stderr) when the build fails.
 */
export async function render(dir: string, options: RenderOptions = {}): Promise<KubeObject[]> {
  const tool = options.tool ?? (await locateKustomize(options.kustomize));
  const root = resolve(dir);
  const args = tool.args(root);
  let stdout: string;
  try {
    ({ stdout } = await exec(tool.path, args, {
      timeoutMs: options.timeoutMs ?? 60_000,
      // kubectl must not pick up a user's cluster settings; a build needs none.
      env: { ...process.env, KUBECONFIG: '/dev/null' },
      ...(options.signal ? { signal: options.signal } : {}),
    }));
  } catch (error) {
    if (error instanceof ExecError) {
      const reason = error.stderr.trim() || error.message;
      throw new KustomizeError(`${tool.name} failed: ${reason}`, root, { cause: error });
    }
    throw error;
  }
  const source = `${tool.name} ${root}`;
  return parseYamlDocuments(stdout, source).map((doc) => asKubeObject(doc, source));
}
