/**
 * Route 53's API throttling as the Developer Guide describes it ("Throttling for Amazon Route 53
 * API requests", https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html):
 * token buckets per account. A request takes one token from the account bucket AND one from its
 * operation's bucket, and is throttled when either is empty; requests that change DNS data also
 * take one token per record change from the change-throughput bucket. A throttled request is
 * answered 400 with Code `Throttling` and Message `Rate exceeded`.
 */
import { DEFAULT_RATE_LIMIT, type RateLimitSettings, TokenBucket } from './rate-limit.js';

/**
 * Per-operation buckets (capacity, refill per second) from the table "Request rate limits per API
 * operation" of the page above. Operations not listed use DEFAULT_OPERATION_LIMIT.
 */
export const DOCUMENTED_OPERATION_LIMITS: Readonly<Record<string, RateLimitSettings>> = {
  // Developer Guide, throttling-api-requests, table "Request rate limits per API operation":
  AssociateVPCWithHostedZone: { burst: 20, perSecond: 5 },
  ChangeCidrCollection: { burst: 40, perSecond: 5 },
  CreateCidrCollection: { burst: 40, perSecond: 5 },
  CreateHealthCheck: { burst: 50, perSecond: 0.5 },
  CreateHostedZone: { burst: 40, perSecond: 2 },
  CreateReusableDelegationSet: { burst: 40, perSecond: 2 },
  CreateTrafficPolicyInstance: { burst: 1, perSecond: 1 },
  DeleteCidrCollection: { burst: 40, perSecond: 5 },
  DeleteHealthCheck: { burst: 15, perSecond: 3 },
  DeleteHostedZone: { burst: 40, perSecond: 5 },
  DeleteReusableDelegationSet: { burst: 40, perSecond: 5 },
  DeleteTrafficPolicyInstance: { burst: 1, perSecond: 1 },
  DisassociateVPCFromHostedZone: { burst: 10, perSecond: 5 },
  GetHealthCheckLastFailureReason: { burst: 4, perSecond: 1 },
  GetHealthCheckStatus: { burst: 4, perSecond: 1 },
  // Not confirmed: every copy of the table we could read breaks off after GetHealthCheckStatus at a
  // row beginning "Upd…" (UpdateHealthCheck? UpdateTrafficPolicyInstance?). Until its figures are
  // confirmed, the Update* operations use the documented default bucket; set
  // `operations.UpdateTrafficPolicyInstance` (e.g. { burst: 1, perSecond: 1 } like Create/Delete)
  // to model a stricter one.
};

/** Same page, same table: "Any API operation not listed below (per-operation default)": 50, 10. */
export const DEFAULT_OPERATION_LIMIT: RateLimitSettings = { burst: 50, perSecond: 10 };

/**
 * Change throughput: the page says record changes are counted across the actions that modify DNS
 * data, in a bucket of their own. Not confirmed: the figures of that bucket (no stored copy of the
 * page reaches them). Modelled as 1,000 changes refilled at 100 per second; changeable with
 * `changes`. An UPSERT counts twice (AWS Knowledge Center, "How can I avoid Route 53 API
 * throttling errors?": "UPSERT requests count twice").
 */
export const DEFAULT_CHANGE_LIMIT: RateLimitSettings = { burst: 1000, perSecond: 100 };

export interface ThrottlingSettings {
  /** The account bucket ("All Amazon Route 53 API operations combined (account level)": 50, 10). */
  account?: RateLimitSettings | false;
  /** Per-operation buckets, over DOCUMENTED_OPERATION_LIMITS; `false` switches them off. */
  operations?: Record<string, RateLimitSettings> | false;
  /** Bucket for operations the table does not list. */
  defaultOperation?: RateLimitSettings;
  /** Change-throughput bucket; `false` switches it off. */
  changes?: RateLimitSettings | false;
}

/** Which bucket refused a request, for the request log and tests. */
export type ThrottledBy = 'account' | 'operation' | 'changes';

export class Route53Throttling {
  private account: TokenBucket;
  private operationLimits: Record<string, RateLimitSettings> | false = { ...DOCUMENTED_OPERATION_LIMITS };
  private defaultOperation: RateLimitSettings = DEFAULT_OPERATION_LIMIT;
  private readonly operationBuckets = new Map<string, TokenBucket>();
  private changes: TokenBucket;
  /** Requests refused since start, by bucket. */
  readonly refused: Record<ThrottledBy, number> = { account: 0, operation: 0, changes: 0 };

  constructor(
    settings: ThrottlingSettings | false = {},
    private readonly now: () => number = Date.now,
  ) {
    this.account = new TokenBucket(DEFAULT_RATE_LIMIT, now);
    this.changes = new TokenBucket(DEFAULT_CHANGE_LIMIT, now);
    this.configureAll(settings);
  }

  /** Replaces the account bucket; `false` switches every bucket off (as `configureAll(false)`). */
  configure(settings: RateLimitSettings | false): void {
    if (settings === false) this.configureAll(false);
    else this.account.configure(settings);
  }

  /** Replaces every bucket's settings (unnamed parts go back to the documented defaults) and refills them. */
  configureAll(settings: ThrottlingSettings | false): void {
    const all: ThrottlingSettings =
      settings === false ? { account: false, operations: false, changes: false } : settings;
    this.account.configure(all.account ?? DEFAULT_RATE_LIMIT);
    this.changes.configure(all.changes ?? DEFAULT_CHANGE_LIMIT);
    this.defaultOperation = all.defaultOperation ?? DEFAULT_OPERATION_LIMIT;
    this.operationLimits =
      all.operations === false ? false : { ...DOCUMENTED_OPERATION_LIMITS, ...(all.operations ?? {}) };
    this.operationBuckets.clear();
  }

  /** The account bucket's settings (false when off). */
  current(): RateLimitSettings | false {
    return this.account.current();
  }

  /** The bucket settings an operation is held to (false when per-operation buckets are off). */
  limitOf(operation: string): RateLimitSettings | false {
    if (this.operationLimits === false) return false;
    return this.operationLimits[operation] ?? this.defaultOperation;
  }

  /**
   * Takes the tokens a request needs: one from the operation's bucket, one from the account's, and
   * `changes` from the change-throughput bucket. Returns the bucket that refused it, or undefined
   * when it may pass. Tokens are taken only when every bucket has them.
   */
  admit(operation: string, changes = 0): ThrottledBy | undefined {
    const opBucket = this.operationBucket(operation);
    const refusal: ThrottledBy | undefined = !opBucket.canTake(1)
      ? 'operation'
      : !this.account.canTake(1)
        ? 'account'
        : changes > 0 && !this.changes.canTake(changes)
          ? 'changes'
          : undefined;
    if (refusal) {
      this.refused[refusal] += 1;
      return refusal;
    }
    opBucket.take(1);
    this.account.take(1);
    if (changes > 0) this.changes.take(changes);
    return undefined;
  }

  private operationBucket(operation: string): TokenBucket {
    let bucket = this.operationBuckets.get(operation);
    if (!bucket) {
      bucket = new TokenBucket(this.limitOf(operation), this.now);
      this.operationBuckets.set(operation, bucket);
    }
    return bucket;
  }
}
