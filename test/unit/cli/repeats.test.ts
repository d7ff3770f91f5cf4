/**
 * The plain reporter folds the same warning or error from step after step into the first line and
 * a count, and shows everything else as before.
 */
import { describe, expect, it } from 'vitest';
import { type GlobalOptions, Io } from '../../../src/cli/io.js';
import { RepeatFolder } from '../../../src/cli/render/repeats.js';
import { createReporter } from '../../../src/cli/reporter.js';
import type { EngineEvent } from '../../../src/engine/events.js';
import { Redactor } from '../../../src/engine/redact.js';
import { sink } from '../memory-stream.js';

function plainReporter() {
  const err = sink();
  const io = new Io(
    { output: 'text', color: false } as GlobalOptions,
    new Redactor(),
    err.stream,
    err.stream,
    undefined,
    {},
  );
  return {
    reporter: createReporter(io, undefined, { showPlan: false }),
    lines: () => err.text().trimEnd().split('\n'),
  };
}

const base = { runId: 'r', at: '2026-12-06T00:00:00.000Z' };
const message = (stepId: string, level: 'info' | 'warn' | 'error', text: string) =>
  ({ ...base, type: 'step.message', stepId, level, message: text }) as EngineEvent;
const started = (stepId: string) => ({ ...base, type: 'step.started', stepId, attempt: 1 }) as EngineEvent;

describe('repeated warnings and errors', () => {
  it('the same error from 24 checks: the first line, then one count line naming the steps', () => {
    const { reporter, lines } = plainReporter();
    for (let i = 1; i <= 24; i++)
      reporter.emit(message(`check-${i}`, 'error', 'GKE unreachable: connect ECONNREFUSED'));
    reporter.emit(started('next'));
    reporter.close();
    expect(lines()).toEqual([
      '  check-1: GKE unreachable: connect ECONNREFUSED',
      '  … the same 23 more times (from check-1, check-2, check-3, check-4, check-5, check-6 and 18 more)',
      '▶ next',
    ]);
  });

  it('different errors, info lines and a single repeat from the same step are shown as they come', () => {
    const { reporter, lines } = plainReporter();
    reporter.emit(message('a', 'error', 'one'));
    reporter.emit(message('a', 'error', 'two'));
    reporter.emit(message('a', 'info', 'progress'));
    reporter.emit(message('a', 'info', 'progress'));
    reporter.emit(message('b', 'warn', 'slow'));
    reporter.emit(message('b', 'warn', 'slow'));
    reporter.close();
    expect(lines()).toEqual([
      '  a: one',
      '  a: two',
      '  a: progress',
      '  a: progress',
      '  b: slow',
      '  … the same 1 more time',
    ]);
  });

  it('a warning and an error with the same text are not folded together', () => {
    const folder = new RepeatFolder();
    expect(folder.push({ key: 'warn\0x', line: 'w', source: 'a' })).toEqual(['w']);
    expect(folder.push({ key: 'error\0x', line: 'e', source: 'a' })).toEqual(['e']);
    expect(folder.flush()).toEqual([]);
  });
});
