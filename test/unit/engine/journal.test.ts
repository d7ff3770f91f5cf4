/**
 * The journal: one NDJSON file per run, events in order, secrets never written; `listRuns` reads
 * the outcome back, also from journals of runs that died.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FailoverError } from '../../../src/engine/errors.js';
import type { EngineEvent, EventOf } from '../../../src/engine/events.js';
import {
  Journal,
  journalFile,
  listRuns,
  newRunId,
  readJournal,
  resumeStateOf,
} from '../../../src/engine/journal.js';
import { Redactor } from '../../../src/engine/redact.js';
import { run } from './fakes.js';

const dirs: string[] = [];
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'failover-journal-'));
  dirs.push(dir);
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SECRET = 'argo-s3cr3t-9f8e7d6c';

describe('the journal file', () => {
  it('holds one JSON event per line, in the order they happened, under runs/RUN_ID.ndjson', async () => {
    const runId = newRunId(new Date('2026-03-04T05:06:07.890Z'));
    expect(runId).toMatch(/^20260304T050607Z-[a-z0-9]{4}$/);
    const journal = new Journal(dir, runId, new Redactor());
    expect(journal.file).toBe(join(dir, 'runs', `${runId}.ndjson`));
    const emitted: EngineEvent[] = [];
    await run(
      `
name: journal
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: f, uses: test.fail, retry: { attempts: 2, backoff: 1ms }, onFailure: continue, with: { key: f } }
`,
      {
        runId,
        emit: (event) => {
          emitted.push(event);
          journal.append(event);
        },
      },
    );
    const lines = readFileSync(journal.file, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    const parsed = lines.filter(Boolean).map((line) => JSON.parse(line) as EngineEvent);
    expect(parsed).toEqual(emitted);
    expect(parsed.map((e) => e.type)).toEqual([
      'run.started',
      'step.planned',
      'step.planned',
      'run.planned',
      'step.started',
      'step.succeeded',
      'step.started',
      'step.retrying',
      'step.started',
      'step.failed',
      'run.finished',
    ]);
    expect(new Set(parsed.map((e) => e.runId))).toEqual(new Set([runId]));
    const times = parsed.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it('never contains a registered secret, and masks fields named like secrets', () => {
    const redactor = new Redactor();
    redactor.addFromEnv({ ARGOCD_AUTH_TOKEN: SECRET }, ['ARGOCD_AUTH_TOKEN', 'UNSET']);
    const journal = new Journal(dir, '20260101T000000Z-sec1', redactor);
    const at = '2026-01-01T00:00:00.000Z';
    journal.append({
      runId: '20260101T000000Z-sec1',
      at,
      type: 'step.message',
      stepId: 'sync',
      level: 'info',
      code: 'FO_TEST_I1',
      message: `calling https://argocd.example/api with ${SECRET} and Authorization: Bearer abcdefgh12345678`,
      data: {
        token: 'not-registered-but-named-token',
        apiKey: 'k-123456',
        password: 'hunter22',
        tokenEnv: 'ARGOCD_AUTH_TOKEN',
        nested: [{ webhook_url: 'https://hooks.slack.example/T000/B000/XXXX' }],
        remote: 'https://ops:pa55word@git.example/repo.git',
        note: `embedded ${SECRET}!`,
      },
    });
    journal.append({
      runId: '20260101T000000Z-sec1',
      at,
      type: 'step.failed',
      stepId: 'sync',
      kind: 'argocd.sync',
      durationMs: 1,
      error: { code: 'FO_TEST_E1', category: 'step-failed', message: `401 for token ${SECRET}` },
    });
    const text = readFileSync(journal.file, 'utf8');
    for (const leaked of [
      SECRET,
      'not-registered-but-named-token',
      'k-123456',
      'hunter22',
      'abcdefgh12345678',
      'XXXX',
      'pa55word',
    ]) {
      expect(text).not.toContain(leaked);
    }
    const [message] = readJournal(journal.file);
    expect(message).toMatchObject({
      message: 'calling https://argocd.example/api with *** and Authorization: Bearer ***',
      data: {
        token: '***',
        apiKey: '***',
        password: '***',
        tokenEnv: 'ARGOCD_AUTH_TOKEN', // the NAME of a variable is not a secret
        nested: [{ webhook_url: '***' }],
        remote: 'https://ops:***@git.example/repo.git',
        note: 'embedded ***!',
      },
    });
  });

  it('masks the longer of two overlapping secrets completely', () => {
    const redactor = new Redactor();
    redactor.add('abcd1234');
    redactor.add('abcd1234-extended-secret');
    expect(redactor.text('x abcd1234-extended-secret y abcd1234')).toBe('x *** y ***');
  });

  it('ignores values too short to be secrets (they would mask ordinary words)', () => {
    const redactor = new Redactor();
    redactor.add('abc');
    redactor.add(undefined);
    expect(redactor.text('abc abcd')).toBe('abc abcd');
  });

  it('masks a token used as the user of a URL, but not a short user name', () => {
    const redactor = new Redactor();
    expect(redactor.text('repo https://ghp_TOKENONLYabcdef123456@git.example/ops.git')).toBe(
      'repo https://***@git.example/ops.git',
    );
    expect(redactor.text('ssh://git@git.example/ops.git')).toBe('ssh://git@git.example/ops.git');
  });

  it('learns the credentials of configured URLs, also where they appear without the URL', () => {
    const redactor = new Redactor();
    redactor.addUrlCredentials('https://ops:p%40ss-w0rd@git.example/repo.git');
    redactor.addUrlCredentials('https://glpat-abcdefghijklmnop@gitlab.example/repo.git');
    redactor.addUrlCredentials('git@github.com:ops/repo.git');
    expect(redactor.text('auth p@ss-w0rd / p%40ss-w0rd / glpat-abcdefghijklmnop / ops')).toBe(
      'auth *** / *** / *** / ops',
    );
  });

  it('masks the values of secret-looking environment variables, not their neighbours', () => {
    const redactor = new Redactor();
    redactor.addSecretLookingEnv({
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEXAMPLESESSION',
      ARGOCD_AUTH_TOKEN_FILE: '/run/secrets/argocd-token',
      GITHUB_TOKEN: 'short',
      AWS_REGION: 'eu-west-1-region',
    });
    expect(
      redactor.text(
        'key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY session FwoGZXIvYXdzEXAMPLESESSION file /run/secrets/argocd-token short eu-west-1-region',
      ),
    ).toBe('key *** session *** file /run/secrets/argocd-token short eu-west-1-region');
  });

  it('ends a torn last line before a resumed run appends to it', () => {
    const runId = '20260101T000000Z-torn';
    const file = join(dir, 'runs', `${runId}.ndjson`);
    new Journal(dir, runId, new Redactor()).append(started(runId));
    appendFileSync(file, '{"runId":"20260101T000000Z-torn","type":"step.sta');
    const resumed = new Journal(dir, runId, new Redactor());
    resumed.append({ ...started(runId), resumedFrom: runId });
    const events = readJournal(file);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'run.started']);
    expect(events[1]).toMatchObject({ resumedFrom: runId });
  });
});

function started(runId: string, at = '2026-01-01T00:00:00.000Z', dryRun = false): EventOf<'run.started'> {
  return {
    runId,
    at,
    type: 'run.started',
    runbook: { name: 'hello', file: '/rb/hello.yaml' },
    params: { who: 'ops' },
    dryRun,
    operator: 'alice',
  };
}

function finished(runId: string, outcome: 'succeeded' | 'failed' | 'interrupted' | 'planned'): EngineEvent {
  return { runId, at: '2026-01-01T00:01:00.000Z', type: 'run.finished', outcome, durationMs: 60_000 };
}

function writeRun(runId: string, lines: string[], mtime: number): void {
  const file = join(dir, 'runs', `${runId}.ndjson`);
  new Journal(dir, runId, new Redactor());
  writeFileSync(file, lines.join('\n'));
  utimesSync(file, mtime, mtime);
}

describe('listRuns', () => {
  it('orders by start, not by when a journal was last written (a resumed run keeps its place)', () => {
    const json = (e: EngineEvent) => JSON.stringify(e);
    writeRun(
      '20260101T000010Z-late',
      [json(started('20260101T000010Z-late', '2026-01-01T00:00:10.000Z')), ''],
      1000,
    );
    writeRun(
      '20260101T000005Z-erly',
      [json(started('20260101T000005Z-erly', '2026-01-01T00:00:05.000Z')), ''],
      9000,
    );
    expect(listRuns(dir).map((r) => r.runId)).toEqual(['20260101T000005Z-erly', '20260101T000010Z-late']);
  });

  it('reads each run with its outcome, oldest first', () => {
    const json = (e: EngineEvent) => JSON.stringify(e);
    writeRun(
      '20260101T000001Z-done',
      [json(started('20260101T000001Z-done')), json(finished('20260101T000001Z-done', 'succeeded')), ''],
      1000,
    );
    writeRun('20260101T000002Z-dead', [json(started('20260101T000002Z-dead')), ''], 2000);
    writeRun(
      '20260101T000003Z-torn',
      [json(started('20260101T000003Z-torn')), '{"runId":"20260101T000003Z-torn","type":"step.suc'],
      3000,
    );
    writeRun(
      '20260101T000004Z-intr',
      [
        json(started('20260101T000004Z-intr')),
        json({
          runId: '20260101T000004Z-intr',
          at: '2026-01-01T00:00:30.000Z',
          type: 'run.interrupted',
          signal: 'SIGINT',
          inFlight: ['a'],
          resumeCommand: 'failover resume 20260101T000004Z-intr',
        }),
        '',
      ],
      4000,
    );
    writeRun(
      '20260101T000005Z-plan',
      [
        json(started('20260101T000005Z-plan', undefined, true)),
        json(finished('20260101T000005Z-plan', 'planned')),
        '',
      ],
      5000,
    );
    writeRun('20260101T000006Z-empt', [''], 6000);
    writeFileSync(join(dir, 'runs', 'notes.txt'), 'not a journal');

    const runs = listRuns(dir);
    expect(runs.map((r) => [r.runId, r.outcome, r.dryRun])).toEqual([
      ['20260101T000001Z-done', 'succeeded', false],
      ['20260101T000002Z-dead', 'running', false],
      ['20260101T000003Z-torn', 'running', false],
      ['20260101T000004Z-intr', 'interrupted', false],
      ['20260101T000005Z-plan', 'planned', true],
    ]);
    expect(runs[0]).toMatchObject({
      runbook: 'hello',
      runbookFile: '/rb/hello.yaml',
      operator: 'alice',
      params: { who: 'ops' },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:01:00.000Z',
    });
    expect(runs[1]!.finishedAt).toBeUndefined();
  });

  it('is empty when there is no state directory yet', () => {
    expect(listRuns(join(dir, 'nothing-here'))).toEqual([]);
  });
});

describe('journalFile', () => {
  it('rejects what is not a run id (no path tricks) and names the fix for unknown runs', () => {
    for (const bad of ['../../etc/passwd', '20260101T000000Z-ABCD', 'latest']) {
      expect(() => journalFile(dir, bad)).toThrow(/not a run id/);
    }
    let error: unknown;
    try {
      journalFile(dir, '20260101T000000Z-none');
    } catch (thrown) {
      error = thrown;
    }
    expect(FailoverError.is(error) && error.code).toBe('FO_JOURNAL_E2302');
    expect((error as FailoverError).hint).toMatch(/failover runs/);
  });
});

describe('resumeStateOf', () => {
  it('takes outputs and undo data of succeeded steps, forgetting those rolled back', () => {
    const id = '20260101T000000Z-rsum';
    const at = '2026-01-01T00:00:00.000Z';
    const state = resumeStateOf(id, [
      started(id),
      {
        runId: id,
        at,
        type: 'step.succeeded',
        stepId: 'a',
        kind: 'k',
        converged: false,
        outputs: { v: 1 },
        undo: { p: 0 },
        durationMs: 1,
      },
      {
        runId: id,
        at,
        type: 'step.succeeded',
        stepId: 'b',
        kind: 'k',
        converged: true,
        outputs: {},
        durationMs: 1,
      },
      {
        runId: id,
        at,
        type: 'step.failed',
        stepId: 'c',
        kind: 'k',
        durationMs: 1,
        error: { code: 'X', category: 'step-failed', message: 'x' },
      },
      { runId: id, at, type: 'step.rolled-back', stepId: 'b', durationMs: 1 },
    ]);
    expect(state.from).toBe(id);
    expect([...state.completed]).toEqual([['a', { outputs: { v: 1 }, undo: { p: 0 }, converged: false }]]);
  });
});
