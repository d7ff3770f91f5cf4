/**
 * Loads a runbook: YAML with positions → schema → semantic checks (known step kinds, each step's
 * `with:` against its kind, unique ids, expressions and what they reference). Every problem is
 * collected, not only the first, each with file:line:column and the field path.
 */
import { resolve } from 'node:path';
import { invalidInput, type Problem } from '../engine/errors.js';
import type { Json } from '../engine/events.js';
import type { StepRegistry } from '../steps/types.js';
import { DURATION_PATTERN, Duration, durationProblem } from '../util/duration.js';
import { readInputFile } from '../util/input-file.js';
import {
  formatPath,
  type PathSegment,
  parseYamlSource,
  problemsFromIssues,
  type YamlSource,
} from '../util/yaml-source.js';
import { didYouMean, flattenIssues } from '../util/zod-issues.js';
import {
  ExpressionError,
  findExpressions,
  referencesOf,
  resolveValue,
  type Scope,
  stringsIn,
  Unknown,
  unknownPaths,
} from './expressions.js';
import { isGroup, type Param, Runbook, type Step } from './schema.js';

export interface LoadedRunbook {
  runbook: Runbook;
  file: string;
  source: YamlSource;
}

export interface FlatStep {
  step: Step;
  /** Path in the file, e.g. ['steps', 2] or ['steps', 1, 'parallel', 0] or ['finally', 0]. */
  path: PathSegment[];
  group?: string;
  /** Position in execution order; steps of one group share it. */
  order: number;
}

/** Steps in execution order, groups expanded, then the `finally` steps. */
export function flattenSteps(runbook: Runbook): FlatStep[] {
  const out: FlatStep[] = [];
  runbook.steps.forEach((entry, i) => {
    if (isGroup(entry)) {
      entry.parallel.forEach((step, j) => {
        out.push({ step, path: ['steps', i, 'parallel', j], group: entry.id, order: i });
      });
    } else {
      out.push({ step: entry, path: ['steps', i], order: i });
    }
  });
  runbook.finally.forEach((step, i) => {
    out.push({ step, path: ['finally', i], order: runbook.steps.length + i });
  });
  return out;
}

export function parseRunbook(text: string, file: string, registry: StepRegistry): LoadedRunbook {
  const source = parseYamlSource(text, file);
  if (source.problems.length > 0) throw runbookProblems(file, source.problems);
  const result = Runbook.safeParse(source.value ?? {});
  if (!result.success) {
    const problems = problemsFromIssues(
      source,
      flattenIssues(result.error.issues, [], { schema: Runbook, input: source.value ?? {} }),
    );
    // Report the semantic problems of the parts that did parse too: every error in one go.
    const partial = bestEffortRunbook(source.value);
    if (partial) {
      const seen = new Set(problems.map((p) => `${p.path}|${p.message}`));
      for (const problem of checkRunbook({ runbook: partial, file, source }, registry)) {
        if (!seen.has(`${problem.path}|${problem.message}`)) problems.push(problem);
      }
    }
    throw runbookProblems(file, problems);
  }
  const loaded = { runbook: result.data, file, source };
  const problems = checkRunbook(loaded, registry);
  if (problems.length > 0) throw runbookProblems(file, problems);
  return loaded;
}

export function loadRunbook(file: string, registry: StepRegistry): LoadedRunbook {
  const path = resolve(file);
  const text = readInputFile(path, {
    what: 'runbook',
    code: 'FO_RUNBOOK_E2101',
    missingHint: 'check the path; the shipped runbooks are in the runbooks/ folder of the package',
  });
  return parseRunbook(text, path, registry);
}

function runbookProblems(file: string, unsorted: Problem[]) {
  const problems = [...unsorted].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  return invalidInput('FO_RUNBOOK_E2102', `invalid runbook ${file}: ${problems.length} problem(s)`, {
    problems,
    hint: 'fix the problems listed; `failover validate FILE` checks a runbook without running it',
  });
}

const INVALID_STEP = '(invalid step)';
/** Stand-ins whose `with` was not a mapping: its schema error is reported; its fields cannot be. */
const WITHOUT_INPUT = new WeakSet<Step>();

