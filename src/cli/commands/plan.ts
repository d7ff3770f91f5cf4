import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import type { ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { runRunbook } from '../run-runbook.js';

/** `failover plan RUNBOOK`: the plan on stdout; changes nothing. */
export default async function plan(
  globals: GlobalOptions,
  file: string,
  options: { param?: Record<string, string> },
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const { exitCode } = await runRunbook(io, ctx, {
      runbookFile: file,
      params: options.param ?? {},
      planOnly: true,
    });
    return exitCode;
  } catch (error) {
    return reportError(io, error);
  }
}
