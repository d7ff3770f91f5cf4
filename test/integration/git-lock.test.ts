/**
 * The run lock in a real (temporary, bare) git remote: two runs at once, expiry and --break-lock,
 * release of one's own lock only, resume, a lock ref that is not ours to read; the lock steps; and
 * whole runs through the engine: a held lock stops a second run with exit code 4, and `finally`
 * releases the lock after a failure and after Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForOutcome } from '../../src/cli/exit-codes.js';
import { FailoverError } from '../../src/engine/errors.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { createGitReader, createGitWriter } from '../../src/providers/git/adapter.js';
import { isAbandoned } from '../../src/providers/git/lock.js';
import type { LockInfo } from '../../src/providers/git/port.js';
import { createPorts } from '../../src/providers/index.js';
import { createGitRemote, git } from '../../src/sandbox/gitops-demo/index.js';
import { lockAcquireStep } from '../../src/steps/lock/acquire.js';
import { lockReleaseStep } from '../../src/steps/lock/release.js';
import { createRegistry } from '../../src/steps/registry.js';
import { adapterOptions } from '../fixtures/gitops/harness.js';
import { failure } from '../support/failure.js';
import { stepContext } from '../support/step-context.js';
import { run } from '../unit/engine/fakes.js';

const REF = 'refs/failover/lock';
let work: string;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-git-lock-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function newRemote(): Promise<string> {
  return (await createGitRemote({ dir: join(work, `r${++counter}`) })).remote;
}

/** One "machine": its own state directory, so its own cache clone. */
function machine(remote: string, name: string) {
  const options = adapterOptions({ repo: remote, stateDir: join(work, `state-${counter}-${name}`) });
  return { options, reader: createGitReader(options), writer: createGitWriter(options) };
}

function lockOf(runId: string, operator: string, ttlMs = 30 * 60_000, startedAt = Date.now()): LockInfo {
  return {
    runId,
    operator,
    host: `${operator}-laptop`,
    startedAt: new Date(startedAt).toISOString(),
    expiresAt: new Date(startedAt + ttlMs).toISOString(),
    purpose: 'to-aws INC-42',
  };
}

async function remoteLockSha(remote: string): Promise<string | undefined> {
  const out = (await git(['--git-dir', remote, 'for-each-ref', '--format=%(objectname)', REF])).stdout.trim();
  return out || undefined;
}

