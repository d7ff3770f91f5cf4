/**
 * Reports from a journal: decision time apart from the RTO, real JUnit times (also for steps a
 * rehearsal only planned), a Mermaid gantt chart of the steps by phase, the tool's version in JSON.
 */
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/engine/events.js';
import type { PlannedStep } from '../../../src/engine/plan.js';
import { buildRunReport } from '../../../src/report/model.js';
import { mermaidGantt, renderReport } from '../../../src/report/render.js';
import { TOOL_VERSION } from '../../../src/util/version.js';

const T0 = Date.parse('2026-12-06T03:10:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const runId = '20261206T031000Z-tl01';

function planned(id: string, kind: string, mutating = false): PlannedStep {
  return { id, kind, mutating, plan: { summary: id, changes: [], converged: false } };
}

/** A to-aws-like run: checks, a confirmation answered after 42 s, a push, a wait, a shift. */
function journal(dryRun: boolean): EngineEvent[] {
  const steps = [
    planned('eks', 'check.eks-cluster'),
    planned('confirm', 'approve'),
    planned('activate', 'gitops.set-standby', true),
    planned('running', 'argocd.wait'),
    planned('shift', 'route53.set-weights', true),
  ];
  const events: EngineEvent[] = [
    {
      type: 'run.started',
      runId,
      at: at(0),
      runbook: { name: 'to-aws', file: 'to-aws.yaml' },
      params: {},
      dryRun,
      operator: 'oncall',
    },
    ...steps.map(
      (s, i): EngineEvent => ({
        type: 'step.planned',
        runId,
        at: at(100 * (i + 1)),
        stepId: s.id,
        kind: s.kind,
        plan: s.plan!,
        durationMs: 90 + i,
      }),
    ),
    {
      type: 'run.planned',
      runId,
      at: at(600),
      plan: { runId, runbook: { name: 'to-aws', file: 'to-aws.yaml' }, params: {}, steps, finally: [] },
    },
  ];
  if (dryRun)
    return [...events, { type: 'run.finished', runId, at: at(700), outcome: 'planned', durationMs: 700 }];
  const ran: [string, string, number, number, Record<string, number>][] = [
    ['eks', 'check.eks-cluster', 1_000, 800, {}],
    ['confirm', 'approve', 2_000, 42_000, { decisionMs: 42_000 }],
    ['activate', 'gitops.set-standby', 44_000, 5_000, {}],
    ['running', 'argocd.wait', 49_000, 30_000, { syncedAfterMs: 4_000 }],
    ['shift', 'route53.set-weights', 79_000, 6_000, {}],
  ];
  for (const [stepId, kind, start, duration, outputs] of ran)
    events.push(
      { type: 'step.started', runId, at: at(start), stepId, kind, attempt: 1 },
      {
        type: 'step.succeeded',
        runId,
        at: at(start + duration),
        stepId,
        kind,
        converged: false,
        outputs,
        durationMs: duration,
      },
    );
  events.push({ type: 'run.finished', runId, at: at(86_000), outcome: 'succeeded', durationMs: 86_000 });
  return events;
}

describe('run report timeline', () => {
  it('keeps the decision time out of the RTO and reports it apart', () => {
    const report = buildRunReport(journal(false));
    expect(report.decisionMs).toBe(42_000);
    const phases = Object.fromEntries(report.phases.map((p) => [p.name, p.durationMs]));
    expect(phases['total (RTO)']).toBe(86_000 - 42_000);
    expect(phases['decision time (not in RTO)']).toBe(42_000);
    expect(phases['Argo CD synced']).toBe(4_000);
  });

  it('JUnit carries real durations: applied steps from the run, planned steps from planning', () => {
    const parser = new XMLParser({ ignoreAttributes: false });
    const times = (dryRun: boolean) => {
      const xml = parser.parse(
        renderReport('junit', { title: 't', runs: [buildRunReport(journal(dryRun))] }),
      );
      return Object.fromEntries(
        (xml.testsuites.testsuite.testcase as Record<string, string>[]).map((c) => [
          c['@_name'],
          c['@_time'],
        ]),
      );
    };
    expect(times(false)).toEqual({
      eks: '0.800',
      confirm: '42.000',
      activate: '5.000',
      running: '30.000',
      shift: '6.000',
    });
    expect(times(true)).toEqual({
      eks: '0.090',
      confirm: '0.091',
      activate: '0.092',
      running: '0.093',
      shift: '0.094',
    });
  });

  it('draws a Mermaid gantt chart of the steps, by phase, in the Markdown report', () => {
    const report = buildRunReport(journal(false));
    expect(mermaidGantt(report)).toEqual([
      '```mermaid',
      'gantt',
      `  title to-aws ${runId}`,
      '  dateFormat x',
      '  axisFormat %M:%S',
      '  section checks',
      '    eks :done, 1000, 1800',
      '  section decision',
      '    confirm :done, 2000, 44000',
      '  section git push',
      '    activate :done, 44000, 49000',
      '  section Argo CD',
      '    running :done, 49000, 79000',
      '  section DNS applied',
      '    shift :done, 79000, 85000',
      '```',
      '',
    ]);
    expect(renderReport('md', { title: 't', runs: [report] })).toContain('```mermaid\ngantt\n');
    // A rehearsal applied nothing: no timeline to draw.
    expect(mermaidGantt(buildRunReport(journal(true)))).toEqual([]);
  });

  it('a JSON report says which version of failover wrote it', () => {
    const doc = JSON.parse(renderReport('json', { title: 't', runs: [buildRunReport(journal(true))] }));
    expect(doc.version).toBe(TOOL_VERSION);
    expect(TOOL_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
