/** Report formats: JSON (the model), JUnit XML (for CI and schedulers), Markdown (for people). */
import type * as FastXmlParser from 'fast-xml-parser';
import { outcomeLabel } from '../engine/events.js';
import { requireCommonJs } from '../util/commonjs.js';
import { formatMs } from '../util/duration.js';
import { TOOL_VERSION } from '../util/version.js';
import type { RunReport, StepRecord } from './model.js';

export type ReportFormat = 'json' | 'junit' | 'md';

export interface ReportDocument {
  title: string;
  /** One entry per run (a game day has two: to-aws and to-gcp). */
  runs: RunReport[];
  /** Extra lines for the Markdown summary (e.g. the hold duration of a game day). */
  notes?: string[];
}

export function renderReport(format: ReportFormat, doc: ReportDocument): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ ...doc, version: TOOL_VERSION }, null, 2)}\n`;
    case 'junit':
      return renderJunit(doc);
    case 'md':
      return renderMarkdown(doc);
  }
}

function failed(step: StepRecord): boolean {
  return step.outcome === 'failed' || step.checks.some((c) => !c.ok && c.severity !== 'warning');
}

function renderJunit(doc: ReportDocument): string {
  const suites = doc.runs.map((run) => {
    const cases = run.steps.map((step) => {
      const testcase: Record<string, unknown> = {
        '@_name': step.id,
        '@_classname': `${run.runbook}.${step.kind}`,
        '@_time': ((step.durationMs ?? 0) / 1000).toFixed(3),
      };
      if (failed(step)) {
        const bad = step.checks
          .filter((c) => !c.ok && c.severity !== 'warning')
          .map((c) => `${c.name}: ${c.detail ?? 'failed'}`);
        testcase.failure = {
          '@_message': step.error?.message ?? bad.join('; '),
          '@_type': step.error?.code ?? 'check',
          '#text': [step.error?.message, step.error?.hint && `hint: ${step.error.hint}`, ...bad]
            .filter(Boolean)
            .join('\n'),
        };
      } else if (step.outcome === 'skipped' || step.outcome === 'not-run') {
        testcase.skipped = { '@_message': step.note ?? step.outcome };
      }
      return testcase;
    });
    return {
      '@_name': `${run.runbook}${run.dryRun ? ' (rehearsal)' : ''}`,
      '@_id': run.runId,
      '@_tests': run.steps.length,
      '@_failures': run.steps.filter(failed).length,
      '@_skipped': run.steps.filter((s) => !failed(s) && (s.outcome === 'skipped' || s.outcome === 'not-run'))
        .length,
      '@_errors': 0,
      '@_time': ((run.durationMs ?? 0) / 1000).toFixed(3),
      '@_timestamp': run.startedAt,
      properties: {
        property: [
          { '@_name': 'outcome', '@_value': outcomeLabel(run.outcome, run.warnings) },
          ...run.warnings.map((w) => ({ '@_name': `warning.${w.stepId}`, '@_value': w.message })),
          { '@_name': 'operator', '@_value': run.operator },
          ...(run.incident ? [{ '@_name': 'incident', '@_value': run.incident }] : []),
          ...(run.reason ? [{ '@_name': 'reason', '@_value': run.reason }] : []),
        ],
      },
      testcase: cases,
    };
  });
  // Required when a JUnit report is written, not at every run's start; and its CommonJS build, one
  // bundled file (about 10 ms to load), not the ESM build's many modules (about 50 ms).
  const { XMLBuilder } = requireCommonJs('fast-xml-parser') as typeof FastXmlParser;
  const builder = new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true });
  const body = builder.build({
    testsuites: {
      '@_name': doc.title,
      '@_tests': suites.reduce((n, s) => n + s['@_tests'], 0),
      '@_failures': suites.reduce((n, s) => n + s['@_failures'], 0),
      testsuite: suites,
    },
  }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

const OUTCOME_ICON: Record<StepRecord['outcome'], string> = {
  succeeded: '✅',
  converged: '✅',
  failed: '❌',
  skipped: '⏭️',
  'rolled-back': '↩️',
  planned: '📝',
  'not-run': '·',
};

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function renderMarkdown(doc: ReportDocument): string {
  const out: string[] = [`# ${doc.title}`, ''];
  for (const note of doc.notes ?? []) out.push(`- ${note}`);
  if (doc.notes?.length) out.push('');
  for (const run of doc.runs) {
    out.push(
      `## ${run.runbook}${run.dryRun ? ' (rehearsal, read-only)' : ''}: ${outcomeLabel(run.outcome, run.warnings)}`,
      '',
    );
    // What the run did not do leads, with the reason and what to do by hand.
    for (const warning of run.warnings)
      out.push(`> ⚠️ **${warning.message}**${warning.hint ? ` (${warning.hint})` : ''}`, '');
    out.push(`- run: \`${run.runId}\`, operator: ${run.operator}, started ${run.startedAt}`);
    if (run.incident || run.reason)
      out.push(
        `- ${[run.incident && `incident: ${run.incident}`, run.reason && `reason: ${run.reason}`].filter(Boolean).join(', ')}`,
      );
    if (run.savedPlan)
      out.push(
        `- applied plan \`${run.savedPlan.hash}\` made by ${run.savedPlan.plannedBy} at ${run.savedPlan.plannedAt}; applied by ${run.operator}; approved by ${run.savedPlan.approvedBy.join(', ') || 'nobody'}`,
      );
    if (run.durationMs !== undefined) out.push(`- took ${formatMs(run.durationMs)}`);
    if (run.error)
      out.push(`- error: ${run.error.message}${run.error.hint ? ` (hint: ${run.error.hint})` : ''}`);
    out.push('');
    if (run.phases.length) {
      out.push('| phase | time |', '|---|---:|');
      for (const phase of run.phases) out.push(`| ${phase.name} | ${formatMs(phase.durationMs)} |`);
      out.push('');
    }
    out.push(...mermaidGantt(run));
    out.push('| step | kind | outcome | time | detail |', '|---|---|---|---:|---|');
    for (const step of run.steps) {
      const detail = step.error?.message ?? step.note ?? '';
      out.push(
        `| ${step.id} | \`${step.kind}\` | ${OUTCOME_ICON[step.outcome]} ${step.outcome} | ${step.durationMs !== undefined ? formatMs(step.durationMs) : ''} | ${escapeCell(detail)} |`,
      );
    }
    const checks = run.steps.flatMap((s) => s.checks.map((c) => ({ step: s.id, ...c })));
    if (checks.length) {
      out.push('', '### Checks', '', '| step | check | result | detail |', '|---|---|---|---|');
      for (const check of checks) {
        out.push(
          `| ${check.step} | ${escapeCell(check.name)} | ${check.ok ? '✅ ok' : check.severity === 'warning' ? '⚠️ warning' : '❌ failed'} | ${escapeCell(check.detail ?? '')} |`,
        );
      }
    }
    out.push('');
  }
  return out.join('\n');
}

