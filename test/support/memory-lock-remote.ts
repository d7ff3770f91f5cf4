/**
 * An in-memory GitOps remote that keeps git's rules for the lock ref (a push with a lease is a
 * compare-and-swap; pushing nothing deletes the ref), and one machine's cache of it: the run lock
 * tested at unit-test speed (test/unit/run-lock*.test.ts, which mutation testing runs).
 */
import { expect } from 'vitest';
import { type GitCache, MissingRemoteRef, type PushOutcome } from '../../src/providers/git/cache.js';
import { RunLock } from '../../src/providers/git/lock.js';
import type { LockInfo } from '../../src/providers/git/port.js';

export const REF = 'refs/failover/lock';

interface Commit {
  file?: string;
  content?: string;
  message?: string;
  date?: string;
}

/** The remote: the lock ref and the commits pushed to it. */
export class Remote {
  ref: string | undefined;
  readonly commits = new Map<string, Commit>();
  /** Pushes answered "moved" before the real compare-and-swap (someone else won a race). */
  races = 0;
  refuse: { detail: string; remote: string[] } | undefined;
  readonly pushes: { source: string; lease: string | undefined }[] = [];
  private seq = 0;

  add(commit: Commit): string {
    this.seq += 1;
    const sha = `${this.seq}`.padStart(40, 'c');
    this.commits.set(sha, commit);
    return sha;
  }
}

/** One machine's cache: it has the objects it created or fetched. */
export class FakeCache {
  readonly url = 'https://git.example.com/gitops.git';
  readonly local = new Set<string>();
  readonly localRefs = new Map<string, string>();
  fetches = 0;
  fetchError: Error | undefined;
  localRefLost = false;

  constructor(readonly remote: Remote) {}

  /** How often the remote's lock ref was listed. */
  reads = 0;
  /** What a listing answers instead of the ref, once: the remote as it was a moment ago. */
  staleListing: string | undefined;
  /** The signal of every call that talks to the remote. */
  readonly signals: (AbortSignal | undefined)[] = [];
  /** What the lock asked a failed fetch to name. */
  described: { missing: string } | undefined;
  async remoteRef(ref: string, signal?: AbortSignal): Promise<string | undefined> {
    expect(ref).toBe(REF);
    this.signals.push(signal);
    this.reads += 1;
    const stale = this.staleListing;
    this.staleListing = undefined;
    return stale ?? this.remote.ref;
  }
  async hasObject(sha: string): Promise<boolean> {
    return this.local.has(sha);
  }
  async fetchRefspec(refspec: string, signal: AbortSignal | undefined, describe: () => { missing: string }) {
    this.fetches += 1;
    this.signals.push(signal);
    expect(refspec).toBe(`+${REF}:refs/failover-cache/lock`);
    if (this.fetchError) throw this.fetchError;
    if (!this.remote.ref) {
      this.described = describe();
      throw new MissingRemoteRef(this.described.missing);
    }
    this.local.add(this.remote.ref);
    if (!this.localRefLost) this.localRefs.set('refs/failover-cache/lock', this.remote.ref);
  }
  async readRev(ref: string): Promise<string | undefined> {
    return this.localRefs.get(ref);
  }
  async readFile(sha: string, file: string): Promise<string | undefined> {
    const commit = this.remote.commits.get(sha);
    return commit?.file === file ? commit.content : undefined;
  }
  async commitMessage(sha: string): Promise<string | undefined> {
    return this.remote.commits.get(sha)?.message;
  }
  async commitDate(sha: string): Promise<string | undefined> {
    return this.remote.commits.get(sha)?.date;
  }
  readonly detached: { file: string; content: string; message: string; env: NodeJS.ProcessEnv }[] = [];
  async commitDetached(options: { file: string; content: string; message: string; env: NodeJS.ProcessEnv }) {
    this.detached.push(options);
    const sha = this.remote.add({ file: options.file, content: options.content, message: options.message });
    this.local.add(sha);
    return sha;
  }
  async push(
    source: string,
    ref: string,
    options: { lease?: string; signal?: AbortSignal } = {},
  ): Promise<PushOutcome> {
    expect(ref).toBe(REF);
    this.signals.push(options.signal);
    this.remote.pushes.push({ source, lease: options.lease });
    if (this.remote.refuse) return { ok: false, reason: 'refused', ...this.remote.refuse };
    if (this.remote.races > 0) {
      this.remote.races -= 1;
      return { ok: false, reason: 'moved', detail: 'stale info' };
    }
    const expected = options.lease === '' ? undefined : options.lease;
    if (options.lease !== undefined && this.remote.ref !== expected)
      return { ok: false, reason: 'moved', detail: 'stale info' };
    this.remote.ref = source === '' ? undefined : source;
    return { ok: true };
  }
}

export function machine(remote: Remote) {
  const cache = new FakeCache(remote);
  return { cache, lock: new RunLock(cache as unknown as GitCache, REF) };
}

export function lockOf(
  runId: string,
  operator: string,
  ttlMs = 30 * 60_000,
  startedAt = Date.now(),
): LockInfo {
  return {
    runId,
    operator,
    host: `${operator}-laptop`,
    startedAt: new Date(startedAt).toISOString(),
    expiresAt: new Date(startedAt + ttlMs).toISOString(),
    purpose: 'to-aws INC-7',
  };
}

export const expired = (runId: string, operator: string) =>
  lockOf(runId, operator, 60_000, Date.now() - 10 * 60_000);
