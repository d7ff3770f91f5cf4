/**
 * The run lock's remembered view of the remote: when a compare-and-swap may start from it (the
 * lock free, this run's own, a stale one with --break-lock) and when only a fresh read may decide;
 * what a renewal leaves behind; the caller's signal on every call to the remote; a lock released
 * between the listing and the fetch; a holder whose process runs as another user; and the
 * messages of the lock steps that the plan and the journal show.
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { isAbandoned } from '../../src/providers/git/lock.js';
import type { LockInfo } from '../../src/providers/git/port.js';
import { lockAcquireStep } from '../../src/steps/lock/acquire.js';
import { lockReleaseStep } from '../../src/steps/lock/release.js';
import type { ApplyContext, StepMessage } from '../../src/steps/types.js';
import { failure } from '../support/failure.js';
import { expired, lockOf, machine, REF, Remote } from '../support/memory-lock-remote.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('taking the lock from what this process last saw', () => {
  it('a view that says free: taken with one push, without listing the ref again', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.read();
    const reads = a.cache.reads;
    expect(await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false })).toEqual({});
    expect(a.cache.reads).toBe(reads);
    expect(remote.pushes).toEqual([{ source: remote.ref, lease: '' }]);
  });

  it('its own lock (a resume right after taking it): re-taken against it, without listing', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    const first = remote.ref;
    const reads = a.cache.reads;
    expect(await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false })).toEqual({});
    expect(a.cache.reads).toBe(reads);
    expect(remote.pushes.at(-1)?.lease).toBe(first);
  });

  it('a stale lock seen with --break-lock: broken against that view, without listing', async () => {
    const remote = new Remote();
    const old = expired('run-9', 'zoe');
    await machine(remote).lock.acquire(old, { breakStale: false });
    const a = machine(remote);
    await a.lock.read();
    const reads = a.cache.reads;
    expect(await a.lock.acquire(lockOf('run-2', 'bob'), { breakStale: true })).toEqual({ brokeLock: old });
    expect(a.cache.reads).toBe(reads);
  });

  it("another run's lock in the view: a fresh read decides, and finds it released meanwhile", async () => {
    const remote = new Remote();
    const zoe = machine(remote);
    await zoe.lock.acquire(lockOf('run-9', 'zoe'), { breakStale: false });
    const a = machine(remote);
    await a.lock.read();
    await zoe.lock.release('run-9');
    expect(await a.lock.acquire(lockOf('run-2', 'bob'), { breakStale: false })).toEqual({});
    expect((await machine(remote).lock.read())?.info.runId).toBe('run-2');
  });

  it('an expired lock seen without --break-lock: a fresh read decides, and finds it released', async () => {
    const remote = new Remote();
    const zoe = machine(remote);
    await zoe.lock.acquire(expired('run-9', 'zoe'), { breakStale: false });
    const a = machine(remote);
    await a.lock.read();
    await zoe.lock.release('run-9');
    expect(await a.lock.acquire(lockOf('run-2', 'bob'), { breakStale: false })).toEqual({});
  });

  it('five lost races on its own lock: the retryable race error, not "locked by itself"', async () => {
    const remote = new Remote();
    await machine(remote).lock.acquire(expired('run-1', 'alice'), { breakStale: false });
    remote.races = 5;
    const error = await failure(
      machine(remote).lock.acquire(lockOf('run-1', 'alice'), { breakStale: false }),
    );
    expect(error.code).toBe('FO_LOCK_E4002');
    expect(error.hint).toBe('another run is taking and releasing the lock right now; run again in a moment');
  });
});

describe('what a renewal leaves behind', () => {
  it('after a renewal, the release deletes the renewed lock without listing the ref', async () => {
    const remote = new Remote();
    const a = machine(remote);
    const lock = lockOf('run-1', 'alice');
    await a.lock.acquire(lock, { breakStale: false });
    expect(await a.lock.renew({ ...lock, expiresAt: new Date(Date.now() + 3_600_000).toISOString() })).toBe(
      true,
    );
    const renewed = remote.ref;
    const reads = a.cache.reads;
    expect(await a.lock.release('run-1')).toBe(true);
    expect(a.cache.reads).toBe(reads);
    expect(remote.pushes.at(-1)).toEqual({ source: '', lease: renewed });
  });

  it('after a renewal that lost its race, the release starts from the lock as read, in one push', async () => {
    const remote = new Remote();
    const a = machine(remote);
    const lock = lockOf('run-1', 'alice');
    await a.lock.acquire(lock, { breakStale: false });
    const held = remote.ref;
    remote.races = 1;
    expect(await a.lock.renew(lock)).toBe(false);
    const pushes = remote.pushes.length;
    expect(await a.lock.release('run-1')).toBe(true);
    expect(remote.pushes.slice(pushes)).toEqual([{ source: '', lease: held }]);
  });
});

describe('releasing from a view that is not its own lock', () => {
  it('a view that says free is not trusted: the lock this run took elsewhere (a resume) is released', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.read();
    await machine(remote).lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    expect(await a.lock.release('run-1')).toBe(true);
    expect(remote.ref).toBeUndefined();
  });
});

describe('the remote', () => {
  it('every call gets the caller`s signal', async () => {
    const remote = new Remote();
    await machine(remote).lock.acquire(lockOf('run-0', 'zoe', -1000), { breakStale: false });
    const a = machine(remote);
    const signal = new AbortController().signal;
    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: true, signal });
    expect(await a.lock.renew(lockOf('run-1', 'alice'), signal)).toBe(true);
    expect(await a.lock.release('run-1', signal)).toBe(true);
    expect(a.cache.fetches).toBe(1);
    // listing and fetch (acquire), push; listing, push (renew); push (release, from the view)
    expect(a.cache.signals).toEqual(Array(6).fill(signal));
  });

  it('a lock released between the listing and the fetch: nobody holds it; the fetch is told what is missing', async () => {
    const remote = new Remote();
    const zoe = machine(remote);
    await zoe.lock.acquire(lockOf('run-9', 'zoe'), { breakStale: false });
    const listed = remote.ref;
    await zoe.lock.release('run-9');
    const a = machine(remote);
    a.cache.staleListing = listed;
    expect(await a.lock.read()).toBeUndefined();
    expect(a.cache.described).toEqual({ missing: REF });
  });
});

describe('who holds a lock', () => {
  it('a holder process of another user (EPERM to a signal) is running: not abandoned', () => {
    vi.spyOn(process, 'kill').mockImplementation(() => {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    });
    const lock = { ...lockOf('run-9', 'zoe'), host: hostname(), pid: 4242 };
    expect(isAbandoned(lock)).toBe(false);
    vi.spyOn(process, 'kill').mockImplementation(() => {
      throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    });
    expect(isAbandoned(lock)).toBe(true);
  });
});

/** A step context over an in-memory lock. */
function stepContext(state: { held?: LockInfo }, dryRun = false) {
  const messages: StepMessage[] = [];
  const ctx = {
    run: { id: 'run-1', operator: 'alice', host: 'alice-laptop', dryRun, runbook: 'to-aws' },
    config: Config.parse({}),
    signal: new AbortController().signal,
    afterChanges: false,
    phase: 'apply',
    emit: (m: StepMessage) => messages.push(m),
    read: { git: { readLock: async () => state.held } },
    write: { git: { releaseLock: async () => false } },
  } as unknown as ApplyContext;
  return { ctx, messages };
}

