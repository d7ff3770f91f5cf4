/**
 * Rendering for the standby lint: kustomize itself (`kustomize build`, else `kubectl kustomize`, or
 * the configured binary), as Argo CD renders. Without either the lint cannot run (FO_KUSTOMIZE_E4001).
 *
 * Rendering "without the standby entries" happens in a temporary copy: the overlay and every
 * directory it reaches (`resources`, `components`, …) are copied with their relative layout, so
 * `../../base` still resolves, and the copy's kustomization is edited. The checkout is never touched.
 */
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  FILE_FIELDS,
  filePaths,
  isDirectory,
  isFile,
  type KubeObject,
  type KustomizeSettings,
  type KustomizeTool,
  kustomizationFileOf,
  kustomizeNotFound,
  kustomizeToolAt,
  locateKustomize,
  render,
} from '../../providers/kustomize/index.js';
import type { RendererName, StandbyLintOptions } from './types.js';

export interface Renderer {
  name: RendererName;
  render(dir: string): Promise<KubeObject[]>;
  /** A remark on the renderer worth showing with the report. */
  note?: string;
}

/** Raised when the requested renderer is not installed. */
export class RendererUnavailable extends Error {}

/** Where an external renderer is installed; undefined when it is not. Tests replace it. */
export type ToolFinder = (name: 'kubectl' | 'kustomize') => Promise<string | undefined>;

/**
 * The renderer to use: `auto` takes the configured binary, else `kustomize`, else `kubectl`;
 * `kubectl` and `kustomize` insist on that one.
 */
export async function chooseRenderer(
  preference: StandbyLintOptions['renderer'] = 'auto',
  find?: ToolFinder,
  settings: KustomizeSettings = {},
): Promise<Renderer> {
  const renderer = (tool: KustomizeTool): Renderer => ({
    name: tool.name,
    render: (dir) => render(dir, { tool }),
  });
  if (preference === 'kubectl' || preference === 'kustomize') {
    const path = await (find ?? defaultFind)(preference);
    if (!path) throw new RendererUnavailable(`${preference} is not on PATH`);
    return renderer(kustomizeToolAt(path, settings));
  }
  if (!find) return renderer(await locateKustomize(settings));
  const path = (await find('kustomize')) ?? (await find('kubectl'));
  if (!path) throw kustomizeNotFound('neither kustomize nor kubectl is on PATH');
  return renderer(kustomizeToolAt(path, settings));
}

const defaultFind: ToolFinder = async (name) => {
  try {
    return (await locateKustomize({ path: name })).path;
  } catch {
    return undefined;
  }
};

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

/** The paths a kustomization's entries give, as written (directories included). */
function fileEntries(data: Record<string, unknown>): string[] {
  const strings = (value: unknown) =>
    (Array.isArray(value) ? value : []).filter((v): v is string => typeof v === 'string');
  return [
    ...DIRECTORY_FIELDS.flatMap((field) => strings(data[field])),
    ...[...FILE_FIELDS].flatMap((field) => (field in data ? filePaths(field, data[field]) : [])),
  ];
}

/**
 * Files the kustomizations of `dirs` read from outside every one of `dirs`: what a build with
 * `--load-restrictor LoadRestrictionsNone` (Argo CD's kustomize.buildOptions) reaches, such as a
 * patch shared by several overlays. Without that option kustomize refuses them anyway.
 */
async function filesOutside(dirs: readonly string[]): Promise<string[]> {
  const inside = (file: string) => dirs.some((dir) => file.startsWith(`${dir}${sep}`));
  const found = new Set<string>();
  for (const dir of dirs) {
    const kustomization = await readKustomizationData(dir);
    if (!kustomization) continue;
    for (const entry of fileEntries(kustomization.data)) {
      if (entry.includes('\n') || isRemote(entry)) continue;
      const file = resolve(dir, entry);
      if (!inside(file) && (await isFile(file))) found.add(file);
    }
  }
  return [...found];
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
  const files = await filesOutside(dirs);
  const root = commonAncestor([...dirs, ...files.map(dirname)]);
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
    for (const file of files) {
      await mkdir(dirname(join(work, relative(root, file))), { recursive: true });
      await cp(file, join(work, relative(root, file)));
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
