import { invalidInput } from '../../engine/errors.js';
import { listRunsWithSkipped } from '../../engine/journal.js';
import { formatMs } from '../../util/duration.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { renderTable } from '../render/table.js';

/** `failover runs`: the runs in the journal with their outcome, newest last. */
export default async function runs(globals: GlobalOptions, options: { limit: string }): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw invalidInput('FO_CLI_E2401', `--limit must be a whole number above 0 (got "${options.limit}")`, {
        hint: 'for example --limit 50',
      });
    const config = ctx.config(false).config;
    const { runs: all, skipped } = listRunsWithSkipped(ctx.stateDir(config));
    const shown = all.slice(-limit);
    // Said once, on stderr: a damaged journal must not vanish from the list without a word.
    if (skipped.length)
      io.warn(
        'FO_JOURNAL_W2308',
        `skipped ${skipped.length} journal(s) that cannot be read (empty or damaged): ${skipped.join(', ')}`,
      );
    if (globals.output === 'json') {
      io.json(shown);
      return EXIT.ok;
    }
    if (shown.length === 0) {
      io.err(io.colors.dim(`no runs in ${ctx.stateDir(config)}`));
      return EXIT.ok;
    }
    const c = io.colors;
    const rows = shown.map((run) => {
      const duration = run.finishedAt ? formatMs(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : '';
      const color =
        run.outcome === 'succeeded' || run.outcome === 'planned'
          ? c.green
          : run.outcome === 'running'
            ? c.cyan
            : c.red;
      return [
        run.runId,
        run.runbook + (run.dryRun ? ' (dry-run)' : ''),
        color(run.outcome),
        run.operator,
        run.startedAt.replace('T', ' ').slice(0, 19),
        duration,
      ];
    });
    const header = ['RUN', 'RUNBOOK', 'OUTCOME', 'OPERATOR', 'STARTED (UTC)', 'TOOK'];
    io.out(renderTable(header, rows, c.bold));
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}
