/**
 * Rendering for the standby lint: the real kustomize when it is installed (`kubectl kustomize`,
 * else a standalone `kustomize build`), otherwise the built-in renderer, saying so. The renderer
 * module still lives in src/sandbox/kustomize (it is shared with the emulators); it is imported
 * from there until it moves under src/providers.
 *
 * Rendering "without the standby entries" happens in a temporary copy: the overlay and every
 * directory it reaches (`resources`, `components`, …) are copied with their relative layout, so
 * `../../base` still resolves, and the copy's kustomization is edited. The checkout is never touched.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  findKubectl,
  isDirectory,
  type KubeObject,
  KustomizeError,
  kustomizationFileOf,
  parseYamlDocuments,
  renderKustomization,
  renderWithKubectl,
} from '../../providers/kustomize/index.js';
import { ExecError, exec, findOnPath } from '../../util/exec.js';
import type { RendererName, StandbyLintOptions } from './types.js';

export interface Renderer {
  name: RendererName;
  render(dir: string): Promise<KubeObject[]>;
  /** Why this renderer and not the real kustomize, when it is the built-in one. */
  note?: string;
}

/** Raised when the requested renderer is not installed. */
export class RendererUnavailable extends Error {}

function isKubeObject(value: unknown): value is KubeObject {
  const object = value as Partial<KubeObject> | null;
  return typeof object?.kind === 'string' && typeof object.metadata?.name === 'string';
}

function kustomizeBuild(binary: string): Renderer {
  return {
    name: 'kustomize build',
    async render(dir) {
      try {
        const { stdout } = await exec(binary, ['build', resolve(dir)], { timeoutMs: 60_000 });
        return parseYamlDocuments(stdout, `kustomize build ${dir}`).filter(isKubeObject);
      } catch (error) {
        if (error instanceof ExecError) {
          throw new KustomizeError(
            `kustomize build failed: ${error.stderr.trim() || error.message}`,
            resolve(dir),
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    },
  };
}

const BUILTIN_NOTE =
  'neither kubectl nor kustomize is on PATH: rendered with failover’s built-in renderer, which models the subset of kustomize standby overlays use; install kubectl (it embeds kustomize) for an exact render';

/** Where an external renderer is installed; undefined when it is not. Tests replace it. */
export type ToolFinder = (name: 'kubectl' | 'kustomize') => Promise<string | undefined>;

const findTool: ToolFinder = (name) => (name === 'kubectl' ? findKubectl() : findOnPath('kustomize'));

/** The renderer to use: `auto` prefers the real kustomize and falls back to the built-in one. */
export async function chooseRenderer(
  preference: StandbyLintOptions['renderer'] = 'auto',
  find: ToolFinder = findTool,
): Promise<Renderer> {
  const builtin = (note?: string): Renderer => ({
    name: 'built-in',
    render: (dir) => renderKustomization(dir),
    ...(note ? { note } : {}),
  });
  if (preference === 'builtin') return builtin();
  if (preference === 'auto' || preference === 'kubectl') {
    const kubectl = await find('kubectl');
    if (kubectl) return { name: 'kubectl kustomize', render: (dir) => renderWithKubectl(dir) };
    if (preference === 'kubectl') throw new RendererUnavailable('kubectl is not on PATH');
  }
  const kustomize = await find('kustomize');
  if (kustomize) return kustomizeBuild(kustomize);
  if (preference === 'kustomize') throw new RendererUnavailable('kustomize is not on PATH');
  return builtin(BUILTIN_NOTE);
}

/** The kustomization of `dir` as plain data (first YAML document), or undefined when unreadable. */
export async function readKustomizationData(
  dir: string,
): Promise<{ file: string; text: string; data: Record<string, unknown> } | undefined> {
  const file = await kustomizationFileOf(dir);
  if (!file) return undefined;
  const text = await readFile(file, 'utf8');
  const doc = parseAllDocuments(text)[0];
  if (!doc || doc.errors.length > 0) return undefined;
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { file, text, data: {} };
  return { file, text, data: data as Record<string, unknown> };
}

function isRemote(entry: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith('git@') || entry.startsWith('github.com/')
  );
}

/** Fields whose entries may name directories that a build reads. */
const DIRECTORY_FIELDS = ['resources', 'bases', 'components', 'transformers', 'generators', 'validators'];

/** Every kustomization directory a build of `overlay` reads, the overlay first. */
export async function kustomizationClosure(overlay: string): Promise<string[]> {
  const seen = new Set<string>();
  const queue = [resolve(overlay)];
  while (queue.length > 0 && seen.size < 500) {
    const dir = queue.shift() as string;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const kustomization = await readKustomizationData(dir);
    if (!kustomization) continue;
    for (const field of DIRECTORY_FIELDS) {
      const entries = kustomization.data[field];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (typeof entry !== 'string' || isRemote(entry)) continue;
        const path = resolve(dir, entry);
        if (await isDirectory(path)) queue.push(path);
      }
    }
  }
  return [...seen];
}

function commonAncestor(dirs: readonly string[]): string {
  let common = dirs[0] ?? sep;
  for (const dir of dirs.slice(1)) {
    while (relative(common, dir).startsWith('..') || isAbsolute(relative(common, dir))) {
      const parent = dirname(common);
      if (parent === common) break;
      common = parent;
    }
  }
  return common;
}

export interface OverlayCopy {
  /** The overlay's directory inside the copy. */
  overlay: string;
  /** The temporary folder, and the directory of the checkout it stands for (to translate messages). */
  root: string;
  sourceRoot: string;
  remove(): Promise<void>;
}

/** Copies the overlay and the directories it reaches into a temporary folder, keeping their layout. */
export async function copyOverlayTree(overlay: string): Promise<OverlayCopy> {
  const dirs = await kustomizationClosure(overlay);
  const root = commonAncestor(dirs);
  const work = await mkdtemp(join(tmpdir(), 'failover-lint-standby-'));
  try {
    const copied: string[] = [];
    // Shortest first, so a directory inside one already copied is skipped.
    for (const dir of [...dirs].sort((a, b) => a.length - b.length)) {
      if (copied.some((done) => dir === done || dir.startsWith(`${done}${sep}`))) continue;
      await cp(dir, join(work, relative(root, dir)), {
        recursive: true,
        filter: (source) => basename(source) !== '.git',
      });
      copied.push(dir);
    }
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return {
    overlay: join(work, relative(root, resolve(overlay))),
    root: work,
    sourceRoot: root,
    remove: () => rm(work, { recursive: true, force: true }),
  };
}
