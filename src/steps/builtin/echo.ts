import { z } from '../../util/zod.js';
import { defineStep, type StepKind } from '../types.js';

const input = z.strictObject({
  message: z.string(),
  /** `warn`: shown as a warning in the plan, the run log, the journal and the report. */
  level: z.enum(['info', 'warn']).default('info'),
});

function noteKind(kind: string): StepKind<z.infer<typeof input>> {
  return defineStep({
    kind,
    description: 'Print a message into the run log and the journal.',
    mutating: false,
    resume: 'once',
    input,
    async plan(_ctx, { message, level }) {
      return {
        summary: message,
        changes: [],
        converged: false,
        outputs: { message },
        ...(level === 'warn' ? { warnings: [message] } : {}),
      };
    },
    async apply(ctx, { message, level }) {
      ctx.emit(
        level === 'warn'
          ? { level: 'warn', code: 'FO_NOTE_W1202', message }
          : { level: 'info', code: 'FO_NOTE_I1201', message },
      );
      return { outputs: { message } };
    },
  });
}

export const echoStep = noteKind('echo');
export const noteStep = noteKind('note');
