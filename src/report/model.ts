/**
 * Reports are built from journal events, so a report can be written for any run, also later
 * (`failover report RUN_ID`), and tells exactly what the journal tells.
 */
import { invalidInput } from '../engine/errors.js';
import {
  type EngineEvent,
  type ErrorInfo,
  type EventOf,
  fromPlan,
  type Json,
  type RunOutcome,
  type RunWarning,
} from '../engine/events.js';
import type { CheckResult } from '../engine/plan.js';
import type { PlanAudit } from '../engine/saved-plan.js';

export interface StepRecord {
  id: string;
  kind: string;
  /** `planned`: a dry-run or rehearsal planned (and, for checks, ran) the step without applying it. */
  outcome: 'succeeded' | 'converged' | 'failed' | 'skipped' | 'rolled-back' | 'planned' | 'not-run';
  durationMs?: number;
  /** When the step started, in ms after the run started (the Gantt chart of the report). */
  startMs?: number;
  /** The phase its time counts for (checks, git push, …), when it counts for one. */
  phase?: string;
  error?: ErrorInfo;
  checks: CheckResult[];
  outputs?: Record<string, Json>;
  note?: string;
}

export interface Phase {
  name: string;
  durationMs: number;
}

export interface RunReport {
  runId: string;
  runbook: string;
  operator: string;
  incident?: string;
  reason?: string;
  /** The saved plan the run applied: its hash, who made it, who approved it (`operator` applied it). */
  savedPlan?: PlanAudit;
  dryRun: boolean;
  params: Record<string, Json>;
  startedAt: string;
  finishedAt?: string;
  outcome: RunOutcome | 'running';
  /** What a succeeded run did not do: it then reads "succeeded with warnings". */
  warnings: RunWarning[];
  durationMs?: number;
  /** Time the operator spent reading and typing at confirmations: reported apart, not in the RTO. */
  decisionMs: number;
  error?: ErrorInfo;
  steps: StepRecord[];
  phases: Phase[];
}

/** Which phase a step kind's time counts for (the RTO table of drills). */
const PHASE_OF: Record<string, string> = {
  'check.eks-cluster': 'checks',
  'check.gke-cluster': 'checks',
  'check.anthos-aws-cluster': 'checks',
  'check.route53-health': 'checks',
  'gitops.set-standby': 'git push',
  'route53.set-weights': 'DNS applied',
};

/** A confirmation answered faster than this was answered by automation (--yes), not by a person. */
export const HUMAN_DECISION_MS = 1000;

function phaseOf(kind: string, mutatedBefore: boolean): string | undefined {
  if (kind === 'argocd.wait') return 'Argo CD';
  if (kind === 'check.http') return mutatedBefore ? 'verification' : 'checks';
  if (kind === 'approve') return 'decision';
  return PHASE_OF[kind];
}

