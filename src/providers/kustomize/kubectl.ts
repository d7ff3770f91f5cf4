/** Rendering with the real thing: `kubectl kustomize DIR` (kubectl embeds kustomize). */
import { resolve } from 'node:path';
import { ExecError, exec, findOnPath } from '../../util/exec.js';
import { asKubeObject, type KubeObject, KustomizeError, parseYamlDocuments } from './types.js';

let kubectlPath: Promise<string | undefined> | undefined;

/** The kubectl binary on PATH, looked up once per process; undefined when it is not installed. */
export function findKubectl(): Promise<string | undefined> {
  kubectlPath ??= findOnPath('kubectl');
  return kubectlPath;
}

export async function renderWithKubectl(
  dir: string,
  options: { timeoutMs?: number } = {},
): Promise<KubeObject[]> {
  const kubectl = await findKubectl();
  if (!kubectl) throw new KustomizeError('kubectl is not installed (not found on PATH)');
  const root = resolve(dir);
  let stdout: string;
  try {
    ({ stdout } = await exec(kubectl, ['kustomize', root], {
      timeoutMs: options.timeoutMs ?? 60_000,
      // kubectl must not pick up a user's cluster settings; kustomize needs none.
      env: { ...process.env, KUBECONFIG: '/dev/null' },
    }));
  } catch (error) {
    if (error instanceof ExecError) {
      const reason = error.stderr.trim() || error.message;
      throw new KustomizeError(`kubectl kustomize failed: ${reason}`, root, { cause: error });
    }
    throw error;
  }
  return parseYamlDocuments(stdout, `kubectl kustomize ${root}`).map((doc) => asKubeObject(doc));
}
