/** Where Kustomize looks for a kustomization: the file names it accepts, in its order of preference. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The kustomization file of a directory, or undefined. */
export async function kustomizationFileOf(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const file = join(dir, name);
    try {
      if ((await stat(file)).isFile()) return file;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

/** Kustomization fields that name files (not kustomization directories): patches, generator inputs, CRDs… */
export const FILE_FIELDS = new Set([
  'patches',
  'patchesJson6902',
  'patchesStrategicMerge',
  'configMapGenerator',
  'secretGenerator',
  'crds',
  'configurations',
  'openapi',
  'replacements',
]);

/** Every string path a file field names (inline patches and literals are not paths). */
export function filePaths(field: string, value: unknown): string[] {
  const paths: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' && !v.includes('\n')) paths.push(v);
  };
  const items = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (field === 'patchesStrategicMerge' || field === 'crds' || field === 'configurations') add(item);
    else if (item && typeof item === 'object') {
      const record = item as Record<string, unknown>;
      if (field === 'configMapGenerator' || field === 'secretGenerator') {
        for (const file of Array.isArray(record.files) ? record.files : []) {
          if (typeof file === 'string') add(file.slice(file.indexOf('=') + 1));
        }
        for (const env of Array.isArray(record.envs) ? record.envs : []) add(env);
        add(record.env);
      } else add(record.path);
    }
  }
  return paths;
}
