/**
 * Who decides what a failure inside a parallel group does: a step's own `onFailure` (rollback,
 * continue) wins over its group's; a step that leaves it at abort, or whose expression resolves to
 * something unexpected, takes the group's. A `continue` failure becomes a warning that keeps its hint.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stepFailed } from '../../../src/engine/errors.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, run, World } from './fakes.js';

/** `test.hinted`: read-only; always fails with an error that names its fix. */
const hintedFailure = defineStep({
  kind: 'test.hinted',
  description: 'fails with a hint',
  mutating: false,
  input: z.strictObject({ hint: z.string() }),
  async plan() {
    return { summary: 'fails', changes: [], converged: false };
  },
  async apply(_ctx, input) {
    throw stepFailed('FO_TEST_E9201', 'the standby is not ready', { hint: input.hint });
  },
});

const registry = createRegistry([...FAKE_KINDS, hintedFailure] as StepKind<never>[]);

/** a, then a group {x, f} with the group's and f's onFailure as given, then c. */
const grouped = (groupMode: string | undefined, ownMode: string | undefined) => `
name: grouped
params:
  how: { type: string, default: "roll back, please" }
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - id: pair
    ${groupMode ? `onFailure: ${groupMode}` : ''}
    parallel:
      - { id: x, uses: test.set, with: { key: x, value: "1" } }
      - { id: f, uses: test.fail, ${ownMode ? `onFailure: "${ownMode}",` : ''} with: { key: f } }
  - { id: c, uses: test.set, with: { key: c, value: "3" } }
`;

describe("a step's own onFailure against its group's", () => {
  it('own continue in a group that aborts: a warning, and the run goes on', async () => {
    const world = new World();
    const { result } = await run(grouped(undefined, 'continue'), { world });
    expect(result.outcome).toBe('succeeded');
    expect(result.warnings.map((w) => [w.stepId, w.code])).toEqual([['f', 'FO_TEST_E9003']]);
    expect([...world.values.keys()].sort()).toEqual(['a', 'c', 'x']);
  });

  it('own continue in a group that rolls back: still a warning, nothing is undone', async () => {
    const world = new World();
    const { result } = await run(grouped('rollback', 'continue'), { world });
    expect(result.outcome).toBe('succeeded');
    expect(result.rolledBack).toEqual([]);
    expect(world.values.get('c')).toBe('3');
  });

  it('own rollback in a group that aborts: the completed steps are undone', async () => {
    const world = new World();
    world.values.set('a', '0');
    const { result } = await run(grouped(undefined, 'rollback'), { world });
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['x', 'a']);
    expect([...world.values]).toEqual([['a', '0']]);
  });

  it('own abort, written out, takes the group rollback', async () => {
    const { result, world } = await run(grouped('rollback', 'abort'));
    expect(result.outcome).toBe('rolled-back');
    expect(world.values.size).toBe(0);
  });

  it('an own expression that resolves to something unexpected counts as abort: the group rollback decides', async () => {
    const { result, world } = await run(grouped('rollback', '${{ params.how }}'));
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['x', 'a']);
    expect(world.values.size).toBe(0);
  });

  it('the group continue covers a member that leaves it at abort', async () => {
    const { result, world } = await run(grouped('continue', undefined));
    expect(result.outcome).toBe('succeeded');
    expect(result.warnings.map((w) => w.stepId)).toEqual(['f']);
    expect(world.values.get('c')).toBe('3');
  });
});

describe('a continue failure as a warning of the run', () => {
  it('keeps the code, the message and the hint of the error', async () => {
    const { result, events } = await run(
      `
name: hinted
steps:
  - { id: probe, uses: test.hinted, onFailure: continue, with: { hint: "scale the standby up first" } }
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
`,
      { registry },
    );
    expect(result.outcome).toBe('succeeded');
    expect(result.warnings).toEqual([
      {
        stepId: 'probe',
        code: 'FO_TEST_E9201',
        message: 'the standby is not ready',
        hint: 'scale the standby up first',
      },
    ]);
    const finished = events.find((e) => e.type === 'run.finished');
    expect(finished).toMatchObject({ outcome: 'succeeded', warnings: result.warnings });
  });

  it('has no hint field when the error has none', async () => {
    const { result } = await run(`
name: unhinted
steps:
  - { id: f, uses: test.fail, onFailure: continue, with: { key: f } }
`);
    expect(result.warnings).toEqual([{ stepId: 'f', code: 'FO_TEST_E9003', message: 'f: attempt 1 failed' }]);
    expect('hint' in result.warnings[0]!).toBe(false);
  });
});
