/**
 * Route 53's request quota as a token bucket per account: a burst of requests may pass at once,
 * then tokens come back at a steady rate. A request that finds the bucket empty is answered with
 * 400 Throttling "Rate exceeded".
 */
export interface RateLimitSettings {
  /** Bucket size: requests that may pass at once. */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { burst: 50, perSecond: 10 };

export class TokenBucket {
  private settings: RateLimitSettings | false;
  private tokens = 0;
  private refilledAt: number;

  constructor(
    settings: RateLimitSettings | false = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {
    this.settings = settings;
    this.refilledAt = now();
    this.tokens = settings === false ? 0 : settings.burst;
  }

  /** Replaces the settings (or turns limiting off with `false`) and refills the bucket. */
  configure(settings: RateLimitSettings | false): void {
    if (settings !== false && (settings.burst < 0 || settings.perSecond < 0)) {
      throw new Error('rate limit burst and perSecond must be >= 0');
    }
    this.settings = settings;
    this.tokens = settings === false ? 0 : settings.burst;
    this.refilledAt = this.now();
  }

  current(): RateLimitSettings | false {
    return this.settings === false ? false : { ...this.settings };
  }

  /** Takes a token; false means the request is over the rate. */
  tryTake(): boolean {
    if (!this.canTake(1)) return false;
    this.take(1);
    return true;
  }

  /** Whether `count` tokens are there now (after the refill since the last look). */
  canTake(count: number): boolean {
    if (this.settings === false) return true;
    this.refill();
    // A request larger than the bucket can never pass whole; it passes on a full bucket.
    return this.tokens >= Math.min(count, this.settings.burst);
  }

  /** Takes `count` tokens (call after canTake). */
  take(count: number): void {
    if (this.settings === false) return;
    this.refill();
    this.tokens = Math.max(0, this.tokens - count);
  }

  private refill(): void {
    if (this.settings === false) return;
    const now = this.now();
    const elapsedSeconds = Math.max(0, now - this.refilledAt) / 1000;
    this.tokens = Math.min(this.settings.burst, this.tokens + elapsedSeconds * this.settings.perSecond);
    this.refilledAt = now;
  }
}