/**
 * The runbook with every entry that fails the schema replaced by a stand-in that keeps its index
 * and id, so semantic checks can run on the rest (their positions stay right).
 */
function bestEffortRunbook(raw: unknown): Runbook | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const data = raw as Record<string, unknown>;
  const standIn = (entry: unknown, i: number): Step => {
    const step = standInStep(entry, i);
    const input = (entry as { with?: unknown })?.with;
    if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input)))
      WITHOUT_INPUT.add(step);
    return step;
  };
  const standInStep = (entry: unknown, i: number): Step => ({
    id: typeof (entry as { id?: unknown })?.id === 'string' ? (entry as { id: string }).id : `invalid-${i}`,
    // The kind is still checked when it is a string: all problems at once, not one fix at a time.
    uses:
      typeof (entry as { uses?: unknown })?.uses === 'string'
        ? (entry as { uses: string }).uses
        : INVALID_STEP,
    // Its expressions are still checked.
    with:
      (entry as { with?: unknown })?.with && typeof (entry as { with?: unknown }).with === 'object'
        ? (entry as { with: Record<string, unknown> }).with
        : {},
    onFailure: 'abort',
  });
  const parseEntry = (entry: unknown, i: number) => {
    const parsed = Runbook.shape.steps.element.safeParse(entry);
    return parsed.success ? parsed.data : standIn(entry, i);
  };
  const params = Runbook.shape.params.safeParse(data.params ?? {});
  return {
    apiVersion: 'failover/v1',
    name: typeof data.name === 'string' ? data.name : '(unnamed)',
    params: params.success ? params.data : {},
    steps: Array.isArray(data.steps) ? data.steps.map(parseEntry) : [],
    finally: Array.isArray(data.finally)
      ? data.finally.map((e, i) => {
          const parsed = Runbook.shape.finally.unwrap().element.safeParse(e);
          return parsed.success ? parsed.data : standIn(e, i);
        })
      : [],
  };
}

