import ms from 'ms';
import { z } from 'zod';

/** Durations as runbooks write them: `30s`, `5m`, `1h`, `250ms`, or a number of seconds. */
export const DURATION_PATTERN = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/;

export const Duration = z.union([
  z.number().nonnegative().describe('seconds'),
  z.string().regex(DURATION_PATTERN, 'a duration such as 30s, 5m, 1h or 250ms'),
]);

export function toMs(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || Number.isNaN(parsed)) throw new Error(`not a duration: ${value}`);
  return parsed;
}

export function formatMs(value: number): string {
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)}s`;
  const minutes = Math.floor(value / 60_000);
  const seconds = Math.round((value % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}
