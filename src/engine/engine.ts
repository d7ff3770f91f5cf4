/**
 * The engine: plan (read-only) → [dry-run stops] → apply step by step → finally steps.
 *
 * - Plan is data: every step's plan() is called with read ports only.
 * - Writes are reachable only through the ApplyContext, created after the plan, never in a dry-run.
 * - Each apply re-plans the step first; a step whose goal already holds is not applied again,
 *   which makes resume (and re-running) safe. A read-only check whose plan read the same facts
 *   moments earlier, with nothing changed since, stands on that read (plan-reuse.ts).
 * - On failure, `onFailure` decides: abort (stop, keep state for resume), rollback (undo completed
 *   steps in reverse order), continue.
 * - An interrupt lets an in-flight mutating step finish within a grace period, then abandons it
 *   (read-only steps at once); `finally` steps (lock release, report) still run; the journal says
 *   how to resume.
 *
 * The modules: planner.ts plans (the whole-run plan, and a step's `when`, `with`, `timeout` and
 * `onFailure` resolved against the run's scope); step-context.ts builds what a step is handed (the
 * read context, and the write ports opened at the first apply); run-types.ts declares EngineOptions
 * and RunResult. This one runs the steps: apply, retries, the failure policy, interrupts, finally
 * steps and rollback, and builds the RunResult.
 */
import { resolveValue } from '../runbook/expressions.js';
import { isGroup, type OnFailure, type ParallelGroup, type Step } from '../runbook/schema.js';
import type { StepKind } from '../steps/types.js';
import { toMs } from '../util/duration.js';
import { FailoverError, invalidInput, toFailoverError } from './errors.js';
import {
  type EngineEvent,
  type EventPayload,
  errorInfo,
  type Json,
  type RunOutcome,
  type RunWarning,
} from './events.js';
import type { RunPlan } from './plan.js';
import { planProblems } from './plan.js';
import { PlanReuse, type ReusedPlan } from './plan-reuse.js';
import { Planner } from './planner.js';
import { backoffDelay, StepTimeoutError, sleep, withTimeout } from './retry.js';
import type { EngineOptions, RunResult } from './run-types.js';
import { StepContexts } from './step-context.js';

/** The event form of an error (defined beside ErrorInfo, where the planner uses it too). */
export { errorInfo } from './events.js';

export type { EngineOptions, RunResult } from './run-types.js';

interface Completed {
  step: Step;
  kind: StepKind<unknown>;
  input: unknown;
  converged: boolean;
  undo?: Json;
}

export async function executeRun(options: EngineOptions): Promise<RunResult> {
  return new Engine(options).execute();
}

class Engine {
  private readonly started = Date.now();
  private readonly outputs: Record<string, Record<string, Json>> = {};
  private readonly completed: Completed[] = [];
  private readonly failedSteps: string[] = [];
  private readonly warnings: RunWarning[] = [];
  private readonly rolledBack: string[] = [];
  private interrupted = false;
  private readonly reuse = new PlanReuse();
  private readonly contexts: StepContexts;
  private readonly planner: Planner;

  constructor(private readonly o: EngineOptions) {
    const emit = (payload: EventPayload) => this.emit(payload);
    this.contexts = new StepContexts(o, emit, this.warnings);
    this.planner = new Planner(o, {
      emit,
      outputs: this.outputs,
      reuse: this.reuse,
      contexts: this.contexts,
    });
    // A signal aborted before the run began never fires its event: read its state too.
    this.interrupted = o.interrupt.aborted;
    o.interrupt.addEventListener('abort', () => {
      this.interrupted = true;
    });
  }

  private emit(payload: EventPayload): void {
    this.o.emit({ runId: this.o.run.id, at: new Date().toISOString(), ...payload } as EngineEvent);
  }

