/**
 * The run lock's logic against an in-memory remote that keeps git's rules for the lock ref (a push
 * with a lease is a compare-and-swap; pushing nothing deletes the ref): who may take, renew and
 * release it, lost races, refusals, unreadable lock commits; and the lock steps' plans and
 * messages. The same behaviours against real git run in test/integration/git-lock.test.ts and
 * lock-takeover.test.ts; this file is what mutation testing runs, at unit-test speed.
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import type { FailoverError } from '../../src/engine/errors.js';
import { MissingRemoteRef } from '../../src/providers/git/cache.js';
import { describeLock, isAbandoned, isExpired, isStale, lockedError } from '../../src/providers/git/lock.js';
import type { LockInfo } from '../../src/providers/git/port.js';
import { lockAcquireStep } from '../../src/steps/lock/acquire.js';
import { lockReleaseStep } from '../../src/steps/lock/release.js';
import type { ApplyContext, StepMessage } from '../../src/steps/types.js';
import { expired, lockOf, machine, REF, Remote } from '../support/memory-lock-remote.js';

async function failure(promise: Promise<unknown>): Promise<FailoverError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: FailoverError) => error,
  );
}

describe('taking the lock', () => {
  it('a free lock: one push that must find no ref, of a parentless commit naming the holder', async () => {
    const remote = new Remote();
    const a = machine(remote);
    const lock = lockOf('run-1', 'alice');
    expect(await a.lock.acquire(lock, { breakStale: false })).toEqual({});
    expect(remote.pushes).toEqual([{ source: remote.ref, lease: '' }]);
    const [commit] = a.cache.detached;
    expect(commit?.file).toBe('lock.json');
    expect(JSON.parse(commit!.content)).toEqual(lock);
    expect(commit?.content).toBe(`${JSON.stringify(lock, null, 2)}\n`);
    expect(commit?.message).toBe(`failover lock: to-aws INC-7 by alice (run run-1)\n\n${commit?.content}`);
    expect(commit?.env).toEqual({
      GIT_AUTHOR_NAME: 'alice',
      GIT_AUTHOR_EMAIL: 'failover@localhost',
      GIT_COMMITTER_NAME: 'alice',
      GIT_COMMITTER_EMAIL: 'failover@localhost',
    });
    expect((await machine(remote).lock.read())?.info).toEqual(lock);
  });

  it('a lock without a purpose or operator still makes a readable commit', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.acquire({ ...lockOf('run-1', ''), purpose: '' }, { breakStale: false });
    expect(a.cache.detached[0]?.message.split('\n')[0]).toBe('failover lock: run by  (run run-1)');
    expect(a.cache.detached[0]?.env.GIT_AUTHOR_NAME).toBe('failover');
    expect(a.cache.detached[0]?.env.GIT_COMMITTER_NAME).toBe('failover');
  });

  it("another run's live lock: refused, breakStale or not, and nothing is pushed", async () => {
    const remote = new Remote();
    const held = lockOf('run-1', 'alice');
    await machine(remote).lock.acquire(held, { breakStale: false });
    const before = remote.ref;
    for (const breakStale of [false, true]) {
      const error = await failure(machine(remote).lock.acquire(lockOf('run-2', 'bob'), { breakStale }));
      expect(error.category).toBe('locked');
      expect(error.message).toBe(`locked by ${describeLock(held)}; purpose: to-aws INC-7`);
      expect(error.details).toMatchObject({ ref: REF });
    }
    expect(remote.ref).toBe(before);
    expect(remote.pushes).toHaveLength(1);
  });

  it('an expired lock: refused without breakStale; taken over with it, against that very lock', async () => {
    const remote = new Remote();
    const old = expired('run-1', 'alice');
    await machine(remote).lock.acquire(old, { breakStale: false });
    const oldSha = remote.ref;
    const b = machine(remote);
    expect((await failure(b.lock.acquire(lockOf('run-2', 'bob'), { breakStale: false }))).category).toBe(
      'locked',
    );
    expect(await b.lock.acquire(lockOf('run-2', 'bob'), { breakStale: true })).toEqual({ brokeLock: old });
    expect(remote.pushes.at(-1)?.lease).toBe(oldSha);
    expect((await b.lock.read())?.info.runId).toBe('run-2');
  });

  it('its own lock (a resumed run) is re-taken without breaking anything', async () => {
    const remote = new Remote();
    await machine(remote).lock.acquire(expired('run-1', 'alice'), { breakStale: false });
    const oldSha = remote.ref;
    const again = lockOf('run-1', 'alice');
    expect(await machine(remote).lock.acquire(again, { breakStale: false })).toEqual({});
    expect(remote.pushes.at(-1)?.lease).toBe(oldSha);
    expect((await machine(remote).lock.read())?.info).toEqual(again);
  });

  it('a lost race is tried again; after five lost races it says so, retryable', async () => {
    const remote = new Remote();
    remote.races = 1;
    expect(await machine(remote).lock.acquire(lockOf('run-1', 'alice'), { breakStale: false })).toEqual({});
    expect(remote.pushes).toHaveLength(2);

    const other = new Remote();
    other.races = 5;
    const error = await failure(machine(other).lock.acquire(lockOf('run-1', 'alice'), { breakStale: false }));
    expect(other.pushes).toHaveLength(5);
    expect(error.code).toBe('FO_LOCK_E4002');
    expect(error.message).toBe(`could not take the lock ${REF}: it kept changing during 5 attempts`);
    expect(error.retryable).toBe(true);
    expect(other.ref).toBeUndefined();
  });

  it('after five lost races, a lock another run holds is reported as held, not as a race', async () => {
    const remote = new Remote();
    const held = expired('run-9', 'zoe');
    await machine(remote).lock.acquire(held, { breakStale: false });
    remote.races = 5;
    // Expired, so breakStale lets it try; every try loses, and zoe still holds the lock.
    const lost = await failure(machine(remote).lock.acquire(lockOf('run-2', 'bob'), { breakStale: true }));
    expect(remote.pushes).toHaveLength(6);
    expect(lost.code).toBe('FO_LOCK_E4001');
    expect(lost.message).toContain('(run run-9)');
  });

  it('a refused push names the remote, the ref, what the remote said, and the fix', async () => {
    const remote = new Remote();
    remote.refuse = {
      detail: 'pre-receive hook declined',
      remote: ['refs outside branches are protected', 'ask an admin'],
    };
    const error = await failure(
      machine(remote).lock.acquire(lockOf('run-1', 'alice'), { breakStale: false }),
    );
    expect(error.code).toBe('FO_LOCK_E4003');
    expect(error.message).toBe(
      `the GitOps remote https://git.example.com/gitops.git refused the lock ref ${REF}: pre-receive hook declined / refs outside branches are protected / ask an admin`,
    );
    expect(error.hint).toContain(`allow pushing ${REF} to the repository`);
    expect(remote.pushes).toHaveLength(1);
  });
});

describe('renewing the lock', () => {
  it('its own lock: a new commit against the lock it holds, saying "renewed"', async () => {
    const remote = new Remote();
    const a = machine(remote);
    const lock = lockOf('run-1', 'alice');
    await a.lock.acquire(lock, { breakStale: false });
    const held = remote.ref;
    const later = { ...lock, expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
    expect(await a.lock.renew(later)).toBe(true);
    expect(remote.pushes.at(-1)).toEqual({ source: remote.ref, lease: held });
    expect(a.cache.detached.at(-1)?.message.split('\n')[0]).toBe(
      'failover lock: to-aws INC-7 by alice (run run-1), renewed',
    );
    expect((await machine(remote).lock.read())?.info).toEqual(later);
  });

  it('a lock another run has since taken over is left alone', async () => {
    const remote = new Remote();
    const first = machine(remote);
    const old = expired('run-1', 'alice');
    await first.lock.acquire(old, { breakStale: false });
    const taken = lockOf('run-2', 'bob');
    await machine(remote).lock.acquire(taken, { breakStale: true });
    const pushes = remote.pushes.length;
    expect(await first.lock.renew({ ...old, expiresAt: new Date(Date.now() + 60_000).toISOString() })).toBe(
      false,
    );
    expect(remote.pushes).toHaveLength(pushes);
    expect((await first.lock.read())?.info).toEqual(taken);
  });

  it('a released lock is not brought back', async () => {
    const remote = new Remote();
    const a = machine(remote);
    const lock = lockOf('run-1', 'alice');
    await a.lock.acquire(lock, { breakStale: false });
    await a.lock.release('run-1');
    expect(await a.lock.renew(lock)).toBe(false);
    expect(remote.ref).toBeUndefined();
    expect(remote.pushes).toHaveLength(2);
  });

  it('a renewal that loses a race says so', async () => {
    const remote = new Remote();
    const a = machine(remote);
    const lock = lockOf('run-1', 'alice');
    await a.lock.acquire(lock, { breakStale: false });
    remote.races = 1;
    expect(await a.lock.renew(lock)).toBe(false);
  });
});

describe('releasing the lock', () => {
  it('deletes its own lock (pushing nothing, against the lock it holds)', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    const held = remote.ref;
    expect(await a.lock.release('run-1')).toBe(true);
    expect(remote.pushes.at(-1)).toEqual({ source: '', lease: held });
    expect(remote.ref).toBeUndefined();
    expect(await a.lock.release('run-1')).toBe(false);
  });

  it("never another run's", async () => {
    const remote = new Remote();
    await machine(remote).lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    const held = remote.ref;
    expect(await machine(remote).lock.release('run-2')).toBe(false);
    expect(remote.ref).toBe(held);
    expect(remote.pushes).toHaveLength(1);
  });

  it('tries again after a lost race, gives up after five', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    remote.races = 2;
    expect(await a.lock.release('run-1')).toBe(true);
    expect(remote.pushes).toHaveLength(4);

    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    remote.races = 4;
    expect(await a.lock.release('run-1')).toBe(true);

    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    remote.races = 5;
    expect(await a.lock.release('run-1')).toBe(false);
    expect(remote.ref).toBeDefined();
  });

  it('right after taking it, or after a read, releases without listing the ref again', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    const reads = a.cache.reads;
    expect(await a.lock.release('run-1')).toBe(true);
    expect(a.cache.reads).toBe(reads);
    expect(remote.ref).toBeUndefined();

    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    await a.lock.read();
    const afterRead = a.cache.reads;
    expect(await a.lock.release('run-1')).toBe(true);
    expect(a.cache.reads).toBe(afterRead);
  });

  it('a view that is out of date costs one refused lease; the fresh read decides', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.acquire(lockOf('run-1', 'alice', -1000), { breakStale: false });
    const ours = remote.ref;
    // Expired: another machine breaks it. This process still remembers its own lock.
    await machine(remote).lock.acquire(lockOf('run-2', 'bob'), { breakStale: true });
    const theirs = remote.ref;
    const pushes = remote.pushes.length;
    expect(await a.lock.release('run-1')).toBe(false);
    expect(remote.pushes.slice(pushes)).toEqual([{ source: '', lease: ours }]);
    expect(remote.ref).toBe(theirs);
    // Nor does a remembered "free" take a lock that is held: the lease fails and the read says who.
    const c = machine(remote);
    remote.ref = undefined;
    await c.lock.read();
    remote.ref = theirs;
    const lost = await failure(c.lock.acquire(lockOf('run-3', 'carol'), { breakStale: false }));
    expect(lost.code).toBe('FO_LOCK_E4001');
    expect(lost.message).toContain('(run run-2)');
    expect(remote.ref).toBe(theirs);
  });

  it('a refused delete is an error, not a silent false', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    remote.refuse = { detail: 'denied', remote: [] };
    const error = await failure(a.lock.release('run-1'));
    expect(error.code).toBe('FO_LOCK_E4003');
    expect(error.message).toMatch(/refused the lock ref refs\/failover\/lock: denied$/);
  });
});

describe('reading the lock', () => {
  it('nobody holds it: undefined, nothing fetched', async () => {
    const a = machine(new Remote());
    expect(await a.lock.read()).toBeUndefined();
    expect(a.cache.fetches).toBe(0);
  });

  it('fetches a lock commit it does not have; uses one it has without fetching', async () => {
    const remote = new Remote();
    const a = machine(remote);
    await a.lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    expect((await a.lock.read())?.sha).toBe(remote.ref);
    expect(a.cache.fetches).toBe(0);
    const b = machine(remote);
    expect((await b.lock.read())?.sha).toBe(remote.ref);
    expect(b.cache.fetches).toBe(1);
  });

  it('released between the listing and the fetch: nobody holds it', async () => {
    const remote = new Remote();
    await machine(remote).lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    const b = machine(remote);
    b.cache.fetchError = new MissingRemoteRef('gone');
    expect(await b.lock.read()).toBeUndefined();
    b.cache.fetchError = new Error('network down');
    await expect(b.lock.read()).rejects.toThrow('network down');
  });

  it('the fetched commit is read from the local ref, or the advertised one when that is missing', async () => {
    const remote = new Remote();
    await machine(remote).lock.acquire(lockOf('run-1', 'alice'), { breakStale: false });
    const b = machine(remote);
    b.cache.localRefLost = true;
    expect((await b.lock.read())?.sha).toBe(remote.ref);
  });

  it('a lock.json it cannot use falls back to the JSON in the commit message', async () => {
    const remote = new Remote();
    const lock = lockOf('run-1', 'alice');
    remote.ref = remote.add({
      file: 'lock.json',
      content: 'not json {',
      message: `failover lock: x\n\n${JSON.stringify(lock)}`,
    });
    expect((await machine(remote).lock.read())?.info).toEqual(lock);
    remote.ref = remote.add({ file: 'lock.json', content: JSON.stringify({ runId: 1 }), message: 'no json' });
    expect((await machine(remote).lock.read())?.info.runId).toBe('unknown');
  });

  it('a lock without a purpose reads with an empty one; a pid is kept', async () => {
    const remote = new Remote();
    const { purpose: _purpose, ...rest } = lockOf('run-1', 'alice');
    remote.ref = remote.add({ file: 'lock.json', content: JSON.stringify({ ...rest, pid: 42 }) });
    expect((await machine(remote).lock.read())?.info).toEqual({ ...rest, purpose: '', pid: 42 });
  });

  it('a ref it cannot read at all is an expired lock of an unknown holder, dated by its commit', async () => {
    const remote = new Remote();
    remote.ref = remote.add({ message: 'someone else', date: '2026-01-02T03:04:05.000Z' });
    const unknown = {
      runId: 'unknown',
      operator: 'unknown',
      host: 'unknown',
      startedAt: '2026-01-02T03:04:05.000Z',
      expiresAt: '2026-01-02T03:04:05.000Z',
      purpose: '',
    };
    expect((await machine(remote).lock.read())?.info).toEqual(unknown);
    remote.ref = remote.add({});
    expect((await machine(remote).lock.read())?.info.startedAt).toBe(new Date(0).toISOString());
    // --break-lock can take it.
    expect(await machine(remote).lock.acquire(lockOf('run-2', 'bob'), { breakStale: true })).toMatchObject({
      brokeLock: { runId: 'unknown' },
    });
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
    expect(isStale(live, Date.parse(live.expiresAt))).toBe(true);
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

/** A step context over an in-memory lock: reads and writes go to `state.held`. */
function stepContext(
  state: { held?: LockInfo },
  options: { dryRun?: boolean; gitops?: Record<string, unknown> } = {},
) {
  const messages: StepMessage[] = [];
  const calls: string[] = [];
  const config = Config.parse(
    options.gitops ? { gitops: { repo: 'https://git.example.com/g.git', ...options.gitops } } : {},
  );
  const ctx = {
    run: {
      id: 'run-1',
      operator: 'alice',
      host: 'alice-laptop',
      dryRun: options.dryRun ?? false,
      runbook: 'to-aws',
    },
    config,
    signal: new AbortController().signal,
    afterChanges: false,
    phase: 'apply',
    emit: (m: StepMessage) => messages.push(m),
    sleep: async () => {},
    confirm: async () => true,
    read: { git: { readLock: async () => state.held } },
    write: {
      git: {
        acquireLock: async (lock: LockInfo, o: { breakStale: boolean }) => {
          calls.push(`acquire ${lock.runId} breakStale=${o.breakStale}`);
          const broke = state.held && state.held.runId !== lock.runId ? state.held : undefined;
          state.held = lock;
          return broke ? { brokeLock: broke } : {};
        },
        releaseLock: async (runId: string) => {
          calls.push(`release ${runId}`);
          const ours = state.held?.runId === runId;
          if (ours) delete state.held;
          return ours;
        },
      },
    },
  } as unknown as ApplyContext;
  return { ctx, messages, calls };
}

