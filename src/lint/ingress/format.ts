/** Human-readable rendering of an Ingress lint report (the JSON output is the report itself). */
import picocolors from 'picocolors';
import type { Finding, IngressLintReport } from './types.js';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function formatFinding(finding: Finding, c: ReturnType<typeof picocolors.createColors>): string[] {
  const severity = finding.severity === 'error' ? c.red('error') : c.yellow('warning');
  const context = [`host ${finding.host}`, finding.ingress ? `Ingress ${finding.ingress}` : undefined]
    .filter(Boolean)
    .join(', ');
  const lines = [
    `${c.bold(`${finding.file}:${finding.line}`)}  ${severity}  ${finding.kind}  ${c.dim(`(${context})`)}`,
  ];
  const row = (label: string, value: string) => `    ${c.dim(label.padEnd(8))} ${value}`;
  if (finding.kind === 'divergence' && finding.example && finding.backends && finding.via) {
    const width = Math.max(finding.backends.gcp.length, finding.backends.aws.length);
    lines.push(row('request', finding.example));
    lines.push(
      row('GKE', `${c.green(finding.backends.gcp.padEnd(width))}  ${c.dim('via')} ${finding.via.gcp}`),
    );
    lines.push(
      row('AWS ALB', `${c.red(finding.backends.aws.padEnd(width))}  ${c.dim('via')} ${finding.via.aws}`),
    );
    const note = finding.message.match(/\((with [^)]*)\)$/);
    if (note?.[1]) lines.push(row('when', note[1]));
  } else {
    lines.push(`    ${finding.message}`);
  }
  if (finding.fix) lines.push(row('fix', c.cyan(finding.fix)));
  return lines;
}

export function formatIngressReport(report: IngressLintReport, options: { color: boolean }): string {
  const c = picocolors.createColors(options.color);
  const out: string[] = [];
  for (const finding of report.findings) out.push(...formatFinding(finding, c), '');
  if (report.problems.length > 0) {
    out.push(c.bold('Could not check:'));
    for (const problem of report.problems) {
      const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
      out.push(`  ${c.bold(where)}  ${problem.message}`);
    }
    out.push('');
  }
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const summary =
    report.findings.length === 0
      ? c.green('No routing differences between GKE and AWS ALB')
      : `${errors > 0 ? c.red(plural(errors, 'error')) : '0 errors'}, ${plural(warnings, 'warning')}`;
  const ingresses = `${report.ingresses} ${report.ingresses === 1 ? 'Ingress' : 'Ingresses'}`;
  const scope = `${plural(report.checkedFiles, 'file')} checked, ${ingresses}`;
  const problems = report.problems.length > 0 ? `, ${plural(report.problems.length, 'input problem')}` : '';
  out.push(`${summary} (${scope}${problems})`);
  return out.join('\n');
}
