import { FailoverError, formatProblem } from '../../engine/errors.js';
import { loadRunbook } from '../../runbook/load.js';
import { createRegistry } from '../../steps/registry.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';

/** `failover validate RUNBOOK…`: every problem of every file, then exit 2 if any. */
export default async function validate(globals: GlobalOptions, files: string[]): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  const registry = createRegistry();
  const results: { file: string; ok: boolean; steps?: number; problems?: unknown[] }[] = [];
  let failed = false;
  for (const file of files) {
    try {
      const loaded = loadRunbook(file, registry);
      const steps = loaded.runbook.steps.reduce((n, s) => n + ('parallel' in s ? s.parallel.length : 1), 0);
      results.push({ file: loaded.file, ok: true, steps });
      if (globals.output === 'text')
        io.out(
          `${io.colors.green('✓')} ${file} ${io.colors.dim(`(${loaded.runbook.name}, ${steps} steps)`)}`,
        );
    } catch (error) {
      failed = true;
      if (!FailoverError.is(error) || error.category !== 'invalid-input') return reportError(io, error);
      // An unreadable file has no problem list, only the error itself.
      const problems = error.problems.length
        ? error.problems
        : [{ file, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }];
      results.push({ file, ok: false, problems });
      if (globals.output === 'text') {
        io.out(`${io.colors.red('✗')} ${file}: ${problems.length} problem(s)`);
        for (const problem of problems) io.out(`  ${formatProblem(problem)}`);
      }
    }
  }
  if (globals.output === 'json') io.json({ ok: !failed, files: results });
  return failed ? EXIT.usage : EXIT.ok;
}
