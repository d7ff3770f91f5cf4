/**
 * The client side of Route 53's throttling: one limiter per account that every Route 53 call of a
 * run goes through, so a large change (many instances, many polls) stays inside the account's
 * token buckets instead of tripping Throttling. It holds an account bucket (by default below the
 * service's, so other automation in the account keeps headroom) and a bucket per operation for
 * the operations Route 53 limits more tightly. Throttling that still happens (other clients share
 * the account) is counted, slows the limiter down, and is retried with backoff.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { sleep } from '../../engine/retry.js';

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Requests that may go at once. */
  burst: number;
}

export interface Route53Limits extends RateLimit {
  /** Per-operation buckets (e.g. GetHealthCheckStatus), over DOCUMENTED_OPERATION_LIMITS. */
  operations?: Record<string, RateLimit>;
}

/**
 * The operations the Route 53 Developer Guide ("Throttling for Amazon Route 53 API requests",
 * table "Request rate limits per API operation") limits below the per-operation default of 50/10,
 * among those a failover may send. Every other operation is held only by the account bucket.
 */
export const DOCUMENTED_OPERATION_LIMITS: Readonly<Record<string, RateLimit>> = {
  CreateTrafficPolicyInstance: { burst: 1, perSecond: 1 },
  DeleteTrafficPolicyInstance: { burst: 1, perSecond: 1 },
  GetHealthCheckStatus: { burst: 4, perSecond: 1 },
  GetHealthCheckLastFailureReason: { burst: 4, perSecond: 1 },
};

/** Time as the limiter sees it; tests pass a virtual clock. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep };

export class ClientTokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    readonly limit: RateLimit,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = limit.burst;
    this.refilledAt = clock.now();
  }

  /**
   * Waits for a token. Callers queue in arrival order: each one takes a token (the count may go
   * below zero) and waits until the refill has paid for it.
   */
  async take(signal?: AbortSignal): Promise<void> {
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    const waitMs = Math.ceil((-this.tokens / this.limit.perSecond) * 1000);
    try {
      await this.clock.sleep(waitMs, signal);
    } catch (error) {
      this.tokens += 1; // an abandoned request gives its token back
      throw error;
    }
  }

  /** The service refused a request: spend what is left, so the next ones wait a refill. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.limit.burst,
      this.tokens + (Math.max(0, now - this.refilledAt) / 1000) * this.limit.perSecond,
    );
    this.refilledAt = now;
  }
}

export interface LimiterStats {
  /** Requests sent (each attempt, retries included). */
  requests: number;
  /** Attempts Route 53 answered with Throttling (all retried). */
  throttled: number;
  /** Requests per operation. */
  byOperation: Record<string, number>;
}

export class Route53Limiter {
  private readonly account: ClientTokenBucket;
  private readonly operations = new Map<string, ClientTokenBucket>();
  private readonly operationLimits: Record<string, RateLimit>;
  readonly stats: LimiterStats = { requests: 0, throttled: 0, byOperation: {} };

  constructor(
    readonly limits: Route53Limits,
    private readonly clock: Clock = systemClock,
  ) {
    this.account = new ClientTokenBucket(limits, clock);
    this.operationLimits = { ...DOCUMENTED_OPERATION_LIMITS, ...(limits.operations ?? {}) };
  }

  /** Waits until both the operation's bucket and the account's have a token for this request. */
  async take(operation: string, signal?: AbortSignal): Promise<void> {
    const limit = this.operationLimits[operation];
    if (limit) {
      let bucket = this.operations.get(operation);
      if (!bucket) {
        bucket = new ClientTokenBucket(limit, this.clock);
        this.operations.set(operation, bucket);
      }
      await bucket.take(signal);
    }
    await this.account.take(signal);
    this.stats.requests += 1;
    this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
  }

  /** Route 53 throttled a request anyway (someone else shares the account): back off. */
  throttled(operation: string): void {
    this.stats.throttled += 1;
    this.account.drain();
    this.operations.get(operation)?.drain();
  }
}

const limiters = new Map<string, Route53Limiter>();

/**
 * The limiter of an account (keyed by whatever identifies it: endpoint, profile, key id), shared
 * by every client of the process that talks to that account with the same limits.
 */
export function accountLimiter(account: string, limits: Route53Limits): Route53Limiter {
  const key = `${account}\n${JSON.stringify(limits)}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new Route53Limiter(limits);
    limiters.set(key, limiter);
  }
  return limiter;
}

const MIDDLEWARE_NAME = 'failoverRoute53RateLimit';
const RETRY_MIDDLEWARE_NAME = 'failoverRoute53ThrottlingRetry';
/** Extra rounds of the SDK's own retries for a request that stays throttled. */
const THROTTLING_ROUNDS = 4;

function isThrottling(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'Throttling' || name === 'ThrottlingException';
}

/**
 * Adds the limiter to the client's middleware stack. The bucket sits in the deserialize step,
 * which runs once per HTTP attempt (inside the SDK's retry loop), so retries are paced too and
 * every throttled attempt is counted. Around the whole call, a request that exhausted the SDK's
 * attempts while throttled is given further rounds after a backoff: throttling only ever delays.
 */
export function limitRequestRate(
  client: Route53Client,
  limiter: Route53Limiter,
  clock: Clock = systemClock,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const smithy = (context as { __smithy_context?: { abortSignal?: unknown } }).__smithy_context;
      const signal = smithy?.abortSignal instanceof AbortSignal ? smithy.abortSignal : undefined;
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      await limiter.take(operation, signal);
      try {
        return await next(args);
      } catch (error) {
        if (isThrottling(error)) limiter.throttled(operation);
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: MIDDLEWARE_NAME, override: true },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const smithy = (context as { __smithy_context?: { abortSignal?: unknown } }).__smithy_context;
      const signal = smithy?.abortSignal instanceof AbortSignal ? smithy.abortSignal : undefined;
      for (let round = 0; ; round++) {
        try {
          return await next(args);
        } catch (error) {
          if (!isThrottling(error) || round >= THROTTLING_ROUNDS) throw error;
          await clock.sleep(1000 * 2 ** round + Math.random() * 500, signal);
        }
      }
    },
    { step: 'initialize', priority: 'high', name: RETRY_MIDDLEWARE_NAME, override: true },
  );
}
