/**
 * What this process knows of the GitOps remote's refs: the branch tips it fetched or pushed, and
 * the exact refs it listed or pushed (the run lock), each with when it learnt them. The steps of one
 * run that read within FRESH_MS of each other share one network round trip; a listing under way is
 * joined. Writes never rely on this alone: the remote checks every push (fast-forward or lease), and
 * the retry after a rejection reads afresh.
 */

/** How long what this process last learnt of a remote ref stands for the remote's state, for reads. */
export const FRESH_MS = 2000;

export type ReadMode = 'shared' | 'fresh';

/** A ref's value as of `at` (ms, when the read or push that told it started). */
interface Known<T> {
  value: T;
  at: number;
}

export class RemoteView {
  private readonly tips = new Map<string, Known<string>>();
  /** Listed refs (undefined: absent). */
  private readonly refs = new Map<string, Known<string | undefined>>();
  private readonly listings = new Map<string, Promise<string | undefined>>();

  /** The tip of `branch` when learnt less than FRESH_MS ago. */
  recentTip(branch: string): string | undefined {
    const known = this.tips.get(branch);
    return known && Date.now() - known.at < FRESH_MS ? known.value : undefined;
  }

  /** Keeps the newest of what was learnt: a slow read that started earlier never wins. */
  learnTip(branch: string, tip: string, at: number): void {
    const known = this.tips.get(branch);
    if (!known || known.at <= at) this.tips.set(branch, { value: tip, at });
  }

  /**
   * The value of `ref`: with `shared`, one learnt less than FRESH_MS ago or a listing under way (a
   * failed one is no answer for another caller); else, or without one, `list()` started now.
   */
  async ref(
    ref: string,
    mode: ReadMode,
    list: () => Promise<string | undefined>,
  ): Promise<string | undefined> {
    if (mode === 'shared') {
      const known = this.refs.get(ref);
      if (known && Date.now() - known.at < FRESH_MS) return known.value;
      const running = this.listings.get(ref);
      if (running) return running.catch(() => this.list(ref, list));
    }
    return this.list(ref, list);
  }

  private list(ref: string, list: () => Promise<string | undefined>): Promise<string | undefined> {
    const started = Date.now();
    const listing = list();
    this.listings.set(ref, listing);
    return listing
      .then((value) => {
        const known = this.refs.get(ref);
        if (!known || known.at <= started) this.refs.set(ref, { value, at: started });
        return value;
      })
      .finally(() => {
        if (this.listings.get(ref) === listing) this.listings.delete(ref);
      });
  }

  /** The remote took our push of `source` (empty: a deletion) to `ref`, started at `at`. */
  pushed(ref: string, source: string, at: number): void {
    this.refs.set(ref, { value: source || undefined, at });
    const branch = branchOf(ref);
    if (branch === undefined) return;
    if (source) this.learnTip(branch, source, at);
    else this.tips.delete(branch);
  }

  /** A push to `ref` failed: whatever the remote has now, it is not what we knew. */
  forget(ref: string): void {
    this.refs.delete(ref);
    const branch = branchOf(ref);
    if (branch !== undefined) this.tips.delete(branch);
  }
}

function branchOf(ref: string): string | undefined {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}
