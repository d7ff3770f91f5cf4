/**
 * Which failures a step's `retry` tries again: a slow or flaky system (step-failed) and a bug
 * (internal) may pass on the next attempt; bad input, an operator's "no" (aborted) and a lock held
 * by another run (locked) will not, so they fail at once. An input that only becomes invalid at
 * apply time (an earlier step's output of the wrong type) is bad input too: no attempt is made.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ErrorCategory, FailoverError } from '../../../src/engine/errors.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, type FakeRead, ofType, run, World } from './fakes.js';

const CATEGORIES = ['step-failed', 'internal', 'invalid-input', 'aborted', 'locked'] as const;

/** `test.throw`: read-only; its apply throws a FailoverError of the category asked for, every time. */
const throwStep = defineStep({
  kind: 'test.throw',
  description: 'throws a typed error',
  mutating: false,
  input: z.strictObject({ key: z.string(), category: z.enum(CATEGORIES) }),
  async plan() {
    return { summary: 'throws', changes: [], converged: false };
  },
  async apply(ctx, input) {
    const { world } = ctx.read as unknown as FakeRead;
    world.attempts.set(input.key, (world.attempts.get(input.key) ?? 0) + 1);
    throw new FailoverError(
      'FO_TEST_E9101',
      input.category as ErrorCategory,
      `${input.key}: ${input.category}`,
    );
  },
});

const registry = createRegistry([...FAKE_KINDS, throwStep] as StepKind<never>[]);

const retried = (category: string) => `
name: retry-${category}
steps:
  - id: t
    uses: test.throw
    retry: { attempts: 3, backoff: 1ms }
    with: { key: t, category: ${category} }
`;

describe('retry by error category', () => {
  it.each([
    ['step-failed', 3, 'failed'],
    ['internal', 3, 'failed'],
    ['invalid-input', 1, 'failed'],
    ['aborted', 1, 'aborted'],
    ['locked', 1, 'failed'],
  ] as const)('%s: %i attempt(s), outcome %s', async (category, attempts, outcome) => {
    const world = new World();
    const { result, events } = await run(retried(category), { world, registry });
    expect(world.attempts.get('t')).toBe(attempts);
    expect(ofType(events, 'step.started').map((e) => e.attempt)).toEqual(
      Array.from({ length: attempts }, (_, i) => i + 1),
    );
    expect(ofType(events, 'step.retrying')).toHaveLength(attempts - 1);
    expect(result.outcome).toBe(outcome);
    expect(result.failedSteps).toEqual(['t']);
    expect(result.error).toMatchObject({ code: 'FO_TEST_E9101', category });
    // An operator's "no" is not an interrupt: nothing to resume from a signal.
    expect(ofType(events, 'run.interrupted')).toEqual([]);
  });
});

describe('an input that becomes invalid at apply time', () => {
  const RUNBOOK = `
name: late-input
steps:
  - { id: count, uses: test.fail, with: { key: count, failures: 0 } }
  - id: b
    uses: test.set
    retry: { attempts: 3, backoff: 1ms }
    with: { key: b, value: "\${{ steps.count.outputs.attempts }}" }
`;

  it('is planned with a placeholder, then fails as bad input with the field path, without an attempt', async () => {
    const { result, events, world } = await run(RUNBOOK);
    const planned = ofType(events, 'run.planned')[0]!.plan.steps.find((s) => s.id === 'b');
    expect(planned?.plan?.deferred).toEqual(['steps.count.outputs.attempts']);
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['b']);
    expect(result.error).toMatchObject({
      code: 'FO_ENGINE_E1032',
      category: 'invalid-input',
      message: 'invalid input for step "b" (test.set)',
    });
    expect(result.error?.problems.map((p) => p.path)).toEqual(['steps[1].with.value']);
    // The number 1 is not a string: no attempt, no retry, no change.
    expect(ofType(events, 'step.started').map((e) => e.stepId)).toEqual(['count']);
    expect(world.writes).toEqual([]);
  });
});
