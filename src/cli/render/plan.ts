/** Renders a plan for people: every step, what it will change (with diffs), checks and outputs. */
import type { Change, PlannedStep, RunPlan } from '../../engine/plan.js';
import type { Colors } from '../io.js';

const ACTION_MARK: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', none: '=' };

function colorDiff(diff: string, c: Colors): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return c.bold(line);
      if (line.startsWith('+')) return c.green(line);
      if (line.startsWith('-')) return c.red(line);
      if (line.startsWith('@@')) return c.cyan(line);
      return line;
    })
    .join('\n');
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => (line ? by + line : line))
    .join('\n');
}

export function renderPlannedStep(step: PlannedStep, c: Colors): string {
  const lines: string[] = [];
  const title = `${c.bold(step.id)} ${c.dim(`(${step.kind}${step.group ? `, parallel in ${step.group}` : ''})`)}`;
  if (step.skipped) return `  ${c.dim('○')} ${title}\n      ${c.dim(`skipped: ${step.skipped}`)}`;
  if (step.error) {
    lines.push(`  ${c.red('✗')} ${title}`);
    lines.push(`      ${c.red(step.error.message)}`);
    for (const problem of step.error.problems ?? [])
      lines.push(`        ${c.red(`${problem.path ? `${problem.path}: ` : ''}${problem.message}`)}`);
    if (step.error.hint) lines.push(`      ${c.dim(`hint: ${step.error.hint}`)}`);
    return lines.join('\n');
  }
  const plan = step.plan!;
  const mark = plan.converged ? c.dim('=') : step.mutating ? c.yellow('~') : c.blue('•');
  lines.push(`  ${mark} ${title}`);
  lines.push(
    `      ${plan.summary}${plan.converged ? c.dim(' (already in the wanted state: nothing to do)') : ''}`,
  );
  for (const change of plan.changes) {
    lines.push(`      ${ACTION_MARK[change.action]} ${change.resource}: ${change.summary}`);
    if (change.diff) lines.push(indent(colorDiff(change.diff.trimEnd(), c), '        '));
  }
  for (const check of plan.checks ?? []) {
    const icon = check.ok ? c.green('✓') : check.severity === 'warning' ? c.yellow('!') : c.red('✗');
    lines.push(`      ${icon} ${check.name}${check.detail ? c.dim(` — ${check.detail}`) : ''}`);
  }
  for (const warning of plan.warnings ?? []) lines.push(`      ${c.yellow('!')} ${warning}`);
  if (plan.deferred?.length) lines.push(`      ${c.dim(`depends on: ${plan.deferred.join(', ')}`)}`);
  return lines.join('\n');
}

export function renderPlan(plan: RunPlan, c: Colors): string {
  const out = [
    `${c.bold('Plan')} for runbook ${c.cyan(plan.runbook.name)} ${c.dim(`(${plan.runbook.file})`)}, run ${plan.runId}`,
  ];
  const params = Object.entries(plan.params);
  if (params.length)
    out.push(c.dim(`  params: ${params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`));
  for (const step of plan.steps) out.push(renderPlannedStep(step, c));
  if (plan.finally.length) {
    out.push(c.dim('  finally (always runs):'));
    for (const step of plan.finally) out.push(renderPlannedStep(step, c));
  }
  const mutating = plan.steps.filter((s) => s.mutating && !s.skipped && !s.plan?.converged).length;
  out.push(c.dim(`  ${plan.steps.length} steps, ${mutating} would change something`));
  return out.join('\n');
}
