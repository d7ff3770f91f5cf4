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
  /** Write the plan to this file and change nothing (`failover apply FILE` runs it later). */
  planOut?: string;
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
    const request = {
      runbookFile: file,
      params: options.param ?? {},
      operator: options.operator,
      incident: options.incident,
      reason: options.reason,
    };
    if (options.planOut !== undefined) {
      const { planToFile } = await import('../saved-plans.js');
      return await planToFile(io, ctx, request, `run ${file}`, options.planOut);
    }
    const { exitCode } = await runRunbook(io, ctx, { ...request, planOnly: false });
    return exitCode;
  } catch (error) {
    return reportError(io, error);
  }
}
