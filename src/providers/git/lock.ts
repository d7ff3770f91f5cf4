/**
 * The run lock: a ref in the GitOps remote (default `refs/failover/lock`) pointing at a parentless
 * commit whose `lock.json` (and message) say who holds it. Git updates a ref atomically and a push
 * with `--force-with-lease=<ref>:<expected>` is a compare-and-swap the remote checks under its ref
 * lock, so of two runs that try at once exactly one wins. The remote is already required and lives
 * outside both clouds.
 */
import { hostname } from 'node:os';
import { FailoverError, stepFailed } from '../../engine/errors.js';
import { z } from '../../util/zod.js';
import { type GitCache, MissingRemoteRef } from './cache.js';
import { displayUrl } from './cli.js';
import { auditLine } from './message.js';
import type { LockInfo } from './port.js';
import type { ReadMode } from './remote-view.js';

const LOCK_FILE = 'lock.json';
/** Where a fetched lock commit is kept in the cache. */
const LOCAL_LOCK_REF = 'refs/failover-cache/lock';
const CAS_ATTEMPTS = 5;

const LockJson = z.object({
  runId: z.string(),
  operator: z.string(),
  host: z.string(),
  startedAt: z.string(),
  expiresAt: z.string(),
  purpose: z.string().default(''),
  pid: z.number().int().positive().optional(),
});

export interface HeldLock {
  sha: string;
  info: LockInfo;
}

export function isExpired(lock: LockInfo, now = Date.now()): boolean {
  const expires = Date.parse(lock.expiresAt);
  return Number.isNaN(expires) || expires <= now;
}

/** Whether a process with this id runs on this machine (EPERM: it runs, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Held by a run on this very machine whose process is gone (a crash, a SIGKILL, a closed laptop
 * lid that ended the session). Only decidable on the holder's host; elsewhere the expiry decides.
 */
export function isAbandoned(lock: LockInfo, host = hostname(), alive = processAlive): boolean {
  return lock.pid !== undefined && lock.host === host && !alive(lock.pid);
}

/** What `--break-lock` may take over: an expired or an abandoned lock, never a live one. */
export function isStale(lock: LockInfo, now = Date.now()): boolean {
  return isExpired(lock, now) || isAbandoned(lock);
}

function staleness(lock: LockInfo, now: number): string {
  if (isExpired(lock, now)) return ' (expired)';
  return isAbandoned(lock) ? ` (abandoned: process ${lock.pid} is no longer running on this host)` : '';
}

export function describeLock(lock: LockInfo): string {
  return `${lock.operator} (run ${lock.runId}) on ${lock.host} since ${lock.startedAt}, expires ${lock.expiresAt}`;
}

/** The error a second run gets: who holds the lock since when, and how to get past it. */
export function lockedError(lock: LockInfo, ref: string, now = Date.now()): FailoverError {
  const expired = isExpired(lock, now);
  const stale = isStale(lock, now);
  return new FailoverError(
    'FO_LOCK_E4001',
    'locked',
    `locked by ${describeLock(lock)}${staleness(lock, now)}${lock.purpose ? `; purpose: ${lock.purpose}` : ''}`,
    {
      hint: expired
        ? 'the lock has expired: if that run is dead, run again with `--break-lock` to take it over'
        : stale
          ? `the run that took it is gone: \`failover resume ${lock.runId}\` continues it, or run again with \`--break-lock\` to take it over`
          : `wait for that run to finish, or if that run is dead: \`failover resume ${lock.runId}\` on ${lock.host} continues it, or run again with \`--break-lock\` after the lock expires (${lock.expiresAt})`,
      details: { holder: { ...lock }, ref, expired, stale },
    },
  );
}

export class RunLock {
  /**
   * The lock as this process last saw it in the remote (a read, or its own successful push). A
   * compare-and-swap may start from it instead of reading first: the lease makes a push based on a
   * stale view fail, and only a fresh read ever decides that the lock is another run's.
   */
  private lastSeen: { held: HeldLock | undefined } | undefined;

  constructor(
    private readonly cache: GitCache,
    readonly ref: string,
  ) {}

  /**
   * The lock in the remote, or undefined when nobody holds it: as listed or pushed by this process
   * a moment ago, or by a listing under way (the steps of a run that ask at once share one).
   */
  async read(signal?: AbortSignal): Promise<HeldLock | undefined> {
    const held = await this.readRemote(signal, 'shared');
    this.lastSeen = { held };
    return held;
  }

  /**
   * For one attempt of a compare-and-swap: the last view when there is one and `usable` accepts
   * it, else a fresh read. Either is used once: the attempt after a lost race reads again.
   */
  private async readOrReuse(
    usable: (held: HeldLock | undefined) => boolean,
    signal?: AbortSignal,
  ): Promise<HeldLock | undefined> {
    const seen = this.lastSeen;
    this.lastSeen = undefined;
    if (seen && usable(seen.held)) return seen.held;
    return this.readRemote(signal, 'fresh');
  }

  private async readRemote(signal: AbortSignal | undefined, mode: ReadMode): Promise<HeldLock | undefined> {
    const advertised = await this.cache.remoteRef(this.ref, signal, { mode });
    if (!advertised) return undefined;
    let sha = advertised;
    if (!(await this.cache.hasObject(advertised))) {
      try {
        await this.cache.fetchRefspec(`+${this.ref}:${LOCAL_LOCK_REF}`, signal, () => ({
          missing: this.ref,
        }));
      } catch (error) {
        if (error instanceof MissingRemoteRef) return undefined; // released meanwhile
        throw error;
      }
      sha = (await this.cache.readRev(LOCAL_LOCK_REF)) ?? advertised;
    }
    return { sha, info: await this.parse(sha) };
  }

