/** Human-readable rendering of a standby lint report (the JSON output is the report itself). */
import picocolors from 'picocolors';
import type { StandbyFinding, StandbyLintReport } from './types.js';
import { describeRef } from './workloads.js';

type Colors = ReturnType<typeof picocolors.createColors>;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function formatFinding(finding: StandbyFinding, c: Colors): string[] {
  const severity =
    finding.severity === 'error'
      ? c.red('error')
      : finding.severity === 'warning'
        ? c.yellow('warning')
        : c.dim('info');
  const place = finding.file ? `${finding.file}${finding.line ? `:${finding.line}` : ''}` : '';
  const object = finding.object ? c.dim(`(${describeRef(finding.object)})`) : '';
  const lines = [[c.bold(place), severity, finding.rule, object].filter(Boolean).join('  ')];
  lines.push(`    ${finding.message}`);
  if (finding.fix) lines.push(`    ${c.dim('fix'.padEnd(4))} ${c.cyan(finding.fix)}`);
  return lines;
}

export function formatStandbyReport(report: StandbyLintReport, options: { color: boolean }): string {
  const c = picocolors.createColors(options.color);
  const out: string[] = [];
  const entries = report.entries.length
    ? report.entries
        .map((e) =>
          e.shape === 'replicas'
            ? `replicas ${e.path}=0`
            : `${e.path} (${e.shape === 'component' ? 'component' : e.kinds.join(', ')})`,
        )
        .join(', ')
    : 'none';
  // Without a kustomization read, neither the state nor the entries are known.
  const known = report.rendered || report.entries.length > 0 || report.problems.length === 0;
  out.push(
    known
      ? `${c.bold('Overlay')} ${report.overlay}: ${report.state}; standby entries: ${entries}`
      : `${c.bold('Overlay')} ${report.overlay}: not checked`,
  );
  if (report.renderer) out.push(`${c.dim('rendered with')} ${report.renderer}`);
  if (report.rendererNote) out.push(c.yellow(`note: ${report.rendererNote}`));
  out.push('');
  for (const finding of report.findings) out.push(...formatFinding(finding, c), '');
  if (report.wouldStart.length > 0) {
    out.push(c.bold('Removing the standby entries would start:'));
    const width = Math.max(...report.wouldStart.map((w) => describeRef(w).length));
    for (const workload of report.wouldStart) {
      out.push(`  ${describeRef(workload).padEnd(width)}  ${c.dim(workload.from)} → ${c.green(workload.to)}`);
    }
    out.push('');
  }
  if (report.alwaysOn.length > 0) {
    out.push(c.bold('Always on in standby (deliberate):'));
    for (const { object, reason } of report.alwaysOn) out.push(`  ${describeRef(object)}  ${c.dim(reason)}`);
    out.push('');
  }
  if (report.problems.length > 0) {
    out.push(c.bold('Could not check:'));
    for (const problem of report.problems) {
      const where = problem.file ? `${problem.file}${problem.line ? `:${problem.line}` : ''}  ` : '';
      out.push(`  ${c.bold(where)}${problem.message}`);
      if (problem.hint) out.push(`    ${c.dim('hint')} ${problem.hint}`);
    }
    out.push('');
  }
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.filter((f) => f.severity === 'warning').length;
  const summary = !report.rendered
    ? c.red('Nothing could be checked')
    : errors + warnings === 0
      ? c.green(
          report.alwaysOn.length
            ? `Standby is dormant apart from ${plural(report.alwaysOn.length, 'always-on workload')}`
            : 'Standby is dormant: every workload at 0 replicas or suspended',
        )
      : `${errors > 0 ? c.red(plural(errors, 'error')) : '0 errors'}, ${plural(warnings, 'warning')}`;
  out.push(
    `${summary} (${plural(report.objects, 'object')} rendered, ${report.wouldStart.length} would start)`,
  );
  return out.join('\n');
}
