/**
 * Each fact is read once per run: a read-only step whose whole-run plan read live state moments
 * earlier uses that plan when it runs instead of reading again, as long as nothing has changed
 * since. The plan is kept only when it is still a true answer for now:
 * - it read live state (not `afterChanges`, every input known);
 * - the step's input resolves to the same value now;
 * - no change that later steps read has been made since (the run lock's does not count);
 * - it is young: an operator who spent minutes at a confirmation gets fresh checks;
 * - the kind says this answer may stand (`StepKind.reusePlan`: a check that waits does not
 *   reuse a plan whose checks failed, since its own turn would wait for them).
 */
import { isDeepStrictEqual } from 'node:util';
import type { StepKind } from '../steps/types.js';
import type { StepPlan } from './plan.js';

/** How old a plan may be to stand for the step's own read (as old as a shared cluster read). */
export const PLAN_REUSE_FRESH_MS = 10_000;

interface Kept {
  input: unknown;
  plan: StepPlan;
  /** When planning began: the facts are at least this old. */
  at: number;
  /** Changes made before it was planned. */
  changes: number;
}

export interface ReusedPlan {
  plan: StepPlan;
  /** How long ago its facts were read. */
  ageMs: number;
}

export class PlanReuse {
  private readonly kept = new Map<string, Kept>();
  private changes = 0;

  constructor(private readonly freshMs = PLAN_REUSE_FRESH_MS) {}

  /** A plan made in the plan phase on live state, with every input known. */
  keep(stepId: string, kind: StepKind<unknown>, input: unknown, plan: StepPlan, at: number): void {
    if (!kind.mutating && kind.reusePlan) this.kept.set(stepId, { input, plan, at, changes: this.changes });
  }

  /** A step that later steps read is about to change something: every plan kept so far is stale. */
  changing(kind: StepKind<unknown>): void {
    if (kind.mutating && !kind.independent) this.changes += 1;
  }

  /** The kept plan when it still stands, for the step's first attempt only (it is handed out once). */
  take(stepId: string, kind: StepKind<unknown>, input: unknown): ReusedPlan | undefined {
    const kept = this.kept.get(stepId);
    this.kept.delete(stepId);
    if (!kept || kind.mutating || kept.changes !== this.changes) return undefined;
    const ageMs = Date.now() - kept.at;
    if (ageMs > this.freshMs || !isDeepStrictEqual(kept.input, input)) return undefined;
    return kind.reusePlan?.(input, kept.plan) ? { plan: kept.plan, ageMs } : undefined;
  }
}
