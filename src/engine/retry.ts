/** Timeouts, interruptible sleeps and retry delays used by the engine and the adapters. */
import { formatMs } from '../util/duration.js';
import { FailoverError } from './errors.js';

export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  return new FailoverError('FO_ENGINE_E1020', 'aborted', 'interrupted');
}

/** Sleeps `ms`, or rejects as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with jitter: base·factor^(n−1), capped, scaled by a random 50–100 %. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  factor: number,
  maxMs: number,
  random = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * factor ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.5 + random() * 0.5));
}

export class StepTimeoutError extends FailoverError {
  constructor(stepId: string, ms: number) {
    super('FO_ENGINE_E1021', 'step-failed', `step "${stepId}" timed out after ${formatMs(ms)}`, {
      hint: 'check why the system is slow; to wait longer, resume with --timeout (e.g. 30m) or raise the step timeout in the runbook (timeout: 10m)',
      retryable: true,
    });
  }
}

const OWN_ERROR_GRACE_MS = 1000;

/**
 * Runs `work` with a signal that aborts on timeout or when `outer` aborts. If `work` ignores the
 * signal, the returned promise still settles at the deadline (the call is abandoned).
 */
export async function withTimeout<T>(
  work: (signal: AbortSignal) => Promise<T>,
  ms: number,
  onTimeout: () => Error,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let rejectDeadline: (error: unknown) => void = () => {};
  const deadline = new Promise<never>((_, reject) => {
    rejectDeadline = reject;
  });
  // The outer signal (an interrupt past its grace period) abandons the call at once.
  const onOuterAbort = () => {
    controller.abort(outer?.reason);
    rejectDeadline(abortError(controller.signal));
  };
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  if (outer?.aborted) onOuterAbort();
  const running = work(controller.signal);
  timer = setTimeout(() => {
    const error = onTimeout();
    controller.abort(error);
    // A step that honours the signal settles at once with its own, more precise error (e.g. the
    // resources still not ready); give it a moment before falling back to the generic timeout.
    const grace = setTimeout(() => rejectDeadline(error), OWN_ERROR_GRACE_MS);
    grace.unref();
    running.then(
      () => clearTimeout(grace),
      (own: unknown) => {
        clearTimeout(grace);
        rejectDeadline(FailoverError.is(own) && own.category !== 'aborted' ? own : error);
      },
    );
  }, ms);
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}
