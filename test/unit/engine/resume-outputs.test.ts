/**
 * The outputs of a resumed run: a step that runs once (a note) and was done before is skipped with
 * the run it was done in, and hands on the first run's outputs; a step planned again merges the
 * first run's outputs, its plan's and its apply's (later ones win); a step journalled without
 * outputs resumes with none, and its undo data still rolls it back.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ResumeState } from '../../../src/engine/journal.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, type FakeRead, type FakeWrite, ofType, run, World } from './fakes.js';

const FIRST = '20260301T101010Z-first';

/**
 * `test.probe`: converges `key` to `value`; its plan reports the value it found (`found`), its
 * apply a stamp and the value it wrote (`found` again, now the new one).
 */
const probeStep = defineStep({
  kind: 'test.probe',
  description: 'a change whose plan reports what it found',
  mutating: true,
  input: z.strictObject({ key: z.string(), value: z.string() }),
  async plan(ctx, { key, value }) {
    const found = (ctx.read as unknown as FakeRead).world.values.get(key) ?? 'nothing';
    return {
      summary: `${key}: ${found} → ${value}`,
      changes: [],
      converged: found === value,
      outputs: { found, before: found },
    };
  },
  async apply(ctx, { key, value }) {
    const { world } = ctx.read as unknown as FakeRead;
    const previous = world.values.get(key) ?? null;
    (ctx.write as unknown as FakeWrite).set(key, value);
    return { outputs: { found: value, stamp: world.nextStamp(key) }, undo: { previous } };
  },
});

const registry = createRegistry([...FAKE_KINDS, probeStep] as StepKind<never>[]);

function resumeOf(entries: [string, ResumeState['completed'] extends Map<string, infer V> ? V : never][]) {
  return { from: FIRST, completed: new Map(entries) } satisfies ResumeState;
}

describe('a step that runs once, done before the resume', () => {
  it('is skipped as done in the first run and hands on that run’s outputs', async () => {
    const { result, events, world } = await run(
      `
name: noted
steps:
  - { id: said, uses: note, with: { message: "now" } }
  - { id: a, uses: test.set, with: { key: a, value: "\${{ steps.said.outputs.message }}" } }
`,
      { resume: resumeOf([['said', { outputs: { message: 'from the first run' }, converged: false }]]) },
    );
    expect(result.outcome).toBe('succeeded');
    expect(ofType(events, 'step.skipped').filter((e) => e.stepId === 'said')).toEqual([
      expect.objectContaining({ reason: `already done in run ${FIRST}` }),
    ]);
    expect(ofType(events, 'step.started').map((e) => e.stepId)).toEqual(['a']);
    expect(result.outputs.said).toEqual({ message: 'from the first run' });
    expect(world.values.get('a')).toBe('from the first run');
  });
});

describe('the outputs of a step', () => {
  it("merge its plan's and its apply's; the apply's win", async () => {
    const world = new World();
    world.values.set('p', 'old');
    const { result, events } = await run(
      `
name: probed
steps:
  - { id: p, uses: test.probe, with: { key: p, value: "new" } }
`,
      { world, registry },
    );
    expect(result.outputs.p).toEqual({ found: 'new', before: 'old', stamp: 'p-stamp-1' });
    expect(ofType(events, 'step.succeeded')[0]?.outputs).toEqual(result.outputs.p);
  });

  it("on resume, merge the first run's with the fresh plan's", async () => {
    const world = new World();
    world.values.set('p', 'new'); // the first run's change holds
    const { result, events } = await run(
      `
name: probed
steps:
  - { id: p, uses: test.probe, with: { key: p, value: "new" } }
  - { id: q, uses: test.set, with: { key: q, value: "\${{ steps.p.outputs.stamp }}" } }
`,
      {
        world,
        registry,
        resume: resumeOf([
          [
            'p',
            {
              outputs: { found: 'new', before: 'old', stamp: 'p-stamp-first' },
              undo: { previous: 'old' },
              converged: false,
            },
          ],
        ]),
      },
    );
    expect(result.outcome).toBe('succeeded');
    // Converged now: nothing applied; the plan sees 'new' before, the first run's stamp stays.
    expect(world.writes).toEqual(['set q=p-stamp-first']);
    expect(result.outputs.p).toEqual({ found: 'new', before: 'new', stamp: 'p-stamp-first' });
    expect(ofType(events, 'step.succeeded')[0]).toMatchObject({
      stepId: 'p',
      converged: true,
      undo: { previous: 'old' },
    });
  });

  it('journalled without outputs: resumes with none, and its undo data still rolls it back', async () => {
    const world = new World();
    world.values.set('a', '1');
    const { result } = await run(
      `
name: bare
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: f, uses: test.fail, onFailure: rollback, with: { key: f } }
`,
      {
        world,
        resume: resumeOf([
          [
            'a',
            {
              outputs: undefined as unknown as Record<string, never>,
              undo: { previous: '0' },
              converged: false,
            },
          ],
        ]),
      },
    );
    expect(result.outputs.a).toEqual({});
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['a']);
    expect(world.values.get('a')).toBe('0');
  });
});
