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
