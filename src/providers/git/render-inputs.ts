/**
 * What a kustomize build of an overlay can read, named by git tree ids: the overlay's own directory
 * and every local kustomization directory it references, transitively. Two trees that agree on
 * these directories render the overlay to the same bytes, so a commit that touched another overlay
 * keeps the render.
 *
 * Why that is all kustomize reads (kubernetes-sigs/kustomize, api/internal/loader/fileloader.go):
 * with the default load restrictor (`RestrictionRootOnly`, api/internal/loader/loadrestrictions.go)
 * `FileLoader.Load` refuses any file not in or below the loader's root, the kustomization's own
 * directory; a base, component or generator directory is loaded by `FileLoader.New`, a new loader
 * rooted at that directory with the same restrictor. Anything this module cannot see the whole of
 * (a remote base or file, a symlink, helm, a relaxed restrictor or another unknown build option, a
 * kustomization it cannot read) gives no inputs: the caller keys by the whole tree.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { FILE_FIELDS, filePaths, KUSTOMIZATION_FILES } from '../kustomize/index.js';
import type { GitCache } from './cache.js';
import { parseTree, type TreeEdit, typeOfMode } from './objects.js';

/** Build options that do not widen what a build reads; any other option gives no inputs. */
const SAFE_FLAGS = new Set(['--enable-managedby-label', '--reorder']);
const SAFE_VALUED = new Set(['--reorder']);
const ROOT_ONLY = 'LoadRestrictionsRootOnly';

/** Whether a build with these options reads only what the root-only restrictor allows. */
export function optionsKeepRootOnly(options: readonly string[]): boolean {
  for (let i = 0; i < options.length; i++) {
    const option = options[i] as string;
    const [flag, inline] = option.startsWith('--') && option.includes('=') ? option.split('=', 2) : [option];
    if (flag === '--load-restrictor' || flag === '--load_restrictor') {
      const value = inline ?? options[++i];
      if (value !== ROOT_ONLY) return false;
      continue;
    }
    if (!flag || !SAFE_FLAGS.has(flag)) return false;
    if (SAFE_VALUED.has(flag) && inline === undefined) i++;
  }
  return true;
}

/** Thrown inside the walk when the inputs cannot be known; caught at the top. */
class Unsure extends Error {}

/** Fields that hold kustomization directories (a file there is read under the root). */
const DIRECTORY_FIELDS = ['resources', 'bases', 'components', 'generators', 'transformers', 'validators'];

/** Fields kustomize reads no file for, or only files named elsewhere here. */
const PLAIN_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'commonAnnotations',
  'labels',
  'images',
  'replicas',
  'vars',
  'sortOptions',
  'buildMetadata',
  'generatorOptions',
]);

/**
 * A reference kustomize would fetch rather than read from the tree (api/internal/git/repospec.go
 * takes scheme-less `github.com/...` hosts too, and loader.IsRemoteFile any http(s) URL).
 */
export function looksRemote(path: string): boolean {
  if (/:|\?|\/\/|^git@/.test(path)) return true;
  const first = path.split('/')[0] ?? '';
  return path.includes('/') && /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(first);
}

/** `path` relative to the repository root, from kustomization directory `dir`; unsure when it leaves. */
function resolveIn(dir: string, path: string): string {
  if (path === '' || posix.isAbsolute(path) || looksRemote(path)) throw new Unsure();
  const joined = posix.normalize(posix.join(dir, path)).replace(/\/+$/, '');
  if (joined === '..' || joined.startsWith('../')) throw new Unsure();
  return joined === '.' ? '' : joined;
}

function under(root: string, path: string): boolean {
  return root === '' || path === root || path.startsWith(`${root}/`);
}

/**
 * A tree read by path: a fetched tree, or a tree with edits whose objects are not written (a plan
 * writes nothing to the cache). An entry the edits did not touch is the base tree's at that path.
 */