export function buildRunReport(events: EngineEvent[]): RunReport {
  const started = events.find((e): e is EventOf<'run.started'> => e.type === 'run.started');
  if (!started)
    throw invalidInput('FO_REPORT_E7003', 'the journal has no start record: it is damaged or not a journal', {
      hint: 'a report needs the journal of a run from `failover runs`',
    });
  const finished = events.findLast((e): e is EventOf<'run.finished'> => e.type === 'run.finished');
  const plan = events.findLast((e): e is EventOf<'run.planned'> => e.type === 'run.planned')?.plan;
  const steps = new Map<string, StepRecord>();
  const order = [...(plan?.steps ?? []), ...(plan?.finally ?? [])];
  for (const p of order) {
    steps.set(p.id, {
      id: p.id,
      kind: p.kind,
      outcome: p.skipped ? 'skipped' : p.error ? 'failed' : started.dryRun ? 'planned' : 'not-run',
      checks: p.plan?.checks ?? [],
      ...(p.skipped ? { note: p.skipped } : {}),
      ...(p.error ? { error: p.error } : {}),
    });
  }
  let mutatedBefore = false;
  let decisionMs = 0;
  const phases = new Map<string, number>();
  const add = (name: string, ms: number) => phases.set(name, (phases.get(name) ?? 0) + ms);
  for (const event of events) {
    if (!('stepId' in event)) continue;
    const record = steps.get(event.stepId);
    if (!record) continue;
    switch (event.type) {
      case 'step.planned':
        // A planned step that is never applied (a rehearsal) still took time: its checks ran here.
        if (record.durationMs === undefined && event.durationMs !== undefined)
          record.durationMs = event.durationMs;
        break;
      case 'step.started':
        if (event.attempt <= 1 || record.startMs === undefined) {
          record.startMs = Date.parse(event.at) - Date.parse(started.at);
          record.durationMs = undefined;
        }
        break;
      case 'step.succeeded': {
        record.outcome = event.converged ? 'converged' : 'succeeded';
        record.durationMs = event.durationMs;
        if (event.planAgeMs !== undefined) record.note = fromPlan(event.planAgeMs);
        record.outputs = event.outputs;
        const checks = event.outputs.checks;
        if (Array.isArray(checks)) record.checks = checks as unknown as CheckResult[];
        const kind = event.kind;
        record.phase = phaseOf(kind, mutatedBefore);
        // The operator's time at a confirmation or at the gates of a staged shift: not in the RTO.
        const decided = typeof event.outputs.decisionMs === 'number' ? event.outputs.decisionMs : 0;
        decisionMs += decided;
        if (kind === 'argocd.wait') {
          const synced = Number(event.outputs.syncedAfterMs ?? 0);
          add('Argo CD synced', synced);
          add('workloads ready', Math.max(0, event.durationMs - synced));
        } else if (kind === 'check.http') {
          add(mutatedBefore ? 'verification' : 'checks', event.durationMs);
        } else if (PHASE_OF[kind]) {
          add(PHASE_OF[kind], Math.max(0, event.durationMs - decided));
        }
        if (kind === 'gitops.set-standby' || kind === 'route53.set-weights') mutatedBefore = true;
        break;
      }
      case 'step.failed':
        record.outcome = 'failed';
        record.durationMs = event.durationMs;
        if (event.planAgeMs !== undefined) record.note = fromPlan(event.planAgeMs);
        record.error = event.error;
        break;
      case 'step.skipped':
        record.outcome = 'skipped';
        record.note = event.reason;
        break;
      case 'step.rolled-back':
        record.outcome = 'rolled-back';
        break;
      default:
        break;
    }
  }
  const durationMs = finished ? Date.parse(finished.at) - Date.parse(started.at) : undefined;
  const phaseList = ['checks', 'git push', 'Argo CD synced', 'workloads ready', 'DNS applied', 'verification']
    .filter((name) => phases.has(name))
    .map((name) => ({ name, durationMs: phases.get(name)! }));
  if (durationMs !== undefined) {
    phaseList.push({
      name: started.dryRun ? 'total (planning)' : 'total (RTO)',
      durationMs: Math.max(0, durationMs - decisionMs),
    });
    // --yes answers in milliseconds; a person takes seconds. Only a real answer is worth a row.
    if (decisionMs >= HUMAN_DECISION_MS)
      phaseList.push({ name: 'decision time (not in RTO)', durationMs: decisionMs });
  }
  return {
    runId: started.runId,
    runbook: started.runbook.name,
    operator: started.operator,
    ...(started.incident ? { incident: started.incident } : {}),
    ...(started.reason ? { reason: started.reason } : {}),
    ...(started.savedPlan ? { savedPlan: started.savedPlan } : {}),
    dryRun: started.dryRun,
    params: started.params,
    startedAt: started.at,
    ...(finished ? { finishedAt: finished.at } : {}),
    outcome: finished?.outcome ?? 'running',
    warnings: finished?.warnings ?? [],
    ...(durationMs !== undefined ? { durationMs } : {}),
    decisionMs,
    ...(finished?.error ? { error: finished.error } : {}),
    steps: [...steps.values()],
    phases: phaseList,
  };
}
