/** Human-readable rendering of a portability report (the JSON output is the report itself). */
import picocolors from 'picocolors';
import type { ObjectRef, PortabilityFinding, PortabilityReport } from './types.js';

const describe = (ref: ObjectRef) => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

function formatFinding(finding: PortabilityFinding, c: ReturnType<typeof picocolors.createColors>): string[] {
  const severity = finding.severity === 'error' ? c.red('error') : c.yellow('warning');
  const place = finding.source ? `${finding.source.file}:${finding.source.line}` : finding.overlay;
  return [
    `${c.bold(place)}  ${severity}  ${finding.rule}  ${c.dim(`(${describe(finding.object)})`)}`,
    `    ${finding.field}: ${finding.message}`,
    `    ${c.dim('fix'.padEnd(4))} ${c.cyan(finding.fix.description)}`,
    `    ${c.dim('see'.padEnd(4))} ${finding.docs}`,
  ];
}

export function formatPortabilityReport(report: PortabilityReport, options: { color: boolean }): string {
  const c = picocolors.createColors(options.color);
  const out: string[] = [];
  for (const overlay of report.overlays) {
    const mine = report.findings.filter((f) => f.overlay === overlay.overlay && f.target === overlay.target);
    const errors = mine.filter((f) => f.severity === 'error').length;
    const state = !overlay.rendered
      ? c.red('not rendered')
      : mine.length === 0
        ? c.green('portable')
        : `${errors} error(s), ${mine.length - errors} warning(s)`;
    out.push(
      `${c.bold('Overlay')} ${overlay.overlay} on ${overlay.target}: ${overlay.objects} objects, ${state}`,
    );
    for (const finding of mine) out.push(...formatFinding(finding, c));
    for (const live of report.live ?? []) {
      if (live.overlay !== overlay.overlay || live.target !== overlay.target) continue;
      if (live.clusters.length)
        out.push(
          c.dim(`  live check: kinds compared with what ${live.clusters.join(', ')} serves (Argo CD)`),
        );
      if (live.skipped) out.push(c.yellow(`  live check skipped: ${live.skipped}`));
    }
  }
  for (const problem of report.problems) out.push(`${c.red('error')} ${problem.message}`);
  if (report.findings.length > 0) {
    out.push(
      c.dim(
        '`failover lint portability --fix` prints the patches for the overlays (the base is never edited).',
      ),
    );
  }
  return out.join('\n');
}