  async execute(): Promise<RunResult> {
    const { loaded, run } = this.o;
    this.emit({
      type: 'run.started',
      runbook: { name: loaded.runbook.name, file: loaded.file },
      ...(this.o.configFile ? { configFile: this.o.configFile } : {}),
      params: this.o.params,
      dryRun: run.dryRun,
      operator: run.operator,
      ...(run.incident ? { incident: run.incident } : {}),
      ...(run.reason ? { reason: run.reason } : {}),
      ...(this.o.resume ? { resumedFrom: this.o.resume.from } : {}),
      ...(run.plan ? { savedPlan: run.plan } : {}),
    });
    for (const [id, done] of this.o.resume?.completed ?? []) this.outputs[id] = done.outputs;

    const plan = await this.planner.planAll();
    this.emit({ type: 'run.planned', plan });
    if (this.interrupted) {
      // Interrupted while planning: nothing was changed, there is nothing to resume.
      const error = new FailoverError(
        'FO_ENGINE_E1036',
        'aborted',
        'interrupted while planning: nothing was changed',
        {
          hint: 'run the command again when ready',
        },
      );
      return this.finish(plan, 'aborted', error);
    }

    const problems = planProblems(plan);
    if (run.dryRun) {
      // Bad input (a parameter, a field) is exit 2 like everywhere else; anything else means a real
      // run would fail today (exit 1).
      const badInput = [...plan.steps, ...plan.finally].some((s) => s.error?.category === 'invalid-input');
      const error = problems.length
        ? new FailoverError(
            'FO_ENGINE_E1030',
            badInput ? 'invalid-input' : 'step-failed',
            `the plan found ${problems.length} problem(s): ${problems.join('; ')}`,
            {
              hint: 'a real run would fail at these steps; fix them before the failover is needed',
            },
          )
        : undefined;
      return this.finish(plan, 'planned', error);
    }
    const blocking = plan.steps.filter((s) => {
      const step = this.planner.stepOf(s.id);
      return s.error && !(step && this.planner.resolveOnFailure(step) === 'continue');
    });
    if (blocking.length > 0) {
      const first = blocking[0]!;
      const error = new FailoverError(
        first.error!.code,
        first.error!.category,
        `cannot plan step "${first.id}": ${first.error!.message}`,
        {
          hint: first.error!.hint ?? 'nothing was changed; fix the problem and run again',
          problems: first.error!.problems,
        },
      );
      return this.runFinally(plan, 'failed', error);
    }
    if (!this.o.canConfirm) {
      const asking = plan.steps.find((s) => !s.skipped && this.o.registry.get(s.kind)?.kind === 'approve');
      if (asking) {
        const error = invalidInput(
          'FO_ENGINE_E1031',
          `step "${asking.id}" asks for confirmation, but ${this.o.cannotConfirm?.reason ?? 'there is no terminal to ask on'}`,
          {
            hint: `${this.o.cannotConfirm?.hint ?? 'pass --yes to confirm in automation, or run from an interactive terminal'}; nothing was changed`,
          },
        );
        return this.finish(plan, 'aborted', error);
      }
    }
    return this.applyAll(plan);
  }

  // ── apply ───────────────────────────────────────────────────────────────────────────────────

  /**
   * A `when` at apply time. One that cannot be resolved (it reads an output of a step that was
   * skipped or did not give it) is the step's failure, like such an input: never a crash of the run.
   */
  private applyWhen(when: boolean | string | undefined): string | FailoverError | undefined {
    try {
      return this.planner.whenSkip(when, false);
    } catch (thrown) {
      return toFailoverError(thrown);
    }
  }

  private async applyAll(plan: RunPlan): Promise<RunResult> {
    const { runbook } = this.o.loaded;
    for (const entry of runbook.steps) {
      if (this.interrupted) return this.onInterrupt(plan, []);
      const members = isGroup(entry) ? entry.parallel : [entry];
      const groupSkip = isGroup(entry) ? this.applyWhen(entry.when) : undefined;
      const results = await Promise.all(members.map((step) => this.runStep(step, groupSkip)));
      if (this.interrupted && results.some((r) => r.kind === 'interrupted')) {
        return this.onInterrupt(
          plan,
          results.filter((r) => r.kind === 'interrupted').map((r) => r.stepId),
        );
      }
      const failures = results.filter(
        (r): r is Extract<StepOutcome, { kind: 'failed' }> => r.kind === 'failed',
      );
      if (failures.length === 0) continue;
      const decisive = failures.find((f) => this.onFailureOf(f.step, entry) !== 'continue');
      for (const f of failures) {
        if (this.onFailureOf(f.step, entry) !== 'continue') continue;
        this.warnings.push({
          stepId: f.step.id,
          code: f.error.code,
          message: f.error.message,
          ...(f.error.hint ? { hint: f.error.hint } : {}),
        });
      }
      if (!decisive) continue;
      const mode = this.onFailureOf(decisive.step, entry);
      if (mode === 'rollback' && !this.interrupted) {
        const ok = await this.rollbackCompleted();
        return this.runFinally(plan, ok ? 'rolled-back' : 'failed', decisive.error);
      }
      return this.runFinally(
        plan,
        decisive.error.category === 'aborted' ? 'aborted' : 'failed',
        decisive.error,
      );
    }
    if (this.interrupted) return this.onInterrupt(plan, []);
    return this.runFinally(plan, 'succeeded', undefined);
  }

