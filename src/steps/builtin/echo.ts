import { z } from 'zod';
import { defineStep, type StepKind } from '../types.js';

const input = z.strictObject({ message: z.string() });

function noteKind(kind: string): StepKind<z.infer<typeof input>> {
  return defineStep({
    kind,
    description: 'Print a message into the run log and the journal.',
    mutating: false,
    resume: 'once',
    input,
    async plan(_ctx, { message }) {
      return { summary: message, changes: [], converged: false, outputs: { message } };
    },
    async apply(ctx, { message }) {
      ctx.emit({ level: 'info', code: 'FO_NOTE_I1201', message });
      return { outputs: { message } };
    },
  });
}

export const echoStep = noteKind('echo');
export const noteStep = noteKind('note');
