/**
 * Retries of cloud API calls, made visible. The SDKs retry throttling, 5xx and network errors on
 * their own, which is right, but silent: a failover that crawls because Route 53 throttles it
 * looks like a hang. Each retried attempt is published on a diagnostics channel (node:diagnostics_channel,
 * no cost without a subscriber); the CLI shows them with --verbose and counts them after the run.
 */
import { channel } from 'node:diagnostics_channel';
import type { InitializeMiddleware } from '@smithy/types';

export interface CallRetry {
  /** Route 53, EKS, … */
  service: string;
  operation: string;
  /** The error that made the previous attempt fail (Throttling, InternalFailure, ECONNRESET, …). */
  reason: string;
  /** This attempt's number (2 = the first retry) and how many the client makes at most. */
  attempt: number;
  maxAttempts: number;
  /** Time between the failed attempt and this one: the backoff the client chose. */
  waitedMs: number;
}

export const CALL_RETRIES = channel('failover:call-retry');

interface AttemptState {
  attempts: number;
  failedAt?: number;
  reason?: string;
}

/**
 * Adds per-attempt bookkeeping to an AWS SDK client: the initialize step runs once per call, the
 * deserialize step once per HTTP attempt (inside the SDK's retry loop).
 */
export function reportRetries<Input extends object, Output extends object>(
  client: {
    middlewareStack: {
      add(middleware: InitializeMiddleware<Input, Output>, options: object): void;
    };
  },
  service: string,
  maxAttempts: number,
): void {
  const calls = new WeakMap<object, AttemptState>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.set(context, { attempts: 0 });
      return next(args);
    },
    { step: 'initialize', priority: 'low', name: 'failoverRetryBookkeeping', override: true },
  );
  client.middlewareStack.add(
    ((next, context) => async (args) => {
      const state = calls.get(context);
      if (!state) return next(args);
      state.attempts += 1;
      if (state.attempts > 1 && state.failedAt !== undefined && CALL_RETRIES.hasSubscribers) {
        const retry: CallRetry = {
          service,
          operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
          reason: state.reason ?? 'error',
          attempt: state.attempts,
          maxAttempts: Math.max(maxAttempts, state.attempts),
          waitedMs: Date.now() - state.failedAt,
        };
        CALL_RETRIES.publish(retry);
      }
      try {
        return await next(args);
      } catch (error) {
        const e = error as { name?: string; code?: string } | null;
        state.failedAt = Date.now();
        state.reason = e?.code && /^E[A-Z]+$/.test(e.code) ? e.code : (e?.name ?? 'error');
        throw error;
      }
    }) as InitializeMiddleware<Input, Output>,
    { step: 'deserialize', priority: 'high', name: 'failoverRetryAttempts', override: true },
  );
}

/** Counts of the retries seen while subscribed, by service and operation, with the reasons. */
export class RetryTally {
  private readonly counts = new Map<string, { retries: number; reasons: Set<string> }>();
  private readonly listener = (message: unknown) => this.add(message as CallRetry);

  constructor(private readonly onRetry?: (retry: CallRetry) => void) {
    CALL_RETRIES.subscribe(this.listener);
  }

  private add(retry: CallRetry): void {
    const key = `${retry.service} ${retry.operation}`;
    const entry = this.counts.get(key) ?? { retries: 0, reasons: new Set<string>() };
    entry.retries += 1;
    entry.reasons.add(retry.reason);
    this.counts.set(key, entry);
    this.onRetry?.(retry);
  }

  get total(): number {
    let sum = 0;
    for (const { retries } of this.counts.values()) sum += retries;
    return sum;
  }

  /** `Route 53 UpdateTrafficPolicyInstance ×3 (Throttling)`, most retried first. */
  lines(): string[] {
    return [...this.counts.entries()]
      .sort((a, b) => b[1].retries - a[1].retries)
      .map(([call, { retries, reasons }]) => `${call} ×${retries} (${[...reasons].join(', ')})`);
  }

  close(): void {
    CALL_RETRIES.unsubscribe(this.listener);
  }
}

/** One verbose line for a retry: what was retried, why, which attempt, after how long. */
export function describeRetry(retry: CallRetry): string {
  return `${retry.service} ${retry.operation}: ${retry.reason}, retry ${retry.attempt - 1}/${retry.maxAttempts - 1} after ${(retry.waitedMs / 1000).toFixed(1)}s`;
}
