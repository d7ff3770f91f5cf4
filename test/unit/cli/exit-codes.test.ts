/** Exit codes are the CLI's contract with scripts: each outcome and error category maps to one. */
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeForCategory, exitCodeForOutcome } from '../../../src/cli/exit-codes.js';
import type { ErrorCategory } from '../../../src/engine/errors.js';
import type { RunOutcome } from '../../../src/engine/events.js';

describe('exit codes', () => {
  it.each<[ErrorCategory, number]>([
    ['invalid-input', 2],
    ['step-failed', 1],
    ['aborted', 3],
    ['locked', 4],
    ['internal', 5],
  ])('error category %s → %i', (category, code) => {
    expect(exitCodeForCategory(category)).toBe(code);
  });

  it.each<[RunOutcome, ErrorCategory | undefined, number]>([
    ['succeeded', undefined, EXIT.ok],
    ['planned', undefined, EXIT.ok],
    ['planned', 'step-failed', EXIT.failed],
    ['failed', 'step-failed', EXIT.failed],
    ['rolled-back', 'step-failed', EXIT.failed],
    ['failed', 'aborted', EXIT.aborted],
    ['aborted', 'aborted', EXIT.aborted],
    ['interrupted', 'aborted', EXIT.aborted],
    // No TTY and no --yes: the run is aborted before any change, as a usage error.
    ['aborted', 'invalid-input', EXIT.usage],
    ['failed', 'locked', EXIT.locked],
    ['failed', 'internal', EXIT.internal],
  ])('outcome %s with %s → %i', (outcome, category, code) => {
    expect(exitCodeForOutcome(outcome, category)).toBe(code);
  });
});
