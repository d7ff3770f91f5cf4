/**
 * The metric gate's judgement, apart from any step: one evaluation reads every query and the
 * monitors; the gate repeats evaluations every `interval` until `evaluations` passed or
 * `failureThreshold` failed in a row (a pass resets the count), as Flagger's analysis does.
 */
import type { MetricsConfig } from '../../config/schema.js';
import type { MetricsReader } from '../../providers/metrics/port.js';

export interface MetricQuery {
  query: string;
  thresholdRange: { min?: number | undefined; max?: number | undefined };
}

export interface Evaluation {
  ok: boolean;
  /** One line per query and monitor: what was read and whether it held. */
  results: { name: string; ok: boolean; detail: string; value?: number }[];
}

export interface GateSpec {
  queries: MetricQuery[];
  monitorTags?: string[];
  windowMs: number;
}

export interface GateRhythm {
  intervalMs: number;
  failureThreshold: number;
  /** Passed evaluations needed; default 1. */
  evaluations: number;
}

export interface GateOutcome {
  ok: boolean;
  /** Every evaluation, in order. */
  history: Evaluation[];
  /** The evaluation that decided. */
  last: Evaluation;
}

function inRange(value: number, range: MetricQuery['thresholdRange']): boolean {
  return (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max);
}

function describeRange(range: MetricQuery['thresholdRange']): string {
  if (range.min !== undefined && range.max !== undefined) return `${range.min}..${range.max}`;
  return range.min !== undefined ? `>= ${range.min}` : `<= ${range.max}`;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** One evaluation: read failures count as failed checks (the gate cannot vouch for the side). */
export async function evaluate(
  reader: MetricsReader,
  spec: GateSpec,
  signal: AbortSignal,
): Promise<Evaluation> {
  const results: Evaluation['results'] = [];
  for (const q of spec.queries) {
    try {
      const { value } = await reader.query(q.query, spec.windowMs, signal);
      if (value === undefined) {
        results.push({ name: `query ${q.query}`, ok: false, detail: 'no data' });
      } else {
        const ok = inRange(value, q.thresholdRange);
        results.push({
          name: `query ${q.query}`,
          ok,
          value,
          detail: `value ${round(value)} ${ok ? 'within' : 'outside'} ${describeRange(q.thresholdRange)}`,
        });
      }
    } catch (error) {
      if (signal.aborted) throw error;
      results.push({ name: `query ${q.query}`, ok: false, detail: (error as Error).message });
    }
  }
  if (spec.monitorTags?.length) {
    const name = `monitors tagged ${spec.monitorTags.join(',')}`;
    try {
      const monitors = await reader.monitors(spec.monitorTags, signal);
      const bad = monitors.filter((m) => m.state !== 'OK');
      results.push({
        name,
        ok: bad.length === 0,
        detail:
          bad.length === 0
            ? `${monitors.length} monitors OK`
            : `not OK: ${bad.map((m) => `${m.name} (${m.state})`).join(', ')}`,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      results.push({ name, ok: false, detail: (error as Error).message });
    }
  }
  return { ok: results.every((r) => r.ok), results };
}

/**
 * Repeats `once` on the rhythm. Bounded: it stops after `evaluations` passes or `failureThreshold`
 * failures in a row, so at most evaluations × failureThreshold evaluations run.
 */
export async function runGate(
  once: () => Promise<Evaluation>,
  rhythm: GateRhythm,
  sleep: (ms: number) => Promise<void>,
  onEvaluation?: (evaluation: Evaluation, failuresInARow: number) => void,
): Promise<GateOutcome> {
  const history: Evaluation[] = [];
  let passes = 0;
  let failures = 0;
  for (;;) {
    const evaluation = await once();
    history.push(evaluation);
    if (evaluation.ok) {
      passes += 1;
      failures = 0;
    } else failures += 1;
    onEvaluation?.(evaluation, failures);
    if (failures >= rhythm.failureThreshold) return { ok: false, history, last: evaluation };
    if (passes >= rhythm.evaluations) return { ok: true, history, last: evaluation };
    await sleep(rhythm.intervalMs);
  }
}

/** The error-rate query and monitors the config gives for a side. */
export function sideSpec(
  metrics: MetricsConfig,
  side: 'aws' | 'gcp',
): { queries: MetricQuery[]; monitorTags?: string[] } {
  const s = metrics[side];
  return {
    queries: s.errorRate ? [{ query: s.errorRate.query, thresholdRange: s.errorRate.thresholdRange }] : [],
    ...(s.monitors ? { monitorTags: s.monitors.tags } : {}),
  };
}

/** One line that says which query or monitor failed, with its value. */
export function describeFailure(evaluation: Evaluation): string {
  return evaluation.results
    .filter((r) => !r.ok)
    .map((r) => `${r.name}: ${r.detail}`)
    .join('; ');
}
