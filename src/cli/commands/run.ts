import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import type { ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { paramProblems, throwIfProblems } from '../options.js';
import { runRunbook } from '../run-runbook.js';

export interface RunOptions {
  param?: Record<string, string>;
  operator?: string;
  incident?: string;
  reason?: string;
}

/** `failover run RUNBOOK`: plan, confirm, apply. */
export default async function run(
  globals: GlobalOptions,
  file: string,
  options: RunOptions,
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    throwIfProblems(paramProblems(options.param));
    const { exitCode } = await runRunbook(io, ctx, {
      runbookFile: file,
      params: options.param ?? {},
      operator: options.operator,
      incident: options.incident,
      reason: options.reason,
      planOnly: false,
    });
    return exitCode;
  } catch (error) {
    return reportError(io, error);
  }
}
