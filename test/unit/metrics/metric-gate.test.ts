/**
 * The metric gate's judgement: thresholds, monitors, read errors, and the failure threshold
 * (failed evaluations in a row, reset by a pass), as Flagger's analysis counts them.
 */
import { describe, expect, it } from 'vitest';
import type { MetricsReader, MonitorState } from '../../../src/providers/metrics/port.js';
import { sideOfQuery } from '../../../src/sandbox/common/error-rates.js';
import { describeFailure, type Evaluation, evaluate, runGate } from '../../../src/steps/check/metric-gate.js';

const pass: Evaluation = {
  ok: true,
  results: [{ name: 'query q', ok: true, detail: 'value 0.1 within <= 1' }],
};
const fail: Evaluation = {
  ok: false,
  results: [{ name: 'query q', ok: false, detail: 'value 30 outside <= 1' }],
};

/** Answers the scripted evaluations in turn and records the sleeps between them. */
function scripted(sequence: Evaluation[]) {
  let i = 0;
  const sleeps: number[] = [];
  return {
    once: async () => {
      const next = sequence[i++];
      if (!next) throw new Error('the gate evaluated more often than scripted');
      return next;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    sleeps,
    count: () => i,
  };
}

describe('runGate: failureThreshold', () => {
  it('fails at the first failure with failureThreshold 1, without sleeping', async () => {
    const s = scripted([fail, pass]);
    const outcome = await runGate(s.once, { intervalMs: 500, failureThreshold: 1, evaluations: 1 }, s.sleep);
    expect(outcome.ok).toBe(false);
    expect(s.count()).toBe(1);
    expect(s.sleeps).toEqual([]);
  });

  it('tolerates failureThreshold - 1 failures in a row, then passes on a good evaluation', async () => {
    const s = scripted([fail, fail, pass]);
    const outcome = await runGate(s.once, { intervalMs: 250, failureThreshold: 3, evaluations: 1 }, s.sleep);
    expect(outcome.ok).toBe(true);
    expect(outcome.history).toHaveLength(3);
    expect(s.sleeps).toEqual([250, 250]);
  });

  it('fails once the failures in a row reach the threshold', async () => {
    const s = scripted([fail, fail, fail, pass]);
    const outcome = await runGate(s.once, { intervalMs: 10, failureThreshold: 3, evaluations: 1 }, s.sleep);
    expect(outcome.ok).toBe(false);
    expect(s.count()).toBe(3);
    expect(outcome.last).toBe(fail);
  });

  it('a pass resets the count: failures that are not consecutive do not fail the gate', async () => {
    // Needs 3 passes; 2 failures in a row never happen, so 2 is never reached.
    const s = scripted([fail, pass, fail, pass, fail, pass]);
    const outcome = await runGate(s.once, { intervalMs: 1, failureThreshold: 2, evaluations: 3 }, s.sleep);
    expect(outcome.ok).toBe(true);
    expect(s.count()).toBe(6);
  });

  it('counts failures after passes: two in a row still fail a gate that wants more passes', async () => {
    const s = scripted([pass, fail, fail, pass]);
    const outcome = await runGate(s.once, { intervalMs: 1, failureThreshold: 2, evaluations: 3 }, s.sleep);
    expect(outcome.ok).toBe(false);
    expect(s.count()).toBe(3);
  });

  it('reports each evaluation with the failures in a row so far', async () => {
    const s = scripted([fail, pass, fail, fail]);
    const seen: number[] = [];
    await runGate(s.once, { intervalMs: 1, failureThreshold: 2, evaluations: 5 }, s.sleep, (_e, n) =>
      seen.push(n),
    );
    expect(seen).toEqual([1, 0, 1, 2]);
  });
});

function reader(
  values: Record<string, number | undefined | Error>,
  monitors: MonitorState[] = [],
): MetricsReader {
  return {
    provider: 'datadog',
    async query(query) {
      const v = values[query];
      if (v instanceof Error) throw v;
      return { value: v, series: v === undefined ? 0 : 1 };
    },
    async monitors() {
      return monitors;
    },
  };
}

describe('evaluate', () => {
  const signal = new AbortController().signal;

  it('checks each query against its range, both bounds inclusive', async () => {
    const evaluation = await evaluate(
      reader({ low: 0.5, edge: 1, high: 1.01, floor: 0.2 }),
      {
        queries: [
          { query: 'low', thresholdRange: { max: 1 } },
          { query: 'edge', thresholdRange: { max: 1 } },
          { query: 'high', thresholdRange: { max: 1 } },
          { query: 'floor', thresholdRange: { min: 0.5, max: 2 } },
        ],
        windowMs: 1000,
      },
      signal,
    );
    expect(evaluation.results.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect(evaluation.ok).toBe(false);
    expect(describeFailure(evaluation)).toBe(
      'query high: value 1.01 outside <= 1; query floor: value 0.2 outside 0.5..2',
    );
  });

  it('no data and a read error fail the evaluation with the reason', async () => {
    const evaluation = await evaluate(
      reader({ empty: undefined, broken: new Error('Datadog query "broken": HTTP 403 Forbidden') }),
      {
        queries: [
          { query: 'empty', thresholdRange: { max: 1 } },
          { query: 'broken', thresholdRange: { max: 1 } },
        ],
        windowMs: 1000,
      },
      signal,
    );
    expect(evaluation.ok).toBe(false);
    expect(evaluation.results.map((r) => r.detail)).toEqual([
      'no data',
      'Datadog query "broken": HTTP 403 Forbidden',
    ]);
  });

  it('every monitor must be OK', async () => {
    const monitors: MonitorState[] = [
      { id: 1, name: 'api 5xx', state: 'OK' },
      { id: 2, name: 'web latency', state: 'Warn' },
    ];
    const evaluation = await evaluate(
      reader({}, monitors),
      { queries: [], monitorTags: ['cloud:aws'], windowMs: 1 },
      signal,
    );
    expect(evaluation.ok).toBe(false);
    expect(evaluation.results[0]?.detail).toBe('not OK: web latency (Warn)');
    const allOk = await evaluate(
      reader({}, [monitors[0]!]),
      { queries: [], monitorTags: ['cloud:aws'], windowMs: 1 },
      signal,
    );
    expect(allOk.ok).toBe(true);
  });
});

describe('sideOfQuery (sandbox emulators)', () => {
  it('reads the side from a Datadog tag or a PromQL label, gke and gcp alike', () => {
    expect(sideOfQuery('sum:trace.http.request.errors{service:admin,cloud:aws}.as_rate()')).toBe('aws');
    expect(sideOfQuery('sum(rate(http_requests_total{cloud="gke",code=~"5.."}[1m]))')).toBe('gcp');
    expect(sideOfQuery('sum:trace.http.request.errors{cloud:gcp}')).toBe('gcp');
    expect(sideOfQuery('sum:trace.http.request.errors{service:admin}')).toBeUndefined();
  });
});
