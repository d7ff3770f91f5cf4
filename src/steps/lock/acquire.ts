/**
 * lock.acquire: takes the run lock in the GitOps remote so that two failovers never run at once.
 * In a real run a lock held by another run fails the run at once (category `locked`, exit 4) with
 * the holder's name, host and times; a dry-run reports it as a failed check instead, which is what
 * a rehearsal looks for. `breakLock` takes over an expired lock, loudly. A resumed run re-takes its
 * own lock.
 */

import type { Json } from '../../engine/events.js';
import type { StepPlan } from '../../engine/plan.js';
import { describeLock, isExpired, isStale, lockedError } from '../../providers/git/lock.js';
import type { LockInfo } from '../../providers/git/port.js';
import { Duration, formatMs, toMs } from '../../util/duration.js';
import { z } from '../../util/zod.js';
import { defineStep, type PlanContext } from '../types.js';

const Input = z.strictObject({
  /** Why the lock is taken, e.g. `to-aws INC-42`; shown to whoever finds it held. */
  purpose: z.string().min(1),
  /** How long the lock holds without the run releasing it; default gitops.lockTtl. */
  ttl: Duration.optional(),
  /** Take over an expired lock (`--break-lock`). */
  breakLock: z.boolean().default(false),
});
type Input = z.infer<typeof Input>;

function lockRef(ctx: PlanContext): string {
  return ctx.config.gitops?.lockRef ?? 'refs/failover/lock';
}

function ttlMs(ctx: PlanContext, input: Input): number {
  return toMs(input.ttl ?? ctx.config.gitops?.lockTtl ?? '30m');
}

function lockOutputs(lock: LockInfo, ref: string): Record<string, Json> {
  return { ref, ...lock } as unknown as Record<string, Json>;
}

export const lockAcquireStep = defineStep({
  kind: 'lock.acquire',
  description:
    'Take the run lock (a ref in the GitOps remote) so that no other failover runs at the same time.',
  mutating: true,
  // The lock changes nothing that later steps read: checks planned after it stay live.
  independent: true,
  defaultTimeoutMs: 2 * 60_000,
  input: Input,

  async plan(ctx, input): Promise<StepPlan> {
    const ref = lockRef(ctx);
    const ttl = ttlMs(ctx, input);
    const held = await ctx.read.git.readLock(ctx.signal);
    const take = {
      action: 'create' as const,
      resource: `git ref ${ref}`,
      summary: `lock for ${ctx.run.operator} (run ${ctx.run.id}) on ${ctx.run.host} for ${formatMs(ttl)}: ${input.purpose}`,
    };
    if (!held) {
      return {
        summary: `take the run lock ${ref} for ${formatMs(ttl)}`,
        changes: [take],
        checks: [{ name: 'lock free', ok: true }],
        converged: false,
      };
    }
    if (held.runId === ctx.run.id) {
      // A resumed run takes its own lock again: a fresh expiry, and renewal while this process runs.
      const expired = isExpired(held);
      return {
        summary: expired
          ? `re-take this run's expired lock ${ref} for ${formatMs(ttl)}`
          : `this run holds the run lock (until ${held.expiresAt}): re-take it for ${formatMs(ttl)}`,
        changes: [{ ...take, action: 'update' }],
        checks: [{ name: 'lock free', ok: true, detail: `held by this run${expired ? ' (expired)' : ''}` }],
        converged: false,
      };
    }
    if (input.breakLock && isStale(held)) {
      const why = isExpired(held) ? 'expired' : 'abandoned';
      const warning = `--break-lock: the ${why} lock of ${describeLock(held)} will be taken over`;
      return {
        summary: `BREAK the ${why} run lock of ${held.operator} (run ${held.runId}) and take it for ${formatMs(ttl)}`,
        changes: [
          {
            ...take,
            action: 'update',
            summary: `${take.summary} (replaces the ${why} lock of run ${held.runId})`,
          },
        ],
        checks: [{ name: 'lock free', ok: true, detail: `${why} lock of ${describeLock(held)} is broken` }],
        converged: false,
        warnings: [warning],
      };
    }
    // Held by another run: a real run stops here with exit code 4; a dry-run reports it.
    if (!ctx.run.dryRun) throw lockedError(held, ref);
    const error = lockedError(held, ref);
    return {
      summary: `the run lock ${ref} is held: ${error.message}`,
      changes: [take],
      checks: [{ name: 'lock free', ok: false, detail: `${error.message} (${error.hint ?? ''})` }],
      converged: false,
    };
  },

  async apply(ctx, input) {
    const ref = lockRef(ctx);
    const now = Date.now();
    const lock: LockInfo = {
      runId: ctx.run.id,
      operator: ctx.run.operator,
      host: ctx.run.host,
      startedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttlMs(ctx, input)).toISOString(),
      purpose: input.purpose,
      pid: process.pid,
    };
    const { brokeLock } = await ctx.write.git.acquireLock(lock, {
      breakStale: input.breakLock,
      signal: ctx.signal,
    });
    if (brokeLock) {
      ctx.emit({
        level: 'warn',
        code: 'FO_LOCK_W4101',
        message: `BROKE THE RUN LOCK of ${describeLock(brokeLock)} (--break-lock); this run ${ctx.run.id} holds it now`,
        data: { brokeLock: { ...brokeLock } },
      });
    } else {
      ctx.emit({
        level: 'info',
        code: 'FO_LOCK_I4102',
        message: `run lock ${ref} taken until ${lock.expiresAt}`,
      });
    }
    return {
      outputs: {
        ...lockOutputs(lock, ref),
        ...(brokeLock ? { brokeLock: { ...brokeLock } as unknown as Json } : {}),
      },
    };
  },
});
