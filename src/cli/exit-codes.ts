/**
 * Exit codes, documented in README.md. Only src/cli maps errors and outcomes to them.
 */
import type { ErrorCategory } from '../engine/errors.js';
import type { RunOutcome } from '../engine/events.js';

export const EXIT = {
  /** Success (a dry-run whose plan found no problem; a rehearsal that found nothing). */
  ok: 0,
  /** A step or check failed; the run failed or was rolled back; a drill found a problem. */
  failed: 1,
  /** Bad usage or invalid input (flags, runbook, config, parameters). Nothing ran. */
  usage: 2,
  /** Aborted by the operator (declined confirmation, Ctrl-C). Resume may continue it. */
  aborted: 3,
  /** Another run holds the lock. */
  locked: 4,
  /** An internal error: a bug in failover. */
  internal: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeForCategory(category: ErrorCategory): ExitCode {
  switch (category) {
    case 'invalid-input':
      return EXIT.usage;
    case 'step-failed':
      return EXIT.failed;
    case 'aborted':
      return EXIT.aborted;
    case 'locked':
      return EXIT.locked;
    case 'internal':
      return EXIT.internal;
  }
}

export function exitCodeForOutcome(outcome: RunOutcome, category?: ErrorCategory): ExitCode {
  if (category === 'locked' || category === 'invalid-input' || category === 'internal')
    return exitCodeForCategory(category);
  switch (outcome) {
    case 'succeeded':
      return EXIT.ok;
    case 'planned':
      return category ? EXIT.failed : EXIT.ok;
    case 'aborted':
    case 'interrupted':
      return EXIT.aborted;
    case 'failed':
    case 'rolled-back':
      return category === 'aborted' ? EXIT.aborted : EXIT.failed;
  }
}
