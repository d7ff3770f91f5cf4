/** Prints any error the way an operator can act on: message, each problem with its place, the fix. */
import { FailoverError, formatProblem, toFailoverError } from '../engine/errors.js';
import { type ExitCode, exitCodeForCategory } from './exit-codes.js';
import type { Io } from './io.js';

/** Problems listed on the terminal; --output json lists them all. */
const MAX_PROBLEMS_SHOWN = 50;

export function reportError(io: Io, thrown: unknown): ExitCode {
  const error = toFailoverError(thrown);
  const exitCode = exitCodeForCategory(error.category);
  if (io.options.output === 'json') {
    io.json({
      error: {
        code: error.code,
        category: error.category,
        message: error.message,
        hint: error.hint,
        problems: error.problems,
      },
      exitCode,
    });
    return exitCode;
  }
  const c = io.colors;
  io.err(`${c.red('error')} ${error.message} ${c.dim(`[${error.code}]`)}`);
  // The first problems are what to fix first; thousands of lines would bury the hint.
  for (const problem of error.problems.slice(0, MAX_PROBLEMS_SHOWN))
    io.err(`  ${c.red('•')} ${formatProblem(problem)}`);
  if (error.problems.length > MAX_PROBLEMS_SHOWN)
    io.err(`  ${c.dim(`… and ${error.problems.length - MAX_PROBLEMS_SHOWN} more problem(s)`)}`);
  if (error.hint) io.err(`  ${c.dim('hint:')} ${error.hint}`);
  if (error.category === 'internal') {
    io.err(c.dim('  this is a bug in failover; please report it with the output of --verbose'));
    if (io.options.verbose && !FailoverError.is(thrown) && thrown instanceof Error && thrown.stack)
      io.err(c.dim(thrown.stack));
  }
  return exitCode;
}
