/**
 * One run's reads of the GitOps remote against real git, with git behind a logging wrapper on PATH
 * (every process the cache starts is counted): callers that ask at once share one fetch and one
 * listing of the lock ref; a read older than FRESH_MS sees what another clone pushed; the run's own
 * push is known without a fetch; a push built on a tip that moved is rejected, fetched afresh and
 * retried. The repository is a payments service with two region overlays (not the demo tree).
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitReader, createGitWriter } from '../../src/providers/git/adapter.js';
import { cacheDirFor, GitCache } from '../../src/providers/git/cache.js';
import { createGitRunner } from '../../src/providers/git/cli.js';
import { RunLock } from '../../src/providers/git/lock.js';
import type { TreeEdit } from '../../src/providers/git/objects.js';
import type { CommitMeta, LockInfo } from '../../src/providers/git/port.js';
import { FRESH_MS } from '../../src/providers/git/remote-view.js';
import { git, isolatedGitEnv, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { findOnPath } from '../../src/util/exec.js';
import { type CountingWrapper, countingWrapper, remoteFromTree } from '../fixtures/counting-git.js';
import { adapterOptions, remoteHead } from '../fixtures/gitops/harness.js';

const STANDBY = `resources:
  - ../../base
patches:
  - path: cronjob-suspend.yml
  - path: replicas-zero.yml
`;
const TREE: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n  - ledger.yaml\n',
  'base/ledger.yaml':
    'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: ledger-close\nspec:\n  schedule: "0 * * * *"\n',
  'regions/aws/kustomization.yaml': STANDBY,
  'regions/aws/cronjob-suspend.yml': '- op: add\n  path: /spec/suspend\n  value: true\n',
  'regions/aws/replicas-zero.yml': '- op: replace\n  path: /spec/replicas\n  value: 0\n',
  // GKE's CronJobs fenced, as to-aws leaves them before it activates AWS: the writer refuses a
  // commit that would leave one unsuspended in both overlays.
  'regions/gcp/kustomization.yaml': 'resources:\n  - ../../base\npatches:\n  - path: cronjob-suspend.yml\n',
  'regions/gcp/cronjob-suspend.yml': '- op: add\n  path: /spec/suspend\n  value: true\n',
};
const META: CommitMeta = { runId: 'run-pay-7', operator: 'dana', incident: 'INC-7' };

let work: string;
let log: string;
let counter = 0;
let wrapper: CountingWrapper | undefined;

/** The git processes started so far with `subcommand` and naming `where` (the cache, or the remote). */
async function spawned(where: string, subcommand: string): Promise<number> {
  const lines = (await readFile(log, 'utf8').catch(() => '')).split('\n');
  return lines.filter((l) => l.split(' ').includes(subcommand) && l.split(' ').some((w) => w.endsWith(where)))
    .length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-git-shared-reads-'));
  const real = await findOnPath('git');
  if (!real) throw new Error('git is not on PATH');
  wrapper = await countingWrapper(work, 'git', real);
  log = wrapper.log;
});

afterAll(async () => {
  wrapper?.restore();
  await rm(work, { recursive: true, force: true });
});

async function scenario() {
  const dir = join(work, `s${++counter}`);
  const { remote, head } = await remoteFromTree(dir, TREE);
  const stateDir = join(dir, 'state');
  const options = adapterOptions({
    repo: remote,
    stateDir,
    gitops: { awsOverlay: 'regions/aws', gcpOverlay: 'regions/gcp' },
  });
  const cacheDir = cacheDirFor(join(stateDir, 'git-cache'), remote);
  const cache = new GitCache(createGitRunner(isolatedGitEnv()), remote, cacheDir);
  return { remote, head, options, cacheDir, cache, reader: createGitReader(options) };
}

/** Another clone pushes a commit that touches `path`. */
function someonePushes(remote: string, path = 'base/ledger.yaml') {
  return pushChange({
    remote,
    message: `edit ${path}`,
    change: async (dir) => {
      await writeFile(join(dir, path), `${await readFile(join(dir, path), 'utf8')}# edited\n`);
    },
  });
}

