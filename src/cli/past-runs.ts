/**
 * What earlier runs say about the next one: the time a runbook took when it succeeded (its RTO,
 * the operator's decision time left out), from the journals of the state directory.
 */
import { listRuns, readJournal } from '../engine/journal.js';
import { buildRunReport } from '../report/model.js';
import type { ExpectedDuration } from './render/summary.js';

/** Enough runs to smooth out one slow day; reading more journals only costs time at the prompt. */
const RECENT_RUNS = 5;

export function expectedDuration(
  stateDir: string,
  runbook: string,
  exceptRunId?: string,
): ExpectedDuration | undefined {
  let durations: number[];
  try {
    durations = listRuns(stateDir)
      // A resumed run's journal holds only its second half: its time says nothing about a whole run.
      .filter(
        (r) =>
          r.runbook === runbook &&
          !r.dryRun &&
          r.outcome === 'succeeded' &&
          !r.resumedFrom &&
          r.runId !== exceptRunId,
      )
      .slice(-RECENT_RUNS)
      .map((r) => {
        const report = buildRunReport(readJournal(r.file));
        return Math.max(0, (report.durationMs ?? 0) - report.decisionMs);
      })
      .filter((ms) => ms > 0);
  } catch {
    // A damaged journal must not stand between the operator and the prompt.
    return undefined;
  }
  if (durations.length === 0) return undefined;
  const sorted = [...durations].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
  return { medianMs, minMs: sorted[0]!, maxMs: sorted.at(-1)!, runs: sorted.length };
}
