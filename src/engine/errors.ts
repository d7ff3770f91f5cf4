/**
 * Typed errors. Every error the tool raises on purpose is a FailoverError with a stable code,
 * a category that the CLI (and only the CLI) maps to an exit code, and a hint that names the fix.
 */

/** What went wrong, from the operator's point of view. Mapped to exit codes in src/cli/exit-codes.ts. */
export type ErrorCategory =
  /** Bad flags, bad runbook, bad config: the operator must change the input. Nothing ran. */
  | 'invalid-input'
  /** A step failed while running (a check, a cloud call, a timeout). */
  | 'step-failed'
  /** The operator declined a confirmation or interrupted the run. */
  | 'aborted'
  /** Another run holds the lock. */
  | 'locked'
  /** A bug in the tool itself. */
  | 'internal';

/** One problem found in an input file: reported all together, each with its place. */
export interface Problem {
  message: string;
  /** Field path such as `steps[2].with.weights`. */
  path?: string;
  file?: string;
  line?: number;
  column?: number;
  hint?: string;
}

export interface FailoverErrorOptions {
  hint?: string;
  cause?: unknown;
  problems?: Problem[];
  /** Whether retrying the same call may succeed (throttling, 5xx, timeouts). */
  retryable?: boolean;
  /** Extra data safe to print (never secrets). */
  details?: Record<string, unknown>;
}

const MARKER = Symbol.for('failover.error');

export class FailoverError extends Error {
  readonly [MARKER] = true;
  readonly code: string;
  readonly category: ErrorCategory;
  readonly hint: string | undefined;
  readonly problems: Problem[];
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, category: ErrorCategory, message: string, options: FailoverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FailoverError';
    this.code = code;
    this.category = category;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  /** Recognise our errors by a marker, not by instanceof, so two copies of the module still agree. */
  static is(value: unknown): value is FailoverError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

export function invalidInput(code: string, message: string, options?: FailoverErrorOptions): FailoverError {
  return new FailoverError(code, 'invalid-input', message, options);
}

export function stepFailed(code: string, message: string, options?: FailoverErrorOptions): FailoverError {
  return new FailoverError(code, 'step-failed', message, options);
}

/** Wrap anything thrown into a FailoverError, keeping the original as cause. */
export function toFailoverError(value: unknown, fallbackCode = 'FO_INTERNAL_E0001'): FailoverError {
  if (FailoverError.is(value)) return value;
  if (value instanceof Error) {
    return new FailoverError(fallbackCode, 'internal', value.message, { cause: value });
  }
  return new FailoverError(fallbackCode, 'internal', String(value));
}

/** Formats a problem as `file:line:column path: message`. */
export function formatProblem(problem: Problem): string {
  const place = problem.file
    ? `${problem.file}${problem.line ? `:${problem.line}${problem.column ? `:${problem.column}` : ''}` : ''}`
    : '';
  // A message that already begins with its path (`--stages: stage 2 …`) is not prefixed twice.
  const path = problem.path && !problem.message.startsWith(problem.path) ? problem.path : undefined;
  const where = [place, path].filter(Boolean).join(' ');
  return `${where ? `${where}: ` : ''}${problem.message}${problem.hint ? ` (hint: ${problem.hint})` : ''}`;
}
