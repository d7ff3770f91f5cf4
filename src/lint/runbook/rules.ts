/**
 * Semantic rules for runbooks, beyond what the schema and `failover validate` check: the ways a
 * valid runbook can still fail an operator during an incident. Each rule reads the parsed runbook
 * and the step registry (which kinds mutate, which can roll back) and returns findings with
 * positions.
 */
import type { Json } from '../../engine/events.js';
import {
  ExpressionError,
  findExpressions,
  referencesOf,
  resolveValue,
  type Scope,
  stringsIn,
  Unknown,
} from '../../runbook/expressions.js';
import { coerceParam, type FlatStep, flattenSteps, type LoadedRunbook } from '../../runbook/load.js';
import { isGroup, type ParallelGroup, type Runbook, type Step } from '../../runbook/schema.js';
import type { StepRegistry } from '../../steps/types.js';
import { formatPath, type PathSegment } from '../../util/yaml-source.js';
import { cronJobFindings } from './cronjobs.js';
import type { LintFinding, LintRule, Severity } from './types.js';

/** Kinds whose change a `finally` step undoes, so a rollback need not: the lock. */
const RELEASED_IN_FINALLY: Record<string, string> = { 'lock.acquire': 'lock.release' };

export interface Located extends FlatStep {
  /** The parallel group the step belongs to (its `when` and `onFailure` apply too). */
  groupEntry?: ParallelGroup;
  inFinally: boolean;
}

export function stepsOf(runbook: Runbook): Located[] {
  return flattenSteps(runbook).map((flat) => {
    const entry = flat.path[0] === 'steps' ? runbook.steps[flat.path[1] as number] : undefined;
    return {
      ...flat,
      ...(entry && isGroup(entry) ? { groupEntry: entry } : {}),
      inFinally: flat.path[0] === 'finally',
    };
  });
}

/** Every reference resolves to Unknown, except the parameters `params` gives (and the config, when given). */
export function scopeWith(params: Record<string, unknown>, config?: Record<string, unknown>): Scope {
  const unknown = (prefix: string): Record<string, unknown> =>
    new Proxy(
      {},
      {
        get: (_t, key) => (typeof key === 'string' ? new Unknown(`${prefix}.${key}`) : undefined),
        has: () => true,
      },
    );
  return {
    params,
    config: config ?? unknown('config'),
    steps: new Proxy(
      {},
      { get: (_t, key) => ({ outputs: unknown(`steps.${String(key)}.outputs`) }), has: () => true },
    ),
    run: unknown('run'),
  };
}

/** Parameters whose value can never change: those whose `enum` allows one value only. */
export function constantScope(runbook: Runbook): Scope {
  return scopeWith(
    Object.fromEntries(
      Object.entries(runbook.params).map(([name, param]) => {
        if (param.enum?.length !== 1) return [name, new Unknown(`params.${name}`)];
        try {
          return [name, coerceParam(param, param.enum[0])];
        } catch {
          return [name, new Unknown(`params.${name}`)];
        }
      }),
    ),
  );
}

/** Parameters at their defaults: what happens when the operator passes nothing. */
export function defaultScope(runbook: Runbook): Scope {
  return scopeWith(
    Object.fromEntries(
      Object.entries(runbook.params).map(([name, param]) => {
        if (param.default === undefined) return [name, new Unknown(`params.${name}`)];
        try {
          return [name, coerceParam(param, param.default) as Json];
        } catch {
          return [name, new Unknown(`params.${name}`)];
        }
      }),
    ),
  );
}

/** The value of `value` in `scope`; Unknown when it depends on something only known at run time. */
function valueIn(value: unknown, scope: Scope): unknown {
  try {
    return resolveValue(value, scope);
  } catch (error) {
    if (error instanceof ExpressionError) return new Unknown('invalid expression');
    throw error;
  }
}

/** True / false when a condition is decided without running anything, undefined otherwise. */
export function decided(condition: boolean | string | undefined, scope: Scope): boolean | undefined {
  if (condition === undefined) return true;
  const value = valueIn(condition, scope);
  return value instanceof Unknown ? undefined : Boolean(value);
}