  private onFailureOf(step: Step, entry: Step | ParallelGroup): OnFailure {
    const own = this.planner.resolveOnFailure(step);
    return own !== 'abort' ? own : isGroup(entry) ? entry.onFailure : own;
  }

  private async onInterrupt(plan: RunPlan, inFlight: string[]): Promise<RunResult> {
    // The CLI also stops a run with an error as the reason (a journal that cannot be written).
    const reason: unknown = this.o.interrupt.reason;
    const cause = FailoverError.is(reason) ? reason : undefined;
    this.emit({
      type: 'run.interrupted',
      signal: cause ? cause.code : String(reason ?? 'SIGINT'),
      inFlight,
      resumeCommand: this.o.resumeCommand ?? `failover resume ${this.o.run.id}`,
    });
    const hint = `run \`${this.o.resumeCommand ?? `failover resume ${this.o.run.id}`}\` to continue where it stopped`;
    const error = cause
      ? new FailoverError(cause.code, cause.category, cause.message, {
          hint: `${cause.hint ? `${cause.hint}; ` : ''}${hint}`,
        })
      : new FailoverError('FO_ENGINE_E1033', 'aborted', 'the run was interrupted by the operator', { hint });
    return this.runFinally(plan, 'interrupted', error);
  }

  private async runStep(step: Step, groupSkip: string | FailoverError | undefined): Promise<StepOutcome> {
    const kind = this.o.registry.get(step.uses)!;
    const skipped = groupSkip ?? this.applyWhen(step.when);
    if (FailoverError.is(skipped)) return this.failed(step, kind, skipped, Date.now());
    if (skipped) {
      this.emit({ type: 'step.skipped', stepId: step.id, reason: skipped });
      return { kind: 'skipped', stepId: step.id };
    }
    const previous = this.o.resume?.completed.get(step.id);
    if (previous && kind.resume === 'once') {
      this.emit({
        type: 'step.skipped',
        stepId: step.id,
        reason: `already done in run ${this.o.resume!.from}`,
      });
      this.outputs[step.id] = previous.outputs;
      return { kind: 'ok', stepId: step.id };
    }
    const started = Date.now();
    let input: unknown;
    try {
      const resolved = resolveValue(step.with, this.planner.scope(false));
      const parsed = kind.input.safeParse(resolved);
      if (!parsed.success) throw this.planner.inputError(step, parsed.error.issues, kind.input, resolved);
      input = parsed.data;
    } catch (thrown) {
      return this.failed(step, kind, toFailoverError(thrown), started);
    }

    const retry = step.retry;
    const attempts = retry?.attempts ?? 1;
    for (let attempt = 1; ; attempt++) {
      this.emit({ type: 'step.started', stepId: step.id, kind: step.uses, attempt });
      // A retry reads again: only the first attempt may stand on the plan's read.
      const reused = attempt === 1 ? this.reuse.take(step.id, kind, input) : undefined;
      try {
        const { plan, result } = await this.attempt(step, kind, input, reused);
        const outputs = { ...(previous?.outputs ?? {}), ...(plan.outputs ?? {}), ...(result?.outputs ?? {}) };
        this.outputs[step.id] = outputs;
        const undo = result?.undo ?? (plan.converged ? previous?.undo : undefined);
        this.completed.push({ step, kind, input, converged: plan.converged && !previous?.undo, undo });
        // A change's plan warnings describe what the change did ("web stays at 0 once active"):
        // with the step's own warnings about its end state, they belong in the run's result.
        const changeWarnings = kind.mutating && !plan.converged ? (plan.warnings ?? []) : [];
        for (const message of new Set([...changeWarnings, ...(result?.warnings ?? [])]))
          this.warnings.push({ stepId: step.id, code: 'FO_ENGINE_W1015', message });
        this.emit({
          type: 'step.succeeded',
          stepId: step.id,
          kind: step.uses,
          converged: plan.converged,
          outputs,
          ...(undo !== undefined ? { undo } : {}),
          durationMs: Date.now() - started,
          ...(reused ? { planAgeMs: reused.ageMs } : {}),
        });
        return { kind: 'ok', stepId: step.id };
      } catch (thrown) {
        const error = toFailoverError(thrown);
        if (this.interrupted && error.category === 'aborted') {
          this.emit({
            type: 'step.failed',
            stepId: step.id,
            kind: step.uses,
            error: errorInfo(error),
            durationMs: Date.now() - started,
          });
          return { kind: 'interrupted', stepId: step.id };
        }
        const retryable =
          error.category !== 'invalid-input' && error.category !== 'aborted' && error.category !== 'locked';
        if (attempt < attempts && retryable && !this.interrupted) {
          const delayMs = backoffDelay(attempt, toMs(retry!.backoff), retry!.factor, toMs(retry!.maxBackoff));
          this.emit({ type: 'step.retrying', stepId: step.id, attempt, delayMs, error: errorInfo(error) });
          try {
            await sleep(delayMs, this.o.interrupt);
          } catch {
            return { kind: 'interrupted', stepId: step.id };
          }
          continue;
        }
        return this.failed(step, kind, error, started, reused);
      }
    }
  }

