/**
 * StepKind.prepare: what a step will need at its turn (a client library that takes long to load)
 * is loaded while an earlier step of a real run waits on the world (sleeps), once; never while
 * planning, never in a dry-run, and a step that prepares nothing changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, type FakeRead, run, World } from './fakes.js';

/** `test.gate`: read-only; its prepare() notes in the world's timeline that it ran. */
const gateStep = defineStep({
  kind: 'test.gate',
  description: 'a step with something to load first',
  mutating: false,
  input: z.strictObject({ name: z.string() }),
  prepare(ctx, input) {
    (ctx.read as unknown as FakeRead).world.timeline.push(`prepared ${input.name}`);
  },
  async plan(ctx, input) {
    (ctx.read as unknown as FakeRead).world.timeline.push(`gate ${input.name} ${ctx.phase}`);
    return { summary: 'gate', changes: [], converged: false };
  },
});

const registry = createRegistry([...FAKE_KINDS, gateStep] as StepKind<never>[]);

const RUNBOOK = `
name: prepare
steps:
  - { id: planning-wait, uses: test.sleep, with: { ms: 20, inPlan: true } }
  - { id: first-wait, uses: test.sleep, with: { ms: 50 } }
  - { id: second-wait, uses: test.sleep, with: { ms: 20 } }
  - { id: gate, uses: test.gate, with: { name: g } }
`;

describe('prepare', () => {
  it('runs once, during the first sleep of the apply phase, before the step it prepares', async () => {
    const world = new World();
    const { result } = await run(RUNBOOK, { world, registry });
    expect(result.outcome).toBe('succeeded');
    expect(world.timeline).toEqual([
      // The whole-run plan reads the read-only steps at once (plan-batches.ts).
      'plan sleep start',
      'gate g plan',
      'plan sleep end',
      // planning-wait's own turn sleeps first: the preparation runs while it waits.
      'sleep start',
      'prepared g',
      'sleep end',
      'sleep start',
      'sleep end',
      'sleep start',
      'sleep end',
      'gate g apply',
    ]);
  });

  it('never runs in a dry-run', async () => {
    const world = new World();
    const { result } = await run(RUNBOOK, { world, registry, dryRun: true });
    expect(result.outcome).toBe('planned');
    expect(world.timeline).toEqual(['plan sleep start', 'gate g plan', 'plan sleep end']);
  });
});
