/**
 * `failover lint …`: the multi-cloud traps, checked before the incident does it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Redactor } from '../../engine/redact.js';
import {
  fixIngressText,
  formatIngressReport,
  ingressExitCode,
  lintIngress,
  readIngressInputs,
} from '../../lint/ingress/index.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';

/** `failover lint ingress PATH…` (or `-`/nothing for stdin): GCLB vs ALB path routing. */
export async function ingress(
  globals: GlobalOptions,
  paths: string[],
  options: { fix?: boolean },
): Promise<ExitCode> {
  const io = new Io(globals, new Redactor());
  try {
    const fromStdin = paths.length === 0 || (paths.length === 1 && paths[0] === '-');
    if (fromStdin && options.fix) {
      io.err(
        io.colors.red('error') +
          ' --fix rewrites files; it cannot rewrite standard input (pass the files instead)',
      );
      return EXIT.usage;
    }
    const { inputs, problems } = fromStdin
      ? { inputs: [{ file: '<stdin>', text: readFileSync(0, 'utf8') }], problems: [] }
      : await readIngressInputs(paths);
    if (options.fix) {
      for (const input of inputs) {
        const fixed = fixIngressText(input.text, input.file);
        if (fixed.changed) {
          writeFileSync(input.file, fixed.text);
          io.err(`${io.colors.green('fixed')} ${input.file}`);
          input.text = fixed.text;
        }
        for (const note of fixed.notes) io.err(io.colors.yellow(`${input.file}: ${note}`));
      }
    }
    const report = lintIngress(inputs);
    report.problems.unshift(...problems);
    if (globals.output === 'json') io.json(report);
    else io.out(formatIngressReport(report, { color: io.colors.isColorSupported }));
    return ingressExitCode(report) as ExitCode;
  } catch (error) {
    return reportError(io, error);
  }
}