describe('the lock steps', () => {
  const input = (extra: Record<string, unknown> = {}) =>
    lockAcquireStep.input.parse({ purpose: 'to-aws INC-7', ...extra });

  it('--break-lock plans an update of the ref, not converged', async () => {
    const { ctx } = stepContext({ held: expired('run-9', 'zoe') });
    const plan = await lockAcquireStep.plan(ctx, input({ breakLock: true }));
    expect(plan.changes.map((c) => [c.action, c.resource])).toEqual([['update', `git ref ${REF}`]]);
    expect(plan.converged).toBe(false);
  });

  it('a dry-run that finds the lock held fails the check named "lock free"', async () => {
    const { ctx } = stepContext({ held: lockOf('run-9', 'zoe') }, true);
    const plan = await lockAcquireStep.plan(ctx, input());
    expect(plan.checks?.map((c) => [c.name, c.ok])).toEqual([['lock free', false]]);
  });

  it('a release that finds the lock no longer this run`s says so', async () => {
    const { ctx, messages } = stepContext({});
    const plan = { summary: 's', changes: [], converged: false };
    expect((await lockReleaseStep.apply!(ctx, {}, plan)).outputs).toEqual({ released: false });
    expect(messages).toEqual([
      {
        level: 'warn',
        code: 'FO_LOCK_W4104',
        message: 'the run lock was no longer this run’s when releasing it (taken over or removed meanwhile)',
      },
    ]);
  });
});