  private async parse(sha: string): Promise<LockInfo> {
    // The message is only read when lock.json does not say.
    const candidates = [() => this.cache.readFile(sha, LOCK_FILE), () => this.cache.commitMessage(sha)];
    for (const candidate of candidates) {
      const text = await candidate();
      if (!text) continue;
      const start = text.indexOf('{');
      // Stryker disable next-line ConditionalExpression: equivalent, a text without `{` parses to no lock either way
      if (start < 0) continue;
      try {
        const parsed = LockJson.safeParse(JSON.parse(text.slice(start)));
        if (parsed.success) return parsed.data;
      } catch {
        // not JSON; try the next place
      }
    }
    // A ref we cannot read: treat it as an expired lock of an unknown holder, so --break-lock can take it.
    const when = (await this.cache.commitDate(sha)) ?? new Date(0).toISOString();
    return {
      runId: 'unknown',
      operator: 'unknown',
      host: 'unknown',
      startedAt: when,
      expiresAt: when,
      purpose: '',
    };
  }

  /**
   * Takes the lock: creates the ref when it does not exist; re-takes it when this run holds it
   * (resume); takes over an expired or abandoned one only with `breakStale`. Throws category `locked`.
   */
  async acquire(
    lock: LockInfo,
    options: { breakStale: boolean; signal?: AbortSignal },
  ): Promise<{ brokeLock?: LockInfo }> {
    const commit = await this.lockCommit(lock, '');
    // A remembered view is tried only when it lets this run push; a lost race reads again.
    const pushable = (held: HeldLock | undefined) =>
      !held || held.info.runId === lock.runId || (options.breakStale && isStale(held.info));
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const held = await this.readOrReuse(pushable, options.signal);
      let lease = '';
      let broke: LockInfo | undefined;
      if (held) {
        const ours = held.info.runId === lock.runId;
        if (!ours && !(options.breakStale && isStale(held.info))) throw lockedError(held.info, this.ref);
        lease = held.sha;
        if (!ours) broke = held.info;
      }
      const outcome = await this.cache.push(commit, this.ref, {
        lease,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (outcome.ok) {
        this.lastSeen = { held: { sha: commit, info: lock } };
        return broke ? { brokeLock: broke } : {};
      }
      if (outcome.reason === 'refused') throw this.refused(outcome.detail, outcome.remote);
      // Lost a race: somebody changed the ref between our read and our push. Look again.
    }
    const held = await this.readRemote(options.signal, 'fresh');
    if (held && held.info.runId !== lock.runId) throw lockedError(held.info, this.ref);
    throw stepFailed(
      'FO_LOCK_E4002',
      `could not take the lock ${this.ref}: it kept changing during ${CAS_ATTEMPTS} attempts`,
      {
        retryable: true,
        hint: 'another run is taking and releasing the lock right now; run again in a moment',
      },
    );
  }

  /**
   * Moves this run's expiry forward (a compare-and-swap on the lock it holds). Never creates a lock
   * and never touches another run's: false when the lock is gone or no longer ours.
   */
  async renew(lock: LockInfo, signal?: AbortSignal): Promise<boolean> {
    // Read afresh: a lease lost to a stale view would end the renewals for good.
    const held = await this.readRemote(signal, 'fresh');
    this.lastSeen = { held };
    if (!held || held.info.runId !== lock.runId) return false;
    const commit = await this.lockCommit(lock, ', renewed');
    const outcome = await this.cache.push(commit, this.ref, {
      lease: held.sha,
      ...(signal ? { signal } : {}),
    });
    if (outcome.ok) this.lastSeen = { held: { sha: commit, info: lock } };
    return outcome.ok;
  }

  /** The parentless commit the lock ref points at: lock.json, and the same JSON in the message. */
  private lockCommit(lock: LockInfo, note: string): Promise<string> {
    const json = `${JSON.stringify(lock, null, 2)}\n`;
    return this.cache.commitDetached({
      file: LOCK_FILE,
      content: json,
      message: `failover lock: ${auditLine(lock.purpose || 'run')} by ${auditLine(lock.operator)} (run ${auditLine(lock.runId)})${note}\n\n${json}`,
      // The lock commit names the operator; it needs no identity from the user's git config.
      env: {
        GIT_AUTHOR_NAME: auditLine(lock.operator) || 'failover',
        GIT_AUTHOR_EMAIL: 'failover@localhost',
        GIT_COMMITTER_NAME: auditLine(lock.operator) || 'failover',
        GIT_COMMITTER_EMAIL: 'failover@localhost',
      },
    });
  }

  /** Deletes the lock if (and only if) this run holds it; false when it was not ours (or gone). */
  async release(runId: string, signal?: AbortSignal): Promise<boolean> {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const held = await this.readOrReuse((h) => h?.info.runId === runId, signal);
      if (!held || held.info.runId !== runId) return false;
      const outcome = await this.cache.push('', this.ref, { lease: held.sha, ...(signal ? { signal } : {}) });
      if (outcome.ok) {
        this.lastSeen = { held: undefined };
        return true;
      }
      if (outcome.reason === 'refused') throw this.refused(outcome.detail, outcome.remote);
    }
    return false;
  }

  private refused(detail: string, remote: string[]): FailoverError {
    return stepFailed(
      'FO_LOCK_E4003',
      `the GitOps remote ${displayUrl(this.cache.url)} refused the lock ref ${this.ref}: ${[detail, ...remote].join(' / ')}`,
      {
        hint: `allow pushing ${this.ref} to the repository (a push rule or ref protection may block refs outside refs/heads); the lock needs a ref of its own, never a branch or a tag`,
      },
    );
  }
}
