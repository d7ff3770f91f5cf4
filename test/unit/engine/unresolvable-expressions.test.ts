/**
 * A `when` or an `onFailure` that reads an earlier step's output is resolved when the run gets
 * there. While planning, that output is not known yet; at apply time it may be missing (the step was
 * skipped, or did not give it). Neither may crash the run: the plan is made, an unresolvable `when`
 * is its step's failure (like an unresolvable input), an unresolvable `onFailure` means abort, and
 * the finally steps (the lock release) still run.
 */
import { describe, expect, it } from 'vitest';
import { ofType, run, trace, World } from './fakes.js';

const MISSING = '`steps.a.outputs.stamp` is not available: step output not found';

describe('an onFailure expression on an earlier output', () => {
  const decided = `
name: decided-by-output
params:
  fence: { type: boolean, default: false }
steps:
  - { id: a, uses: test.set, when: "\${{ params.fence }}", with: { key: a, value: "1" } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
  - id: f
    uses: test.fail
    onFailure: "\${{ steps.a.outputs.stamp != '' && 'rollback' || 'abort' }}"
    with: { key: f }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`;

  it('is decided when the step fails, with the output the earlier step gave', async () => {
    const world = new World();
    const { result, events } = await run(decided, { world, params: { fence: true } });
    // Planning could not know a's stamp: the plan was made all the same.
    expect(ofType(events, 'run.planned')[0]!.plan.steps.map((s) => s.id)).toEqual(['a', 'b', 'f']);
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['b', 'a']);
    expect(world.values.size).toBe(0);
  });

  it('means abort when the output was never given (its step was skipped)', async () => {
    const world = new World();
    const { result, events } = await run(decided, { world, params: { fence: false } });
    expect(result.outcome).toBe('failed');
    expect(result.error?.code).toBe('FO_TEST_E9003');
    expect(result.rolledBack).toEqual([]);
    expect(world.values.get('b')).toBe('2');
    expect(trace(events, ['step.succeeded']).at(-1)).toBe('step.succeeded:bye');
  });
});

describe('a when on an output the run does not have', () => {
  it('fails its step at apply time, keeps what was done, and runs finally', async () => {
    const world = new World();
    const { result, events } = await run(
      `
name: when-missing
params:
  fence: { type: boolean, default: false }
steps:
  - { id: a, uses: test.set, when: "\${{ params.fence }}", with: { key: a, value: "1" } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
  - { id: c, uses: test.set, when: "\${{ steps.a.outputs.stamp != '' }}", with: { key: c, value: "3" } }
  - { id: d, uses: test.set, with: { key: d, value: "4" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`,
      { world, params: { fence: false } },
    );
    // At plan time c's condition waits for a's output: c is planned, not skipped.
    const planned = ofType(events, 'run.planned')[0]!.plan.steps.find((s) => s.id === 'c');
    expect(planned?.skipped).toBeUndefined();
    expect(planned?.plan?.changes).toHaveLength(1);
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['c']);
    expect(result.error?.message).toBe(MISSING);
    expect(ofType(events, 'step.failed').map((e) => [e.stepId, e.error.message])).toEqual([['c', MISSING]]);
    expect(world.writes).toEqual(['set b=2']);
    expect(trace(events, ['step.started']).at(-1)).toBe('step.started:bye');
    expect(result.changed).toEqual(['b']);
  });

  it('of a step that ran without giving it: the condition is not taken for true', async () => {
    const { result, world } = await run(`
name: when-not-given
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: b, uses: test.set, when: "\${{ steps.a.outputs.done }}", with: { key: b, value: "2" } }
`);
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['b']);
    expect(result.error?.message).toBe('`steps.a.outputs.done` is not available: step output not found');
    expect(world.values.has('b')).toBe(false);
  });

  it('of a parallel group: each member fails, none runs', async () => {
    const { result, world, events } = await run(
      `
name: group-when-missing
params:
  fence: { type: boolean, default: false }
steps:
  - { id: a, uses: test.set, when: "\${{ params.fence }}", with: { key: a, value: "1" } }
  - id: pair
    when: "\${{ steps.a.outputs.stamp != '' }}"
    parallel:
      - { id: x, uses: test.set, with: { key: x, value: "1" } }
      - { id: y, uses: test.set, with: { key: y, value: "2" } }
  - { id: z, uses: test.set, with: { key: z, value: "3" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`,
      { params: { fence: false } },
    );
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['x', 'y']);
    expect(result.error?.message).toBe(MISSING);
    expect(world.writes).toEqual([]);
    expect(ofType(events, 'step.started').map((e) => e.stepId)).toEqual(['bye']);
  });

  it('of a finally step: that step fails the run, the later finally steps still run', async () => {
    const { result, events } = await run(
      `
name: finally-when-missing
params:
  fence: { type: boolean, default: false }
steps:
  - { id: a, uses: test.set, when: "\${{ params.fence }}", with: { key: a, value: "1" } }
finally:
  - { id: report, uses: note, when: "\${{ steps.a.outputs.stamp != '' }}", with: { message: fenced } }
  - { id: bye, uses: note, with: { message: bye } }
`,
      { params: { fence: false } },
    );
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['report']);
    expect(result.error?.message).toBe(MISSING);
    expect(trace(events, ['step.started', 'step.failed', 'step.succeeded'])).toEqual([
      'step.started:report',
      'step.failed:report',
      'step.started:bye',
      'step.succeeded:bye',
    ]);
  });
});
