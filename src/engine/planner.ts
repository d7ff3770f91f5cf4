/**
 * The planner: the runbook resolved against the run, read-only. It builds the whole-run plan (every
 * step's plan() with read ports only, batches of independent steps at once) and resolves a step's
 * fields (`when`, `with`, `timeout`, `onFailure`) against the run's scope: params, config, run info
 * and the outputs known so far. The engine (engine.ts) asks it the same questions while it runs the
 * steps, with the outputs the run has given by then; it never changes anything itself.
 */
import { resolveValue, type Scope, Unknown, unknownPaths, withPlaceholders } from '../runbook/expressions.js';
import { flattenSteps } from '../runbook/load.js';
import { isGroup, type OnFailure, type Step } from '../runbook/schema.js';
import type { StepKind } from '../steps/types.js';
import { Timeout, toMs } from '../util/duration.js';
import { formatPath } from '../util/yaml-source.js';
import { flattenIssues } from '../util/zod-issues.js';
import { type FailoverError, invalidInput, toFailoverError } from './errors.js';
import { type EventPayload, errorInfo, type Json } from './events.js';
import type { PlannedStep, RunPlan, StepPlan } from './plan.js';
import { planBatches } from './plan-batches.js';
import type { PlanReuse } from './plan-reuse.js';
import { StepTimeoutError, withTimeout } from './retry.js';
import type { EngineOptions } from './run-types.js';
import type { StepContexts } from './step-context.js';

const DEFAULT_STEP_TIMEOUT_MS = 10 * 60_000;

/** The engine options the planner reads. */
export type PlannerOptions = Pick<
  EngineOptions,
  'loaded' | 'params' | 'config' | 'registry' | 'ports' | 'run' | 'interrupt'
>;

/** What the planner shares with the engine that runs the steps. */
export interface PlannerDeps {
  emit(payload: EventPayload): void;
  /**
   * The outputs known so far, by step id: the engine's own record, read for the scope. The planner
   * adds the outputs a plan gives (known before the step runs).
   */
  outputs: Record<string, Record<string, Json>>;
  /** Plans that a read-only step may stand on when it runs (plan-reuse.ts). */
  reuse: PlanReuse;
  contexts: StepContexts;
}

export class Planner {
  constructor(
    private readonly o: PlannerOptions,
    private readonly deps: PlannerDeps,
  ) {}

  stepOf(id: string): Step | undefined {
    return flattenSteps(this.o.loaded.runbook).find((f) => f.step.id === id)?.step;
  }

  /**
   * What expressions see. While planning, an output no step has given yet is Unknown (decided at
   * apply time) instead of missing.
   */
  scope(planning: boolean): Scope {
    const steps: Scope['steps'] = {};
    for (const flat of flattenSteps(this.o.loaded.runbook)) {
      const known = this.deps.outputs[flat.step.id] ?? {};
      const id = flat.step.id;
      steps[id] = {
        outputs: planning
          ? new Proxy(known, {
              get: (t, key: string) => (key in t ? t[key] : new Unknown(`steps.${id}.outputs.${key}`)),
              has: () => true,
            })
          : known,
      };
    }
    return {
      params: this.o.params,
      config: this.o.config as unknown as Record<string, unknown>,
      steps,
      run: { ...this.o.run } as unknown as Record<string, unknown>,
    };
  }

  async planAll(): Promise<RunPlan> {
    const { runbook } = this.o.loaded;
    const steps: PlannedStep[] = [];
    let afterChanges = false;
    // Entries of a batch are planned at once (their reads overlap); see plan-batches.ts.
    for (const batch of planBatches(runbook.steps, this.o.registry)) {
      const batchAfterChanges = afterChanges;
      const planned = (
        await Promise.all(
          batch.map((entry) => {
            const members = isGroup(entry) ? entry.parallel : [entry];
            const groupSkip = isGroup(entry) ? this.whenSkip(entry.when, true) : undefined;
            return Promise.all(
              members.map((step) =>
                this.planStep(step, batchAfterChanges, groupSkip, isGroup(entry) ? entry.id : undefined),
              ),
            );
          }),
        )
      ).flat();
      steps.push(...planned);
      if (
        planned.some(
          (p) => p.mutating && !p.skipped && !p.plan?.converged && !this.o.registry.get(p.kind)?.independent,
        )
      ) {
        afterChanges = true;
      }
    }
    const finallySteps: PlannedStep[] = [];
    for (const step of runbook.finally)
      finallySteps.push(await this.planStep(step, afterChanges, undefined, undefined));
    return {
      runId: this.o.run.id,
      runbook: { name: runbook.name, file: this.o.loaded.file },
      params: this.o.params,
      steps,
      finally: finallySteps,
    };
  }

  whenSkip(when: boolean | string | undefined, planning: boolean): string | undefined {
    if (when === undefined) return undefined;
    const value = resolveValue(when, this.scope(planning));
    if (value instanceof Unknown) return undefined; // decided at apply time
    return value ? undefined : `condition is false: ${String(when)}`;
  }

