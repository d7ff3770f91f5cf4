/**
 * The run lock against other runs, in a real (temporary, bare) git remote: renewing a lock that
 * another run has since taken over (or that was released) leaves it alone; the lock's commit and
 * the errors and plans that describe a held lock say who, since when and how to get past it.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDirFor, GitCache } from '../../src/providers/git/cache.js';
import { createGitRunner } from '../../src/providers/git/cli.js';
import {
  describeLock,
  isAbandoned,
  isExpired,
  isStale,
  lockedError,
  RunLock,
} from '../../src/providers/git/lock.js';
import type { LockInfo } from '../../src/providers/git/port.js';
import { createGitRemote, git, isolatedGitEnv } from '../../src/sandbox/gitops-demo/index.js';
import { failure } from '../support/failure.js';

const REF = 'refs/failover/lock';
let work: string;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-lock-takeover-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function newRemote(): Promise<string> {
  return (await createGitRemote({ dir: join(work, `r${++counter}`) })).remote;
}

/** One machine's view of the lock: its own cache clone of the remote. */
function lockAt(remote: string, name: string, ref = REF): RunLock {
  const cache = new GitCache(
    createGitRunner(isolatedGitEnv({}), remote),
    remote,
    cacheDirFor(join(work, `state-${counter}-${name}`), remote),
  );
  return new RunLock(cache, ref);
}

function lockOf(runId: string, operator: string, ttlMs = 30 * 60_000, startedAt = Date.now()): LockInfo {
  return {
    runId,
    operator,
    host: `${operator}-laptop`,
    startedAt: new Date(startedAt).toISOString(),
    expiresAt: new Date(startedAt + ttlMs).toISOString(),
    purpose: 'to-aws INC-7',
  };
}

async function remoteLock(
  remote: string,
  ref = REF,
): Promise<{ sha: string; json: LockInfo; subject: string }> {
  const sha = (await git(['--git-dir', remote, 'rev-parse', ref])).stdout.trim();
  const json = JSON.parse((await git(['--git-dir', remote, 'cat-file', 'blob', `${sha}:lock.json`])).stdout);
  const subject = (await git(['--git-dir', remote, 'log', '-1', '--format=%s', sha])).stdout.trim();
  return { sha, json, subject };
}

async function hasRef(remote: string, ref = REF): Promise<boolean> {
  return (await git(['--git-dir', remote, 'for-each-ref', ref])).stdout.trim() !== '';
}

