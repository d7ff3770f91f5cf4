/**
 * Git objects built in this process: blobs and trees are hashed and written as loose objects
 * exactly as `git hash-object -w --no-filters` and `git write-tree` would write them, so an edit of
 * a few files needs no git process until `git commit-tree`. The tree id of an edited tree is also
 * what identifies it for rendering: the same tree renders the same.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

export interface RawTreeEntry {
  /** As git writes it in a tree: `100644`, `100755`, `120000`, `160000`, `40000`. */
  mode: string;
  name: string;
  /** Hex object id. */
  oid: string;
}

export const TREE_MODE = '40000';

/** The type of an entry by its mode. */
export function typeOfMode(mode: string): 'tree' | 'blob' | 'commit' {
  if (mode === TREE_MODE || mode === '040000') return 'tree';
  return mode === '160000' ? 'commit' : 'blob';
}

/** The entries of a tree object's raw content. */
export function parseTree(content: Buffer, oidBytes: number): RawTreeEntry[] {
  const entries: RawTreeEntry[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = content.indexOf(0, space);
    if (space < 0 || nul < 0) throw new Error('malformed tree object');
    const mode = content.subarray(at, space).toString('latin1');
    const name = content.subarray(space + 1, nul).toString('utf8');
    const oid = content.subarray(nul + 1, nul + 1 + oidBytes).toString('hex');
    entries.push({ mode, name, oid });
    at = nul + 1 + oidBytes;
  }
  return entries;
}

/** git's tree order: by name bytes, a directory's name compared as if it ended with `/`. */
function sortKey(entry: RawTreeEntry): Buffer {
  return Buffer.from(typeOfMode(entry.mode) === 'tree' ? `${entry.name}/` : entry.name, 'utf8');
}

export function serializeTree(entries: readonly RawTreeEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  return Buffer.concat(
    sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`, 'utf8'), Buffer.from(e.oid, 'hex')]),
  );
}

export type HashAlgorithm = 'sha1' | 'sha256';

export function objectId(algorithm: HashAlgorithm, type: string, content: Buffer): string {
  return createHash(algorithm).update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/** An object to be written: its id and content. */
export interface NewObject {
  oid: string;
  type: 'blob' | 'tree';
  content: Buffer;
}

/** Writes loose objects into `gitDir` (each once; an object that exists is left alone). */
export async function writeLooseObjects(gitDir: string, objects: readonly NewObject[]): Promise<void> {
  for (const object of objects) {
    const dir = join(gitDir, 'objects', object.oid.slice(0, 2));
    const file = join(dir, object.oid.slice(2));
    if (existsSync(file)) continue;
    await mkdir(dir, { recursive: true });
    const staging = join(dir, `tmp_obj_failover_${randomBytes(6).toString('hex')}`);
    const header = Buffer.from(`${object.type} ${object.content.length}\0`, 'utf8');
    try {
      await writeFile(staging, deflateSync(Buffer.concat([header, object.content])), { mode: 0o444 });
      await chmod(staging, 0o444);
      await rename(staging, file);
    } finally {
      await rm(staging, { force: true });
    }
  }
}

/** One change of an edit: `path` := content (with mode), or deleted (null). */
export interface TreeEdit {
  path: string;
  content: string | null;
  /** Default: the mode the path has now, else `100644`. */
  mode?: string;
}

export interface TreeSource {
  algorithm: HashAlgorithm;
  /** The entries of the tree object `oid`. */
  entries(oid: string): Promise<RawTreeEntry[]>;
}

/**
 * The tree `root` with `edits` applied, as `git read-tree` + `git update-index` + `git write-tree`
 * would build it: untouched subtrees keep their ids, a directory left empty disappears. Returns the
 * new root tree id and the objects it needs that may not exist yet.
 */
export async function editTree(
  source: TreeSource,
  root: string,
  edits: readonly TreeEdit[],
): Promise<{ tree: string; objects: NewObject[] }> {
  const objects: NewObject[] = [];
  const hash = (type: 'blob' | 'tree', content: Buffer): string => {
    const oid = objectId(source.algorithm, type, content);
    objects.push({ oid, type, content });
    return oid;
  };
  const rewrite = async (
    treeOid: string | undefined,
    changes: readonly TreeEdit[],
  ): Promise<string | undefined> => {
    const entries = treeOid ? await source.entries(treeOid) : [];
    const byName = new Map(entries.map((e) => [e.name, e]));
    const below = new Map<string, TreeEdit[]>();
    for (const change of changes) {
      const slash = change.path.indexOf('/');
      if (slash < 0) {
        const existing = byName.get(change.path);
        if (change.content === null) {
          if (existing && typeOfMode(existing.mode) !== 'tree') byName.delete(change.path);
          continue;
        }
        if (existing && typeOfMode(existing.mode) === 'tree') {
          throw new Error(`cannot write ${change.path}: it is a directory`);
        }
        const mode = change.mode ?? (existing ? existing.mode : '100644');
        byName.set(change.path, {
          mode,
          name: change.path,
          oid: hash('blob', Buffer.from(change.content, 'utf8')),
        });
        continue;
      }
      const head = change.path.slice(0, slash);
      const rest = { ...change, path: change.path.slice(slash + 1) };
      below.set(head, [...(below.get(head) ?? []), rest]);
    }
    for (const [name, nested] of below) {
      const existing = byName.get(name);
      if (existing && typeOfMode(existing.mode) !== 'tree') {
        if (nested.every((c) => c.content === null)) continue;
        throw new Error(`cannot write below ${name}: it is a file`);
      }
      const sub = await rewrite(existing?.oid, nested);
      if (sub === undefined) byName.delete(name);
      else byName.set(name, { mode: TREE_MODE, name, oid: sub });
    }
    if (byName.size === 0) return undefined;
    return hash('tree', serializeTree([...byName.values()]));
  };
  const normalized = edits.map((e) => ({
    ...e,
    path: e.path.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/'),
  }));
  const tree = (await rewrite(root, normalized)) ?? hash('tree', Buffer.alloc(0));
  return { tree, objects };
}