export interface TreeView {
  /** The root tree id (an edited tree's is the id its commit will have). */
  root: string;
  /** Entries of a tree object: mode as `git ls-tree` shows it, type, name, and the id (of a tree at least). */
  entries(tree: string): Promise<{ mode: string; type: string; name: string; oid: string }[]>;
  /** A blob's text by its path from the root, or undefined. */
  read(path: string): Promise<string | undefined>;
}

/** `tree` as the cache has it. */
export function cachedView(cache: GitCache, root: string): TreeView {
  return {
    root,
    entries: async (tree) =>
      Promise.all(
        (await cache.listDir(tree, '')).map(async (e) => ({
          ...e,
          oid: e.type === 'tree' ? await cache.treeOf(tree, e.name) : '',
        })),
      ),
    read: (path) => cache.readFile(root, path),
  };
}

/** The tree `base` with `edits`, read without writing its new objects anywhere. */
export async function editedView(
  cache: GitCache,
  base: string,
  edits: readonly TreeEdit[],
): Promise<TreeView> {
  const { tree, objects } = await cache.editedTree(base, edits);
  const baseRoot = await cache.treeOf(base, '');
  const own = new Map(objects.filter((o) => o.type === 'tree').map((o) => [o.oid, o.content]));
  const written = new Map(
    edits.map((e) => [e.path.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/'), e.content]),
  );
  const cached = cachedView(cache, baseRoot);
  return {
    root: tree,
    entries: async (oid) => {
      const content = own.get(oid);
      if (!content) return cached.entries(oid);
      return parseTree(content, oid.length / 2).map((e) => ({
        mode: e.mode.padStart(6, '0'),
        type: typeOfMode(e.mode),
        name: e.name,
        oid: e.oid,
      }));
    },
    read: async (path) => (written.has(path) ? (written.get(path) ?? undefined) : cached.read(path)),
  };
}

/** The type and id of `path` in the view (`''`: the root), or undefined when there is none. */
async function lookup(view: TreeView, path: string): Promise<{ type: string; oid: string } | undefined> {
  let at = { type: 'tree', oid: view.root };
  for (const name of path === '' ? [] : path.split('/')) {
    if (at.type !== 'tree') return undefined;
    const entry = (await view.entries(at.oid)).find((e) => e.name === name);
    if (!entry) return undefined;
    // A symlink on the way is a path kustomize would follow: nothing this module can vouch for.
    if (entry.mode === '120000') throw new Unsure();
    at = { type: entry.type, oid: entry.oid };
  }
  return at;
}

/** Whether nothing below the tree is a symlink (kustomize follows them, out of the directory too). */
const symlinkFree = new Map<string, Promise<boolean>>();
const SYMLINK_MEMO_LIMIT = 2000;

function noSymlinks(cache: GitCache, view: TreeView, tree: string): Promise<boolean> {
  // A tree id names its content: the answer holds in every view and every run.
  const key = `${cache.dir}\0${tree}`;
  let known = symlinkFree.get(key);
  if (!known) {
    known = (async () => {
      const entries = await view.entries(tree);
      if (entries.some((e) => e.mode === '120000')) return false;
      const below = entries.filter((e) => e.type === 'tree');
      return (await Promise.all(below.map((e) => noSymlinks(cache, view, e.oid)))).every(Boolean);
    })();
    symlinkFree.set(key, known);
    known.catch(() => symlinkFree.delete(key));
    if (symlinkFree.size > SYMLINK_MEMO_LIMIT) symlinkFree.delete(symlinkFree.keys().next().value as string);
  }
  return known;
}

/** The kustomization of `dir` (tree id `tree`), parsed; unsure when there is not exactly one. */
async function kustomizationOf(view: TreeView, dir: string, tree: string): Promise<Record<string, unknown>> {
  const names = new Set((await view.entries(tree)).filter((e) => e.type === 'blob').map((e) => e.name));
  const present = KUSTOMIZATION_FILES.filter((name) => names.has(name));
  if (present.length !== 1) throw new Unsure();
  const text = await view.read(dir === '' ? (present[0] as string) : `${dir}/${present[0]}`);
  if (text === undefined) throw new Unsure();
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Unsure();
  const contents = doc.contents;
  if (contents === null) return {};
  if (!isMap(contents)) throw new Unsure();
  for (const field of DIRECTORY_FIELDS) {
    const node = doc.get(field);
    if (node !== undefined && node !== null && !isSeq(node)) throw new Unsure();
  }
  return doc.toJS() as Record<string, unknown>;
}

/** `dir:tree` for the overlay and each directory its build can read, sorted; undefined when unsure. */
async function inputsOf(cache: GitCache, view: TreeView, overlay: string): Promise<string | undefined> {
  const seen = new Map<string, string>();
  const visit = async (dir: string): Promise<void> => {
    if (seen.has(dir)) return;
    const found = await lookup(view, dir);
    if (found?.type !== 'tree') throw new Unsure();
    seen.set(dir, found.oid);
    if (!(await noSymlinks(cache, view, found.oid))) throw new Unsure();
    const kustomization = await kustomizationOf(view, dir, found.oid);
    for (const [field, value] of Object.entries(kustomization)) {
      if (PLAIN_FIELDS.has(field) || value === null || value === undefined) continue;
      if (FILE_FIELDS.has(field)) {
        for (const path of filePaths(field, value)) {
          if (!under(dir, resolveIn(dir, path))) throw new Unsure();
        }
        continue;
      }
      // Helm charts (fetched, rendered by another program) and fields this module does not know.
      if (!DIRECTORY_FIELDS.includes(field)) throw new Unsure();
      for (const entry of value as unknown[]) {
        if (typeof entry !== 'string') throw new Unsure();
        // An inline generator or transformer config is no path.
        if (entry.includes('\n')) continue;
        const path = resolveIn(dir, entry);
        const type = (await lookup(view, path))?.type;
        if (type === 'tree') await visit(path);
        else if (type !== 'blob' || !under(dir, path)) throw new Unsure();
      }
    }
  };
  // The export applies the `.gitattributes` of the directories above too (eol, working-tree
  // encodings): their text is an input as well.
  const attributes = new Map<string, string>();
  const readAttributes = async (): Promise<void> => {
    const above = new Set<string>();
    for (const dir of seen.keys()) {
      const parts = dir === '' ? [] : dir.split('/');
      for (let n = 0; n < parts.length; n++) above.add(parts.slice(0, n).join('/'));
    }
    for (const dir of above) {
      const found = await lookup(view, dir);
      if (found?.type !== 'tree') throw new Unsure();
      const file = (await view.entries(found.oid)).find((e) => e.name === '.gitattributes');
      if (!file) continue;
      const path = dir === '' ? file.name : `${dir}/${file.name}`;
      const text = await view.read(path);
      if (text === undefined) throw new Unsure();
      attributes.set(path, createHash('sha256').update(text).digest('hex'));
    }
  };
  try {
    await visit(overlay.replace(/^\.?\/+|\/+$/g, ''));
    await readAttributes();
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
  const sorted = (map: Map<string, string>) =>
    [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, id]) => `${path}:${id}`);
  return [...sorted(seen), ...sorted(attributes)].join(' ');
}

const inputs = new Map<string, Promise<string | undefined>>();
const INPUTS_LIMIT = 256;

/**
 * The identity of what a build of `overlay` in the tree `view` reads, with build `options`:
 * `inputs <dir>:<tree>...`, or `tree <root tree id>` when that cannot be known (then any change to the
 * tree counts). A read error gives the whole-tree identity too: the render will say what is wrong.
 */
export async function renderInputs(
  cache: GitCache,
  view: TreeView,
  overlay: string,
  options: readonly string[],
): Promise<string> {
  const rootTree = view.root;
  const whole = `tree ${rootTree}`;
  if (!optionsKeepRootOnly(options)) return whole;
  const key = `${cache.dir}\0${rootTree}\0${overlay}`;
  let known = inputs.get(key);
  if (!known) {
    known = inputsOf(cache, view, overlay).catch(() => undefined);
    inputs.set(key, known);
    if (inputs.size > INPUTS_LIMIT) inputs.delete(inputs.keys().next().value as string);
  }
  const found = await known;
  return found === undefined ? whole : `inputs ${found}`;
}
