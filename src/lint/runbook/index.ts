/**
 * `failover lint runbook FILE…` and `failover lint config`: the schema checks `failover validate`
 * makes (with positions), then semantic rules (rules.ts, config.ts). Bad input never stops the
 * lint: an unreadable or unparseable file is a problem with its place, and the other files are
 * still checked.
 */
import { readFile } from 'node:fs/promises';
import { parseConfig } from '../../config/load.js';
import { FailoverError, type Problem } from '../../engine/errors.js';
import { checkRunbook, type LoadedRunbook } from '../../runbook/load.js';
import { Runbook } from '../../runbook/schema.js';
import type { StepRegistry } from '../../steps/types.js';
import { formatPath, parseYamlSource, problemsFromIssues } from '../../util/yaml-source.js';
import { flattenIssues } from '../../util/zod-issues.js';
import { lintConfigRules } from './config.js';
import { lintRunbookRules } from './rules.js';
import type { LintFinding, LintProblem, LintReport } from './types.js';

export { formatLintReport } from './format.js';
export * from './types.js';

function schemaFinding(problem: Problem, file: string): LintFinding {
  return {
    rule: 'schema',
    severity: 'error',
    file: problem.file ?? file,
    ...(problem.line ? { line: problem.line } : {}),
    ...(problem.column ? { column: problem.column } : {}),
    ...(problem.path ? { path: problem.path } : {}),
    message: problem.message,
    ...(problem.hint ? { fix: problem.hint } : {}),
  };
}

function syntaxProblems(problems: readonly Problem[], file: string): LintProblem[] {
  return problems.map((p) => ({
    file: p.file ?? file,
    ...(p.line ? { line: p.line } : {}),
    ...(p.column ? { column: p.column } : {}),
    message: p.message,
  }));
}

function byPlace(a: LintFinding, b: LintFinding): number {
  return a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/** Lints one runbook's text. */
export function lintRunbookText(text: string, file: string, registry: StepRegistry): LintReport {
  const source = parseYamlSource(text, file);
  if (source.problems.length > 0) {
    return {
      files: [{ file, checked: false }],
      findings: [],
      problems: syntaxProblems(source.problems, file),
    };
  }
  const parsed = Runbook.safeParse(source.value ?? {});
  if (!parsed.success) {
    const findings = problemsFromIssues(source, flattenIssues(parsed.error.issues)).map((p) =>
      schemaFinding(p, file),
    );
    return { files: [{ file, checked: true }], findings, problems: [] };
  }
  const loaded: LoadedRunbook = { runbook: parsed.data, file, source };
  const findings = [
    ...checkRunbook(loaded, registry).map((p) => schemaFinding(p, file)),
    ...lintRunbookRules(loaded, registry),
  ].sort(byPlace);
  return { files: [{ file, name: parsed.data.name, checked: true }], findings, problems: [] };
}

async function readText(file: string): Promise<{ text?: string; problem?: LintProblem }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: { file, message: `cannot read ${file}${code ? ` (${code})` : ''}` } };
  }
}

function merge(reports: readonly LintReport[]): LintReport {
  return {
    files: reports.flatMap((r) => r.files),
    findings: reports.flatMap((r) => r.findings),
    problems: reports.flatMap((r) => r.problems),
  };
}

/** Lints runbook files; each is checked on its own, whatever happens to the others. */
export async function lintRunbookFiles(
  files: readonly string[],
  registry: StepRegistry,
): Promise<LintReport> {
  const reports: LintReport[] = [];
  for (const file of files) {
    const { text, problem } = await readText(file);
    reports.push(
      text === undefined
        ? { files: [{ file, checked: false }], findings: [], problems: problem ? [problem] : [] }
        : lintRunbookText(text, file, registry),
    );
  }
  return merge(reports);
}

/** Lints a config's text: schema (with positions), then the semantic rules, given the environment. */
export function lintConfigText(text: string, file: string, env: NodeJS.ProcessEnv): LintReport {
  const source = parseYamlSource(text, file);
  if (source.problems.length > 0) {
    return {
      files: [{ file, checked: false }],
      findings: [],
      problems: syntaxProblems(source.problems, file),
    };
  }
  let config: ReturnType<typeof parseConfig>['config'];
  try {
    config = parseConfig(text, file, env).config;
  } catch (error) {
    if (!FailoverError.is(error) || error.category !== 'invalid-input') throw error;
    return {
      files: [{ file, checked: true }],
      findings: error.problems.map((p) => schemaFinding(p, file)).sort(byPlace),
      problems: [],
    };
  }
  const findings: LintFinding[] = lintConfigRules(config, env).map((issue) => {
    const position = issue.path.length > 0 ? source.positionOf(issue.path) : undefined;
    return {
      rule: issue.rule,
      severity: issue.severity,
      file,
      ...(position ? { line: position.line, column: position.column } : {}),
      ...(issue.path.length > 0 ? { path: formatPath(issue.path) } : {}),
      message: issue.message,
      ...(issue.fix ? { fix: issue.fix } : {}),
    };
  });
  return { files: [{ file, checked: true }], findings: findings.sort(byPlace), problems: [] };
}

export async function lintConfigFile(file: string, env: NodeJS.ProcessEnv): Promise<LintReport> {
  const { text, problem } = await readText(file);
  if (text === undefined)
    return { files: [{ file, checked: false }], findings: [], problems: problem ? [problem] : [] };
  return lintConfigText(text, file, env);
}

/** 2 when no file could be checked; 1 on an error finding or an unreadable file; else 0. */
export function lintExitCode(report: LintReport): 0 | 1 | 2 {
  if (!report.files.some((f) => f.checked)) return 2;
  return report.problems.length > 0 || report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}
