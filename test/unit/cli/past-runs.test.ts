/**
 * The "expected" line above the confirmation: the median time of earlier succeeded runs of the
 * same runbook, their decision time left out; dry-runs, failures, resumed runs and other
 * runbooks do not count.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedDuration } from '../../../src/cli/past-runs.js';
import { expectedText } from '../../../src/cli/render/summary.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Past {
  runbook: string;
  tookMs: number;
  decisionMs?: number;
  outcome?: string;
  dryRun?: boolean;
  resumedFrom?: string;
}

function stateDir(runs: Past[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'past-runs-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'runs'));
  runs.forEach((run, i) => {
    const runId = `20261201T0${i}0000Z-ab${String(i).padStart(2, '0')}`;
    const t0 = Date.parse(`2026-12-01T0${i}:00:00Z`);
    const events = [
      {
        type: 'run.started',
        runId,
        at: new Date(t0).toISOString(),
        runbook: { name: run.runbook, file: `${run.runbook}.yaml` },
        params: {},
        dryRun: run.dryRun ?? false,
        operator: 'oncall',
        ...(run.resumedFrom ? { resumedFrom: run.resumedFrom } : {}),
      },
      {
        type: 'run.planned',
        runId,
        at: new Date(t0 + 10).toISOString(),
        plan: {
          runId,
          runbook: { name: run.runbook, file: 'x' },
          params: {},
          steps: [{ id: 'confirm', kind: 'approve', mutating: false }],
          finally: [],
        },
      },
      {
        type: 'step.succeeded',
        runId,
        at: new Date(t0 + 20).toISOString(),
        stepId: 'confirm',
        kind: 'approve',
        converged: false,
        outputs: { decisionMs: run.decisionMs ?? 0 },
        durationMs: run.decisionMs ?? 0,
      },
      {
        type: 'run.finished',
        runId,
        at: new Date(t0 + run.tookMs).toISOString(),
        outcome: run.outcome ?? 'succeeded',
        durationMs: run.tookMs,
      },
    ];
    writeFileSync(
      join(dir, 'runs', `${runId}.ndjson`),
      `${events.map((e) => JSON.stringify(e)).join('\n')}\n`,
    );
  });
  return dir;
}

describe('expected duration from past runs', () => {
  it('takes the median of succeeded real runs of the same runbook, minus their decision time', () => {
    const dir = stateDir([
      { runbook: 'to-aws', tookMs: 100_000, decisionMs: 40_000 }, // 60 s
      { runbook: 'to-aws', tookMs: 90_000 }, // 90 s
      { runbook: 'to-aws', tookMs: 75_000, decisionMs: 5_000 }, // 70 s
      { runbook: 'to-aws', tookMs: 5_000, outcome: 'failed' },
      { runbook: 'to-aws', tookMs: 3_000, dryRun: true },
      { runbook: 'to-aws', tookMs: 1_000, resumedFrom: '20261130T000000Z-zz00' },
      { runbook: 'to-gcp', tookMs: 500_000 },
    ]);
    const expected = expectedDuration(dir, 'to-aws');
    expect(expected).toEqual({ medianMs: 70_000, minMs: 60_000, maxMs: 90_000, runs: 3 });
    expect(expectedText(expected, 'to-aws')).toBe(
      'about 1m10s (3 earlier to-aws runs, 1m00s to 1m30s; your decision time not counted)',
    );
  });

  it('says nothing without earlier runs, or with an unreadable state directory', () => {
    expect(expectedDuration(stateDir([{ runbook: 'to-gcp', tookMs: 1000 }]), 'to-aws')).toBeUndefined();
    expect(expectedDuration('/nonexistent/state', 'to-aws')).toBeUndefined();
  });
});
