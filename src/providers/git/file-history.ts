/**
 * The history of one file in the cache clone (first-parent, newest first), as the overlay editor
 * shows it. It stands alone because it is a reading strategy of its own: derive a new commit's
 * history from its parent's when this process read that already, else one `git log` and one batch
 * of object reads. It sees the cache only through HistoryReader, which GitCache provides.
 */
import type { BatchObject } from './batch.js';
import type { HistoryVersion } from './kustomization.js';
import type { RawTreeEntry } from './objects.js';

/** What file history needs from the cache: reads by object name, `git` itself, and the memo. */
export interface HistoryReader {
  /** A commit's header lines (its `parent` lines among them), or undefined when it cannot be read. */
  commitHeaders(sha: string): Promise<string | undefined>;
  /** The entries of a tree object (a tree id, or `<rev>:<dir>`); throws when it is not a tree. */
  treeEntries(name: string): Promise<RawTreeEntry[]>;
  /** An object by any name git resolves, or undefined when there is none. */
  object(name: string): Promise<BatchObject | undefined>;
  /** A git command in the cache repository; resolves to its standard output. */
  run(args: readonly string[]): Promise<string>;
  /** `read()` once per key when `rev` is a full object id (the cache's memo). */
  memoized<T>(key: string, rev: string, read: () => Promise<T>): Promise<T>;
  /** What the memo holds under `key` (a read under way or done), if anything. */
  remembered(key: string): Promise<unknown> | undefined;
}

const historyKey = (tip: string, path: string, max: number) => `history\0${tip}\0${path}\0${max}`;

/**
 * The file at each commit that changed it (first-parent history), newest first, at most `max`,
 * read in one `git cat-file --batch`. Stops at a commit where the file does not exist.
 */
export function fileHistory(
  reader: HistoryReader,
  tip: string,
  path: string,
  max: number,
): Promise<HistoryVersion[]> {
  // A copy for each caller: the remembered list stays as read.
  return reader
    .memoized(
      historyKey(tip, path, max),
      tip,
      async () => (await historyFromParent(reader, tip, path, max)) ?? readHistory(reader, tip, path, max),
    )
    .then((h) => h.map((v) => ({ ...v })));
}

/**
 * The history at a one-parent commit whose parent's history this process has read (a commit this
 * run built on the tip it read): the parent's, after the commit's own version when it changed the
 * file (mode or content, as `git log` decides). Undefined when it cannot be told without `git log`.
 */
async function historyFromParent(
  reader: HistoryReader,
  tip: string,
  path: string,
  max: number,
): Promise<HistoryVersion[] | undefined> {
  const parents = [...((await reader.commitHeaders(tip)) ?? '').matchAll(/^parent (\S+)$/gm)];
  const parent = parents.length === 1 ? parents[0]?.[1] : undefined;
  const known = parent && reader.remembered(historyKey(parent, path, max));
  const before = known ? await (known as Promise<HistoryVersion[]>).catch(() => undefined) : undefined;
  if (!parent || !before) return undefined;
  const slash = path.lastIndexOf('/');
  const [dir, name] = slash < 0 ? ['', path] : [path.slice(0, slash), path.slice(slash + 1)];
  const entry = async (rev: string) => {
    const entries = await reader.treeEntries(dir === '' ? `${rev}^{tree}` : `${rev}:${dir}`).catch(() => []);
    const found = entries.find((e) => e.name === name);
    return found ? `${found.mode} ${found.oid}` : undefined;
  };
  const [now, then] = await Promise.all([entry(tip), entry(parent)]);
  if (now === then) return before;
  const object = await reader.object(`${tip}:${path}`);
  if (object?.type !== 'blob') return [{ commit: tip, text: undefined }];
  return [{ commit: tip, text: object.content.toString('utf8') }, ...before].slice(0, max);
}

async function readHistory(
  reader: HistoryReader,
  tip: string,
  path: string,
  max: number,
): Promise<HistoryVersion[]> {
  const out = await reader.run([
    'log',
    '--first-parent',
    '--format=%H',
    `--max-count=${max}`,
    tip,
    '--',
    path,
  ]);
  const commits = out.split('\n').filter(Boolean);
  if (commits.length === 0) return [];
  // All asked at once: the reader answers them in order.
  const objects = await Promise.all(commits.map((c) => reader.object(`${c}:${path}`)));
  const versions: HistoryVersion[] = [];
  for (const [i, commit] of commits.entries()) {
    const object = objects[i];
    if (object?.type !== 'blob') {
      versions.push({ commit, text: undefined });
      break;
    }
    versions.push({ commit, text: object.content.toString('utf8') });
  }
  return versions;
}
