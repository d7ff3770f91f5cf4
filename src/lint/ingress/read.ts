/** Collects the text of the files and directories given to `failover lint ingress`. */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { IngressInput, InputProblem } from './types.js';

const YAML_FILE = /\.ya?ml$/i;
/** Directories that never hold manifests worth linting. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);

async function yamlFilesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(directory, entry.name);
    // Follow symbolic links to files; do not descend into linked directories (they may loop).
    const isFile =
      entry.isFile() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isFile());
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) files.push(...(await yamlFilesUnder(full)));
    } else if (isFile && YAML_FILE.test(entry.name)) {
      files.push(full);
    }
  }
  return files;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}

/**
 * Reads files as given (whatever their extension) and every *.yaml / *.yml below directories.
 * Paths that cannot be read become problems; the rest is still returned.
 */
export async function readIngressInputs(
  paths: string[],
): Promise<{ inputs: IngressInput[]; problems: InputProblem[] }> {
  const inputs: IngressInput[] = [];
  const problems: InputProblem[] = [];
  for (const given of paths) {
    let files: string[];
    try {
      const info = await stat(given);
      files = info.isDirectory() ? await yamlFilesUnder(given) : [given];
      if (info.isDirectory() && files.length === 0) {
        problems.push({ file: given, message: 'directory holds no *.yaml or *.yml files' });
      }
    } catch (error) {
      problems.push({ file: given, message: `cannot read: ${reason(error)}` });
      continue;
    }
    for (const file of files) {
      try {
        inputs.push({ file, text: await readFile(file, 'utf8') });
      } catch (error) {
        problems.push({ file, message: `cannot read: ${reason(error)}` });
      }
    }
  }
  return { inputs, problems };
}