describe('run lock (adapter)', () => {
  it('two runs at once from two machines: exactly one wins, the other is told who holds it', async () => {
    const remote = await newRemote();
    const [a, b] = [machine(remote, 'a'), machine(remote, 'b')];
    const results = await Promise.allSettled([
      a.writer.acquireLock(lockOf('run-a', 'alice'), { breakStale: false }),
      b.writer.acquireLock(lockOf('run-b', 'bob'), { breakStale: false }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const error = lost[0]!.reason as FailoverError;
    expect(FailoverError.is(error)).toBe(true);
    expect(error.category).toBe('locked');
    expect(error.code).toBe('FO_LOCK_E4001');
    const holder = (await a.reader.readLock())!;
    expect(error.message).toBe(
      `locked by ${holder.operator} (run ${holder.runId}) on ${holder.host} since ${holder.startedAt}, expires ${holder.expiresAt}; purpose: to-aws INC-42`,
    );
    expect(error.hint).toMatch(/--break-lock/);
    expect(results[holder.runId === 'run-a' ? 0 : 1]!.status).toBe('fulfilled');
  });

  it('two runs at once on the same machine (one cache clone): exactly one wins', async () => {
    const remote = await newRemote();
    const a = machine(remote, 'shared');
    const other = createGitWriter(
      adapterOptions({ repo: remote, stateDir: join(work, `state-${counter}-shared`) }),
    );
    const results = await Promise.allSettled([
      a.writer.acquireLock(lockOf('run-1', 'alice'), { breakStale: false }),
      other.acquireLock(lockOf('run-2', 'alice'), { breakStale: false }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect((lost!.reason as FailoverError).category).toBe('locked');
  });

  it('reads the lock back: run id, operator, host, start, expiry, purpose', async () => {
    const remote = await newRemote();
    const a = machine(remote, 'a');
    expect(await a.reader.readLock()).toBeUndefined();
    const lock = lockOf('run-a', 'alice');
    await a.writer.acquireLock(lock, { breakStale: false });
    expect(await machine(remote, 'reader').reader.readLock()).toEqual(lock);
    // The ref is a parentless commit that carries lock.json.
    const sha = (await remoteLockSha(remote))!;
    expect((await git(['--git-dir', remote, 'rev-list', '--count', sha])).stdout.trim()).toBe('1');
    expect(
      JSON.parse((await git(['--git-dir', remote, 'cat-file', 'blob', `${sha}:lock.json`])).stdout),
    ).toEqual(lock);
  });

  it('an expired lock: refused without breakStale, taken over with it (and says whose it was)', async () => {
    const remote = await newRemote();
    const [a, b] = [machine(remote, 'a'), machine(remote, 'b')];
    const stale = lockOf('run-a', 'alice', 60_000, Date.now() - 2 * 60 * 60_000);
    await a.writer.acquireLock(stale, { breakStale: false });

    const refused = await failure(b.writer.acquireLock(lockOf('run-b', 'bob'), { breakStale: false }));
    expect(refused.category).toBe('locked');
    expect(refused.message).toContain('(expired)');
    expect(refused.hint).toMatch(/has expired.*--break-lock/);

    const taken = await b.writer.acquireLock(lockOf('run-b', 'bob'), { breakStale: true });
    expect(taken.brokeLock).toEqual(stale);
    // Read from a third machine: a's own view of its push stands for a moment (FRESH_MS).
    expect((await machine(remote, 'c').reader.readLock())?.runId).toBe('run-b');
  });

  it('breakStale does not take a lock that has not expired', async () => {
    const remote = await newRemote();
    const [a, b] = [machine(remote, 'a'), machine(remote, 'b')];
    await a.writer.acquireLock(lockOf('run-a', 'alice'), { breakStale: false });
    const error = await failure(b.writer.acquireLock(lockOf('run-b', 'bob'), { breakStale: true }));
    expect(error.category).toBe('locked');
    expect(error.message).toContain('run run-a');
  });

  /** The pid of a process that has exited (spawned and awaited here). */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', '0']);
    return child.pid;
  }

  it('an abandoned lock (its process gone on this host) is refused without breakStale, taken with it', async () => {
    const remote = await newRemote();
    const [a, b] = [machine(remote, 'a'), machine(remote, 'b')];
    const crashed = { ...lockOf('run-a', 'alice'), host: hostname(), pid: deadPid() };
    await a.writer.acquireLock(crashed, { breakStale: false });

    const refused = await failure(b.writer.acquireLock(lockOf('run-b', 'bob'), { breakStale: false }));
    expect(refused.category).toBe('locked');
    expect(refused.message).toContain(`abandoned: process ${crashed.pid} is no longer running`);
    expect(refused.hint).toContain('failover resume run-a');
    expect(refused.hint).toContain('--break-lock');

    const taken = await b.writer.acquireLock(lockOf('run-b', 'bob'), { breakStale: true });
    expect(taken.brokeLock).toEqual(crashed);
    expect((await machine(remote, 'c').reader.readLock())?.runId).toBe('run-b');
  });

  it('breakStale leaves a live lock alone: its process runs here, or it was taken on another host', async () => {
    const remote = await newRemote();
    const [a, b] = [machine(remote, 'a'), machine(remote, 'b')];
    const live = { ...lockOf('run-a', 'alice'), host: hostname(), pid: process.pid };
    await a.writer.acquireLock(live, { breakStale: false });
    expect((await failure(b.writer.acquireLock(lockOf('run-b', 'bob'), { breakStale: true }))).category).toBe(
      'locked',
    );

    const elsewhere = { ...lockOf('run-c', 'carol'), host: 'carols-laptop', pid: deadPid() };
    expect(isAbandoned(elsewhere)).toBe(false);
    expect(isAbandoned({ ...elsewhere, host: hostname() })).toBe(true);
    expect(isAbandoned({ ...elsewhere, host: hostname(), pid: undefined })).toBe(false);
  });

  it('a remote URL that looks like a git option is passed as a URL, never run as a command', async () => {
    const marker = join(work, `pwned-${++counter}`);
    // The config schema refuses such a value; this checks the second line of defence behind it.
    const safe = machine(await newRemote(), 'hostile');
    const options = { ...safe.options, config: { ...safe.options.config } };
    options.config.gitops = { ...options.config.gitops!, repo: `--upload-pack=touch ${marker}@x:y` };
    const hostile = { reader: createGitReader(options), writer: createGitWriter(options) };
    await expect(hostile.reader.readLock()).rejects.toThrow();
    await expect(
      hostile.writer.acquireLock(lockOf('run-x', 'mallory'), { breakStale: false }),
    ).rejects.toThrow();
    // git would run `touch MARKER@x:y …` as the upload-pack program.
    expect(readdirSync(work).filter((name) => name.startsWith(basename(marker)))).toEqual([]);
  });

  // Wall-clock renewal cadence: too tight for a machine busy with mutation testing, which skips it.
  it.skipIf(process.env.STRYKER_MUTATOR_WORKER !== undefined)(
    'a live run renews its lock, so it never expires under it; release stops the renewal',
    async () => {
      const remote = await newRemote();
      const [a, b] = [machine(remote, 'a'), machine(remote, 'b')];
      // A ttl with room for a slow push between renewals on a loaded machine.
      const lock = lockOf('run-a', 'alice', 3000);
      await a.writer.acquireLock(lock, { breakStale: false });
      // Past the first expiry: renewed (every ttl/3), still held, and --break-lock cannot take it.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const held = await b.reader.readLock();
      expect(held?.runId).toBe('run-a');
      expect(Date.parse(held!.expiresAt)).toBeGreaterThan(Date.now());
      const refused = await failure(b.writer.acquireLock(lockOf('run-b', 'bob'), { breakStale: true }));
      expect(refused.category).toBe('locked');

      expect(await a.writer.releaseLock('run-a')).toBe(true);
      // No renewal brings it back after the release.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(await remoteLockSha(remote)).toBeUndefined();
    },
  );

  it('release deletes only our own lock', async () => {
    const remote = await newRemote();
    const [a, b] = [machine(remote, 'a'), machine(remote, 'b')];
    await a.writer.acquireLock(lockOf('run-a', 'alice'), { breakStale: false });
    expect(await b.writer.releaseLock('run-b')).toBe(false);
    expect(await remoteLockSha(remote)).toBeDefined();
    expect(await a.writer.releaseLock('run-a')).toBe(true);
    expect(await remoteLockSha(remote)).toBeUndefined();
    expect(await a.writer.releaseLock('run-a')).toBe(false);
  });

  it('a resumed run re-takes its own lock (new expiry, nothing broken)', async () => {
    const remote = await newRemote();
    const [first, resumed] = [machine(remote, 'first'), machine(remote, 'resumed')];
    await first.writer.acquireLock(lockOf('run-a', 'alice', 60_000, Date.now() - 10 * 60_000), {
      breakStale: false,
    });
    const again = lockOf('run-a', 'alice');
    expect(await resumed.writer.acquireLock(again, { breakStale: false })).toEqual({});
    expect(await resumed.reader.readLock()).toEqual(again);
  });

  it('a lock ref it cannot read counts as an expired lock of an unknown holder', async () => {
    const remote = await newRemote();
    await git(['--git-dir', remote, 'update-ref', REF, 'refs/heads/main']);
    const a = machine(remote, 'a');
    const held = await a.reader.readLock();
    expect(held).toMatchObject({ runId: 'unknown', operator: 'unknown' });
    expect(Date.parse(held!.expiresAt)).toBeLessThanOrEqual(Date.now());
    const taken = await a.writer.acquireLock(lockOf('run-a', 'alice'), { breakStale: true });
    expect(taken.brokeLock?.runId).toBe('unknown');
  });
});

describe('lock steps', () => {
  function context(options: ReturnType<typeof machine>['options'], runId: string, dryRun: boolean) {
    return stepContext(options, {
      id: runId,
      operator: 'alice',
      dryRun,
      host: 'laptop',
      incident: 'INC-42',
    });
  }

  it('are registered', () => {
    const registry = createRegistry();
    expect(registry.get('lock.acquire')).toBe(lockAcquireStep);
    expect(registry.get('lock.release')).toBe(lockReleaseStep);
  });

  it('acquire: plans "lock free", takes it, re-takes it for the same run; release gives it back', async () => {
    const remote = await newRemote();
    const { options } = machine(remote, 'a');
    const { ctx, messages } = context(options, 'run-a', false);
    const input = lockAcquireStep.input.parse({ purpose: 'to-aws INC-42', ttl: '10m' });
    const plan = await lockAcquireStep.plan(ctx, input);
    expect(plan.checks).toEqual([{ name: 'lock free', ok: true }]);
    expect(plan.converged).toBe(false);
    const result = await lockAcquireStep.apply!(ctx, input, plan);
    expect(result.outputs).toMatchObject({
      ref: REF,
      runId: 'run-a',
      operator: 'alice',
      host: 'laptop',
      purpose: 'to-aws INC-42',
    });
    const outputs = result.outputs as { startedAt: string; expiresAt: string };
    expect(Date.parse(outputs.expiresAt) - Date.parse(outputs.startedAt)).toBe(10 * 60_000);
    expect(messages.map((m) => m.code)).toEqual(['FO_LOCK_I4102']);
    // The same run again (a resume): it re-takes its own lock, for a fresh expiry and renewal.
    const again = await lockAcquireStep.plan(ctx, input);
    expect(again).toMatchObject({
      converged: false,
      checks: [{ name: 'lock free', ok: true, detail: 'held by this run' }],
    });
    expect(again.summary).toMatch(/^this run holds the run lock \(until .*\): re-take it for 10m/);

    const release = await lockReleaseStep.plan(ctx, {});
    expect(release.converged).toBe(false);
    expect(await lockReleaseStep.apply!(ctx, {}, release)).toEqual({ outputs: { released: true } });
    expect(await remoteLockSha(remote)).toBeUndefined();
    expect(await lockReleaseStep.plan(ctx, {})).toMatchObject({
      converged: true,
      summary: 'the run lock is free',
    });
  });

  it('a lock held by another run: a failed check in a dry-run, a `locked` error in a real run', async () => {
    const remote = await newRemote();
    const holder = machine(remote, 'holder');
    await holder.writer.acquireLock(lockOf('run-a', 'alice'), { breakStale: false });
    const input = lockAcquireStep.input.parse({ purpose: 'drill' });

    const dry = await lockAcquireStep.plan(context(holder.options, 'run-b', true).ctx, input);
    expect(dry.checks?.[0]).toMatchObject({ name: 'lock free', ok: false });
    expect(dry.checks?.[0]?.detail).toContain('locked by alice (run run-a) on alice-laptop');

    const error = await failure(lockAcquireStep.plan(context(holder.options, 'run-b', false).ctx, input));
    expect(error).toMatchObject({ category: 'locked', code: 'FO_LOCK_E4001' });
    expect(await lockReleaseStep.plan(context(holder.options, 'run-b', false).ctx, {})).toMatchObject({
      converged: true,
    });
  });

  it('breakLock on an expired lock: planned loudly, taken with a warning naming the old holder', async () => {
    const remote = await newRemote();
    const holder = machine(remote, 'holder');
    await holder.writer.acquireLock(lockOf('run-a', 'alice', 1_000, Date.now() - 60_000), {
      breakStale: false,
    });
    const { ctx, messages } = context(machine(remote, 'b').options, 'run-b', false);
    const input = lockAcquireStep.input.parse({ purpose: 'to-aws', breakLock: true });
    const plan = await lockAcquireStep.plan(ctx, input);
    expect(plan.summary).toMatch(/^BREAK the expired run lock of alice \(run run-a\)/);
    expect(plan.warnings?.[0]).toMatch(/--break-lock/);
    const result = await lockAcquireStep.apply!(ctx, input, plan);
    expect(result.outputs?.brokeLock).toMatchObject({ runId: 'run-a', operator: 'alice' });
    expect(messages[0]).toMatchObject({ level: 'warn', code: 'FO_LOCK_W4101' });
    expect(messages[0]?.message).toMatch(/^BROKE THE RUN LOCK of alice \(run run-a\)/);
  });
});

describe('lock in whole runs (engine)', () => {
  const RUNBOOK = (middle: string) => `
name: locked-run
steps:
  - id: lock
    uses: lock.acquire
    with: { purpose: "test run" }
${middle}
finally:
  - id: unlock
    uses: lock.release
`;

  it('a second run stops with exit code 4 while the first holds the lock; finally leaves that lock alone', async () => {
    const remote = await newRemote();
    const holder = machine(remote, 'holder');
    await holder.writer.acquireLock(lockOf('run-a', 'alice'), { breakStale: false });
    const second = machine(remote, 'second');
    const { result } = await run(RUNBOOK('  - { id: work, uses: note, with: { message: work } }'), {
      ports: createPorts(second.options),
      config: second.options.config,
      runId: '20260101T000000Z-bbbb',
    });
    expect(result.outcome).toBe('failed');
    expect(result.error?.category).toBe('locked');
    expect(exitCodeForOutcome(result.outcome, result.error?.category)).toBe(4);
    expect(result.error?.message).toContain('locked by alice (run run-a)');
    expect((await holder.reader.readLock())?.runId).toBe('run-a');
  });

  it('releases the lock in finally after a failed step', async () => {
    const remote = await newRemote();
    const m = machine(remote, 'a');
    const { result } = await run(RUNBOOK('  - { id: boom, uses: test.fail, with: { key: boom } }'), {
      ports: createPorts(m.options),
      config: m.options.config,
    });
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['boom']);
    expect(result.outputs.unlock).toEqual({ released: true });
    expect(await remoteLockSha(remote)).toBeUndefined();
  });

  it('releases the lock in finally after Ctrl-C', async () => {
    const remote = await newRemote();
    const m = machine(remote, 'a');
    const interrupt = new AbortController();
    const events: EngineEvent[] = [];
    const { result } = await run(RUNBOOK('  - { id: nap, uses: test.sleep, with: { ms: 20000 } }'), {
      ports: createPorts(m.options),
      config: m.options.config,
      interrupt: interrupt.signal,
      interruptGraceMs: 100,
      emit: (event) => {
        events.push(event);
        if (event.type === 'step.succeeded' && event.stepId === 'lock') interrupt.abort('SIGINT');
      },
    });
    expect(result.outcome).toBe('interrupted');
    expect(events.some((e) => e.type === 'step.succeeded' && e.stepId === 'unlock')).toBe(true);
    expect(await remoteLockSha(remote)).toBeUndefined();
  });
});