/** Semantic checks beyond the schema. */
export function checkRunbook(loaded: LoadedRunbook, registry: StepRegistry): Problem[] {
  const { runbook, source } = loaded;
  const problems: Problem[] = [];
  const at = (path: PathSegment[], message: string, hint?: string) => {
    const pos = source.positionOf(path);
    problems.push({
      file: source.file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(path),
      message,
      hint,
    });
  };

  const steps = flattenSteps(runbook);
  const seen = new Map<string, PathSegment[]>();
  const orderOf = new Map<string, { order: number; group?: string }>();
  for (const [i, entry] of runbook.steps.entries()) {
    if (isGroup(entry)) {
      if (seen.has(entry.id))
        at(
          ['steps', i, 'id'],
          `duplicate id "${entry.id}"`,
          `ids must be unique; first used at ${formatPath(seen.get(entry.id)!)}`,
        );
      seen.set(entry.id, ['steps', i]);
    }
  }
  for (const { step, path, order, group } of steps) {
    if (seen.has(step.id)) {
      at(
        [...path, 'id'],
        `duplicate id "${step.id}"`,
        `ids must be unique; first used at ${formatPath(seen.get(step.id)!)}`,
      );
    } else {
      seen.set(step.id, path);
      orderOf.set(step.id, { order, group });
    }
  }

  // Expressions: grammar and what they reference.
  const declared = new Set(Object.keys(runbook.params));
  const used = new Set<string>();
  const checkStrings = (value: unknown, path: PathSegment[], self?: { order: number; group?: string }) => {
    for (const { path: sub, text } of stringsIn(value)) {
      // A `${{` without its `}}` would otherwise pass through silently as literal text.
      if (text.replace(/\$\{\{[\s\S]*?\}\}/g, '').includes('${{'))
        at([...path, ...sub], `unclosed expression in "${text}"`, 'close it with }}');
      for (const expr of findExpressions(text)) {
        try {
          for (const ref of referencesOf(expr)) {
            if (ref.root === 'params') {
              const name = ref.path[0];
              if (!name || !declared.has(name)) {
                const suggestion = name ? didYouMean(name, declared) : undefined;
                at(
                  [...path, ...sub],
                  `unknown parameter "${name ?? ''}" in \`${expr}\``,
                  suggestion ? `did you mean params.${suggestion}?` : 'declare it under params:',
                );
              } else used.add(name);
            } else if (ref.root === 'steps') {
              const [id, section] = ref.path;
              const target = id ? orderOf.get(id) : undefined;
              if (!id || !target) {
                const suggestion = id ? didYouMean(id, orderOf.keys()) : undefined;
                at(
                  [...path, ...sub],
                  `\`${expr}\` refers to unknown step "${id ?? ''}"`,
                  suggestion ? `did you mean steps.${suggestion}?` : undefined,
                );
              } else if (section !== 'outputs') {
                at([...path, ...sub], `\`${expr}\`: write steps.${id}.outputs.NAME`);
              } else if (
                self &&
                (target.order > self.order ||
                  (target.order === self.order &&
                    (target.group === undefined || target.group === self.group)))
              ) {
                at(
                  [...path, ...sub],
                  `\`${expr}\` uses the output of step "${id}", which has not run yet at this point`,
                  "move the step after the one it depends on (steps in one parallel group cannot use each other's outputs)",
                );
              }
            }
          }
        } catch (error) {
          if (error instanceof ExpressionError) at([...path, ...sub], error.message);
          else throw error;
        }
      }
    }
  };

  for (const [i, entry] of runbook.steps.entries()) {
    if (isGroup(entry) && entry.when !== undefined)
      checkStrings(entry.when, ['steps', i, 'when'], { order: i, group: entry.id });
  }
  for (const { step, path, order, group } of steps) {
    const self = { order, group };
    checkStrings(step.with, [...path, 'with'], self);
    if (step.when !== undefined) checkStrings(step.when, [...path, 'when'], self);
    if (typeof step.timeout === 'string') checkStrings(step.timeout, [...path, 'timeout'], self);
    if (step.onFailure.startsWith('${{')) checkStrings(step.onFailure, [...path, 'onFailure'], self);
    if (step.uses === INVALID_STEP) continue;
    const kind = registry.get(step.uses);
    if (!kind) {
      const suggestion = didYouMean(step.uses, registry.keys());
      at(
        [...path, 'uses'],
        `unknown step kind "${step.uses}"`,
        suggestion
          ? `did you mean "${suggestion}"?`
          : `known kinds: ${[...registry.keys()].sort().join(', ')}`,
      );
      continue;
    }
    if (WITHOUT_INPUT.has(step)) continue;
    // Validate `with` now, treating every expression as unknown: only literal fields are checked.
    const scope = placeholderScope();
    let resolved: unknown;
    try {
      resolved = resolveValue(step.with, scope);
    } catch (error) {
      // A broken expression was reported above, with its place; the input is checked once it is fixed.
      if (error instanceof ExpressionError) continue;
      throw error;
    }
    const unknowns = unknownPaths(resolved).map((u) => u.path);
    const stripped = stripUnknowns(resolved);
    const result = kind.input.safeParse(stripped);
    if (!result.success) {
      for (const issue of flattenIssues(result.error.issues, [], { schema: kind.input, input: stripped })) {
        const sub = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
        // Skipped: a problem of an unknown value, or of a whole value with an unknown inside (a union,
        // "give min, max or both", "`to` or `weights`" over the input): it is judged once resolved.
        if (unknowns.some((u) => isPathPrefix(u, sub) || isPathPrefix(sub, u))) continue;
        at([...path, 'with', ...sub], issue.message, issue.hint);
      }
    }
  }
  for (const [name, param] of Object.entries(runbook.params)) {
    if (param.default !== undefined) {
      const error = coerceError(param, param.default);
      if (error) at(['params', name, 'default'], error);
    }
  }
  return problems;
}

/** Segment by segment (`to` is no prefix of `tolerance`); array indexes as numbers or strings. */
function isPathPrefix(prefix: readonly (string | number)[], path: readonly (string | number)[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => String(segment) === String(path[i]));
}

