/**
 * A resumed run carries the first run over: the undo data of steps done before the crash (so a
 * rollback after the resume still puts them back), their outputs (so the resumed plan is complete,
 * not deferred), and nothing of steps the first run already rolled back.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/engine/events.js';
import { resumeStateOf } from '../../../src/engine/journal.js';
import { load, ofType, Process, run, trace, World } from './fakes.js';

const RUN_ID = '20260301T101010Z-rs01';

const RUNBOOK = load(`
name: resume-rollback
steps:
  - { id: a, uses: test.set, with: { key: a, value: "A" } }
  - { id: b, uses: test.set, with: { key: b, value: "\${{ steps.a.outputs.stamp }}" } }
  - { id: gate, uses: test.fail, with: { key: gate }, onFailure: rollback }
finally:
  - { id: bye, uses: note, with: { message: "a was \${{ steps.a.outputs.stamp }}" } }
`);

/** Same, with b independent of a's outputs. */
const PLAIN = load(`
name: resume-rollback-plain
steps:
  - { id: a, uses: test.set, with: { key: a, value: "A" } }
  - { id: b, uses: test.set, with: { key: b, value: "B" } }
  - { id: gate, uses: test.fail, with: { key: gate }, onFailure: rollback }
`);

/** Runs until the `count`-th step.succeeded, then the process dies; returns what it journalled. */
async function dieAfter(
  world: World,
  count: number,
  resume?: ReturnType<typeof resumeStateOf>,
  runbook = RUNBOOK,
) {
  const proc = new Process(world);
  const journal: EngineEvent[] = [];
  let succeeded = 0;
  await run(runbook, {
    process: proc,
    runId: RUN_ID,
    ...(resume ? { resume } : {}),
    emit: (event) => {
      if (proc.dead) return;
      journal.push(event);
      if (event.type === 'step.succeeded' && ++succeeded === count) proc.dead = true;
    },
  });
  return journal;
}

describe('a rollback after a resume', () => {
  it("undoes the first run's change with the undo data from its journal", async () => {
    const world = new World();
    world.values.set('a', 'before');
    const first = await dieAfter(world, 1);
    expect(ofType(first, 'step.succeeded').map((e) => [e.stepId, e.undo])).toEqual([
      ['a', { previous: 'before' }],
    ]);

    const { result, events } = await run(RUNBOOK, {
      process: new Process(world),
      runId: RUN_ID,
      resume: resumeStateOf(RUN_ID, first),
    });
    expect(result.outcome).toBe('rolled-back');
    // a was already done (converged now) and b was applied by the resumed run: both go back.
    expect(result.rolledBack).toEqual(['b', 'a']);
    expect(world.writes).toEqual(['set a=A', `set b=${result.outputs.a!.stamp}`, 'restore b', 'restore a']);
    expect(world.values.get('a')).toBe('before');
    expect(world.values.has('b')).toBe(false);
    // The resumed run journals a's undo again, so that a resume of the resume can roll it back too.
    const again = ofType(events, 'step.succeeded').find((e) => e.stepId === 'a');
    expect(again).toMatchObject({ converged: true, undo: { previous: 'before' } });
    expect(result.changed).toEqual([]);
    expect(result.madeProgress).toBe(true);
  });

  it('keeps the undo across two resumes', async () => {
    const world = new World();
    const first = await dieAfter(world, 1);
    const second = await dieAfter(world, 1, resumeStateOf(RUN_ID, first));
    expect(ofType(second, 'step.succeeded')[0]).toMatchObject({ stepId: 'a', undo: { previous: null } });
    const { result } = await run(RUNBOOK, {
      process: new Process(world),
      runId: RUN_ID,
      resume: resumeStateOf(RUN_ID, [...first, ...second]),
    });
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['b', 'a']);
    expect(world.values.size).toBe(0);
  });

  it('a step found converged with no undo from the first run is not rolled back', async () => {
    const world = new World();
    world.values.set('a', 'A'); // already so before any run
    const first = await dieAfter(world, 1, undefined, PLAIN);
    expect(ofType(first, 'step.succeeded')[0]).toMatchObject({ stepId: 'a', converged: true });
    expect(ofType(first, 'step.succeeded')[0]?.undo).toBeUndefined();
    const { result } = await run(PLAIN, {
      process: new Process(world),
      runId: RUN_ID,
      resume: resumeStateOf(RUN_ID, first),
    });
    expect(result.rolledBack).toEqual(['b']);
    expect(world.values.get('a')).toBe('A');
  });

  it('a step the first run rolled back is not carried over', () => {
    const events = [
      { type: 'step.succeeded', stepId: 'a', outputs: { x: 1 }, undo: { previous: null }, converged: false },
      { type: 'step.succeeded', stepId: 'b', outputs: { y: 2 }, converged: true },
      { type: 'step.rolled-back', stepId: 'a' },
    ] as unknown as EngineEvent[];
    const state = resumeStateOf(RUN_ID, events);
    expect(state.from).toBe(RUN_ID);
    expect([...state.completed.entries()]).toEqual([
      ['b', { outputs: { y: 2 }, undo: undefined, converged: true }],
    ]);
  });
});

describe('the plan of a resumed run', () => {
  it('has the outputs of the steps completed before the crash: later steps are planned, not deferred', async () => {
    const world = new World();
    const first = await dieAfter(world, 1);
    const stamp = ofType(first, 'step.succeeded')[0]!.outputs.stamp as string;
    // In the first run, b could only be planned once a had run.
    const firstPlan = ofType(first, 'run.planned')[0]!.plan;
    expect(firstPlan.steps.find((s) => s.id === 'b')?.plan?.deferred).toEqual(['steps.a.outputs.stamp']);

    const { events, result } = await run(RUNBOOK, {
      process: new Process(world),
      runId: RUN_ID,
      resume: resumeStateOf(RUN_ID, first),
    });
    const plan = ofType(events, 'run.planned')[0]!.plan;
    const b = plan.steps.find((s) => s.id === 'b')!;
    expect(b.plan?.deferred).toBeUndefined();
    expect(b.plan?.summary).toBe(`b = ${stamp}`);
    expect(b.plan?.changes).toEqual([{ action: 'create', resource: 'key b', summary: stamp }]);
    // The finally step sees the first run's output too.
    expect(ofType(events, 'step.succeeded').find((e) => e.stepId === 'bye')?.outputs.message).toBe(
      `a was ${stamp}`,
    );
    expect(result.outputs.a?.stamp).toBe(stamp);
    expect(ofType(events, 'run.started')[0]?.resumedFrom).toBe(RUN_ID);
    expect(trace(events, ['step.rolled-back'])).toEqual(['step.rolled-back:b', 'step.rolled-back:a']);
  });
});