  private async planStep(
    step: Step,
    afterChanges: boolean,
    groupSkip: string | undefined,
    group: string | undefined,
  ): Promise<PlannedStep> {
    const kind = this.o.registry.get(step.uses)!;
    const planStarted = Date.now();
    const base: PlannedStep = {
      id: step.id,
      kind: step.uses,
      mutating: kind.mutating,
      ...(group ? { group } : {}),
      ...(this.resolveOnFailure(step) === 'continue' ? { onFailure: 'continue' as const } : {}),
    };
    try {
      const skipped = groupSkip ?? this.whenSkip(step.when, true);
      if (skipped) {
        this.deps.emit({ type: 'step.skipped', stepId: step.id, reason: skipped });
        return { ...base, skipped };
      }
      const resolved = resolveValue(step.with, this.scope(true));
      const unknowns = unknownPaths(resolved);
      let plan: StepPlan;
      const parsed = kind.input.safeParse(unknowns.length ? withPlaceholders(resolved) : resolved);
      if (!parsed.success) {
        if (unknowns.length) {
          plan = {
            summary: `${step.uses}: planned when its inputs are known`,
            changes: [],
            converged: false,
            deferred: unknowns.map((u) => u.ref),
          };
        } else {
          throw this.inputError(step, parsed.error.issues, kind.input, resolved);
        }
      } else {
        const timeoutMs = this.timeoutOf(step, kind, parsed.data, true);
        if (kind.prepare)
          this.deps.contexts.prepareLater(() =>
            kind.prepare?.({ config: this.o.config, read: this.o.ports.read }, parsed.data),
          );
        plan = await withTimeout(
          (signal) =>
            kind.plan(
              this.deps.contexts.planContext(signal, afterChanges || unknowns.length > 0, step.id, 'plan'),
              parsed.data,
            ),
          timeoutMs,
          () => new StepTimeoutError(step.id, timeoutMs),
          // Planning only reads: Ctrl-C abandons it at once.
          this.o.interrupt,
        );
        if (unknowns.length) plan = { ...plan, deferred: unknowns.map((u) => u.ref) };
        else if (!afterChanges) this.deps.reuse.keep(step.id, kind, parsed.data, plan, planStarted);
      }
      if (plan.outputs) this.deps.outputs[step.id] = { ...this.deps.outputs[step.id], ...plan.outputs };
      this.deps.emit({
        type: 'step.planned',
        stepId: step.id,
        kind: step.uses,
        plan,
        durationMs: Date.now() - planStarted,
      });
      return { ...base, plan };
    } catch (thrown) {
      const error = toFailoverError(thrown);
      return { ...base, error: errorInfo(error) };
    }
  }

  /**
   * `onFailure` as written, or what its expression resolves to. Anything unexpected means abort, and
   * so does an expression that cannot be resolved (an earlier step's output while planning, or one
   * a skipped step never gave): deciding must not crash the run.
   */
  resolveOnFailure(step: Step): OnFailure {
    let value: unknown;
    try {
      // A word as written resolves to itself.
      value = resolveValue(step.onFailure, this.scope(false));
    } catch {
      value = undefined;
    }
    return value === 'rollback' || value === 'continue' ? value : 'abort';
  }

  inputError(
    step: Step,
    issues: Parameters<typeof flattenIssues>[0],
    schema: StepKind<unknown>['input'],
    input: unknown,
  ): FailoverError {
    const flat = flattenSteps(this.o.loaded.runbook).find((f) => f.step.id === step.id)!;
    return invalidInput('FO_ENGINE_E1032', `invalid input for step "${step.id}" (${step.uses})`, {
      problems: flattenIssues(issues, [], { schema, input }).map((issue) => {
        const path = [
          ...flat.path,
          'with',
          ...issue.path.filter((s): s is string | number => typeof s !== 'symbol'),
        ];
        const pos = this.o.loaded.source.positionOf(path);
        return {
          file: this.o.loaded.file,
          line: pos?.line,
          column: pos?.column,
          path: formatPath(path),
          message: issue.message,
        };
      }),
      hint: 'check the values the expressions resolve to (params, config, earlier outputs)',
    });
  }

  timeoutOf(step: Step, kind: StepKind<unknown>, input: unknown, planning = false): number {
    const fallback = kind.timeoutFor?.(input) ?? kind.defaultTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    if (step.timeout === undefined) return fallback;
    // The schema lets `timeout` be an expression (${{ params.timeout }}); resolve it like `with`.
    const value =
      typeof step.timeout === 'string' ? resolveValue(step.timeout, this.scope(planning)) : step.timeout;
    if (value instanceof Unknown) return fallback;
    const parsed = Timeout.safeParse(value);
    if (!parsed.success) {
      throw invalidInput(
        'FO_ENGINE_E1036',
        `step "${step.id}": timeout ${JSON.stringify(value)} is not a duration from 10ms to 24d`,
        {
          hint: 'write a duration such as 30s, 5m or 1h, or a number of seconds',
        },
      );
    }
    return toMs(parsed.data);
  }
}
