/**
 * The cache clone of the GitOps repository: a bare repository under the state directory that only
 * ever holds what was fetched. Files are read from fetched commits and commits are built with git's
 * plumbing (hash-object, a throw-away index, commit-tree), never in a work tree or on a local
 * branch: a failed push leaves nothing behind that the next run could trip on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExecError } from '../../util/exec.js';
import { type BatchObject, CatFileBatch } from './batch.js';
import { type GitRunner, gitEnvironment, NETWORK_TIMEOUT_MS, unreachable } from './cli.js';
import { fileHistory, type HistoryReader } from './file-history.js';
import type { HistoryVersion } from './kustomization.js';
import {
  editTree,
  type HashAlgorithm,
  parseTree,
  type RawTreeEntry,
  type TreeEdit,
  typeOfMode,
  writeLooseObjects,
} from './objects.js';
import { type ReadMode, RemoteView } from './remote-view.js';

/** The cache of one repository URL: `<parent>/<sha256(url) prefix>`. */
export function cacheDirFor(parent: string, url: string): string {
  return join(parent, createHash('sha256').update(url).digest('hex').slice(0, 16));
}

// One queue per cache directory: fetches into the same repository update the same refs.
const queues = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

/** Another git process (another run on this machine) holds a ref lock in the cache for a moment. */
function isRefLockContention(error: unknown): boolean {
  return error instanceof ExecError && /cannot lock ref|Unable to create '.*\.lock'/.test(error.stderr);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type PushOutcome =
  | { ok: true }
  /** The ref moved under us (non-fast-forward, stale lease, or lost a race on the server). */
  | { ok: false; reason: 'moved'; detail: string }
  /** The remote refused the update (a hook, branch protection, permissions). */
  | { ok: false; reason: 'refused'; detail: string; remote: string[] };

export interface TreeEntry {
  mode: string;
  type: string;
  name: string;
}

/** A full object id: what it names never changes, so reads at it can be remembered. */
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MEMO_LIMIT = 1000;

export class GitCache {
  private initialised: Promise<void> | undefined;
  /** Reads at a full object id, by operation and path: a run reads the same overlay many times. */
  private readonly memo = new Map<string, Promise<unknown>>();
  /** Object reads: one `git cat-file --batch` for the cache, started on the first read. */
  private readonly batch: CatFileBatch;

  /** Fetches under way, by refspec: each resolves to when it started (ms). */
  private readonly runningFetches = new Map<string, Promise<number>>();
  /** Calls of fetchRefspec so far, numbered: a fetch that starts when the count is N serves calls 1 to N. */
  private fetchCalls = 0;
  /** The last fetch of each refspec that succeeded: the calls it serves, and when it started (ms). */
  private readonly lastFetches = new Map<string, { serves: number; started: number }>();
  /** The remote's refs as this process last fetched, listed or pushed them. */
  private readonly view = new RemoteView();

  /** File history's view of the cache: its reads, its memo and `git` in it, nothing else. */
  private readonly historyReader: HistoryReader = {
    commitHeaders: async (sha) => (await this.commitParts(sha))?.headers,
    treeEntries: (name) => this.treeEntries(name),
    object: (name) => this.object(name),
    run: (args) => this.run(args),
    memoized: (key, rev, read) => this.memoized(key, rev, read),
    remembered: (key) => this.memo.get(key),
  };

  constructor(
    private readonly git: GitRunner,
    readonly url: string,
    readonly dir: string,
  ) {
    this.batch = new CatFileBatch(dir, git.env ?? gitEnvironment(process.env));
  }

  /** Stops the reader process (it also stops by itself when idle). */
  close(): void {
    this.batch.close();
  }

  /** An object by any name git resolves, or undefined when there is none. */
  private async object(name: string): Promise<BatchObject | undefined> {
    await this.ensure();
    return this.batch.read(name);
  }

  /** The entries of a tree object (a tree id, or `<rev>:<dir>`); throws when it is not a tree. */
  private async treeEntries(name: string): Promise<RawTreeEntry[]> {
    return this.memoized(`entries\0${name}`, name, async () => {
      const object = await this.object(name);
      if (object?.type !== 'tree') throw new Error(`${name} is not a tree in ${this.dir}`);
      return parseTree(object.content, object.oid.length / 2);
    });
  }

  /** The object format of the cache: `sha256` only when it was created so. */
  private algorithm(): HashAlgorithm {
    try {
      return /objectformat\s*=\s*sha256/i.test(readFileSync(join(this.dir, 'config'), 'utf8'))
        ? 'sha256'
        : 'sha1';
    } catch {
      return 'sha1';
    }
  }

  private run(args: readonly string[], options: Parameters<GitRunner['run']>[1] = {}) {
    return this.git.run(args, { gitDir: this.dir, ...options });
  }

  /**
   * `read()` once per (operation, rev, path) when `rev` is a full object id; a failure is not
   * remembered. Other revs (a ref name, `sha:path`) are read every time.
   */
  private memoized<T>(key: string, rev: string, read: () => Promise<T>): Promise<T> {
    if (!OBJECT_ID.test(rev)) return read();
    const known = this.memo.get(key) as Promise<T> | undefined;
    if (known) return known;
    const reading = read();
    this.memo.set(key, reading);
    reading.catch(() => this.memo.delete(key));
    if (this.memo.size > MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value as string);
    return reading;
  }

  /** Creates the bare cache repository once (in a temporary directory renamed into place). */
  ensure(): Promise<void> {
    this.initialised ??= (async () => {
      if (existsSync(join(this.dir, 'HEAD'))) return;
      await mkdir(dirname(this.dir), { recursive: true });
      const staging = await mkdtemp(`${this.dir}.init-`);
      try {
        await this.git.run(['init', '--quiet', '--bare', staging]);
        // Nothing runs in the cache on its own: no background maintenance, no hooks of its own.
        // Appended to the config file `git init` just wrote (as `git config` would, without two
        // more processes on the way to a run's first fetch).
        await appendFile(join(staging, 'config'), '[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n');
        await rename(staging, this.dir).catch((error: NodeJS.ErrnoException) => {
          // Another run created it first: use theirs.
          if (!existsSync(join(this.dir, 'HEAD'))) throw error;
        });
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    })();
    this.initialised.catch(() => {
      this.initialised = undefined;
    });
    return this.initialised;
  }

  /**
   * Fetches `branch` and returns the commit at its tip. `shared` (reads): a tip this process fetched
   * or pushed less than FRESH_MS ago (remote-view.ts) serves, and so does a fetch already under way
   * (the remote as of a moment before the call). `fresh`: a fetch that starts after the call.
   */
  async fetchBranch(
    branch: string,
    signal?: AbortSignal,
    options: { mode?: ReadMode } = {},
  ): Promise<string> {
    signal?.throwIfAborted();
    await this.ensure();
    const shared = options.mode !== 'fresh';
    const recent = shared ? this.view.recentTip(branch) : undefined;
    if (recent) return recent;
    const tracking = `refs/remotes/origin/${branch}`;
    const refspec = `+refs/heads/${branch}:${tracking}`;
    const describe = () => ({ missing: `branch ${branch}` });
    const running = shared ? this.runningFetches.get(refspec) : undefined;
    // A shared fetch that fails (another caller's abort, say) is no answer: fetch on our own.
    const started = running
      ? await running.catch(() => this.fetchRefspec(refspec, signal, describe))
      : await this.fetchRefspec(refspec, signal, describe);
    const tip = await this.object(`${tracking}^{commit}`);
    if (!tip) throw new Error(`${tracking} is missing in ${this.dir} after fetching it`);
    this.view.learnTip(branch, tip.oid, started);
    return tip.oid;
  }

  /**
   * Fetches one ref into a local ref; `describe` names what is missing when the remote lacks it.
   * Resolves to when the fetch started (ms): what it brought is the remote as of then or later.
   */
  async fetchRefspec(
    refspec: string,
    signal: AbortSignal | undefined,
    describe: () => { missing: string },
  ): Promise<number> {
    await this.ensure();
    const call = ++this.fetchCalls;
    const done: Promise<number> = serialized(this.dir, async () => {
      // A fetch of this refspec that started after this call (while it waited for its turn) read
      // the remote as of then or later: its answer serves this call too, whatever its signal was.
      // Each caller waits in the queue with its own signal, so one caller's abort fails no other.
      const last = this.lastFetches.get(refspec);
      if (last && last.serves >= call) return last.started;
      this.runningFetches.set(refspec, done);
      const started = Date.now();
      const serves = this.fetchCalls;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.run(
            [
              'fetch',
              '--quiet',
              '--no-tags',
              '--no-recurse-submodules',
              '--end-of-options',
              this.url,
              refspec,
            ],
            {
              timeoutMs: NETWORK_TIMEOUT_MS,
              ...(signal ? { signal } : {}),
            },
          );
          this.lastFetches.set(refspec, { serves, started });
          return started;
        } catch (error) {
          if (isRefLockContention(error) && attempt < 5) {
            await sleep(100 * attempt);
            continue;
          }
          if (error instanceof ExecError && /couldn't find remote ref/.test(error.stderr)) {
            throw new MissingRemoteRef(describe().missing);
          }
          throw unreachable(this.url, error, 'fetch from');
        }
      }
    });
    done
      .catch(() => undefined)
      .finally(() => {
        if (this.runningFetches.get(refspec) === done) this.runningFetches.delete(refspec);
      });
    return done;
  }

  /**
   * The commit of one exact remote ref, or undefined when it does not exist. `shared` (reads): an
   * answer less than FRESH_MS old (a listing, or this process's own push) or a listing under way
   * serves; `fresh`: an `ls-remote` that starts after the call (what decides against another run).
   */
  async remoteRef(
    ref: string,
    signal?: AbortSignal,
    options: { mode?: ReadMode } = {},
  ): Promise<string | undefined> {
    signal?.throwIfAborted();
    await this.ensure();
    return this.view.ref(ref, options.mode ?? 'shared', () => this.lsRemote(ref, signal));
  }

  private async lsRemote(ref: string, signal?: AbortSignal): Promise<string | undefined> {
    let out: string;
    try {
      out = await this.git.run(['ls-remote', '--exit-code', '--end-of-options', this.url, ref], {
        timeoutMs: NETWORK_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (error instanceof ExecError && error.exitCode === 2) return undefined;
      throw unreachable(this.url, error, 'read from');
    }
    for (const line of out.split('\n')) {
      const [sha, name] = line.split('\t');
      if (name === ref && sha) return sha;
    }
    return undefined;
  }

  /** `git ls-remote` for a ref pattern (`refs/x/*`): every matching ref and its object. */
  async remoteRefs(pattern: string, signal?: AbortSignal): Promise<{ ref: string; sha: string }[]> {
    await this.ensure();
    let out: string;
    try {
      out = await this.git.run(['ls-remote', '--exit-code', '--end-of-options', this.url, pattern], {
        timeoutMs: NETWORK_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (error instanceof ExecError && error.exitCode === 2) return [];
      throw unreachable(this.url, error, 'read from');
    }
    return out
      .split('\n')
      .map((line) => line.split('\t'))
      .filter((parts): parts is [string, string] => Boolean(parts[0] && parts[1]))
      .map(([sha, ref]) => ({ ref, sha }));
  }

  /** The tree object of `path` at `rev` (`''`: the root): a digest of every byte below it. */
  async treeOf(rev: string, path: string): Promise<string> {
    const name = path === '' ? `${rev}^{tree}` : `${rev}:${path}`;
    const oid = await this.memoized(`treeof\0${name}`, rev, async () => (await this.object(name))?.oid);
    if (!oid) throw new Error(`${name} does not exist in ${this.dir}`);
    return oid;
  }

  /** Whether the cache has the commit (objects stay once fetched: the cache is never pruned). */
  async hasObject(sha: string): Promise<boolean> {
    try {
      return (await this.object(`${sha}^{commit}`)) !== undefined;
    } catch {
      return false;
    }
  }

  /** `ancestor` is `descendant` or one of its ancestors (both must be in the cache). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch {
      return false;
    }
  }

  /** The commit a local ref points at, or undefined. */
  async readRev(ref: string): Promise<string | undefined> {
    try {
      return (await this.object(`${ref}^{commit}`))?.oid;
    } catch {
      return undefined;
    }
  }

  /** A commit's headers and message, split at the first blank line. */
  private async commitParts(sha: string): Promise<{ headers: string; message: string } | undefined> {
    try {
      const text = await this.memoized(`commit\0${sha}`, sha, async () =>
        (await this.object(`${sha}^{commit}`))?.content.toString('utf8'),
      );
      if (text === undefined) return undefined;
      const blank = text.indexOf('\n\n');
      return blank < 0
        ? { headers: text, message: '' }
        : { headers: text.slice(0, blank), message: text.slice(blank + 2) };
    } catch {
      return undefined;
    }
  }

  async commitMessage(sha: string): Promise<string | undefined> {
    return (await this.commitParts(sha))?.message;
  }

  /** Committer date (ISO 8601) of a commit. */
  async commitDate(sha: string): Promise<string | undefined> {
    const headers = (await this.commitParts(sha))?.headers;
    const seconds = Number(/^committer .* (\d+) [+-]\d{4}$/m.exec(headers ?? '')?.[1]);
    return headers !== undefined && Number.isFinite(seconds)
      ? new Date(seconds * 1000).toISOString()
      : undefined;
  }

  /** Points a local ref at a commit (the tracking ref after a successful push). */
  async setRef(ref: string, sha: string): Promise<void> {
    await this.run(['update-ref', ref, sha]);
  }

  /** The type of `path` at `rev` (`tree`, `blob`), or undefined when it does not exist there. */
  typeOf(rev: string, path: string): Promise<string | undefined> {
    return this.memoized(
      `type\0${rev}\0${path}`,
      rev,
      async () => (await this.object(`${rev}:${path}`))?.type,
    );
  }

  /** A file's content at `rev` (exactly as committed), or undefined when it does not exist there. */
  readFile(rev: string, path: string): Promise<string | undefined> {
    return this.memoized(`blob\0${rev}\0${path}`, rev, async () => {
      const object = await this.object(`${rev}:${path}`);
      return object?.type === 'blob' ? object.content.toString('utf8') : undefined;
    });
  }

  /** The entries of directory `path` at `rev` (`''` for the root). */
  async listDir(rev: string, path: string): Promise<TreeEntry[]> {
    const entries = await this.treeEntries(path === '' ? `${rev}^{tree}` : `${rev}:${path}`);
    // Modes as `git ls-tree` shows them (a directory is 040000).
    return entries.map((e) => ({ mode: e.mode.padStart(6, '0'), type: typeOfMode(e.mode), name: e.name }));
  }

  /** Every directory of the tree at `rev`, parents first (for finding a standby component). Bounded. */
  async listDirs(rev: string, limit = 5000): Promise<string[]> {
    return this.memoized(`dirs\0${rev}\0${limit}`, rev, async () => {
      const dirs: string[] = [];
      const walk = async (tree: string, prefix: string): Promise<void> => {
        for (const entry of await this.treeEntries(tree)) {
          if (dirs.length >= limit) return;
          if (typeOfMode(entry.mode) !== 'tree') continue;
          dirs.push(`${prefix}${entry.name}`);
          await walk(entry.oid, `${prefix}${entry.name}/`);
        }
      };
      await walk(`${rev}^{tree}`, '');
      return dirs;
    });
  }

  /**
   * The file at each commit that changed it (first-parent history), newest first, at most `max`,
   * read in one `git cat-file --batch`. Stops at a commit where the file does not exist.
   */
  fileHistory(tip: string, path: string, max: number): Promise<HistoryVersion[]> {
    return fileHistory(this.historyReader, tip, path, max);
  }

  /**
   * The tree `base` (a tree or commit) with `edits` applied, its objects written to the cache:
   * what `git read-tree` + `git update-index` + `git write-tree` would give, built in this process.
   */
  async writeEditedTree(base: string, edits: readonly TreeEdit[]): Promise<string> {
    const { tree, objects } = await this.editedTree(base, edits);
    await writeLooseObjects(this.dir, objects);
    return tree;
  }

  /** The id of the tree `base` with `edits` applied, and the objects it needs (nothing is written). */
  async editedTree(base: string, edits: readonly TreeEdit[]) {
    await this.ensure();
    const root = await this.treeOf(base, '');
    return editTree(
      { algorithm: root.length === 64 ? 'sha256' : 'sha1', entries: (oid) => this.treeEntries(oid) },
      root,
      edits,
    );
  }

  /**
   * A new commit on `parent` whose only change is `path` := `content` (keeping the file's mode).
   * The blob is written as is (no filters): it is the repository form of the file, which is what
   * was read.
   */
  async commitFile(options: {
    parent: string;
    path: string;
    content: string;
    message: string;
    env: NodeJS.ProcessEnv;
    /** Other files the same commit writes (content) or deletes (null): a generated patch file. */
    also?: readonly { path: string; content: string | null }[];
  }): Promise<string> {
    const tree = await this.writeEditedTree(options.parent, [
      { path: options.path, content: options.content },
      ...(options.also ?? []).map((extra) => (extra.content === null ? extra : { ...extra, mode: '100644' })),
    ]);
    return (
      await this.run(['commit-tree', tree, '-p', options.parent, '-F', '-'], {
        input: options.message,
        env: options.env,
      })
    ).trim();
  }

  /** A parentless commit holding one file, for the lock ref. */
  async commitDetached(options: { file: string; content: string; message: string; env: NodeJS.ProcessEnv }) {
    await this.ensure();
    const { tree, objects } = await editTree({ algorithm: this.algorithm(), entries: async () => [] }, '', [
      { path: options.file, content: options.content, mode: '100644' },
    ]);
    await writeLooseObjects(this.dir, objects);
    return (
      await this.run(['commit-tree', '--no-gpg-sign', tree, '-F', '-'], {
        input: options.message,
        env: options.env,
      })
    ).trim();
  }

  /** Writes the tree at `rev` into `dir` (for rendering), through a throw-away index. */
  async exportTree(rev: string, dir: string): Promise<void> {
    const index = join(dir, '..', `index-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    try {
      // One process: `--reset -u` from an empty index writes every file, through the same
      // checkout code (attributes, symlinks, path checks) as `checkout-index --all` would.
      await this.run(['read-tree', '--reset', '-u', rev], { workTree: dir, env: { GIT_INDEX_FILE: index } });
    } finally {
      await rm(index, { force: true });
    }
  }

  /**
   * Pushes `source` (a commit, or empty to delete) to `ref`. With `lease`, the remote ref must be
   * at that commit (`''`: must not exist): a compare-and-swap that the remote checks atomically.
   */
  async push(
    source: string,
    ref: string,
    options: { lease?: string; signal?: AbortSignal } = {},
  ): Promise<PushOutcome> {
    const started = Date.now();
    const args = ['push', '--porcelain'];
    if (options.lease !== undefined) args.push(`--force-with-lease=${ref}:${options.lease}`);
    // Whatever the config says, git reads the URL as a URL, never as an option.
    args.push('--end-of-options', this.url, `${source}:${ref}`);
    try {
      await this.run(args, {
        timeoutMs: NETWORK_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      this.view.forget(ref);
      if (!(error instanceof ExecError)) throw error;
      const line = error.stdout.split('\n').find((l) => l.startsWith('!\t'));
      if (!line) throw unreachable(this.url, error, 'push to');
      const detail = line.split('\t')[2] ?? line;
      const remote = error.stderr
        .split('\n')
        .filter((l) => l.startsWith('remote:'))
        .map((l) => l.replace(/^remote:\s*/, '').trim())
        .filter(Boolean);
      const raced =
        /\[rejected\] \((fetch first|non-fast-forward|stale info|already exists)\)/.test(detail) ||
        (/\[remote rejected\] \((failed to update ref|failed to lock|cannot lock ref)/.test(detail) &&
          remote.every((l) => /cannot lock ref|is at .* but expected|failed to update ref/.test(l)));
      return raced
        ? { ok: false, reason: 'moved', detail }
        : { ok: false, reason: 'refused', detail, remote };
    }
    // The tracking ref follows the branch, as a fetch would have moved it.
    if (ref.startsWith('refs/heads/') && source)
      await this.setRef(`refs/remotes/origin/${ref.slice('refs/heads/'.length)}`, source);
    this.view.pushed(ref, source, started);
    return { ok: true };
  }

  /** Refs in the cache other than the fetched ones: there should be none (tests, diagnostics). */
  async localRefs(): Promise<string[]> {
    await this.ensure();
    return (await this.run(['for-each-ref', '--format=%(refname)'])).split('\n').filter(Boolean);
  }
}

/** The remote has no such ref (a branch that does not exist). */
export class MissingRemoteRef extends Error {
  constructor(readonly what: string) {
    super(`${what} does not exist in the remote`);
    this.name = 'MissingRemoteRef';
  }
}
