import { Duration, formatMs, toMs } from '../../util/duration.js';
import { z } from '../../util/zod.js';
import { defineStep } from '../types.js';

/** Sleeps for a while, e.g. to let caches expire between traffic stages. */
export const waitStep = defineStep({
  kind: 'wait',
  description: 'Pause for a duration (interruptible).',
  mutating: false,
  resume: 'once',
  input: z.strictObject({ duration: Duration, reason: z.string().optional() }),
  async plan(_ctx, input) {
    const duration = toMs(input.duration);
    return {
      summary: `wait ${formatMs(duration)}${input.reason ? ` (${input.reason})` : ''}`,
      changes: [],
      converged: false,
    };
  },
  async apply(ctx, input) {
    await ctx.sleep(toMs(input.duration));
    return {};
  },
});