describe('the branch tip, shared within a run', () => {
  it('five readers that ask at once cause one fetch, and all get the tip', async () => {
    const s = await scenario();
    const tips = await Promise.all(Array.from({ length: 5 }, () => s.cache.fetchBranch('main')));
    expect(new Set(tips)).toEqual(new Set([s.head]));
    expect(await spawned(s.cacheDir, 'fetch')).toBe(1);
    // Through the adapter: the snapshot's and the plan's reads of both overlays, concurrently.
    const t = await scenario();
    const [aws, gcp, plan] = await Promise.all([
      t.reader.overlayState('aws'),
      t.reader.overlayState('gcp'),
      t.reader.planStandby('aws', 'active', 'all', META),
    ]);
    expect([aws.revision, gcp.revision, plan.baseRevision]).toEqual([t.head, t.head, t.head]);
    expect(aws.state).toBe('standby');
    expect(await spawned(t.cacheDir, 'fetch')).toBe(1);
  });

  it("readers with signals of their own (each plan step's) still cause one fetch; an abort fails only its reader", async () => {
    const s = await scenario();
    const controllers = Array.from({ length: 4 }, () => new AbortController());
    const reads = controllers.map((c) => s.cache.fetchBranch('main', c.signal, { mode: 'fresh' }));
    expect(new Set(await Promise.all(reads))).toEqual(new Set([s.head]));
    expect(await spawned(s.cacheDir, 'fetch')).toBe(1);
    // A fresh read that asks after a fetch started is not served by it: it sees a later push.
    const theirs = await someonePushes(s.remote);
    expect(await s.cache.fetchBranch('main', new AbortController().signal, { mode: 'fresh' })).toBe(theirs);
    expect(await spawned(s.cacheDir, 'fetch')).toBe(2);
    // One reader aborted while the fetch runs: it fails, the others get the tip from one fetch.
    const again = await someonePushes(s.remote);
    const aborted = new AbortController();
    const others = [new AbortController(), new AbortController()];
    const first = s.cache.fetchBranch('main', aborted.signal, { mode: 'fresh' });
    const rest = others.map((c) => s.cache.fetchBranch('main', c.signal, { mode: 'fresh' }));
    aborted.abort();
    await expect(first).rejects.toThrow();
    expect(new Set(await Promise.all(rest))).toEqual(new Set([again]));
    expect(await spawned(s.cacheDir, 'fetch')).toBe(3);
  });

  it('a push by another clone is seen by a read older than the window, not hidden by it', async () => {
    const s = await scenario();
    expect(await s.cache.fetchBranch('main')).toBe(s.head);
    const theirs = await someonePushes(s.remote);
    // Within the window the tip as fetched a moment ago stands (the named bound, no fetch)...
    const early = await s.cache.fetchBranch('main');
    const fetches = await spawned(s.cacheDir, 'fetch');
    // ... and a read after it fetches again and sees their commit.
    await sleep(FRESH_MS + 100);
    expect(await s.cache.fetchBranch('main')).toBe(theirs);
    expect(await spawned(s.cacheDir, 'fetch')).toBe(fetches + 1);
    if (fetches === 1) expect(early).toBe(s.head);
    // A fresh fetch never uses the window.
    const again = await someonePushes(s.remote);
    expect(await s.cache.fetchBranch('main', undefined, { mode: 'fresh' })).toBe(again);
  });

  it("after the run's own push, reads know its commit without a fetch", async () => {
    const s = await scenario();
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    const writer = createGitWriter(s.options);
    const result = await writer.applyStandby(plan, META);
    expect(result).toMatchObject({ changed: true, attempts: 1 });
    expect(await remoteHead(s.remote)).toBe(result.commit);
    const fetches = await spawned(s.cacheDir, 'fetch');
    const state = await s.reader.overlayState('aws');
    expect(state).toMatchObject({ state: 'active', revision: result.commit });
    expect(await spawned(s.cacheDir, 'fetch')).toBe(fetches);
    // The cache's tracking ref moved with the push, as a fetch would have moved it.
    const tracking = (await git(['--git-dir', s.cacheDir, 'rev-parse', 'refs/remotes/origin/main'])).stdout;
    expect(tracking.trim()).toBe(result.commit);
  });

  it('a push built on a tip that moved meanwhile is rejected, fetched afresh and re-applied', async () => {
    const s = await scenario();
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    // Someone pushes right after the plan: the apply starts from the tip the plan fetched.
    const theirs = await someonePushes(s.remote);
    const result = await createGitWriter(s.options).applyStandby(plan, META);
    expect(result.changed).toBe(true);
    // Their commit is kept: ours sits on top of it.
    const parent = (await git(['--git-dir', s.remote, 'rev-parse', `${result.commit}^`])).stdout.trim();
    expect(parent).toBe(theirs);
    expect(await remoteHead(s.remote)).toBe(result.commit);
    const edited = (await git(['--git-dir', s.remote, 'show', 'main:base/ledger.yaml'])).stdout;
    expect(edited).toContain('# edited');
    // Within the window: a rejected push on the plan's tip, then a fresh fetch and a second push;
    // on a slow machine the window may have passed and the first attempt fetched. Two fetches either way.
    expect(await spawned(s.cacheDir, 'push')).toBe(result.attempts);
    expect(await spawned(s.cacheDir, 'fetch')).toBe(2);
  });

  it('"already so" on the tip of its own push is confirmed by a fresh fetch', async () => {
    const s = await scenario();
    const writer = createGitWriter(s.options);
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    const ours = await writer.applyStandby(plan, META);
    // Another clone puts the entries back right after our push: activating is not a no-op again.
    const restored = await pushChange({
      remote: s.remote,
      message: 'back to standby',
      change: async (dir) => writeFile(join(dir, 'regions/aws/kustomization.yaml'), STANDBY),
    });
    const result = await writer.applyStandby(plan, META);
    expect(result.changed).toBe(true);
    const parent = (await git(['--git-dir', s.remote, 'rev-parse', `${result.commit}^`])).stdout.trim();
    expect(parent).toBe(restored);
    expect(result.commit).not.toBe(ours.commit);
    expect(await git(['--git-dir', s.remote, 'show', 'main:regions/aws/kustomization.yaml'])).toMatchObject({
      stdout: 'resources:\n  - ../../base\n',
    });
  });
});

