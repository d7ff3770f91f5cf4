/**
 * Checks of command-line values, done before anything is read or planned: a bad value is exit 2
 * naming the flag (`--stages`, not `steps[9].with.stages[1]`), with nothing changed and no API
 * called. Texts that end up in commits, the journal and terminals (`--reason`, `--operator`,
 * `--incident`) must be one line of printable text.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { invalidInput, type Problem } from '../engine/errors.js';
import { DURATION_PATTERN, durationProblem } from '../util/duration.js';
import { describeFsError } from '../util/input-file.js';
import type { ReportTarget } from './reports.js';

/** Longest accepted audit texts (documented in README.md, Input limits). */
export const TEXT_LIMITS = { reason: 200, operator: 100, incident: 64 } as const;

/** Bounds of `--timeout` (the Argo CD and workload wait) and of the drill's `--hold`. */
export const TIMEOUT_BOUNDS = { minMs: 1000, maxMs: 24 * 3_600_000 };
export const HOLD_BOUNDS = { minMs: 0, maxMs: 24 * 3_600_000 };
export const PAUSE_BOUNDS = { minMs: 0, maxMs: 3_600_000 };

/**
 * C0 and C1 control characters (newline, ESC, DEL…) and the Unicode controls that reorder or hide
 * text (bidi overrides, zero-width characters, line and paragraph separators).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/u;

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === '\n') return 'a newline';
  if (ch === '\r') return 'a carriage return';
  if (ch === '\t') return 'a tab';
  if (ch === '\u001b') return 'an escape character (ESC, terminal control)';
  return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The problem with an audit text (`--reason`, `--operator`, `--incident`), or undefined. `source`
 * names where it came from (a flag or an environment variable).
 */
export function auditTextProblem(source: string, value: string, maxLength: number): Problem | undefined {
  const bad = CONTROL.exec(value);
  if (bad)
    return {
      path: source,
      message: `${source} contains ${describeChar(bad[0])} at character ${bad.index + 1}: one line of printable text is accepted`,
      hint: 'write it on one line without control characters; it is recorded in commits, the journal and reports',
    };
  if (value.trim() === '')
    return { path: source, message: `${source} is empty`, hint: `give a value or leave ${source} out` };
  if ([...value].length > maxLength)
    return {
      path: source,
      message: `${source} is ${[...value].length} characters long; at most ${maxLength} are accepted`,
      hint: 'shorten it; the details belong in the incident ticket',
    };
  return undefined;
}

/** A duration given on the command line: with a unit, within bounds. */
export function durationFlagProblem(
  flag: string,
  value: string,
  bounds: { minMs?: number; maxMs?: number },
): Problem | undefined {
  const text = value.trim();
  if (text === '') return { path: flag, message: `${flag} is empty`, hint: `e.g. ${flag} 15m` };
  if (/^\d+(\.\d+)?$/.test(text))
    return {
      path: flag,
      message: `${flag} ${text} has no unit`,
      hint: `durations need a unit: ${flag} ${text}s or ${flag} ${text}m`,
    };
  if (!DURATION_PATTERN.test(text))
    return {
      path: flag,
      message: `${flag} "${value}" is not a duration`,
      hint: `e.g. ${flag} 90s, 15m or 1h`,
    };
  const bounded = durationProblem(text, bounds);
  return bounded ? { path: flag, message: `${flag} ${text} is ${bounded}` } : undefined;
}

/**
 * Whether each report path can be written, checked before the run: a failover that finished
 * must not then fail over a typo in a report path.
 */
export function reportTargetProblems(targets: readonly ReportTarget[]): Problem[] {
  const problems: Problem[] = [];
  for (const target of targets) {
    const problem = writablePathProblem(target.path);
    if (problem)
      problems.push({
        path: '--report',
        message: `--report ${target.format}:${target.path}: ${problem}`,
        hint: 'choose a path in a directory you can write to',
      });
  }
  return problems;
}

/** Why `path` could not be written as a file (created with its missing parent directories), or undefined. */
export function writablePathProblem(path: string): string | undefined {
  try {
    const stats = statSync(path);
    if (!stats.isFile()) return stats.isDirectory() ? 'is a directory' : 'is not a regular file';
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return describeFsError(error);
  }
  // The file does not exist: the closest existing ancestor must be a writable directory.
  let dir = dirname(path);
  for (;;) {
    try {
      const stats = statSync(dir);
      if (!stats.isDirectory()) return `${dir} is not a directory`;
      accessSync(dir, constants.W_OK | constants.X_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return `cannot write in ${dir}: ${describeFsError(error)}`;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'no existing directory on the path';
    dir = parent;
  }
}

export interface AuditOptions {
  reason?: string;
  operator?: string;
  incident?: string;
}

/** Problems of the audit texts given as flags. */
export function auditProblems(options: AuditOptions): Problem[] {
  return [
    options.reason === undefined
      ? undefined
      : auditTextProblem('--reason', options.reason, TEXT_LIMITS.reason),
    options.operator === undefined
      ? undefined
      : auditTextProblem('--operator', options.operator, TEXT_LIMITS.operator),
    options.incident === undefined
      ? undefined
      : auditTextProblem('--incident', options.incident, TEXT_LIMITS.incident),
  ].filter((p): p is Problem => p !== undefined);
}

/** `--param key=value`: keys and values must not be empty. */
export function paramProblems(params: Record<string, string> | undefined): Problem[] {
  return Object.entries(params ?? {})
    .filter(([, value]) => value.trim() === '')
    .map(([key]) => ({
      path: '--param',
      message: `--param ${key}= has no value`,
      hint: `give a value (--param ${key}=VALUE) or leave the parameter out for its default`,
    }));
}

/** Throws one exit-2 error listing every problem, or returns. */
export function throwIfProblems(problems: Problem[], what = 'invalid options'): void {
  if (problems.length === 0) return;
  const first = problems[0]!;
  throw invalidInput(
    'FO_CLI_E2001',
    problems.length === 1 ? first.message : `${what}: ${problems.length} problem(s)`,
    {
      problems: problems.length === 1 ? [] : problems,
      hint:
        problems.length === 1
          ? (first.hint ?? 'nothing was changed')
          : 'fix the options listed; nothing was changed',
    },
  );
}