function mayRollBack(step: Located): boolean {
  const own = step.step.onFailure;
  if (own === 'rollback') return true;
  if (own.startsWith('${{')) return /['"]rollback['"]/.test(own);
  return own === 'abort' && step.groupEntry?.onFailure === 'rollback';
}

/** `continue` (literal, on the step or its group): a failure does not stop the run. */
export function neverStops(step: Located): boolean {
  return (
    step.step.onFailure === 'continue' ||
    (step.step.onFailure === 'abort' && step.groupEntry?.onFailure === 'continue')
  );
}

export function withField(step: Step, field: string, scope: Scope): unknown {
  return valueIn(step.with[field], scope);
}

/** The side a `route53.set-weights` step moves traffic to, when it can be told. */
function trafficTarget(step: Step, scope: Scope): 'aws' | 'gcp' | undefined {
  if (step.uses !== 'route53.set-weights') return undefined;
  const to = withField(step, 'to', scope);
  if (to === 'aws' || to === 'gcp') return to;
  const weights = withField(step, 'weights', scope) as Record<string, unknown> | undefined;
  if (!weights || typeof weights !== 'object') return undefined;
  const weight = (w: unknown) =>
    typeof w === 'number' ? w : typeof w === 'string' ? Number.parseFloat(w) : Number.NaN;
  const [aws, gcp] = [weight(weights.aws), weight(weights.gcp)];
  if (Number.isNaN(aws) || Number.isNaN(gcp)) return undefined;
  return aws > gcp ? 'aws' : 'gcp';
}

/** Whether a check's `required` (default true) holds with the parameters at their defaults. */
function required(step: Step, scope: Scope): boolean {
  const value = withField(step, 'required', scope);
  return value === undefined || value instanceof Unknown || value === true;
}

/** What a step needs from Google Cloud to succeed, or undefined when it needs nothing. */
function gcpNeed(step: Step, scope: Scope): string | undefined {
  switch (step.uses) {
    case 'check.gke-cluster':
      return required(step, scope) ? 'the GKE API (required cluster check)' : undefined;
    case 'check.anthos-aws-cluster':
      return required(step, scope)
        ? 'the GKE Multi-Cloud API, a Google Cloud API although the cluster runs on AWS (required cluster check)'
        : undefined;
    case 'argocd.wait':
      return withField(step, 'role', scope) === 'gcp' ? 'the GKE side’s Argo CD apps' : undefined;
    case 'check.argocd-apps':
      return withField(step, 'role', scope) === 'gcp' && required(step, scope)
        ? 'the GKE side’s Argo CD apps (required)'
        : undefined;
    case 'check.http':
      return withField(step, 'probes', scope) === 'gcp' && required(step, scope)
        ? 'the GKE endpoints (required probes)'
        : undefined;
    default:
      return undefined;
  }
}

export function lintRunbookRules(loaded: LoadedRunbook, registry: StepRegistry): LintFinding[] {
  const { runbook, source } = loaded;
  const findings: LintFinding[] = [];
  const at = (
    rule: LintRule,
    severity: Severity,
    path: PathSegment[],
    message: string,
    fix?: string,
  ): void => {
    const position = source.positionOf(path);
    findings.push({
      rule,
      severity,
      file: source.file,
      ...(position ? { line: position.line, column: position.column } : {}),
      path: formatPath(path),
      message,
      ...(fix ? { fix } : {}),
    });
  };
  const steps = stepsOf(runbook);
  const main = steps.filter((s) => !s.inFinally);
  const constants = constantScope(runbook);
  const defaults = defaultScope(runbook);

  // Unreachable: a `when` that is false whatever the parameters (a group's covers its steps).
  for (const [i, entry] of runbook.steps.entries()) {
    if (isGroup(entry) && decided(entry.when, constants) === false) {
      at(
        'unreachable',
        'warning',
        ['steps', i, 'when'],
        `group "${entry.id}" never runs: its \`when\` is always false`,
        'remove the group, or fix its condition',
      );
    }
  }
  for (const s of steps) {
    if (s.groupEntry && decided(s.groupEntry.when, constants) === false) continue;
    if (decided(s.step.when, constants) === false) {
      at(
        'unreachable',
        'warning',
        [...s.path, 'when'],
        `step "${s.step.id}" never runs: its \`when\` is always false`,
        'remove the step, or fix its condition',
      );
    }
  }
  const runs = (s: Located) =>
    decided(s.step.when, constants) !== false && decided(s.groupEntry?.when, constants) !== false;

  // Rollback gaps: a change no rollback can undo, before a step that rolls back on failure.
  const finallyKinds = new Set(runbook.finally.map((s) => s.uses));
  for (const s of main) {
    const kind = registry.get(s.step.uses);
    if (!kind?.mutating || kind.rollback || !runs(s)) continue;
    const release = RELEASED_IN_FINALLY[s.step.uses];
    if (release) {
      if (!finallyKinds.has(release)) {
        at(
          'lock-not-released',
          'warning',
          [...s.path, 'uses'],
          `step "${s.step.id}" takes the lock, but no \`${release}\` step in \`finally\` releases it: after a failure the lock stays held until it expires`,
          `add \`- id: unlock\` \`uses: ${release}\` under \`finally:\``,
        );
      }
      continue;
    }
    const later = main.find((t) => t.order > s.order && mayRollBack(t) && runs(t));
    if (later) {
      at(
        'rollback-gap',
        'warning',
        [...s.path, 'uses'],
        `step "${s.step.id}" (${s.step.uses}) changes state and cannot be rolled back, but step "${later.step.id}" rolls back on failure: that rollback would leave this change in place`,
        'move the step after the steps that roll back, undo it in a `finally` step, or accept (and document) the partial rollback',
      );
    }
  }

  // Traffic to AWS before the AWS workloads are seen running.
  const waits = main.filter(
    (s) =>
      s.step.uses === 'argocd.wait' &&
      withField(s.step, 'role', defaults) === 'aws' &&
      withField(s.step, 'expect', defaults) === 'running',
  );
  const shifts = main.filter((s) => trafficTarget(s.step, defaults) === 'aws' && runs(s));
  for (const shift of shifts) {
    const before = waits.filter((w) => w.order < shift.order && runs(w));
    const gating = before.filter(
      (w) =>
        !neverStops(w) &&
        decided(w.step.when, defaults) === true &&
        decided(w.groupEntry?.when, defaults) === true,
    );
    if (gating.length > 0) continue;
    const fix =
      'add `uses: argocd.wait` with `role: aws`, `expect: running` (and `revision:` the activation commit) before it, as runbooks/to-aws.yaml does';
    if (before.length === 0) {
      at(
        'shift-before-wait',
        'error',
        [...shift.path, 'uses'],
        `step "${shift.step.id}" moves traffic to AWS before any \`argocd.wait\` (role aws, expect running) has seen the AWS workloads run: Argo CD calls a standby at 0 replicas Healthy`,
        fix,
      );
    } else {
      at(
        'shift-before-wait',
        'warning',
        [...shift.path, 'uses'],
        `step "${shift.step.id}" moves traffic to AWS, but the wait for the AWS workloads before it (${before.map((w) => `"${w.step.id}"`).join(', ')}) may be skipped or may fail without stopping the run`,
        'make the wait unconditional and let its failure stop the run (onFailure abort or rollback)',
      );
    }
  }

  // A to-aws runbook must not need Google Cloud before traffic has moved.
  const firstShift = shifts[0];
  if (firstShift) {
    for (const s of main) {
      if (s.order >= firstShift.order || !runs(s) || neverStops(s)) continue;
      const need = gcpNeed(s.step, defaults);
      if (!need) continue;
      at(
        'gcp-dependency',
        'warning',
        [...s.path, 'uses'],
        `step "${s.step.id}" (${s.step.uses}) needs ${need} to succeed before traffic moves to AWS: during a GCP outage the failover stops here`,
        'record it without requiring it (`required: false`), or let the run go on (`onFailure: continue`)',
      );
    }
  }

  for (const finding of cronJobFindings(steps, constants, defaults)) {
    at('cronjobs-on-both', finding.severity, finding.path, finding.message, finding.fix);
  }

  // Parameters nobody uses.
  const used = new Set<string>();
  for (const { text } of [...stringsIn(runbook.steps), ...stringsIn(runbook.finally)]) {
    for (const expression of findExpressions(text)) {
      try {
        for (const ref of referencesOf(expression))
          if (ref.root === 'params' && ref.path[0]) used.add(ref.path[0]);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
      }
    }
  }
  for (const name of Object.keys(runbook.params)) {
    if (!used.has(name)) {
      at(
        'unused-param',
        'warning',
        ['params', name],
        `parameter "${name}" is declared but no expression uses it`,
        `use it (\`\${{ params.${name} }}\`) or remove it`,
      );
    }
  }
  return findings;
}
