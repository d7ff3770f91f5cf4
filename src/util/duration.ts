import ms from 'ms';
import { z } from './zod.js';

/** Durations as runbooks write them: `30s`, `5m`, `1h`, `250ms`, or a number of seconds. */
export const DURATION_PATTERN = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/;

/** The longest duration a timer can wait (Node's limit, 2^31-1 ms, about 24.8 days). */
export const MAX_DURATION_MS = 2_147_483_647;
/** The shortest step timeout in a runbook: zero would time out before the first call. */
export const MIN_TIMEOUT_MS = 10;

// A value that is not a duration at all is reported by the union; these judge durations only.
const withinTimerLimit = (value: string | number) => !(toMsOrNaN(value) > MAX_DURATION_MS);
const TOO_LONG = `at most ${MAX_DURATION_MS} ms (24d, the longest a timer can wait)`;

export const Duration = z
  .union([
    z.number().nonnegative().describe('seconds'),
    z.string().regex(DURATION_PATTERN, 'a duration such as 30s, 5m, 1h or 250ms'),
  ])
  .refine(withinTimerLimit, TOO_LONG);

/** A step timeout: a duration of at least 10ms. */
export const Timeout = Duration.refine(
  (value) => !(toMsOrNaN(value) < MIN_TIMEOUT_MS),
  `a timeout of at least ${MIN_TIMEOUT_MS}ms`,
);

/** A duration's problem against bounds, in words, or undefined when it fits. */
export function durationProblem(
  value: string | number,
  bounds: { minMs?: number; maxMs?: number } = {},
): string | undefined {
  const ms = toMsOrNaN(value);
  if (Number.isNaN(ms)) return 'not a duration: write a number with a unit, such as 90s, 15m or 1h';
  const max = Math.min(bounds.maxMs ?? MAX_DURATION_MS, MAX_DURATION_MS);
  if (bounds.minMs !== undefined && ms < bounds.minMs) return `too short: at least ${formatMs(bounds.minMs)}`;
  if (ms > max) return `too long: at most ${formatMs(max)}`;
  return undefined;
}

function toMsOrNaN(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  if (!DURATION_PATTERN.test(value)) return Number.NaN;
  const parsed = ms(value.replace(/\s+/g, '') as ms.StringValue);
  return typeof parsed === 'number' ? parsed : Number.NaN;
}

export function toMs(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || Number.isNaN(parsed)) throw new Error(`not a duration: ${value}`);
  return parsed;
}

export function formatMs(value: number): string {
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)}s`;
  if (value >= 86_400_000 && value % 3_600_000 === 0) return `${value / 3_600_000}h`;
  const minutes = Math.floor(value / 60_000);
  const seconds = Math.round((value % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}