  private failed(
    step: Step,
    kind: StepKind<unknown>,
    error: FailoverError,
    started: number,
    reused?: ReusedPlan,
  ): StepOutcome {
    this.failedSteps.push(step.id);
    this.emit({
      type: 'step.failed',
      stepId: step.id,
      kind: kind.kind,
      error: errorInfo(error),
      durationMs: Date.now() - started,
      ...(reused ? { planAgeMs: reused.ageMs } : {}),
    });
    return { kind: 'failed', stepId: step.id, step, error };
  }

  /**
   * One try: fresh plan (or the plan phase's, when it still stands), checks, apply when not
   * converged. Interrupts get a grace period.
   */
  private async attempt(step: Step, kind: StepKind<unknown>, input: unknown, reused?: ReusedPlan) {
    const timeoutMs = this.planner.timeoutOf(step, kind, input);
    const abandon = new AbortController();
    const onInterrupt = () => {
      const grace = setTimeout(
        () =>
          abandon.abort(
            new FailoverError(
              'FO_ENGINE_E1034',
              'aborted',
              kind.mutating
                ? `step "${step.id}" abandoned after the interrupt grace period`
                : `step "${step.id}" stopped at the interrupt (it changes nothing, so it stops at once)`,
            ),
          ),
        // Only a change in progress is worth waiting for; a read-only step (a check, a wait, a poll)
        // is abandoned at once, which is what makes `wait` interruptible.
        kind.mutating ? (this.o.interruptGraceMs ?? 10_000) : 0,
      );
      grace.unref();
    };
    if (this.o.interrupt.aborted) onInterrupt();
    else this.o.interrupt.addEventListener('abort', onInterrupt, { once: true });
    try {
      return await withTimeout(
        async (signal) => {
          const plan =
            reused?.plan ?? (await kind.plan(this.contexts.planContext(signal, false, step.id), input));
          const failedChecks = (plan.checks ?? []).filter((c) => !c.ok && c.severity !== 'warning');
          if (failedChecks.length > 0) {
            throw new FailoverError(
              'FO_ENGINE_E1035',
              'step-failed',
              `check failed: ${failedChecks.map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`).join('; ')}`,
              {
                retryable: true,
              },
            );
          }
          if (plan.converged || !kind.apply) return { plan, result: undefined };
          const refused = this.o.guard?.(step.id, step.uses, plan);
          if (refused) throw refused;
          this.reuse.changing(kind);
          const result = await kind.apply(this.contexts.applyContext(signal, step.id), input, plan);
          return { plan, result };
        },
        timeoutMs,
        () => new StepTimeoutError(step.id, timeoutMs),
        abandon.signal,
      );
    } finally {
      this.o.interrupt.removeEventListener('abort', onInterrupt);
    }
  }

  /** Undo completed steps in reverse order. Returns false when any undo failed. */
  private async rollbackCompleted(): Promise<boolean> {
    let ok = true;
    for (const done of [...this.completed].reverse()) {
      if (done.converged || !done.kind.rollback || done.undo === undefined) continue;
      const started = Date.now();
      this.emit({ type: 'step.rollback.started', stepId: done.step.id });
      try {
        const timeoutMs = this.planner.timeoutOf(done.step, done.kind, done.input);
        await withTimeout(
          (signal) =>
            done.kind.rollback!(this.contexts.applyContext(signal, done.step.id), done.input, done.undo),
          timeoutMs,
          () => new StepTimeoutError(done.step.id, timeoutMs),
        );
        this.rolledBack.push(done.step.id);
        this.emit({ type: 'step.rolled-back', stepId: done.step.id, durationMs: Date.now() - started });
      } catch (thrown) {
        ok = false;
        this.emit({
          type: 'step.rollback.failed',
          stepId: done.step.id,
          error: errorInfo(toFailoverError(thrown)),
        });
      }
    }
    return ok;
  }

  private async runFinally(
    plan: RunPlan,
    outcome: RunOutcome,
    error: FailoverError | undefined,
  ): Promise<RunResult> {
    for (const step of this.o.loaded.runbook.finally) {
      const kind = this.o.registry.get(step.uses)!;
      const skipped = this.applyWhen(step.when);
      if (typeof skipped === 'string') {
        this.emit({ type: 'step.skipped', stepId: step.id, reason: skipped });
        continue;
      }
      const started = Date.now();
      this.emit({ type: 'step.started', stepId: step.id, kind: step.uses, attempt: 1 });
      try {
        if (skipped) throw skipped;
        const input = kind.input.parse(resolveValue(step.with, this.planner.scope(false)));
        const timeoutMs = this.planner.timeoutOf(step, kind, input);
        const { plan: stepPlan, result } = await withTimeout(
          async (signal) => {
            const p = await kind.plan(this.contexts.planContext(signal, false, step.id), input);
            if (p.converged || !kind.apply) return { plan: p, result: undefined };
            return {
              plan: p,
              result: await kind.apply(this.contexts.applyContext(signal, step.id), input, p),
            };
          },
          timeoutMs,
          () => new StepTimeoutError(step.id, timeoutMs),
        );
        this.outputs[step.id] = { ...(stepPlan.outputs ?? {}), ...(result?.outputs ?? {}) };
        this.emit({
          type: 'step.succeeded',
          stepId: step.id,
          kind: step.uses,
          converged: stepPlan.converged,
          outputs: this.outputs[step.id]!,
          durationMs: Date.now() - started,
        });
      } catch (thrown) {
        const failure = toFailoverError(thrown);
        this.failedSteps.push(step.id);
        this.emit({
          type: 'step.failed',
          stepId: step.id,
          kind: step.uses,
          error: errorInfo(failure),
          durationMs: Date.now() - started,
        });
        if (outcome === 'succeeded') {
          outcome = 'failed';
          error = failure;
        }
      }
    }
    return this.finish(plan, outcome, error);
  }

  private finish(plan: RunPlan, outcome: RunOutcome, error: FailoverError | undefined): RunResult {
    const durationMs = Date.now() - this.started;
    const warnings = outcome === 'succeeded' ? this.warnings : [];
    this.emit({
      type: 'run.finished',
      outcome,
      durationMs,
      ...(error ? { error: errorInfo(error) } : {}),
      ...(warnings.length ? { warnings } : {}),
    });
    return {
      runId: this.o.run.id,
      outcome,
      plan,
      outputs: this.outputs,
      error,
      failedSteps: this.failedSteps,
      rolledBack: this.rolledBack,
      warnings,
      madeProgress:
        (this.o.resume?.completed.size ?? 0) > 0 || this.completed.some((c) => !c.kind.independent),
      changed: this.completed
        .filter((c) => c.kind.mutating && !c.kind.independent && !c.converged)
        .map((c) => c.step.id)
        .filter((id) => !this.rolledBack.includes(id)),
      durationMs,
    };
  }
}

type StepOutcome =
  | { kind: 'ok'; stepId: string }
  | { kind: 'skipped'; stepId: string }
  | { kind: 'interrupted'; stepId: string }
  | { kind: 'failed'; stepId: string; step: Step; error: FailoverError };
