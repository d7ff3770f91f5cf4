/**
 * The whole-run plan reads consecutive steps at once unless one must wait: after a step that may
 * change something (later plans must know whether it does), or when it reads an earlier step's
 * outputs. The plan stays in runbook order.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { planBatches } from '../../../src/engine/plan-batches.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, type FakeRead, load, run, World } from './fakes.js';

/** `test.read`: read-only; its plan takes `ms` and notes start and end in the world's timeline. */
const readStep = defineStep({
  kind: 'test.read',
  description: 'a read that takes a while',
  mutating: false,
  input: z.strictObject({ name: z.string(), ms: z.number().default(30), after: z.unknown().optional() }),
  async plan(ctx, input) {
    const { world } = ctx.read as unknown as FakeRead;
    world.timeline.push(`read ${input.name} start`);
    await ctx.sleep(input.ms);
    world.timeline.push(`read ${input.name} end`);
    return { summary: input.name, changes: [], converged: false, outputs: { seen: input.name } };
  },
});

/** `test.lock`: mutating but independent, like the run lock. */
const lockStep = defineStep({
  kind: 'test.lock',
  description: 'an independent change',
  mutating: true,
  independent: true,
  input: z.strictObject({}),
  async plan() {
    return {
      summary: 'lock',
      changes: [{ action: 'create', resource: 'lock', summary: 'lock' }],
      converged: false,
    };
  },
  async apply() {
    return {};
  },
});

const registry = createRegistry([...FAKE_KINDS, readStep, lockStep] as StepKind<never>[]);

const ids = (yaml: string) =>
  planBatches(load(yaml, registry).runbook.steps, registry).map((batch) => batch.map((entry) => entry.id));

describe('planBatches', () => {
  it('groups read-only steps, closes a batch after a change, keeps independent changes inside', () => {
    expect(
      ids(`
name: b
steps:
  - { id: lock, uses: test.lock }
  - { id: a, uses: test.read, with: { name: a } }
  - id: group
    parallel:
      - { id: g1, uses: test.read, with: { name: g1 } }
      - { id: g2, uses: test.read, with: { name: g2 } }
  - { id: change, uses: test.set, with: { key: k, value: v } }
  - { id: b, uses: test.read, with: { name: b } }
`),
    ).toEqual([['lock', 'a', 'group', 'change'], ['b']]);
  });

  it("waits for a step whose outputs it reads, in either spelling; other steps' outputs do not count", () => {
    const runbook = (reference: string) => `
name: b
steps:
  - { id: a-b, uses: test.set, with: { key: k, value: v } }
  - { id: a, uses: test.read, with: { name: a } }
  - { id: b, uses: test.read, with: { name: b, after: ${JSON.stringify(reference)} } }
`;
    expect(ids(runbook('${{ steps.a.outputs.seen }}'))).toEqual([['a-b'], ['a'], ['b']]);
    expect(ids(runbook("${{ steps['a'].outputs.seen }}"))).toEqual([['a-b'], ['a'], ['b']]);
    // A step of an earlier batch has its plan already, and `a-b` is not `a`: no wait.
    expect(ids(runbook('${{ steps.a-b.outputs.stamp }}'))).toEqual([['a-b'], ['a', 'b']]);
    // The word outside an expression is text.
    expect(ids(runbook('steps.a in prose'))).toEqual([['a-b'], ['a', 'b']]);
  });

  it('a computed step name could be any step: it waits', () => {
    const a = { id: 'a', uses: 'test.read', with: { name: 'a' } };
    const b = { id: 'b', uses: 'test.read', with: { name: 'b', after: '${{ steps[params.which] }}' } };
    const batches = planBatches([a, b] as never[], registry);
    expect(batches.map((batch) => batch.map((entry) => entry.id))).toEqual([['a'], ['b']]);
  });

  it('a `when` that reads a step of the batch waits too', () => {
    expect(
      ids(`
name: b
steps:
  - { id: a, uses: test.read, with: { name: a } }
  - { id: b, uses: test.read, with: { name: b }, when: '\${{ steps.a.outputs.seen == "a" }}' }
`),
    ).toEqual([['a'], ['b']]);
  });
});

describe('the whole-run plan', () => {
  it("reads a batch's steps at once and keeps the plan in runbook order", async () => {
    const world = new World();
    const { result, events } = await run(
      `
name: b
steps:
  - { id: a, uses: test.read, with: { name: a, ms: 60 } }
  - { id: b, uses: test.read, with: { name: b, ms: 10 } }
  - { id: c, uses: test.read, with: { name: c, after: '\${{ steps.a.outputs.seen }}' } }
`,
      { world, registry, dryRun: true },
    );
    expect(result.outcome).toBe('planned');
    // a and b overlap (b ends first); c, which reads a's outputs, starts after a ended.
    expect(world.timeline).toEqual([
      'read a start',
      'read b start',
      'read b end',
      'read a end',
      'read c start',
      'read c end',
    ]);
    const planned = events.find((e) => e.type === 'run.planned');
    expect(planned?.type === 'run.planned' && planned.plan.steps.map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });

  it('a step after a change is planned knowing the change comes first', async () => {
    const world = new World();
    const seen: boolean[] = [];
    const probe = defineStep({
      kind: 'test.probe',
      description: 'records afterChanges',
      mutating: false,
      input: z.strictObject({}),
      async plan(ctx) {
        seen.push(ctx.afterChanges);
        return { summary: 'probe', changes: [], converged: false };
      },
    });
    const withProbe = createRegistry([...FAKE_KINDS, readStep, lockStep, probe] as StepKind<never>[]);
    await run(
      `
name: b
steps:
  - { id: before, uses: test.probe }
  - { id: lock, uses: test.lock }
  - { id: change, uses: test.set, with: { key: k, value: v } }
  - { id: after, uses: test.probe }
`,
      { world, registry: withProbe, dryRun: true },
    );
    expect(seen).toEqual([false, true]);
  });
});