describe('renewing the run lock', () => {
  it('a run renewing a lock that another run has since taken over leaves the new holder alone', async () => {
    const remote = await newRemote();
    const first = lockAt(remote, 'first');
    const second = lockAt(remote, 'second');
    // The first run's lock expired (its renewals stopped, say its laptop slept) …
    const old = lockOf('run-1', 'alice', 60_000, Date.now() - 10 * 60_000);
    await first.acquire(old, { breakStale: false });
    // … and the second run took it over with --break-lock.
    const taken = lockOf('run-2', 'bob');
    expect(await second.acquire(taken, { breakStale: true })).toEqual({ brokeLock: old });
    const before = await remoteLock(remote);

    // The first run wakes up and renews: refused, and the lock is still the second run's.
    const renewed = { ...old, expiresAt: new Date(Date.now() + 60_000).toISOString() };
    expect(await first.renew(renewed)).toBe(false);
    expect(await remoteLock(remote)).toEqual(before);
    expect((await first.read())?.info).toEqual(taken);
  });

  it('a run renewing a lock that was released meanwhile does not bring it back', async () => {
    const remote = await newRemote();
    const a = lockAt(remote, 'a');
    const lock = lockOf('run-1', 'alice');
    await a.acquire(lock, { breakStale: false });
    expect(await lockAt(remote, 'other').release('run-1')).toBe(true);
    expect(await a.renew(lock)).toBe(false);
    expect(await hasRef(remote)).toBe(false);
  });

  it('renewing its own lock moves the expiry forward in a new commit saying so', async () => {
    const remote = await newRemote();
    const a = lockAt(remote, 'a');
    const lock = lockOf('run-1', 'alice', 60_000);
    await a.acquire(lock, { breakStale: false });
    const taken = await remoteLock(remote);
    expect(taken.subject).toBe('failover lock: to-aws INC-7 by alice (run run-1)');
    const later = { ...lock, expiresAt: new Date(Date.now() + 120_000).toISOString() };
    expect(await a.renew(later)).toBe(true);
    const renewed = await remoteLock(remote);
    expect(renewed.sha).not.toBe(taken.sha);
    expect(renewed.json).toEqual(later);
    expect(renewed.subject).toBe('failover lock: to-aws INC-7 by alice (run run-1), renewed');
    expect((await lockAt(remote, 'reader').read())?.info).toEqual(later);
  });

  it('a lock without a purpose says "run"; the commit carries the operator as author', async () => {
    const remote = await newRemote();
    const lock = { ...lockOf('run-9', 'carol'), purpose: '' };
    await lockAt(remote, 'a').acquire(lock, { breakStale: false });
    const { sha, subject } = await remoteLock(remote);
    expect(subject).toBe('failover lock: run by carol (run run-9)');
    const author = (await git(['--git-dir', remote, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', sha]))
      .stdout;
    expect(author.trim()).toBe('carol <failover@localhost>|carol <failover@localhost>');
    // Parentless: the lock commit drags no history along.
    expect((await git(['--git-dir', remote, 'rev-list', '--count', sha])).stdout.trim()).toBe('1');
  });
});

describe('releasing and re-taking', () => {
  it('release after a takeover leaves the new holder; acquire by the holder keeps no broken lock', async () => {
    const remote = await newRemote();
    const first = lockAt(remote, 'first');
    const second = lockAt(remote, 'second');
    await first.acquire(lockOf('run-1', 'alice', 60_000, Date.now() - 10 * 60_000), { breakStale: false });
    await second.acquire(lockOf('run-2', 'bob'), { breakStale: true });
    expect(await first.release('run-1')).toBe(false);
    expect((await remoteLock(remote)).json.runId).toBe('run-2');
    // The holder re-taking its own lock breaks nothing.
    expect(await second.acquire(lockOf('run-2', 'bob'), { breakStale: true })).toEqual({});
    expect(await second.release('run-2')).toBe(true);
    expect(await hasRef(remote)).toBe(false);
  });

  it('breakStale refuses a live lock of another run, naming it', async () => {
    const remote = await newRemote();
    const held = lockOf('run-1', 'alice');
    await lockAt(remote, 'a').acquire(held, { breakStale: false });
    const error = await failure(lockAt(remote, 'b').acquire(lockOf('run-2', 'bob'), { breakStale: true }));
    expect(error.category).toBe('locked');
    expect(error.message).toBe(`locked by ${describeLock(held)}; purpose: to-aws INC-7`);
    expect(error.details).toMatchObject({ ref: REF, expired: false, stale: false, holder: held });
    expect((await remoteLock(remote)).json).toEqual(held);
  });

  it('a lock ref the remote refuses is an error naming the ref and the fix', async () => {
    const remote = await newRemote();
    // A hook that refuses every update of refs outside refs/heads.
    const hook = join(remote, 'hooks', 'update');
    await writeFile(
      hook,
      '#!/bin/sh\ncase "$1" in refs/heads/*) exit 0;; esac\necho "refs outside branches are protected" >&2\nexit 1\n',
    );
    await chmod(hook, 0o755);
    const error = await failure(lockAt(remote, 'a').acquire(lockOf('run-1', 'alice'), { breakStale: false }));
    expect(error.code).toBe('FO_LOCK_E4003');
    expect(error.message).toContain(`refused the lock ref ${REF}`);
    expect(error.message).toContain('refs outside branches are protected');
    expect(error.hint).toContain(`allow pushing ${REF}`);
  });
});

describe('what a held lock says', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  const live: LockInfo = {
    runId: 'run-1',
    operator: 'alice',
    host: 'alice-laptop',
    startedAt: '2026-03-01T11:50:00.000Z',
    expiresAt: '2026-03-01T12:20:00.000Z',
    purpose: 'to-aws INC-7',
  };

  it('expiry: at the instant of expiry the lock is expired; an unreadable expiry counts as expired', () => {
    expect(isExpired(live, now)).toBe(false);
    expect(isExpired(live, Date.parse(live.expiresAt) - 1)).toBe(false);
    expect(isExpired(live, Date.parse(live.expiresAt))).toBe(true);
    expect(isExpired({ ...live, expiresAt: 'soon' }, now)).toBe(true);
  });

  it('abandoned: only a lock with a pid, taken on this host, whose process is gone', () => {
    const here = { ...live, host: 'here', pid: 4242 };
    expect(isAbandoned(here, 'here', () => false)).toBe(true);
    expect(isAbandoned(here, 'here', () => true)).toBe(false);
    expect(isAbandoned(here, 'elsewhere', () => false)).toBe(false);
    expect(isAbandoned({ ...live, host: 'here' }, 'here', () => false)).toBe(false);
    // The default probe: this process runs; a pid far beyond any real one does not.
    expect(isAbandoned({ ...live, host: hostname(), pid: process.pid })).toBe(false);
    expect(isAbandoned({ ...live, host: hostname(), pid: 2 ** 30 })).toBe(true);
    expect(isStale({ ...live, host: hostname(), pid: 2 ** 30 }, now)).toBe(true);
    expect(isStale(live, now)).toBe(false);
  });

  it('a live lock: wait, or resume on its host, or break it after it expires', () => {
    const error = lockedError(live, REF, now);
    expect(error.code).toBe('FO_LOCK_E4001');
    expect(error.category).toBe('locked');
    expect(error.message).toBe(
      'locked by alice (run run-1) on alice-laptop since 2026-03-01T11:50:00.000Z, expires 2026-03-01T12:20:00.000Z; purpose: to-aws INC-7',
    );
    expect(error.hint).toBe(
      'wait for that run to finish, or if that run is dead: `failover resume run-1` on alice-laptop continues it, or run again with `--break-lock` after the lock expires (2026-03-01T12:20:00.000Z)',
    );
    expect(error.details).toEqual({ holder: live, ref: REF, expired: false, stale: false });
  });

  it('an expired lock: says so, and --break-lock takes it', () => {
    const error = lockedError({ ...live, purpose: '' }, REF, Date.parse(live.expiresAt) + 1);
    expect(error.message).toBe(
      'locked by alice (run run-1) on alice-laptop since 2026-03-01T11:50:00.000Z, expires 2026-03-01T12:20:00.000Z (expired)',
    );
    expect(error.hint).toBe(
      'the lock has expired: if that run is dead, run again with `--break-lock` to take it over',
    );
    expect(error.details).toMatchObject({ expired: true, stale: true });
  });

  it('an abandoned lock: names the gone process; resume or --break-lock', () => {
    const gone = { ...live, host: hostname(), pid: 2 ** 30 };
    const error = lockedError(gone, REF, now);
    expect(error.message).toContain(
      `(abandoned: process ${2 ** 30} is no longer running on this host); purpose: to-aws INC-7`,
    );
    expect(error.hint).toBe(
      'the run that took it is gone: `failover resume run-1` continues it, or run again with `--break-lock` to take it over',
    );
    expect(error.details).toMatchObject({ expired: false, stale: true });
  });
});