const lockOf = (runId: string): LockInfo => ({
  runId,
  operator: 'dana',
  host: 'dana-laptop',
  startedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 30 * 60_000).toISOString(),
  purpose: 'to-aws INC-7',
});

describe('the lock ref, shared within a run', () => {
  it('readers that ask at once list the ref once; the run`s own take and release need no listing', async () => {
    const s = await scenario();
    const lock = new RunLock(s.cache, 'refs/failover/lock');
    const views = await Promise.all([lock.read(), lock.read(), lock.read()]);
    expect(views).toEqual([undefined, undefined, undefined]);
    expect(await spawned(s.remote, 'ls-remote')).toBe(1);
    await lock.acquire(lockOf('run-pay-7'), { breakStale: false });
    expect(await spawned(s.remote, 'ls-remote')).toBe(1);
    // What the run pushed is what a read right after it sees.
    expect((await lock.read())?.info.runId).toBe('run-pay-7');
    expect(await lock.release('run-pay-7')).toBe(true);
    expect(await lock.read()).toBeUndefined();
    expect(await spawned(s.remote, 'ls-remote')).toBe(1);
    const refs = (await git(['--git-dir', s.remote, 'for-each-ref', 'refs/failover'])).stdout;
    expect(refs).toBe('');
  });

  it('another machine`s lock: seen after the window, and a stale "free" view loses to the lease', async () => {
    const s = await scenario();
    const ours = new RunLock(s.cache, 'refs/failover/lock');
    const otherCache = new GitCache(
      createGitRunner(isolatedGitEnv()),
      s.remote,
      cacheDirFor(join(work, `other-${counter}`), s.remote),
    );
    const theirs = new RunLock(otherCache, 'refs/failover/lock');
    expect(await ours.read()).toBeUndefined();
    await theirs.acquire(lockOf('run-other'), { breakStale: false });
    // Our view still says free: the push with lease '' is rejected, a fresh listing decides.
    const taking = ours.acquire(lockOf('run-pay-7'), { breakStale: false });
    await expect(taking).rejects.toMatchObject({ code: 'FO_LOCK_E4001' });
    await sleep(FRESH_MS + 100);
    expect((await ours.read())?.info.runId).toBe('run-other');
    otherCache.close();
  });
});

