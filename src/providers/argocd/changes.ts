/**
 * Changes of a side's apps from Argo CD's watch stream (`GET /api/v1/stream/applications`,
 * server-sent events), so a wait reads the apps again as soon as one moved instead of at the next
 * poll. The stream only wakes the wait early: the wait still polls at its interval, so an Argo CD
 * (or a proxy) that does not stream, buffers or drops the stream costs latency, never a wrong answer.
 */
import type { ArgoCdClient } from './client.js';

export interface AppChanges {
  /**
   * Resolves after at least `minMs` and at most `maxMs`: early (true) once a watched app changed
   * since the last call, else (false) at `maxMs`. A change after which every watched app looks
   * settled resolves at once, without waiting for `minMs`. Rejects when `signal` aborts.
   */
  next(minMs: number, maxMs: number, signal: AbortSignal): Promise<boolean>;
  close(): void;
}

/** A stream that ended or failed is opened again on a later wait, at most this often. */
const REOPEN_AFTER_MS = 5_000;

interface WatchEvent {
  result?: {
    type?: string;
    application?: { metadata?: { name?: string }; status?: AppStatus; operation?: unknown };
  };
}

interface AppStatus {
  sync?: { status?: string; revision?: string; revisions?: string[] };
  health?: { status?: string };
  operationState?: { phase?: string; startedAt?: string; finishedAt?: string };
  history?: unknown[];
  resources?: {
    kind?: string;
    namespace?: string;
    name?: string;
    status?: string;
    health?: { status?: string };
  }[];
}

/**
 * What a wait judges by, without what changes at every reconcile (reconciledAt, resourceVersion):
 * an event that leaves it the same does not wake the wait.
 */
function digest(status: AppStatus | undefined, operation: unknown): string {
  return JSON.stringify([
    status?.sync?.status,
    status?.sync?.revision ?? status?.sync?.revisions,
    status?.health?.status,
    // A new sync operation counts even when a stream's reads fall before and after it (its
    // timestamps are to the second; the history grows by one entry per sync).
    status?.operationState?.phase,
    status?.operationState?.startedAt,
    status?.operationState?.finishedAt,
    status?.history?.length,
    operation !== undefined && operation !== null,
    (status?.resources ?? []).map((r) => [r.kind, r.namespace, r.name, r.status, r.health?.status]),
  ]);
}

/**
 * Synced, Healthy and no operation running: what a wait is most likely waiting for. When the last
 * watched app gets there, the wait reads at once instead of after its minimum gap between reads
 * (which keeps a rollout's many intermediate events from costing a read each): at most one early
 * read per such change, and the wait's own read decides.
 */
function looksSettled(status: AppStatus | undefined, operation: unknown): boolean {
  return (
    status?.sync?.status === 'Synced' &&
    status.health?.status === 'Healthy' &&
    status.operationState?.phase !== 'Running' &&
    (operation === undefined || operation === null)
  );
}

/**
 * Watches the apps a query selects (`selector`), or the named ones among all the token may see.
 * The first event of each app sets what is known of it; only later differences count as changes.
 */
export function watchAppChanges(
  client: ArgoCdClient,
  filter: { selector: string } | { names: string[] },
): AppChanges {
  const names = 'names' in filter ? new Set(filter.names) : undefined;
  const path =
    'selector' in filter
      ? `/api/v1/stream/applications?selector=${encodeURIComponent(filter.selector)}`
      : names?.size === 1
        ? `/api/v1/stream/applications?name=${encodeURIComponent([...names][0] as string)}`
        : '/api/v1/stream/applications';
  const known = new Map<string, string>();
  const settled = new Map<string, boolean>();
  const controller = new AbortController();
  let changed = false;
  let open = false;
  let openedAt = Number.NEGATIVE_INFINITY;
  let wake: (() => void) | undefined;

  const onMessage = (message: unknown) => {
    const application = (message as WatchEvent).result?.application;
    const name = application?.metadata?.name;
    if (!name || (names && !names.has(name))) return;
    const now =
      (message as WatchEvent).result?.type === 'DELETED'
        ? 'deleted'
        : digest(application.status, application.operation);
    const before = known.get(name);
    known.set(name, now);
    if (now === 'deleted') settled.delete(name);
    else settled.set(name, looksSettled(application.status, application.operation));
    if (before === undefined || before === now) return;
    changed = true;
    wake?.();
  };

  // Every watched app (the named ones, or all the selector brought) as last seen: settled.
  const allSettled = () =>
    names ? [...names].every((n) => settled.get(n) === true) : [...settled.values()].every(Boolean);

  const ensureOpen = () => {
    if (open || controller.signal.aborted || Date.now() - openedAt < REOPEN_AFTER_MS) return;
    open = true;
    openedAt = Date.now();
    client
      .stream(path, onMessage, controller.signal)
      .catch(() => undefined)
      .finally(() => {
        open = false;
      });
  };

  // Opened at once, so that changes between the wait's first read and its first pause count.
  ensureOpen();
  return {
    next(minMs, maxMs, signal) {
      ensureOpen();
      return new Promise<boolean>((resolve, reject) => {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const settle = () => {
          clearTimeout(timer);
          wake = undefined;
          signal.removeEventListener('abort', onAbort);
          const result = changed;
          changed = false;
          resolve(result);
        };
        const arm = () => {
          clearTimeout(timer);
          const elapsed = Date.now() - started;
          const until = changed ? (allSettled() ? 0 : minMs) : maxMs;
          timer = setTimeout(settle, Math.max(0, until - elapsed));
        };
        const onAbort = () => {
          clearTimeout(timer);
          wake = undefined;
          reject(signal.reason);
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        wake = arm;
        arm();
      });
    },
    close() {
      controller.abort();
      wake = undefined;
    },
  };
}
