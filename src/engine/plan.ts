/**
 * The plan is data: what each step intends to change, computed by reads only. Dry-run prints it;
 * apply executes it; the journal stores it.
 */
import type { ErrorInfo, Json } from './events.js';

export type ChangeAction = 'create' | 'update' | 'delete' | 'none';

export interface Change {
  action: ChangeAction;
  /** What is changed, e.g. `route53 traffic policy instance tpi-123` or `git overlays/aws/kustomization.yaml`. */
  resource: string;
  summary: string;
  /** A unified diff or before/after text, for documents and files. */
  diff?: string;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
  /** A failed warning-level check does not fail the step. */
  severity?: 'error' | 'warning';
}

export interface StepPlan {
  summary: string;
  changes: Change[];
  checks?: CheckResult[];
  /** The goal already holds: apply will do nothing. */
  converged: boolean;
  /** Outputs known at plan time (e.g. the current weights). */
  outputs?: Record<string, Json>;
  /** Inputs that depend on earlier steps' outputs and are only known at apply time. */
  deferred?: string[];
  warnings?: string[];
}

export interface PlannedStep {
  id: string;
  kind: string;
  mutating: boolean;
  /** Id of the parallel group this step belongs to. */
  group?: string;
  /** Why the step will not run (its `when` is false). */
  skipped?: string;
  plan?: StepPlan;
  error?: ErrorInfo;
  /** `continue`: a failure of this step does not stop the run; it becomes a warning of the run. */
  onFailure?: 'continue';
}

export interface RunPlan {
  runId: string;
  runbook: { name: string; file: string };
  params: Record<string, Json>;
  steps: PlannedStep[];
  finally: PlannedStep[];
}

/**
 * What the real run would end "succeeded with warnings" for, so that a rehearsal reports it the
 * same way: steps that could not be planned but whose failure does not stop the run (`onFailure:
 * continue`), and the plan warnings of the changes it would make (the engine keeps those in the
 * run's result).
 */
export function planWarnings(plan: RunPlan): string[] {
  const out: string[] = [];
  for (const step of [...plan.steps, ...plan.finally]) {
    if (step.error && step.onFailure === 'continue') out.push(`${step.id}: ${step.error.message}`);
    if (!step.mutating || step.skipped || !step.plan || step.plan.converged) continue;
    for (const warning of step.plan.warnings ?? []) out.push(`${step.id}: ${warning}`);
  }
  return out;
}

/** True when any step could not be planned or a check failed at plan time. */
export function planProblems(plan: RunPlan): string[] {
  const out: string[] = [];
  for (const step of [...plan.steps, ...plan.finally]) {
    if (step.error && step.onFailure !== 'continue') {
      const details = (step.error.problems ?? []).map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`);
      out.push(`${step.id}: ${step.error.message}${details.length ? ` (${details.join('; ')})` : ''}`);
    }
    for (const check of step.plan?.checks ?? []) {
      if (!check.ok && check.severity !== 'warning')
        out.push(`${step.id}: ${check.name}${check.detail ? ` (${check.detail})` : ''}`);
    }
  }
  return out;
}