describe('the history of an overlay file after a commit of the run', () => {
  /** A commit on `parent` with `edits` (what the writer builds), without pushing it. */
  async function commitOn(cache: GitCache, parent: string, edits: TreeEdit[]): Promise<string> {
    const tree = await cache.writeEditedTree(parent, edits);
    return (
      await git(['--git-dir', cache.dir, 'commit-tree', tree, '-p', parent, '-m', 'edit'], {
        env: {
          ...isolatedGitEnv(),
          GIT_AUTHOR_NAME: 'dana',
          GIT_AUTHOR_EMAIL: 'd@x',
          GIT_COMMITTER_NAME: 'dana',
          GIT_COMMITTER_EMAIL: 'd@x',
        },
      })
    ).stdout.trim();
  }

  it('is the parent`s plus its own version, as git log gives it, without running git log', async () => {
    const s = await scenario();
    const file = 'regions/aws/kustomization.yaml';
    const tip = await s.cache.fetchBranch('main');
    // The parent's history, then the seed's file edited twice (a second history entry each time).
    const edited = await commitOn(s.cache, tip, [{ path: file, content: 'resources:\n  - ../../base\n' }]);
    const other = await commitOn(s.cache, edited, [{ path: 'base/ledger.yaml', content: 'kind: CronJob\n' }]);
    const mode = await commitOn(s.cache, other, [
      { path: file, content: 'resources:\n  - ../../base\n', mode: '100755' },
    ]);
    const deleted = await commitOn(s.cache, mode, [{ path: file, content: null }]);
    const revs = [tip, edited, other, mode, deleted];
    const logs = await spawned(s.cacheDir, 'log');
    const derived = [];
    for (const rev of revs) derived.push(await s.cache.fileHistory(rev, file, 3));
    // Only the first needed git log; each later one came from its parent's.
    expect(await spawned(s.cacheDir, 'log')).toBe(logs + 1);
    // A cache that has read nothing asks git log: the same answers.
    const unread = new GitCache(createGitRunner(isolatedGitEnv()), s.remote, s.cacheDir);
    for (const [i, rev] of revs.entries()) expect(derived[i]).toEqual(await unread.fileHistory(rev, file, 3));
    expect(derived[1]?.map((v) => v.commit)).toEqual([edited, tip]);
    expect(derived[2]).toEqual(derived[1]);
    expect(derived[3]?.map((v) => v.commit)).toEqual([mode, edited, tip]);
    expect(derived[4]).toEqual([{ commit: deleted, text: undefined }]);
    unread.close();
  });
});

describe('a tree exported for rendering', () => {
  /** Every path below `dir`: its kind, exec bit, and content or link target. */
  async function snapshot(dir: string, prefix = ''): Promise<string[]> {
    const out: string[] = [];
    for (const entry of (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(prefix, entry.name);
      const full = join(dir, path);
      if (entry.isSymbolicLink()) out.push(`link ${path} -> ${await readlink(full)}`);
      else if (entry.isDirectory()) out.push(`dir ${path}`, ...(await snapshot(dir, path)));
      else {
        const exec = ((await lstat(full)).mode & 0o111) !== 0;
        out.push(`file ${path}${exec ? ' (x)' : ''}: ${await readFile(full, 'utf8')}`);
      }
    }
    return out;
  }

  it('is written in one git process, file for file what read-tree and checkout-index give', async () => {
    const s = await scenario();
    const tip = await s.cache.fetchBranch('main');
    const tree = await s.cache.writeEditedTree(tip, [
      { path: 'tools/close-books.sh', content: '#!/bin/sh\necho closed\n', mode: '100755' },
      { path: 'regions/aws/current', content: '../gcp', mode: '120000' },
      { path: 'regions/gcp/deep/er/notes.md', content: 'notes\n' },
    ]);
    const ours = join(work, `export-${counter}`, 'tree');
    const before = (await readFile(log, 'utf8')).split('\n').length;
    await s.cache.exportTree(tree, ours);
    expect((await readFile(log, 'utf8')).split('\n').length - before).toBe(1);
    const theirs = join(work, `export-${counter}`, 'reference');
    await mkdir(theirs);
    const env = { ...isolatedGitEnv(), GIT_INDEX_FILE: join(work, `export-${counter}`, 'index') };
    const base = ['--git-dir', s.cacheDir, '--work-tree', theirs];
    await git([...base, 'read-tree', tree], { env });
    await git([...base, 'checkout-index', '--all', '--force'], { env });
    const written = await snapshot(ours);
    expect(written).toEqual(await snapshot(theirs));
    expect(written).toContain('link regions/aws/current -> ../gcp');
    expect(written).toContain('file tools/close-books.sh (x): #!/bin/sh\necho closed\n');
    expect(written).toContain('file regions/gcp/deep/er/notes.md: notes\n');
  });
});
