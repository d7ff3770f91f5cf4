/**
 * The short summary printed right above the typed confirmation. The plan runs to a hundred lines
 * or more and its warnings scroll away; these few lines say what the answer will change: the
 * traffic, the commits, the apps waited for, the warnings again, the lock and how long it took
 * before.
 */
import type { Json } from '../../engine/events.js';
import { type PlannedStep, planWarnings, type RunPlan } from '../../engine/plan.js';
import { formatMs } from '../../util/duration.js';
import type { Colors } from '../io.js';

/** How long earlier runs of the same runbook took (RTO, decision time excluded). */
export interface ExpectedDuration {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

export interface PromptSummary {
  traffic: string[];
  git: string[];
  apps: string[];
  lock?: string;
  warnings: string[];
  expected?: string;
}

type Percent = { gcp: number; aws: number };

function percentOf(value: Json | undefined): Percent | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { gcp, aws } = value as Record<string, Json>;
  return typeof gcp === 'number' && typeof aws === 'number' ? { gcp, aws } : undefined;
}

const share = (p: Percent) => `gcp ${p.gcp}% / aws ${p.aws}%`;

function active(plan: RunPlan): PlannedStep[] {
  return [...plan.steps, ...plan.finally].filter((s) => !s.skipped && !s.error && s.plan);
}

function trafficLines(steps: PlannedStep[]): string[] {
  return steps
    .filter((s) => s.kind === 'route53.set-weights' && !s.plan!.converged)
    .map((s) => {
      const outputs = s.plan!.outputs ?? {};
      const from = percentOf(outputs.percent);
      const to = percentOf(outputs.targetPercent);
      const targets = Array.isArray(outputs.targets) ? outputs.targets : [];
      const names = targets
        .map((t) => (t && typeof t === 'object' && !Array.isArray(t) ? String(t.name ?? t.id ?? '') : ''))
        .filter(Boolean);
      const stages = Array.isArray(outputs.stages) ? outputs.stages.map(String) : [];
      const where = `on ${names.length} ${names.length === 1 ? 'instance' : 'instances'}${names.length ? ` (${names.join(', ')})` : ''}`;
      const staged = stages.length > 1 ? `, in stages ${stages.join(' → ')}` : '';
      return from && to ? `${share(from)} → ${share(to)} ${where}${staged}` : `${s.plan!.summary} ${where}`;
    });
}

function gitLines(steps: PlannedStep[]): string[] {
  const lines: string[] = [];
  for (const step of steps.filter((s) => s.kind.startsWith('gitops.') && !s.plan!.converged)) {
    lines.push(step.plan!.summary);
    for (const change of step.plan!.changes) {
      if (change.resource.startsWith('git ') && change.resource.endsWith('.yaml'))
        lines.push(`  ${change.resource.slice(4)}: ${change.summary}`);
      else if (change.resource.startsWith('workloads of ')) lines.push(`  ${change.summary}`);
    }
  }
  return lines;
}

function appLines(steps: PlannedStep[]): string[] {
  const apps = new Set<string>();
  for (const step of steps.filter((s) => s.kind === 'argocd.wait'))
    for (const change of step.plan!.changes)
      if (change.resource.startsWith('argocd app ')) apps.add(change.resource.slice('argocd app '.length));
  return apps.size ? [`waits until Argo CD runs ${[...apps].join(', ')} at the pushed commit`] : [];
}

function lockLine(steps: PlannedStep[]): string | undefined {
  const lock = steps.find((s) => s.kind === 'lock.acquire');
  if (!lock) return undefined;
  const ref = lock.plan!.changes.find((c) => c.resource.startsWith('git ref '))?.resource.slice(8);
  return `held by this run${ref ? ` (${ref})` : ''}; released at the end, also after a failure or Ctrl-C`;
}

function warningLines(plan: RunPlan): string[] {
  const out = new Set<string>(planWarnings(plan));
  for (const step of [...plan.steps, ...plan.finally]) {
    if (step.skipped || !step.plan) continue;
    // A change's own warnings are in planWarnings already, with the step's id.
    if (!step.mutating || step.plan.converged)
      for (const warning of step.plan.warnings ?? []) out.add(warning);
    for (const check of step.plan.checks ?? [])
      if (!check.ok) out.add(`${step.id}: ${check.name}${check.detail ? ` (${check.detail})` : ''}`);
  }
  return [...out];
}

export function expectedText(expected: ExpectedDuration | undefined, runbook: string): string | undefined {
  if (!expected) return undefined;
  const range =
    expected.runs > 1 && expected.minMs !== expected.maxMs
      ? `, ${formatMs(expected.minMs)} to ${formatMs(expected.maxMs)}`
      : '';
  return `about ${formatMs(expected.medianMs)} (${expected.runs} earlier ${runbook} ${expected.runs === 1 ? 'run' : 'runs'}${range}; your decision time not counted)`;
}

export function promptSummary(plan: RunPlan, expected?: ExpectedDuration): PromptSummary {
  const steps = active(plan);
  const lock = lockLine(steps);
  const expectedLine = expectedText(expected, plan.runbook.name);
  return {
    traffic: trafficLines(steps),
    git: gitLines(steps),
    apps: appLines(steps),
    ...(lock ? { lock } : {}),
    warnings: warningLines(plan),
    ...(expectedLine ? { expected: expectedLine } : {}),
  };
}

export function renderPromptSummary(summary: PromptSummary, c: Colors): string {
  const lines = [c.bold('Summary: your answer lets this happen')];
  const section = (label: string, items: string[]) => {
    items.forEach((item, index) => {
      lines.push(`  ${index === 0 ? c.bold(label.padEnd(9)) : ' '.repeat(9)} ${item}`);
    });
  };
  section('traffic', summary.traffic.length ? summary.traffic : [c.dim('no weight changes')]);
  section('git', summary.git.length ? summary.git : [c.dim('no commits')]);
  section('apps', summary.apps);
  if (summary.lock) section('lock', [summary.lock]);
  section('expected', [summary.expected ?? c.dim('no earlier run of this runbook to compare with')]);
  for (const warning of summary.warnings) lines.push(`  ${c.yellow(`⚠ ${warning}`)}`);
  return lines.join('\n');
}
