/**
 * `failover lint ingress`: finds Ingress rules that route differently on Google Cloud Load
 * Balancing (most specific match wins) and on an AWS ALB (first match in order wins), as described
 * in the write-up, and reorders them with `--fix`. See matching.ts for the modelled semantics.
 */
import { analyzeIngress } from './analyze.js';
import { applyFixPlans, type IngressFixPlan, planFileFix } from './fix.js';
import { type ParsedFile, parseIngressFile } from './parse.js';
import { readIngressInputs } from './read.js';
import {
  ALL_ALB_ORDERINGS,
  type Finding,
  type IngressInput,
  type IngressLintOptions,
  type IngressLintReport,
} from './types.js';

export { type FixResult, fixIngressText } from './fix.js';
export { formatIngressReport } from './format.js';
export { readIngressInputs } from './read.js';
export * from './types.js';

/** Identity of a finding that survives reordering (lines change, rules do not). */
function findingKey(finding: Finding): string {
  const rules = finding.rules.map((r) => `${r.path}|${r.pathType ?? ''}|${r.backend ?? ''}`).sort();
  return [finding.kind, finding.ingress ?? '', finding.host, ...rules].join('\u0000');
}

function analyzeFile(parsed: ParsedFile, options: IngressLintOptions): Finding[] {
  const orderings = options.albOrderings?.length ? options.albOrderings : ALL_ALB_ORDERINGS;
  return [...parsed.findings, ...parsed.ingresses.flatMap((ingress) => analyzeIngress(ingress, orderings))];
}

/** Replaces the manual advice by the `--fix` description for findings that reordering resolves. */
function describeFixes(
  text: string,
  parsed: ParsedFile,
  findings: Finding[],
  options: IngressLintOptions,
): void {
  const plans: IngressFixPlan[] = planFileFix(parsed);
  if (plans.length === 0) return;
  const descriptions = new Map(plans.map((plan) => [plan.ingress.name, plan] as const));
  const lineToRule = new Map<number, number>();
  for (const plan of plans) {
    for (const rule of plan.ingress.rules)
      for (const entry of rule.entries) lineToRule.set(entry.line, rule.index);
  }
  const fixed = applyFixPlans(text, parsed, plans);
  if (!fixed.changed) return;
  const remaining = new Set(analyzeFile(parseIngressFile(fixed.text, parsed.file), options).map(findingKey));
  for (const finding of findings) {
    const plan = finding.ingress ? descriptions.get(finding.ingress) : undefined;
    if (!plan || finding.kind === 'invalid-shape' || remaining.has(findingKey(finding))) continue;
    const ruleIndexes = new Set(finding.rules.map((r) => lineToRule.get(r.line)));
    const parts = [...plan.descriptions]
      .filter(([key]) => key === 'rules' || ruleIndexes.has(key))
      .map(([, description]) => description);
    if (parts.length > 0) finding.fix = `\`--fix\` ${parts.join('; ')}`;
  }
}

/** Lints Ingress objects in the given texts. Bad input becomes `problems`; the rest is still checked. */
export function lintIngress(inputs: IngressInput[], options: IngressLintOptions = {}): IngressLintReport {
  const report: IngressLintReport = { findings: [], problems: [], checkedFiles: 0, ingresses: 0 };
  for (const input of inputs) {
    const parsed = parseIngressFile(input.text, input.file);
    report.problems.push(...parsed.problems);
    if (parsed.checked) report.checkedFiles++;
    report.ingresses += parsed.ingresses.length;
    const findings = analyzeFile(parsed, options);
    // Mutates `parsed` (reorders its nodes), so it runs after the analysis.
    describeFixes(input.text, parsed, findings, options);
    report.findings.push(...findings);
  }
  report.findings.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
  return report;
}

/** Reads files/directories and lints them; unreadable paths are reported as problems. */
export async function lintIngressPaths(
  paths: string[],
  options: IngressLintOptions = {},
): Promise<IngressLintReport> {
  const { inputs, problems } = await readIngressInputs(paths);
  const report = lintIngress(inputs, options);
  report.problems.unshift(...problems);
  return report;
}

/** 2 when nothing could be checked, 1 when something diverges (any error finding), else 0. */
export function ingressExitCode(report: IngressLintReport): 0 | 1 | 2 {
  if (report.checkedFiles === 0) return 2;
  return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}
