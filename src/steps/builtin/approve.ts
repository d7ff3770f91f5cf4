import { FailoverError } from '../../engine/errors.js';
import { z } from '../../util/zod.js';
import { defineStep } from '../types.js';

/** A typed confirmation. `--yes` answers it; without a TTY and without `--yes` the run stops before any change. */
export const approveStep = defineStep({
  kind: 'approve',
  description: 'Ask the operator to confirm by typing a word (answered by --yes).',
  mutating: false,
  input: z.strictObject({
    message: z.string().min(1),
    /** The word the operator must type; default `yes`. */
    expect: z.string().min(1).default('yes'),
  }),
  async plan(_ctx, input) {
    return { summary: `ask: ${input.message} (type "${input.expect}")`, changes: [], converged: false };
  },
  async apply(ctx, input) {
    const asked = Date.now();
    const confirmed = await ctx.confirm({ message: input.message, expect: input.expect });
    // The time the operator spent reading and typing: reports keep it out of the RTO.
    const decisionMs = Date.now() - asked;
    if (!confirmed) {
      throw new FailoverError('FO_APPROVE_E1101', 'aborted', 'the operator did not confirm', {
        hint: `type "${input.expect}" at the prompt, or pass --yes in automation`,
      });
    }
    return { outputs: { approvedBy: ctx.run.operator, decisionMs } };
  },
});
