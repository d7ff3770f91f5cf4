/**
 * Resume after a crash at each step boundary. The first "process" journals to a real NDJSON file
 * and dies right after the k-th step finished (its ports and journal stop having any effect, and
 * it leaves a torn half line behind, as a killed process may). A second process resumes from the
 * journal. Every mutating step must have changed the world exactly once overall, and outputs
 * known only to the dead process (apply-time stamps) must come back from the journal.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/engine/events.js';
import { Journal, listRuns, readJournal, resumeStateOf } from '../../../src/engine/journal.js';
import { Redactor } from '../../../src/engine/redact.js';
import { load, ofType, Process, run, World } from './fakes.js';

const RUNBOOK = load(`
name: crashy
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: said, uses: note, with: { message: "a gave \${{ steps.a.outputs.stamp }}" } }
  - { id: b, uses: test.set, with: { key: b, value: "\${{ steps.a.outputs.stamp }}" } }
  - id: pair
    parallel:
      - { id: c, uses: test.set, with: { key: c, value: "3" } }
      - { id: d, uses: test.set, with: { key: d, value: "4" } }
  - { id: e, uses: test.set, with: { key: e, value: "\${{ steps.b.outputs.stamp }}/\${{ steps.said.outputs.message }}" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`);
const MUTATING = ['a', 'b', 'c', 'd', 'e'];
const MAIN_STEPS = 6; // a, said, b, c, d, e
const RUN_ID = '20260102T030405Z-cr4s';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Journals events until the process dies after `crashAfter` steps succeeded (0: right after planning). */
function dyingSink(journal: Journal, process: Process, crashAfter: number) {
  let succeeded = 0;
  return (event: EngineEvent) => {
    if (process.dead) return;
    journal.append(event);
    if (event.type === 'step.succeeded') succeeded += 1;
    if ((crashAfter === 0 && event.type === 'run.planned') || (crashAfter > 0 && succeeded === crashAfter)) {
      process.dead = true;
      appendFileSync(journal.file, `{"runId":"${RUN_ID}","at":"2026-01-02T03:04:05.000Z","type":"step.sta`);
    }
  };
}

describe('resume after a crash', () => {
  it.each(Array.from({ length: MAIN_STEPS + 1 }, (_, k) => k))(
    'after %i finished step(s): every change is made exactly once and outputs carry over',
    async (crashAfter) => {
      const dir = mkdtempSync(join(tmpdir(), 'failover-resume-'));
      dirs.push(dir);
      const world = new World();

      const first = new Process(world);
      const journal = new Journal(dir, RUN_ID, new Redactor());
      const dead = await run(RUNBOOK, {
        process: first,
        runId: RUN_ID,
        emit: dyingSink(journal, first, crashAfter),
      });
      expect(first.dead).toBe(true);
      const before = readJournal(journal.file);
      expect(ofType(before, 'step.succeeded')).toHaveLength(crashAfter);
      expect(ofType(before, 'run.finished')).toHaveLength(0);
      expect(listRuns(dir).map((r) => r.outcome)).toEqual(['running']);
      // Outputs the dead process handed out; the resumed run must reuse them.
      const stamps = Object.fromEntries(
        ofType(before, 'step.succeeded')
          .filter((e) => typeof e.outputs.stamp === 'string')
          .map((e) => [e.stepId, e.outputs.stamp]),
      );

      const second = new Process(world);
      const resumedJournal = new Journal(dir, RUN_ID, new Redactor());
      const { result, events } = await run(RUNBOOK, {
        process: second,
        runId: RUN_ID,
        resume: resumeStateOf(RUN_ID, before),
        emit: (event) => resumedJournal.append(event),
      });

      expect(result.outcome).toBe('succeeded');
      for (const key of MUTATING) expect(world.applies.get(key), `applies of ${key}`).toBe(1);
      for (const [id, stamp] of Object.entries(stamps)) expect(result.outputs[id]?.stamp).toBe(stamp);
      const a = result.outputs.a!.stamp;
      const b = result.outputs.b!.stamp;
      expect(world.values.get('b')).toBe(a);
      expect(world.values.get('e')).toBe(`${b}/a gave ${a}`);
      expect(events).toEqual([]); // everything went to the journal

      // The journal holds both runs; the torn line did not swallow the resumed run's first event.
      const all = readJournal(journal.file);
      expect(ofType(all, 'run.started').map((e) => e.resumedFrom)).toEqual([undefined, RUN_ID]);
      expect(listRuns(dir).map((r) => r.outcome)).toEqual(['succeeded']);
      // Steps done before the crash were recognised, not redone.
      const resumed = all.slice(all.findLastIndex((e) => e.type === 'run.started'));
      const done = new Set(ofType(before, 'step.succeeded').map((e) => e.stepId));
      for (const event of ofType(resumed, 'step.succeeded')) {
        if (done.has(event.stepId) && MUTATING.includes(event.stepId)) expect(event.converged).toBe(true);
      }
      if (done.has('said')) {
        expect(ofType(resumed, 'step.skipped').map((e) => e.stepId)).toContain('said');
      }
      expect(dead.result).toBeDefined();
    },
  );

  it('a change applied but not journalled is detected, not repeated; a lost apply-time output fails loudly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-resume-'));
    dirs.push(dir);
    const world = new World();
    const first = new Process(world);
    const journal = new Journal(dir, RUN_ID, new Redactor());
    await run(RUNBOOK, {
      process: first,
      runId: RUN_ID,
      emit: (event) => {
        if (first.dead) return;
        journal.append(event);
        if (event.type === 'step.started' && event.stepId === 'c') first.dead = true;
      },
    });
    expect(world.applies.get('b')).toBe(1);
    expect(world.applies.get('c')).toBeUndefined();
    // The crash came after b's write and before its journal line: drop that line.
    const before = readJournal(journal.file).filter(
      (e) => !(e.type === 'step.succeeded' && e.stepId === 'b'),
    );
    writeJournal(journal.file, before);

    const second = new Process(world);
    const { result, events } = await run(RUNBOOK, {
      process: second,
      runId: RUN_ID,
      resume: resumeStateOf(RUN_ID, readJournal(journal.file)),
    });
    for (const key of ['a', 'b', 'c', 'd']) expect(world.applies.get(key), `applies of ${key}`).toBe(1);
    expect(ofType(events, 'step.succeeded').find((e) => e.stepId === 'b')?.converged).toBe(true);
    // b's stamp existed only in the dead process (the fake's plan() does not report it when
    // converged), so e cannot have it: the run must stop, not invent a value.
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['e']);
    expect(result.error?.message).toMatch(/steps\.b\.outputs\.stamp/);
    expect(world.applies.get('e')).toBeUndefined();
  });
});

function writeJournal(file: string, events: EngineEvent[]): void {
  const text = events.map((e) => JSON.stringify(e)).join('\n');
  rmSync(file);
  appendFileSync(file, `${text}\n`);
  expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(events.length);
}
