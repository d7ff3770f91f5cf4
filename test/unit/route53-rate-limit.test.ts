/**
 * The Route 53 limiters against a virtual clock: the client's (account bucket, per-operation
 * buckets, back-off after a throttle) and the emulator's (documented buckets). No real sleeps.
 */
import { describe, expect, it } from 'vitest';
import { type Clock, Route53Limiter } from '../../src/providers/route53/rate-limit.js';
import { Route53Throttling } from '../../src/sandbox/route53/throttling.js';

/** Time that only moves when someone sleeps: each sleep resolves when the clock reaches its end. */
class VirtualClock implements Clock {
  private time = 0;
  private sleepers: { until: number; resolve: () => void }[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const sleeper = { until: this.time + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(new Error('aborted'));
      });
    });
  }

  /** Runs every sleeper in time order until none is left (bounded). */
  async runAll(): Promise<void> {
    for (let step = 0; step < 10_000; step++) {
      await new Promise((r) => setImmediate(r));
      if (this.sleepers.length === 0) return;
      this.sleepers.sort((a, b) => a.until - b.until);
      const next = this.sleepers.shift() as { until: number; resolve: () => void };
      this.time = Math.max(this.time, next.until);
      next.resolve();
    }
    throw new Error('virtual clock: sleepers never ran out');
  }
}

/** Sends `count` requests at once and records when each one got through. */
async function burst(limiter: Route53Limiter, clock: VirtualClock, operation: string, count: number) {
  const passedAt: number[] = [];
  const all = Promise.all(
    Array.from({ length: count }, async () => {
      await limiter.take(operation);
      passedAt.push(clock.now());
    }),
  );
  await clock.runAll();
  await all;
  return passedAt.sort((a, b) => a - b);
}

/** The most requests that got through in any window of `ms`. */
function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  for (const start of times) best = Math.max(best, times.filter((t) => t >= start && t < start + ms).length);
  return best;
}

