/**
 * A client-side token bucket in front of every Route 53 request, so a large change (many
 * instances, many polls) stays under the account's request rate instead of tripping Throttling.
 * The SDK still retries Throttling and PriorRequestNotComplete itself; this only makes them rare.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { sleep } from '../../engine/retry.js';

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Requests that may go at once. */
  burst: number;
}

export class ClientTokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burst;
    this.refilledAt = now();
  }

  /**
   * Waits for a token. Callers queue in arrival order: each one takes a token (the count may go
   * below zero) and waits until the refill has paid for it.
   */
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    this.tokens = Math.min(
      this.limit.burst,
      this.tokens + (Math.max(0, now - this.refilledAt) / 1000) * this.limit.perSecond,
    );
    this.refilledAt = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const waitMs = Math.ceil((-this.tokens / this.limit.perSecond) * 1000);
    try {
      await sleep(waitMs, signal);
    } catch (error) {
      this.tokens += 1; // an abandoned request gives its token back
      throw error;
    }
  }
}

const MIDDLEWARE_NAME = 'failoverRoute53RateLimit';

/**
 * Adds the bucket to the client's middleware stack in the deserialize step, which runs once per
 * HTTP attempt (inside the SDK's retry loop), so retries are paced too.
 */
export function limitRequestRate(client: Route53Client, bucket: ClientTokenBucket): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // The abort signal given to send() travels in the Smithy context.
      const smithy = (context as { __smithy_context?: { abortSignal?: unknown } }).__smithy_context;
      const signal = smithy?.abortSignal instanceof AbortSignal ? smithy.abortSignal : undefined;
      await bucket.take(signal);
      return next(args);
    },
    { step: 'deserialize', priority: 'high', name: MIDDLEWARE_NAME, override: true },
  );
}
