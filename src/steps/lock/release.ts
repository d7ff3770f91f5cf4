/**
 * lock.release: gives the run lock back. Belongs in a runbook's `finally:` so that it runs after a
 * failure or an interrupt too. Deletes the lock only while this run holds it (a compare-and-swap
 * on the ref), so it never removes a lock someone else took over.
 */

import { describeLock } from '../../providers/git/lock.js';
import { z } from '../../util/zod.js';
import { defineStep } from '../types.js';

export const lockReleaseStep = defineStep({
  kind: 'lock.release',
  description: 'Release the run lock if this run holds it.',
  mutating: true,
  // The lock changes nothing that later steps read: checks planned after it stay live.
  independent: true,
  defaultTimeoutMs: 2 * 60_000,
  input: z.strictObject({}),

  async plan(ctx) {
    if (ctx.afterChanges) {
      return { summary: 'release the run lock if this run holds it', changes: [], converged: false };
    }
    const held = await ctx.read.git.readLock(ctx.signal);
    const ref = ctx.config.gitops?.lockRef ?? 'refs/failover/lock';
    if (!held || held.runId !== ctx.run.id) {
      return {
        summary: held
          ? `the run lock is not this run's (held by ${describeLock(held)})`
          : 'the run lock is free',
        changes: [],
        converged: true,
        outputs: { released: false },
      };
    }
    return {
      summary: `release the run lock ${ref}`,
      changes: [{ action: 'delete', resource: `git ref ${ref}`, summary: `lock of run ${ctx.run.id}` }],
      converged: false,
    };
  },

  async apply(ctx) {
    const released = await ctx.write.git.releaseLock(ctx.run.id, ctx.signal);
    ctx.emit({
      level: released ? 'info' : 'warn',
      code: released ? 'FO_LOCK_I4103' : 'FO_LOCK_W4104',
      message: released
        ? 'run lock released'
        : 'the run lock was no longer this run’s when releasing it (taken over or removed meanwhile)',
    });
    return { outputs: { released } };
  },
});
