/**
 * Renders kept on disk (beside the git cache, or in kustomize.cacheDir), so the next command does
 * not build the same inputs again: a `to-gcp` after a `to-aws` renders the two overlay states that
 * run already rendered, and `status`, a saved plan's apply or a drill find the current ones. Each
 * build costs a kustomize process (a few tenths of a CPU-second on a small tree, seconds on a large
 * one).
 *
 * Only an exact identity is kept: what the build reads named by git tree ids (render-inputs.ts),
 * never the whole-tree fallback (a remote base, helm or a relaxed load restrictor may read
 * something else under the same tree); the tool by path and by the size, mtime and inode of the
 * file it runs (an upgraded kubectl renders anew); the build options. A failed build is not kept.
 * Entries are written whole (a temporary file renamed into place), readable by the owner only
 * (a render holds what the repository holds, Secrets from a generator included), and the oldest
 * go once there are more than STORE_LIMIT.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject, KustomizeTool } from '../kustomize/index.js';

const STORE_VERSION = 1;
export const STORE_LIMIT = 256;
const STORE_DIR = 'failover-renders';

const stamps = new Map<string, Promise<string | undefined>>();

/** The file the tool runs, as size:mtime:inode; undefined when it cannot be read (nothing is kept). */
function toolStamp(path: string): Promise<string | undefined> {
  let known = stamps.get(path);
  if (!known) {
    known = stat(path).then(
      (info) => `${info.size}:${info.mtimeMs}:${info.ino}`,
      () => undefined,
    );
    stamps.set(path, known);
  }
  return known;
}

/** The entry's file name for a build of `what` with `tool`; undefined when the tool cannot be read. */
async function entryName(what: readonly string[], tool: KustomizeTool): Promise<string | undefined> {
  const stamp = await toolStamp(tool.path);
  if (stamp === undefined) return undefined;
  const identity = JSON.stringify([STORE_VERSION, ...what, tool.path, stamp, tool.args('')]);
  return `${createHash('sha256').update(identity).digest('hex')}.json`;
}

interface Entry {
  version: number;
  objects: KubeObject[];
}

async function readEntry(file: string): Promise<KubeObject[] | undefined> {
  try {
    const entry = JSON.parse(await readFile(file, 'utf8')) as Partial<Entry>;
    return entry.version === STORE_VERSION && Array.isArray(entry.objects) ? entry.objects : undefined;
  } catch {
    // Missing, unreadable or cut short: build again and write it anew.
    return undefined;
  }
}

/**
 * The entry as JSON, or undefined when JSON would not give the same objects back (a `.inf` or
 * `.nan` becomes null): such a render is built again each time rather than kept changed.
 */
function serialize(objects: KubeObject[]): string | undefined {
  let exact = true;
  const text = JSON.stringify({ version: STORE_VERSION, objects } satisfies Entry, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) exact = false;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) exact = false;
    }
    return value;
  });
  return exact ? text : undefined;
}

async function writeEntry(dir: string, file: string, objects: KubeObject[]): Promise<void> {
  const text = serialize(objects);
  if (text === undefined) return;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600 });
    await rename(temporary, file);
  } finally {
    await rm(temporary, { force: true });
  }
  await prune(dir);
}

/** Removes the oldest entries (and stray temporary files) beyond STORE_LIMIT. */
async function prune(dir: string): Promise<void> {
  const names = await readdir(dir);
  if (names.length <= STORE_LIMIT) return;
  const dated = await Promise.all(
    names.map(async (name) => ({
      name,
      at: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  dated.sort((a, b) => a.at - b.at);
  await Promise.all(
    dated.slice(0, dated.length - STORE_LIMIT).map(({ name }) => rm(join(dir, name), { force: true })),
  );
}

/**
 * Whether entries in `dir` can be trusted: missing (it is created owner-only), or a directory of
 * this user that nobody else can write to. A render read from a store someone else can fill would
 * tell the run what starts and stops.
 */
async function trusted(dir: string): Promise<boolean> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) return true;
  const uid = process.getuid?.();
  return info.isDirectory() && (uid === undefined || info.uid === uid) && (info.mode & 0o022) === 0;
}

/**
 * The render of `overlay` whose inputs are `reads` (renderInputs) with `tool`: from the store in
 * `dir` when a command already built it, else `build()`, kept for the next command. The store
 * failing (a read-only disk, a full one) or not to be trusted never fails the render.
 */
export async function storedRender(
  dir: string,
  reads: string,
  overlay: string,
  tool: KustomizeTool,
  build: () => Promise<KubeObject[]>,
): Promise<KubeObject[]> {
  // Only an exact identity: the whole-tree fallback is never kept.
  if (!reads.startsWith('inputs ')) return build();
  return keptOrBuilt(dir, await entryName([reads, overlay], tool), build);
}

/**
 * The render of `path` in the git tree `tree` (a whole checkout, as Argo CD's repo-server builds
 * it) with `tool`, kept in `dir` like storedRender's: the Argo CD emulator's builds, across
 * processes. The tree id names every file of the checkout.
 */
export async function storedTreeRender(
  dir: string,
  tree: string,
  path: string,
  tool: KustomizeTool,
  build: () => Promise<KubeObject[]>,
): Promise<KubeObject[]> {
  return keptOrBuilt(dir, await entryName(['checkout', tree, path], tool), build);
}

async function keptOrBuilt(
  dir: string,
  name: string | undefined,
  build: () => Promise<KubeObject[]>,
): Promise<KubeObject[]> {
  if (name === undefined || !(await trusted(dir))) return build();
  const file = join(dir, name);
  const kept = await readEntry(file);
  if (kept) return kept;
  const objects = await build();
  await writeEntry(dir, file, objects).catch(() => undefined);
  return objects;
}

/** Where renders are kept by default: beside the git cache in `gitDir`. */
export function renderStoreDir(gitDir: string): string {
  return join(gitDir, STORE_DIR);
}
