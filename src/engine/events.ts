/**
 * Engine events: the one stream that the terminal renderers, the JSON output and the journal all
 * consume. Each event type has a stable code (tests assert on codes, never on text).
 */
import { formatMs } from '../util/duration.js';
import type { ErrorCategory, FailoverError, Problem } from './errors.js';
import type { RunPlan, StepPlan } from './plan.js';
import type { PlanAudit } from './saved-plan.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface ErrorInfo {
  code: string;
  category: ErrorCategory;
  message: string;
  hint?: string;
  problems?: Problem[];
}

export function errorInfo(error: FailoverError): ErrorInfo {
  return {
    code: error.code,
    category: error.category,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.problems.length ? { problems: error.problems } : {}),
  };
}

/** Something the run did not do although it went on (a `continue` step that failed, a warning note). */
export interface RunWarning {
  stepId: string;
  code: string;
  /** First line of every summary: e.g. "GKE CronJobs NOT fenced: a, b may run on both clouds". */
  message: string;
  /** What to do about it (the command to do by hand). */
  hint?: string;
}

/** "succeeded with warnings" for a succeeded run that has warnings; the outcome itself otherwise. */
export function outcomeLabel(outcome: string, warnings: readonly unknown[] | undefined): string {
  return outcome === 'succeeded' && warnings && warnings.length > 0 ? 'succeeded with warnings' : outcome;
}

/** What a step that stood on its plan's read (planAgeMs) says instead of reading again. */
export function fromPlan(ageMs: number): string {
  return `as read by the plan ${formatMs(ageMs)} before`;
}

export type RunOutcome = 'succeeded' | 'failed' | 'rolled-back' | 'aborted' | 'interrupted' | 'planned';

interface Base {
  runId: string;
  /** ISO time. */
  at: string;
}

export type EngineEvent = Base &
  (
    | {
        type: 'run.started';
        runbook: { name: string; file: string };
        configFile?: string;
        params: Record<string, Json>;
        dryRun: boolean;
        operator: string;
        /** Recorded so that a resumed run commits, reports and notifies with the same ones. */
        incident?: string;
        reason?: string;
        resumedFrom?: string;
        /** The saved plan this run applies: its hash, who made it, who approved it. */
        savedPlan?: PlanAudit;
      }
    | { type: 'run.planned'; plan: RunPlan }
    | {
        type: 'step.planned';
        stepId: string;
        kind: string;
        plan: StepPlan;
        /** How long planning took (a rehearsal's checks run here): the JUnit time of a planned step. */
        durationMs?: number;
      }
    | { type: 'step.started'; stepId: string; kind: string; attempt: number }
    | { type: 'step.message'; stepId: string; level: Level; code: string; message: string; data?: Json }
    | { type: 'step.retrying'; stepId: string; attempt: number; delayMs: number; error: ErrorInfo }
    | {
        type: 'step.succeeded';
        stepId: string;
        kind: string;
        converged: boolean;
        outputs: Record<string, Json>;
        /** What rollback needs to undo this step; journalled so a resumed run can roll back too. */
        undo?: Json;
        durationMs: number;
        /** The step stood on its plan's read from this long ago instead of reading again. */
        planAgeMs?: number;
      }
    | { type: 'step.skipped'; stepId: string; reason: string }
    | {
        type: 'step.failed';
        stepId: string;
        kind: string;
        error: ErrorInfo;
        durationMs: number;
        /** Failed on its plan's read from this long ago (its checks), without reading again. */
        planAgeMs?: number;
      }
    | { type: 'step.rollback.started'; stepId: string }
    | { type: 'step.rolled-back'; stepId: string; durationMs: number }
    | { type: 'step.rollback.failed'; stepId: string; error: ErrorInfo }
    | { type: 'run.interrupted'; signal: string; inFlight: string[]; resumeCommand: string }
    | {
        type: 'run.finished';
        outcome: RunOutcome;
        durationMs: number;
        error?: ErrorInfo;
        /** A succeeded run with warnings is "succeeded with warnings": part of the result, not a log line. */
        warnings?: RunWarning[];
      }
  );

export type EngineEventType = EngineEvent['type'];
export type EventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;

/** Distributes Omit over the union so each member keeps its own fields. */
export type EventPayload = EngineEvent extends infer E
  ? E extends EngineEvent
    ? Omit<E, 'runId' | 'at'>
    : never
  : never;

/** Stable codes: FO_<area>_<level letter><number>. Never reuse or renumber a code. */
export const EVENT_CODES: Record<EngineEventType, string> = {
  'run.started': 'FO_ENGINE_I1001',
  'run.planned': 'FO_ENGINE_I1002',
  'step.planned': 'FO_ENGINE_I1003',
  'step.started': 'FO_ENGINE_I1004',
  'step.message': 'FO_ENGINE_I1005',
  'step.retrying': 'FO_ENGINE_W1006',
  'step.succeeded': 'FO_ENGINE_I1007',
  'step.skipped': 'FO_ENGINE_I1008',
  'step.failed': 'FO_ENGINE_E1009',
  'step.rollback.started': 'FO_ENGINE_W1010',
  'step.rolled-back': 'FO_ENGINE_W1011',
  'step.rollback.failed': 'FO_ENGINE_E1012',
  'run.interrupted': 'FO_ENGINE_W1013',
  'run.finished': 'FO_ENGINE_I1014',
};

export type EventSink = (event: EngineEvent) => void;