/** Mermaid ids and labels: no colon, semicolon or hash, which end a task line. */
function mermaidText(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * The timeline of a run as a Mermaid gantt chart, which GitHub and GitLab draw: one bar per step
 * that ran, from its start to its end, in sections by phase. Times are ms after the run started
 * (`dateFormat x`), shown as minutes:seconds.
 */
export function mermaidGantt(run: RunReport): string[] {
  const timed = run.steps.filter((s) => s.startMs !== undefined && s.durationMs !== undefined);
  if (timed.length === 0) return [];
  const out = [
    '```mermaid',
    'gantt',
    `  title ${mermaidText(`${run.runbook} ${run.runId}`)}`,
    '  dateFormat x',
    '  axisFormat %M:%S',
  ];
  const sections = new Map<string, StepRecord[]>();
  for (const step of timed) {
    const name = step.phase ?? 'other steps';
    sections.set(name, [...(sections.get(name) ?? []), step]);
  }
  for (const [name, steps] of sections) {
    out.push(`  section ${mermaidText(name)}`);
    for (const step of steps) {
      const start = Math.max(0, Math.round(step.startMs!));
      // A bar of 0 ms is not drawn: give instant steps one millisecond.
      const end = start + Math.max(1, Math.round(step.durationMs!));
      const tag =
        step.outcome === 'failed' ? 'crit, ' : step.outcome === 'rolled-back' ? 'active, ' : 'done, ';
      out.push(`    ${mermaidText(step.id)} :${tag}${start}, ${end}`);
    }
  }
  out.push('```', '');
  return out;
}
