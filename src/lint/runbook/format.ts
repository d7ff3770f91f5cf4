/** Human-readable rendering of a runbook or config lint report (the JSON output is the report itself). */
import picocolors from 'picocolors';
import type { LintFinding, LintReport } from './types.js';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function place(item: { file: string; line?: number; column?: number }): string {
  return `${item.file}${item.line ? `:${item.line}${item.column ? `:${item.column}` : ''}` : ''}`;
}

function formatFinding(finding: LintFinding, c: ReturnType<typeof picocolors.createColors>): string[] {
  const severity = finding.severity === 'error' ? c.red('error') : c.yellow('warning');
  const lines = [
    [c.bold(place(finding)), severity, finding.rule, finding.path ? c.dim(finding.path) : '']
      .filter(Boolean)
      .join('  '),
    `    ${finding.message}`,
  ];
  if (finding.fix) lines.push(`    ${c.dim('fix'.padEnd(4))} ${c.cyan(finding.fix)}`);
  return lines;
}

export function formatLintReport(report: LintReport, options: { color: boolean }): string {
  const c = picocolors.createColors(options.color);
  const out: string[] = [];
  for (const finding of report.findings) out.push(...formatFinding(finding, c), '');
  if (report.problems.length > 0) {
    out.push(c.bold('Could not check:'));
    for (const problem of report.problems) out.push(`  ${c.bold(place(problem))}  ${problem.message}`);
    out.push('');
  }
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const checked = report.files.filter((f) => f.checked).length;
  const summary =
    checked === 0
      ? c.red('Nothing could be checked')
      : report.findings.length === 0 && report.problems.length === 0
        ? c.green('No problems found')
        : `${errors > 0 ? c.red(plural(errors, 'error')) : '0 errors'}, ${plural(warnings, 'warning')}`;
  const names = report.files
    .filter((f) => f.checked)
    .map((f) => f.name ?? f.file)
    .join(', ');
  out.push(`${summary} (${plural(checked, 'file')} checked${names ? `: ${names}` : ''})`);
  return out.join('\n');
}
