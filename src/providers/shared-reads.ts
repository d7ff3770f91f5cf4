/**
 * One cluster read shared by the steps that ask for it within a few seconds: the snapshot, the
 * cluster checks and the status all describe the same clusters, in the plan and again when the run
 * applies. A cluster's control-plane state is not something a failover changes, and a provider
 * that is down (often why we are here) then costs one timeout instead of four.
 */
import type { GkeReader } from './gke/port.js';
import type { ClusterHealth } from './types.js';

/** How long a settled answer (or failure) is handed to later callers. */
export const CLUSTER_READ_FRESH_MS = 10_000;

interface Entry {
  value: Promise<ClusterHealth>;
  /** When it settled; undefined while in flight. */
  settledAt?: number;
  signal?: AbortSignal;
}

/** Resolves like `value`, or rejects as soon as `signal` aborts. */
function until<T>(value: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return value;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    value.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export function shareClusterReads(reader: GkeReader, freshMs = CLUSTER_READ_FRESH_MS): GkeReader {
  let entry: Entry | undefined;
  const read = (signal?: AbortSignal): Promise<ClusterHealth> => {
    const started: Entry = { value: reader.describeCluster(signal), ...(signal ? { signal } : {}) };
    entry = started;
    started.value.then(
      () => {
        started.settledAt = Date.now();
      },
      () => {
        // A read cut short by its caller's abort says nothing about the cluster: not shared.
        if (started.signal?.aborted) {
          if (entry === started) entry = undefined;
        } else started.settledAt = Date.now();
      },
    );
    return started.value;
  };
  return {
    async describeCluster(signal) {
      const current = entry;
      const fresh = current && (current.settledAt === undefined || Date.now() - current.settledAt < freshMs);
      if (!current || !fresh) return read(signal);
      try {
        return await until(current.value, signal);
      } catch (error) {
        // The read we joined was aborted by the caller that started it: read for ourselves.
        if (current.signal?.aborted && !signal?.aborted) return read(signal);
        throw error;
      }
    },
  };
}