describe('lock.acquire', () => {
  const input = (extra: Record<string, unknown> = {}) =>
    lockAcquireStep.input.parse({ purpose: 'to-aws INC-7', ...extra });

  it('plans "lock free" and takes the lock for the configured time', async () => {
    const state: { held?: LockInfo } = {};
    const { ctx, messages } = stepContext(state, {
      gitops: { lockTtl: '45m', lockRef: 'refs/failover/ops-lock' },
    });
    const plan = await lockAcquireStep.plan(ctx, input());
    expect(plan).toEqual({
      summary: 'take the run lock refs/failover/ops-lock for 45m00s',
      changes: [
        {
          action: 'create',
          resource: 'git ref refs/failover/ops-lock',
          summary: 'lock for alice (run run-1) on alice-laptop for 45m00s: to-aws INC-7',
        },
      ],
      checks: [{ name: 'lock free', ok: true }],
      converged: false,
    });
    const before = Date.now();
    const result = await lockAcquireStep.apply!(ctx, input(), plan);
    const held = state.held!;
    expect(held).toMatchObject({
      runId: 'run-1',
      operator: 'alice',
      host: 'alice-laptop',
      purpose: 'to-aws INC-7',
      pid: process.pid,
    });
    expect(Date.parse(held.expiresAt) - Date.parse(held.startedAt)).toBe(45 * 60_000);
    expect(Date.parse(held.startedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(result.outputs).toEqual({ ref: 'refs/failover/ops-lock', ...held });
    expect(messages).toEqual([
      {
        level: 'info',
        code: 'FO_LOCK_I4102',
        message: `run lock refs/failover/ops-lock taken until ${held.expiresAt}`,
      },
    ]);
  });

  it('the default ref and time to live: refs/failover/lock for 30m; an input ttl wins', async () => {
    const { ctx } = stepContext({});
    expect((await lockAcquireStep.plan(ctx, input())).summary).toBe(
      'take the run lock refs/failover/lock for 30m00s',
    );
    expect((await lockAcquireStep.plan(ctx, input({ ttl: '2h' }))).summary).toBe(
      'take the run lock refs/failover/lock for 120m00s',
    );
  });

  it('its own lock (resume): an update, planned as free, expired or not', async () => {
    const state = { held: { ...lockOf('run-1', 'alice') } };
    const { ctx } = stepContext(state);
    const plan = await lockAcquireStep.plan(ctx, input());
    expect(plan.summary).toBe(
      `this run holds the run lock (until ${state.held.expiresAt}): re-take it for 30m00s`,
    );
    expect(plan.changes[0]?.action).toBe('update');
    expect(plan.checks).toEqual([{ name: 'lock free', ok: true, detail: 'held by this run' }]);
    expect(plan.converged).toBe(false);
    const old = stepContext({ held: expired('run-1', 'alice') });
    const again = await lockAcquireStep.plan(old.ctx, input());
    expect(again.summary).toBe("re-take this run's expired lock refs/failover/lock for 30m00s");
    expect(again.checks?.[0]?.detail).toBe('held by this run (expired)');
  });

  it("another run's lock: a locked error in a real run, a failed check in a dry-run", async () => {
    const held = lockOf('run-9', 'zoe');
    const real = stepContext({ held });
    expect((await failure(lockAcquireStep.plan(real.ctx, input()))).category).toBe('locked');
    const dry = stepContext({ held }, { dryRun: true });
    const plan = await lockAcquireStep.plan(dry.ctx, input());
    expect(plan.summary).toBe(
      `the run lock refs/failover/lock is held: locked by ${describeLock(held)}; purpose: to-aws INC-7`,
    );
    expect(plan.checks?.[0]?.ok).toBe(false);
    expect(plan.checks?.[0]?.detail).toMatch(/^locked by .* \(wait for that run to finish/);
    expect(plan.changes[0]?.action).toBe('create');
    expect(plan.converged).toBe(false);
    // An expired lock without breakLock is refused too.
    const old = stepContext({ held: expired('run-9', 'zoe') }, { dryRun: true });
    expect((await lockAcquireStep.plan(old.ctx, input())).checks?.[0]?.ok).toBe(false);
    // breakLock does not take a live lock.
    expect((await failure(lockAcquireStep.plan(real.ctx, input({ breakLock: true })))).category).toBe(
      'locked',
    );
  });

  it('breakLock on an expired lock: planned loudly, taken with a warning naming the old holder', async () => {
    const old = expired('run-9', 'zoe');
    const state: { held?: LockInfo } = { held: old };
    const { ctx, messages, calls } = stepContext(state);
    const plan = await lockAcquireStep.plan(ctx, input({ breakLock: true }));
    expect(plan.summary).toBe('BREAK the expired run lock of zoe (run run-9) and take it for 30m00s');
    expect(plan.warnings).toEqual([
      `--break-lock: the expired lock of ${describeLock(old)} will be taken over`,
    ]);
    expect(plan.changes[0]?.summary).toMatch(/\(replaces the expired lock of run run-9\)$/);
    expect(plan.checks?.[0]).toEqual({
      name: 'lock free',
      ok: true,
      detail: `expired lock of ${describeLock(old)} is broken`,
    });
    const result = await lockAcquireStep.apply!(ctx, input({ breakLock: true }), plan);
    expect(calls).toEqual(['acquire run-1 breakStale=true']);
    expect(messages[0]).toMatchObject({ level: 'warn', code: 'FO_LOCK_W4101', data: { brokeLock: old } });
    expect(messages[0]?.message).toBe(
      `BROKE THE RUN LOCK of ${describeLock(old)} (--break-lock); this run run-1 holds it now`,
    );
    expect(result.outputs?.brokeLock).toEqual(old);
  });

  it('breakLock on an abandoned lock says abandoned', async () => {
    const gone = { ...lockOf('run-9', 'zoe'), host: hostname(), pid: 2 ** 30 };
    const { ctx } = stepContext({ held: gone });
    const plan = await lockAcquireStep.plan(ctx, input({ breakLock: true }));
    expect(plan.summary).toBe('BREAK the abandoned run lock of zoe (run run-9) and take it for 30m00s');
  });
});

describe('lock.release', () => {
  it('plans the delete of its own lock and releases it', async () => {
    const state: { held?: LockInfo } = { held: lockOf('run-1', 'alice') };
    const { ctx, messages } = stepContext(state);
    const plan = await lockReleaseStep.plan(ctx, {});
    expect(plan).toEqual({
      summary: 'release the run lock refs/failover/lock',
      changes: [{ action: 'delete', resource: 'git ref refs/failover/lock', summary: 'lock of run run-1' }],
      converged: false,
    });
    expect((await lockReleaseStep.apply!(ctx, {}, plan)).outputs).toEqual({ released: true });
    expect(messages).toEqual([{ level: 'info', code: 'FO_LOCK_I4103', message: 'run lock released' }]);
  });

  it("another run's lock, or none: converged, nothing to do", async () => {
    const other = lockOf('run-9', 'zoe');
    const held = await lockReleaseStep.plan(stepContext({ held: other }).ctx, {});
    expect(held).toEqual({
      summary: `the run lock is not this run's (held by ${describeLock(other)})`,
      changes: [],
      converged: true,
      outputs: { released: false },
    });
    expect((await lockReleaseStep.plan(stepContext({}).ctx, {})).summary).toBe('the run lock is free');
  });

  it('after changes it plans to release without reading; a lock taken over meanwhile is a warning', async () => {
    const state: { held?: LockInfo } = { held: lockOf('run-9', 'zoe') };
    const { ctx, messages } = stepContext(state);
    const plan = await lockReleaseStep.plan({ ...ctx, afterChanges: true }, {});
    expect(plan).toEqual({
      summary: 'release the run lock if this run holds it',
      changes: [],
      converged: false,
    });
    expect((await lockReleaseStep.apply!(ctx, {}, plan)).outputs).toEqual({ released: false });
    expect(messages[0]).toMatchObject({ level: 'warn', code: 'FO_LOCK_W4104' });
    expect(state.held?.runId).toBe('run-9');
  });
});