describe('client limiter (virtual clock)', () => {
  it('lets the burst through at once, then paces at the refill rate', async () => {
    const clock = new VirtualClock();
    const limiter = new Route53Limiter({ perSecond: 8, burst: 10 }, clock);
    const times = await burst(limiter, clock, 'UpdateTrafficPolicyInstance', 50);
    expect(times.filter((t) => t === 0)).toHaveLength(10);
    // 40 more at 8/s: the last one at 5 s.
    expect(times.at(-1)).toBe(5000);
    // Never more than burst + rate in any second, and the sustained rate never above 8/s.
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(10 + 8);
    expect(
      maxInWindow(
        times.filter((t) => t > 0),
        1000,
      ),
    ).toBeLessThanOrEqual(8);
    expect(limiter.stats.requests).toBe(50);
    expect(limiter.stats.byOperation).toEqual({ UpdateTrafficPolicyInstance: 50 });
  });

  it('holds an operation to its own documented bucket (GetHealthCheckStatus: 4, then 1/s)', async () => {
    const clock = new VirtualClock();
    const limiter = new Route53Limiter({ perSecond: 8, burst: 10 }, clock);
    const times = await burst(limiter, clock, 'GetHealthCheckStatus', 8);
    expect(times).toEqual([0, 0, 0, 0, 1000, 2000, 3000, 4000]);
  });

  it('per-operation limits from the config replace the documented ones', async () => {
    const clock = new VirtualClock();
    const limiter = new Route53Limiter(
      { perSecond: 8, burst: 10, operations: { UpdateTrafficPolicyInstance: { perSecond: 1, burst: 1 } } },
      clock,
    );
    const times = await burst(limiter, clock, 'UpdateTrafficPolicyInstance', 3);
    expect(times).toEqual([0, 1000, 2000]);
  });

  it('the operation bucket and the account bucket both apply', async () => {
    const clock = new VirtualClock();
    const limiter = new Route53Limiter({ perSecond: 2, burst: 2 }, clock);
    // Two list calls use the account burst; the health check then waits for the account, not its own bucket.
    const lists = burst(limiter, clock, 'ListTrafficPolicyInstances', 2);
    await lists;
    const checks = await burst(limiter, clock, 'GetHealthCheckStatus', 2);
    expect(checks).toEqual([500, 1000]);
  });

  it('a throttle is counted and drains the buckets, so the next request waits a refill', async () => {
    const clock = new VirtualClock();
    const limiter = new Route53Limiter({ perSecond: 4, burst: 10 }, clock);
    await burst(limiter, clock, 'ListTrafficPolicyInstances', 1);
    limiter.throttled('ListTrafficPolicyInstances');
    expect(limiter.stats.throttled).toBe(1);
    const times = await burst(limiter, clock, 'ListTrafficPolicyInstances', 2);
    expect(times).toEqual([250, 500]);
  });

  it('an aborted wait gives its token back', async () => {
    const clock = new VirtualClock();
    const limiter = new Route53Limiter({ perSecond: 1, burst: 1 }, clock);
    await burst(limiter, clock, 'X', 1);
    const controller = new AbortController();
    const waiting = limiter.take('X', controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow('aborted');
    // The token came back: the next request waits one refill, not two.
    const times = await burst(limiter, clock, 'X', 1);
    expect(times).toEqual([1000]);
    expect(limiter.stats.requests).toBe(2);
  });
});

describe('emulator buckets (virtual clock)', () => {
  it('account bucket: 50 at once, then 10 per second', () => {
    let now = 0;
    const throttling = new Route53Throttling({}, () => now);
    // Two operations, 30 each: each stays within its own bucket of 50, the account's 50 runs out.
    const admitted = [
      ...Array.from({ length: 30 }, () => throttling.admit('ListTrafficPolicyInstances')),
      ...Array.from({ length: 30 }, () => throttling.admit('GetTrafficPolicyInstance')),
    ];
    expect(admitted.filter((r) => r === undefined)).toHaveLength(50);
    expect(admitted.slice(50)).toEqual(Array(10).fill('account'));
    now = 1000;
    const next = Array.from({ length: 12 }, () => throttling.admit('GetTrafficPolicyInstance'));
    expect(next.filter((r) => r === undefined)).toHaveLength(10);
  });

  it('per-operation buckets: CreateTrafficPolicyInstance 1/1, GetHealthCheckStatus 4/1', () => {
    let now = 0;
    const throttling = new Route53Throttling({}, () => now);
    expect(throttling.admit('CreateTrafficPolicyInstance', 1)).toBeUndefined();
    expect(throttling.admit('CreateTrafficPolicyInstance', 1)).toBe('operation');
    const checks = Array.from({ length: 5 }, () => throttling.admit('GetHealthCheckStatus'));
    expect(checks).toEqual([undefined, undefined, undefined, undefined, 'operation']);
    now = 1000;
    expect(throttling.admit('CreateTrafficPolicyInstance', 1)).toBeUndefined();
    expect(throttling.admit('GetHealthCheckStatus')).toBeUndefined();
    expect(throttling.admit('GetHealthCheckStatus')).toBe('operation');
    // A refused request takes no token from the account bucket.
    expect(throttling.refused).toEqual({ account: 0, operation: 3, changes: 0 });
  });

  it('change throughput: record changes drain their own bucket', () => {
    const now = 0;
    const throttling = new Route53Throttling({ changes: { burst: 10, perSecond: 1 } }, () => now);
    expect(throttling.admit('ChangeResourceRecordSets', 8)).toBeUndefined();
    expect(throttling.admit('ChangeResourceRecordSets', 4)).toBe('changes');
    expect(throttling.admit('ChangeResourceRecordSets', 2)).toBeUndefined();
  });

  it('can be changed or switched off', () => {
    const throttling = new Route53Throttling({ account: { burst: 1, perSecond: 1 } }, () => 0);
    expect(throttling.admit('GetChange')).toBeUndefined();
    expect(throttling.admit('GetChange')).toBe('account');
    throttling.configureAll(false);
    for (let i = 0; i < 100; i++) expect(throttling.admit('CreateTrafficPolicyInstance', 5)).toBeUndefined();
  });
});
