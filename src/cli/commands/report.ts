import { invalidInput } from '../../engine/errors.js';
import { journalFile } from '../../engine/journal.js';
import { type ReportFormat, renderReport } from '../../report/render.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { reportDocument } from '../reports.js';

/** `failover report RUN_ID…`: a report of runs from their journals, on stdout. */
export default async function report(
  globals: GlobalOptions,
  runIds: string[],
  options: { format?: string },
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    // The global --output json asks for JSON like everywhere else; --format names a format outright.
    const format = (options.format ?? (globals.output === 'json' ? 'json' : 'md')) as ReportFormat;
    if (!['md', 'junit', 'json'].includes(format)) {
      throw invalidInput('FO_REPORT_E7002', `unknown report format "${options.format}"`, {
        hint: 'use md, junit or json',
      });
    }
    if (globals.output === 'json' && format !== 'json')
      throw invalidInput(
        'FO_REPORT_E7005',
        `--output json and --format ${format} disagree: the report would not be JSON`,
        { hint: `drop --output json for ${format}, or use --format json` },
      );
    const stateDir = ctx.stateDir(ctx.config(false).config);
    const files = runIds.map((id) => journalFile(stateDir, id));
    io.stdout.write(renderReport(format, reportDocument(`failover ${runIds.join(', ')}`, files)));
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}