/** Every reference resolves to Unknown: used for static checks. */
function placeholderScope(): Scope {
  const anything = new Proxy(
    {},
    { get: (_t, key) => (typeof key === 'string' ? new Unknown(String(key)) : undefined), has: () => true },
  );
  return {
    // Undeclared names too: they are reported once, as unknown parameters, not again as missing values.
    params: new Proxy(
      {},
      {
        get: (_t, key) => (typeof key === 'string' ? new Unknown(`params.${key}`) : undefined),
        has: () => true,
      },
    ),
    config: anything,
    steps: new Proxy(
      {},
      {
        get: (_t, key) => ({
          outputs: new Proxy(
            {},
            { get: (_u, out) => new Unknown(`steps.${String(key)}.outputs.${String(out)}`), has: () => true },
          ),
        }),
        has: () => true,
      },
    ),
    run: anything,
  };
}

/** Unknown leaves become undefined so that optional fields pass and required ones are skipped by path. */
function stripUnknowns(value: unknown): unknown {
  if (value instanceof Unknown) return undefined;
  if (Array.isArray(value)) return value.map(stripUnknowns);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripUnknowns(v)]));
  return value;
}

function coerceError(param: Param, value: unknown): string | undefined {
  try {
    coerceParam(param, value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Converts a value (CLI strings included) to the parameter's type, or throws a readable error. */
export function coerceParam(param: Param, value: unknown): Json {
  const fail = (what: string): never => {
    throw new Error(`expected ${what}, got ${JSON.stringify(value)}`);
  };
  let out: Json;
  switch (param.type) {
    case 'string':
      out = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fail('a string');
      break;
    case 'number': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value)
            : Number.NaN;
      out = Number.isFinite(n) ? n : fail('a number');
      break;
    }
    case 'boolean':
      out =
        typeof value === 'boolean'
          ? value
          : value === 'true'
            ? true
            : value === 'false'
              ? false
              : fail('true or false');
      break;
    case 'duration': {
      const candidate = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      const ok = Duration.safeParse(candidate);
      const bounds =
        typeof candidate === 'string' || typeof candidate === 'number'
          ? durationProblem(candidate)
          : undefined;
      if (bounds && DURATION_PATTERN.test(String(candidate))) fail(`a duration ${bounds.replace(/:/, ',')}`);
      out = ok.success ? (ok.data as Json) : fail('a duration such as 30s, 5m or 1h');
      if (typeof out === 'string' && !DURATION_PATTERN.test(out)) fail('a duration');
      break;
    }
    case 'list':
      out = Array.isArray(value)
        ? (value as Json[])
        : typeof value === 'string'
          ? value
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
              .map((s) => (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s))
          : fail('a comma-separated list');
      break;
  }
  if (param.enum && !param.enum.includes(out as string | number)) {
    throw new Error(`expected one of ${param.enum.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return out;
}

/** Checks and converts the parameters given on the command line; all problems at once. */
export function resolveParams(
  loaded: LoadedRunbook,
  supplied: Record<string, unknown>,
): Record<string, Json> {
  const { runbook, file } = loaded;
  const problems: Problem[] = [];
  const out: Record<string, Json> = {};
  for (const key of Object.keys(supplied)) {
    if (!(key in runbook.params)) {
      const suggestion = didYouMean(key, Object.keys(runbook.params));
      problems.push({
        message: `unknown parameter "${key}" for runbook ${runbook.name}`,
        hint: suggestion
          ? `did you mean "${suggestion}"?`
          : `parameters: ${Object.keys(runbook.params).join(', ') || '(none)'}`,
      });
    }
  }
  for (const [name, param] of Object.entries(runbook.params)) {
    const value = supplied[name] ?? param.default;
    if (value === undefined) {
      if (param.required)
        problems.push({
          message: `missing parameter "${name}"`,
          hint: `pass --param ${name}=VALUE${param.description ? ` (${param.description})` : ''}`,
        });
      continue;
    }
    try {
      out[name] = coerceParam(param, value);
    } catch (error) {
      problems.push({ message: `parameter "${name}": ${(error as Error).message}`, path: `params.${name}` });
    }
  }
  if (problems.length > 0) {
    throw invalidInput('FO_RUNBOOK_E2103', `invalid parameters for runbook ${file}`, { problems });
  }
  return out;
}
