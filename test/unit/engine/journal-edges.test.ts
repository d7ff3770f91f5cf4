/**
 * The journal at its edges: where it lives by default, the shape of run ids, a state directory
 * that cannot be used, writes that fail mid-run (reported once, the torn line ended), lines that
 * are JSON but no event, runs resumed (several ends) and runs listed with the same start.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FailoverError } from '../../../src/engine/errors.js';
import type { EngineEvent, EventOf } from '../../../src/engine/events.js';
import {
  defaultStateDir,
  Journal,
  journalFile,
  listRunsWithSkipped,
  newRunId,
  readJournal,
  resumeStateOf,
  summarize,
} from '../../../src/engine/journal.js';
import { Redactor } from '../../../src/engine/redact.js';

const dirs: string[] = [];
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'failover-journal-edges-'));
  dirs.push(dir);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function started(runId: string, extra: Partial<EventOf<'run.started'>> = {}): EventOf<'run.started'> {
  return {
    runId,
    at: '2026-05-01T10:00:00.000Z',
    type: 'run.started',
    runbook: { name: 'to-aws', file: '/srv/runbooks/to-aws.yaml' },
    params: { incident: 'INC-7' },
    dryRun: false,
    operator: 'bob',
    ...extra,
  };
}

function finished(runId: string, outcome: 'succeeded' | 'failed', at: string): EngineEvent {
  return { runId, at, type: 'run.finished', outcome, durationMs: 1000 };
}

function write(runId: string, events: (EngineEvent | string)[]): string {
  mkdirSync(join(dir, 'runs'), { recursive: true });
  const file = join(dir, 'runs', `${runId}.ndjson`);
  writeFileSync(file, events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n'));
  return file;
}

describe('where the journal lives', () => {
  it('FAILOVER_STATE_DIR when set, else failover under the XDG state directory', () => {
    expect(defaultStateDir({ FAILOVER_STATE_DIR: '/var/lib/failover' })).toBe('/var/lib/failover');
    vi.stubEnv('XDG_STATE_HOME', join(dir, 'state'));
    expect(defaultStateDir({})).toBe(join(dir, 'state', 'failover'));
    expect(defaultStateDir({ FAILOVER_STATE_DIR: '' })).toBe(join(dir, 'state', 'failover'));
  });
});

describe('run ids', () => {
  it('are the UTC second of the start and four base-36 characters, padded when the random part is short', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(newRunId(new Date('2026-11-26T15:30:12.345Z'))).toBe('20261126T153012Z-i000');
    vi.spyOn(Math, 'random').mockReturnValue(0.123456789);
    const id = newRunId(new Date('2026-01-02T03:04:05.000Z'));
    expect(id).toBe(`20260102T030405Z-${(0.123456789).toString(36).slice(2, 6)}`);
    // What it makes, journalFile accepts.
    new Journal(dir, id, new Redactor());
    expect(journalFile(dir, id)).toBe(join(dir, 'runs', `${id}.ndjson`));
  });
});

describe('a state directory that cannot be used', () => {
  it('is invalid input naming the directory and the fix, before anything runs', () => {
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the state directory should be');
    let error: unknown;
    try {
      new Journal(blocked, '20260501T100000Z-abcd', new Redactor());
    } catch (thrown) {
      error = thrown;
    }
    expect(FailoverError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'FO_JOURNAL_E2305', category: 'invalid-input' });
    expect((error as FailoverError).message).toMatch(
      new RegExp(`^the state directory ${blocked} cannot be used: `),
    );
    expect((error as FailoverError).hint).toMatch(/FAILOVER_STATE_DIR .*nothing was changed$/);
  });
});

describe('writing', () => {
  it('a new journal is empty until the first event, then holds exactly one line per event', () => {
    const runId = '20260501T100000Z-ab12';
    const journal = new Journal(dir, runId, new Redactor());
    expect(readFileSync(journal.file, 'utf8')).toBe('');
    journal.append(started(runId));
    expect(readFileSync(journal.file, 'utf8')).toBe(`${JSON.stringify(started(runId))}\n`);
    // Opening it again (a resume) adds nothing to a journal that ends with a whole line.
    new Journal(dir, runId, new Redactor());
    expect(readFileSync(journal.file, 'utf8')).toBe(`${JSON.stringify(started(runId))}\n`);
  });

  it('a failed write is kept and reported once; the next write that works starts a fresh line', () => {
    const runId = '20260501T100000Z-ab13';
    const journal = new Journal(dir, runId, new Redactor());
    const reported: NodeJS.ErrnoException[] = [];
    journal.onWriteFailure = (error) => reported.push(error);
    const event = (n: number): EngineEvent => ({
      runId,
      at: '2026-05-01T10:00:00.000Z',
      type: 'step.started',
      stepId: `s${n}`,
      kind: 'k',
      attempt: 1,
    });
    journal.append(event(1));
    // The file replaced by a directory: every append fails.
    rmSync(journal.file);
    mkdirSync(journal.file);
    journal.append(event(2));
    journal.append(event(3));
    expect(reported).toHaveLength(1);
    expect(journal.writeError?.code).toBe('EISDIR');
    expect(reported[0]).toBe(journal.writeError);
    rmSync(journal.file, { recursive: true });
    // Without a listener a failed write is still only recorded, never thrown into the run.
    const quiet = new Journal(dir, '20260501T100000Z-ab18', new Redactor());
    rmSync(quiet.file);
    mkdirSync(quiet.file);
    expect(() => quiet.append(event(1))).not.toThrow();
    expect(quiet.writeError?.code).toBe('EISDIR');
    journal.append(event(4));
    journal.append(event(5));
    expect(readFileSync(journal.file, 'utf8')).toBe(
      `\n${JSON.stringify(event(4))}\n${JSON.stringify(event(5))}\n`,
    );
    expect(existsSync(journal.file)).toBe(true);
  });
});

describe('reading', () => {
  it('skips lines that are JSON but no event, and blank lines', () => {
    const runId = '20260501T100000Z-ab14';
    const file = write(runId, [
      '42',
      'null',
      '"text"',
      '{"no":"type"}',
      '{"type":5}',
      '   ',
      started(runId),
      '',
    ]);
    expect(readJournal(file)).toEqual([started(runId)]);
  });

  it('a journal that cannot be read is named as a journal, with its own code', () => {
    const file = join(dir, 'runs', '20260501T100000Z-dir0.ndjson');
    mkdirSync(file, { recursive: true });
    expect(() => readJournal(file)).toThrow(expect.objectContaining({ code: 'FO_JOURNAL_E2306' }));
    expect(() => readJournal(file)).toThrow(`cannot read journal ${file}: `);
  });

  it('a file with no event at all is invalid input naming it', () => {
    const file = write('20260501T100000Z-ab15', ['{"no":"type"}', 'garbage']);
    let error: unknown;
    try {
      readJournal(file);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({
      code: 'FO_JOURNAL_E2307',
      message: `${file} is not a readable journal: it holds no event`,
    });
    expect((error as FailoverError).hint).toMatch(/cannot be reported or resumed/);
  });
});

describe('summaries', () => {
  it('a resumed run ends with its last end; an interruption then an end is that end', () => {
    const runId = '20260501T100000Z-ab16';
    const events: EngineEvent[] = [
      started(runId, { configFile: '/etc/failover.yaml' }),
      finished(runId, 'failed', '2026-05-01T10:01:00.000Z'),
      {
        runId,
        at: '2026-05-01T10:02:00.000Z',
        type: 'run.interrupted',
        signal: 'SIGINT',
        inFlight: [],
        resumeCommand: `failover resume ${runId}`,
      },
      started(runId, { resumedFrom: runId, at: '2026-05-01T10:05:00.000Z' }),
      finished(runId, 'succeeded', '2026-05-01T10:09:00.000Z'),
    ];
    expect(summarize('/j', events)).toEqual({
      runId,
      runbook: 'to-aws',
      runbookFile: '/srv/runbooks/to-aws.yaml',
      operator: 'bob',
      startedAt: '2026-05-01T10:00:00.000Z',
      finishedAt: '2026-05-01T10:09:00.000Z',
      dryRun: false,
      outcome: 'succeeded',
      params: { incident: 'INC-7' },
      configFile: '/etc/failover.yaml',
      resumedFrom: undefined,
      file: '/j',
    });
    expect(summarize('/j', events.slice(0, 3))?.outcome).toBe('failed');
  });

  it('events without a start are no run', () => {
    expect(summarize('/j', [finished('x', 'succeeded', '2026-05-01T10:00:00.000Z')])).toBeUndefined();
  });
});

describe('listing runs', () => {
  it('lists journals only, skips those without a start or unreadable, and orders equal starts by run id', () => {
    const b = '20260501T100000Z-bbbb';
    const a = '20260501T100000Z-aaaa';
    write(b, [started(b), '']);
    write(a, [started(a), '']);
    const noStart = write('20260501T100000Z-none', [finished('x', 'succeeded', '2026-05-01T10:00:00.000Z')]);
    const empty = write('20260501T100000Z-empt', ['']);
    writeFileSync(join(dir, 'runs', 'README'), 'not a journal');
    const { runs, skipped } = listRunsWithSkipped(dir);
    expect(runs.map((r) => r.runId)).toEqual([a, b]);
    expect(runs[0]?.file).toBe(join(dir, 'runs', `${a}.ndjson`));
    expect([...skipped].sort()).toEqual([empty, noStart].sort());
  });
});

describe('listing runs by start', () => {
  it('orders by the start recorded in the journal, then by run id, whatever the file names say', () => {
    const early = '20260501T100000Z-zzzz';
    const late = '20260501T100000Z-aaaa';
    write(late, [started(late, { at: '2026-05-01T10:00:01.000Z' }), '']);
    write(early, [started(early, { at: '2026-05-01T10:00:00.000Z' }), '']);
    const same = ['k3m9', 'b7x2', 'q1w8', 'e5r6', 'y0t4', 'c2v1'].map((s) => `20260501T090000Z-${s}`);
    for (const id of same) write(id, [started(id, { at: '2026-05-01T09:00:00.000Z' }), '']);
    expect(listRunsWithSkipped(dir).runs.map((r) => r.runId)).toEqual([...[...same].sort(), early, late]);
  });

  it('no state directory yet: no runs and nothing skipped', () => {
    expect(listRunsWithSkipped(join(dir, 'none'))).toEqual({ runs: [], skipped: [] });
  });
});

describe('journalFile', () => {
  it('an unknown run names the run and the state directory', () => {
    expect(() => journalFile(dir, '20260501T100000Z-gone')).toThrow(`no run 20260501T100000Z-gone in ${dir}`);
  });

  it('names the fix for a malformed id', () => {
    let error: unknown;
    try {
      journalFile(dir, 'yesterday');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ code: 'FO_JOURNAL_E2301', message: 'not a run id: yesterday' });
    expect((error as FailoverError).hint).toMatch(/20261126T153012Z-ab12/);
    expect(() => journalFile(dir, 'x20260501T100000Z-abcd')).toThrow(/not a run id/);
    expect(() => journalFile(dir, '20260501T100000Z-abcde')).toThrow(/not a run id/);
  });
});

describe('resumeStateOf', () => {
  it('a step rolled back and then done again is taken over with its latest outputs', () => {
    const id = '20260501T100000Z-ab17';
    const at = '2026-05-01T10:00:00.000Z';
    const succeeded = (n: number): EngineEvent => ({
      runId: id,
      at,
      type: 'step.succeeded',
      stepId: 'weights',
      kind: 'route53.set-weights',
      converged: n === 2,
      outputs: { stage: n },
      undo: { n },
      durationMs: 1,
    });
    const state = resumeStateOf(id, [
      started(id),
      succeeded(1),
      { runId: id, at, type: 'step.rolled-back', stepId: 'weights', durationMs: 1 },
      succeeded(2),
    ]);
    expect(state.from).toBe(id);
    expect([...state.completed]).toEqual([
      ['weights', { outputs: { stage: 2 }, undo: { n: 2 }, converged: true }],
    ]);
  });
});
