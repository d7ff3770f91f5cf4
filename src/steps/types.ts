/**
 * What a step kind is: a schema for its `with:` input, a read-only plan(), and for mutating kinds
 * apply() and rollback(). Steps converge: apply() checks the current state first and does nothing
 * when the goal already holds, so re-running (and resuming) is harmless.
 */

import type { Config } from '../config/schema.js';
import type { Json, Level } from '../engine/events.js';
import type { StepPlan } from '../engine/plan.js';
import type { PlanAudit } from '../engine/saved-plan.js';
import type { ReadPorts, WritePorts } from '../providers/ports.js';
import type { z } from '../util/zod.js';

export interface StepMessage {
  level: Level;
  /** Stable code, e.g. FO_ROUTE53_I3001. */
  code: string;
  message: string;
  data?: Json;
}

export interface ConfirmRequest {
  /** The question, e.g. "Move production traffic to AWS?". */
  message: string;
  /** What the operator must type to confirm (e.g. the target cloud); empty for yes/no. */
  expect?: string;
}

/** A question with a few named answers, asked at a gate (continue / hold / roll back). */
export interface ChoiceRequest {
  /** The question, e.g. "stage 10%: continue to 50%?". */
  message: string;
  /** What the operator needs to decide, shown above the question (gate result, live share). */
  details?: string[];
  /** The answers, as words; the operator types a word or its first letter. */
  choices: readonly string[];
}

export interface RunInfo {
  id: string;
  operator: string;
  incident?: string;
  reason?: string;
  dryRun: boolean;
  runbook: string;
  host: string;
  /** Applying a saved plan: its hash, who made it and who approved it (commit trailers, journal). */
  plan?: PlanAudit;
}

export interface PlanContext {
  run: RunInfo;
  config: Config;
  read: ReadPorts;
  /** Aborted when the step times out or the operator interrupts. Pass it to every call. */
  signal: AbortSignal;
  /**
   * True while planning a step that runs after earlier steps change things: the world will differ
   * by then, so checks describe what they will verify instead of failing on today's state.
   */
  afterChanges: boolean;
  /**
   * `plan`: the whole-run plan shown before anything runs (and all of a dry-run); report what is
   * true now, without long waits. `apply`: the step is about to run; waits belong here.
   */
  phase: 'plan' | 'apply';
  emit(message: StepMessage): void;
  /** A sleep that ends early (with an AbortError) when the signal aborts. */
  sleep(ms: number): Promise<void>;
}

export interface ApplyContext extends PlanContext {
  write: WritePorts;
  /** Asks the operator; answered by --yes. Rejects without a TTY and without --yes. */
  confirm(request: ConfirmRequest): Promise<boolean>;
  /**
   * Asks the operator to choose; undefined when nobody is asked (--yes, no terminal, JSON output),
   * and the step decides by its own checks. Ctrl-C at the question interrupts the run (it rejects).
   */
  decide(request: ChoiceRequest): Promise<string | undefined>;
}

export interface StepResult {
  outputs?: Record<string, Json>;
  /**
   * What the step found wrong with the state it leaves, though not enough to fail (a DaemonSet
   * scheduled on no node): kept in the run's warnings, so the recap and the report say it.
   */
  warnings?: string[];
  /** What rollback() needs to undo this step (e.g. the previous policy version). */
  undo?: Json;
}

export interface StepKind<I = unknown> {
  /** `route53.set-weights`. */
  kind: string;
  description: string;
  /** Mutating kinds change something outside the tool; read-only kinds only look. */
  mutating: boolean;
  /** Schema of the `with:` block (resolved). */
  input: z.ZodType<I>;
  /**
   * Its change does not alter what later steps read (the run lock): steps planned after it still
   * check live state instead of only describing what they will check.
   */
  independent?: boolean;
  /** Default timeout when the runbook sets none. */
  defaultTimeoutMs?: number;
  /** A default timeout that depends on the input (a staged shift's pauses); wins over defaultTimeoutMs. */
  timeoutFor?(input: I): number;
  /** On resume, a kind marked `once` that already succeeded is not run again (a sleep, a note). */
  resume?: 'replan' | 'once';
  /**
   * Read-only kinds: may the plan made moments earlier in the whole-run plan (on live state, same
   * input, nothing changed since) stand for this step's own read? Absent: never, the step reads
   * again (a kind that waits at its turn, or that reads what the run itself changes).
   */
  reusePlan?(input: I, plan: StepPlan): boolean;
  /**
   * Loads what the step's own turn will need (a client library) while earlier steps wait: called
   * once, not awaited, when a step of the apply phase first sleeps. It reads and changes nothing.
   */
  prepare?(ctx: Pick<PlanContext, 'config' | 'read'>, input: I): void;
  /** Read-only: what the step would change, checks it ran, outputs known now. */
  plan(ctx: PlanContext, input: I): Promise<StepPlan>;
  /** Makes the change. Only called when plan() reported converged: false. */
  apply?(ctx: ApplyContext, input: I, plan: StepPlan): Promise<StepResult>;
  /** Undoes apply(), using what apply() returned as `undo`. */
  rollback?(ctx: ApplyContext, input: I, undo: Json | undefined): Promise<void>;
}

/** Helper that keeps the input type of a step kind definition. */
export function defineStep<I>(kind: StepKind<I>): StepKind<I> {
  return kind;
}

export type StepRegistry = ReadonlyMap<string, StepKind<unknown>>;
