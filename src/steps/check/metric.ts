/**
 * check.metric: a gate on metrics (Datadog or Prometheus). Queries must stay in their
 * thresholdRange and tagged monitors must be OK; `failureThreshold` failed evaluations in a row,
 * `interval` apart, fail the gate. Read-only, so a dry-run or a rehearsal runs it too.
 */

import { ThresholdRange } from '../../config/schema.js';
import type { Json } from '../../engine/events.js';
import type { CheckResult, StepPlan } from '../../engine/plan.js';
import { Duration, formatMs, toMs } from '../../util/duration.js';
import { z } from '../../util/zod.js';
import { defineStep } from '../types.js';
import {
  describeFailure,
  type Evaluation,
  evaluate,
  type GateSpec,
  runGate,
  sideSpec,
} from './metric-gate.js';

const Input = z.strictObject({
  /** Use the error-rate query and monitors the config gives for this side (metrics.aws / metrics.gcp). */
  side: z.enum(['aws', 'gcp']).optional(),
  /** Default: metrics.provider. */
  provider: z.enum(['datadog', 'prometheus']).optional(),
  query: z.string().min(1).optional(),
  thresholdRange: ThresholdRange.optional(),
  /** Datadog monitors carrying all these tags must be OK. */
  monitors: z.strictObject({ tags: z.array(z.string().min(1)).min(1) }).optional(),
  /** Between evaluations; default metrics.interval. */
  interval: Duration.optional(),
  /** Failed evaluations in a row that fail the gate; default metrics.failureThreshold. */
  failureThreshold: z.number().int().min(1).optional(),
  /** Passed evaluations needed; default 1. */
  evaluations: z.number().int().min(1).max(100).default(1),
  required: z.boolean().default(true),
});

function checksOf(evaluation: Evaluation, required: boolean): CheckResult[] {
  return evaluation.results.map((r) => ({
    name: r.name,
    ok: r.ok,
    severity: required ? 'error' : 'warning',
    detail: r.detail,
  }));
}

export const metricCheck = defineStep({
  kind: 'check.metric',
  description:
    'Gate on metrics: Datadog or Prometheus queries within a threshold range and Datadog monitors OK, with a failure threshold (read-only).',
  mutating: false,
  defaultTimeoutMs: 10 * 60_000,
  input: Input,
  // The Datadog client loads thousands of modules, synchronously: while earlier steps wait on the
  // world (a rollout, an ingress coming up), not at the gate.
  prepare(ctx, input) {
    if (ctx.config.metrics) ctx.read.metrics.reader(input.provider).warm?.();
  },
  async plan(ctx, input): Promise<StepPlan> {
    const metrics = ctx.config.metrics;
    const severity = input.required ? 'error' : 'warning';
    if (!metrics) {
      return {
        summary: 'no metrics section in the config',
        changes: [],
        converged: false,
        checks: [{ name: 'metrics', ok: !input.required, severity, detail: 'add `metrics:` to the config' }],
      };
    }
    const fromSide = input.side ? sideSpec(metrics, input.side) : { queries: [] };
    const queries = [...fromSide.queries];
    if (input.query) queries.push({ query: input.query, thresholdRange: input.thresholdRange ?? {} });
    const monitorTags = input.monitors?.tags ?? fromSide.monitorTags;
    const intervalMs = toMs(input.interval ?? metrics.interval);
    const spec: GateSpec = { queries, ...(monitorTags ? { monitorTags } : {}), windowMs: intervalMs };
    if (queries.length === 0 && !monitorTags) {
      return {
        summary: 'the metric gate has nothing to check',
        changes: [],
        converged: false,
        checks: [
          {
            name: 'metric gate',
            ok: !input.required,
            severity,
            detail: input.side
              ? `add metrics.${input.side}.errorRate or metrics.${input.side}.monitors to the config`
              : 'give a query or monitors',
          },
        ],
      };
    }
    const what = [
      ...queries.map((q) => q.query),
      ...(monitorTags ? [`monitors ${monitorTags.join(',')}`] : []),
    ];
    if (ctx.afterChanges) {
      return { summary: `will check ${what.join(', ')}`, changes: [], converged: false };
    }
    const reader = ctx.read.metrics.reader(input.provider);
    const rhythm = {
      intervalMs,
      failureThreshold: input.failureThreshold ?? metrics.failureThreshold,
      evaluations: input.evaluations,
    };
    // The whole-run plan (and a dry-run) reads once; the step's own turn runs the full analysis.
    const outcome =
      ctx.phase === 'apply'
        ? await runGate(
            () => evaluate(reader, spec, ctx.signal),
            rhythm,
            (ms) => ctx.sleep(ms),
            (evaluation, failures) => {
              if (!evaluation.ok && failures < rhythm.failureThreshold)
                ctx.emit({
                  level: 'info',
                  code: 'FO_METRICS_I7301',
                  message: `metric gate failed ${failures}/${rhythm.failureThreshold} (${describeFailure(evaluation)}); again in ${formatMs(intervalMs)}`,
                });
            },
          )
        : await evaluate(reader, spec, ctx.signal).then((last) => ({ ok: last.ok, last, history: [last] }));
    const values = Object.fromEntries(
      outcome.last.results.filter((r) => r.value !== undefined).map((r) => [r.name, r.value as number]),
    );
    return {
      summary: outcome.ok
        ? `metric gate passed (${outcome.history.length} evaluation${outcome.history.length === 1 ? '' : 's'})`
        : `metric gate failed: ${describeFailure(outcome.last)}`,
      changes: [],
      converged: false,
      checks: checksOf(outcome.last, input.required),
      outputs: { ok: outcome.ok, values: values as Json, evaluations: outcome.history.length },
    };
  },
});
