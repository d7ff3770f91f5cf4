/**
 * The engine's contract: what a run is given (EngineOptions: the runbook, the ports, the operator's
 * channels) and what it gives back (RunResult). Kept apart from engine.ts so that the planner and
 * the step contexts name the options they read without importing the engine.
 */
import type { Config } from '../config/schema.js';
import type { Ports } from '../providers/ports.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { ChoiceRequest, ConfirmRequest, RunInfo, StepRegistry } from '../steps/types.js';
import type { FailoverError } from './errors.js';
import type { EngineEvent, Json, RunOutcome, RunWarning } from './events.js';
import type { ResumeState } from './journal.js';
import type { RunPlan, StepPlan } from './plan.js';

export interface EngineOptions {
  loaded: LoadedRunbook;
  params: Record<string, Json>;
  config: Config;
  configFile?: string;
  registry: StepRegistry;
  ports: Ports;
  run: RunInfo;
  emit(event: EngineEvent): void;
  confirm(request: ConfirmRequest): Promise<boolean>;
  /** Asks the operator to choose at a gate; absent or undefined: nobody is asked. */
  decide?(request: ChoiceRequest): Promise<string | undefined>;
  /** False without a TTY and without --yes: runbooks that ask stop before changing anything. */
  canConfirm: boolean;
  /** Why no confirmation can be asked, and the fix (default: no terminal; pass --yes). */
  cannotConfirm?: { reason: string; hint: string };
  /** Aborts when the operator interrupts (SIGINT/SIGTERM). */
  interrupt: AbortSignal;
  /** How long an in-flight mutating step may take to finish after an interrupt before it is abandoned. */
  interruptGraceMs?: number;
  resume?: ResumeState;
  /** The command that resumes this run, printed after an interrupt or an abort. */
  resumeCommand?: string;
  /**
   * Applying a saved plan: called with a step's fresh plan just before it changes anything; an
   * error stops the step (the change differs from the one planned).
   */
  guard?(stepId: string, kind: string, plan: StepPlan): FailoverError | undefined;
}

export interface RunResult {
  runId: string;
  outcome: RunOutcome;
  plan: RunPlan;
  outputs: Record<string, Record<string, Json>>;
  /** The failure that decided the outcome (first failed step, or the plan problem). */
  error?: FailoverError;
  failedSteps: string[];
  rolledBack: string[];
  /** What the run did not do although it went on: a succeeded run with these is "succeeded with warnings". */
  warnings: RunWarning[];
  /**
   * Whether this run (or the run it resumes) completed any step beyond taking the lock: when not,
   * a failed run has nothing to resume and is simply run again.
   */
  madeProgress: boolean;
  /** Steps of this run that changed something and were not rolled back, in order: the state left behind. */
  changed: string[];
  durationMs: number;
}
