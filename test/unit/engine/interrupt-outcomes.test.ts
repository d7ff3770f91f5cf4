/**
 * What an interrupt leaves behind: which steps it names as in flight (only those it stopped, also
 * in a parallel group), that a last step finishing in its grace period still ends "interrupted", that a
 * step failing on its own during the grace period is a failure (not rolled back: the operator asked
 * to stop), and the error of a run stopped by the tool itself (its journal could not be written).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FailoverError, stepFailed } from '../../../src/engine/errors.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, type FakeRead, ofType, run, trace, World } from './fakes.js';

/** `test.flop`: mutating; its apply starts, takes `slow` ms (honouring the signal), then fails. */
const flopStep = defineStep({
  kind: 'test.flop',
  description: 'a change that fails on its own',
  mutating: true,
  input: z.strictObject({ key: z.string(), slow: z.number() }),
  async plan() {
    return { summary: 'flops', changes: [], converged: false };
  },
  async apply(ctx, input) {
    const { world } = ctx.read as unknown as FakeRead;
    world.attempts.set(input.key, (world.attempts.get(input.key) ?? 0) + 1);
    world.onApplyStart(input.key);
    await ctx.sleep(input.slow);
    throw stepFailed('FO_TEST_E9301', `${input.key}: the API refused the change`);
  },
});

const registry = createRegistry([...FAKE_KINDS, flopStep] as StepKind<never>[]);

function interruptOnApply(world: World, key: string, reason: unknown = 'SIGINT'): AbortController {
  const controller = new AbortController();
  world.onApplyStart = (k) => {
    if (k === key) controller.abort(reason);
  };
  return controller;
}

describe('an interrupt in a parallel group', () => {
  it('names only the member it stopped; the change in its grace period completes', async () => {
    const world = new World();
    const controller = interruptOnApply(world, 'a');
    const started = Date.now();
    const { result, events } = await run(
      `
name: group-interrupt
steps:
  - id: pair
    parallel:
      - { id: nap, uses: test.sleep, with: { ms: 10000 } }
      - { id: a, uses: test.set, with: { key: a, value: "1", slow: 100 } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`,
      { world, interrupt: controller.signal, interruptGraceMs: 5_000 },
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(5_000);
    expect(result.outcome).toBe('interrupted');
    expect(ofType(events, 'run.interrupted')[0]!.inFlight).toEqual(['nap']);
    expect(world.writes).toEqual(['set a=1']);
    const failed = ofType(events, 'step.failed');
    expect(failed.map((e) => [e.stepId, e.error.code])).toEqual([['nap', 'FO_ENGINE_E1034']]);
    expect(failed[0]!.error.message).toBe(
      'step "nap" stopped at the interrupt (it changes nothing, so it stops at once)',
    );
    expect(failed[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(failed[0]!.durationMs).toBeLessThanOrEqual(elapsed);
    expect(result.failedSteps).toEqual([]);
    expect(result.changed).toEqual(['a']);
  });
});

describe('an interrupt during the last step', () => {
  it('still ends the run "interrupted" once that step finished in its grace period', async () => {
    const world = new World();
    const controller = interruptOnApply(world, 'a');
    const { result, events } = await run(
      `
name: last-step
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1", slow: 50 } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`,
      { world, interrupt: controller.signal, interruptGraceMs: 5_000 },
    );
    expect(world.values.get('a')).toBe('1');
    expect(result.outcome).toBe('interrupted');
    expect(result.error?.code).toBe('FO_ENGINE_E1033');
    expect(ofType(events, 'run.interrupted')).toEqual([expect.objectContaining({ inFlight: [] })]);
    expect(trace(events, ['step.succeeded', 'run.interrupted'])).toEqual([
      'step.succeeded:a',
      'run.interrupted',
      'step.succeeded:bye',
    ]);
  });
});

describe('a step that fails on its own during the grace period', () => {
  it('fails the run without a retry and without a rollback; it is not reported as interrupted', async () => {
    const world = new World();
    const controller = interruptOnApply(world, 'f');
    const { result, events } = await run(
      `
name: flop
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - id: f
    uses: test.flop
    onFailure: rollback
    retry: { attempts: 3, backoff: 1ms }
    with: { key: f, slow: 50 }
  - { id: c, uses: test.set, with: { key: c, value: "3" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`,
      { world, registry, interrupt: controller.signal, interruptGraceMs: 5_000 },
    );
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['f']);
    expect(result.error).toMatchObject({ code: 'FO_TEST_E9301', message: 'f: the API refused the change' });
    expect(world.attempts.get('f')).toBe(1);
    expect(result.rolledBack).toEqual([]);
    expect(world.writes).toEqual(['set a=1']);
    expect(ofType(events, 'run.interrupted')).toEqual([]);
    expect(trace(events, ['step.started']).at(-1)).toBe('step.started:bye');
  });
});

describe('a run stopped by the tool itself', () => {
  const RUNBOOK = `
name: stopped
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1", slow: 20 } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
`;

  it("reports the reason's code, category and message, its hint first, then how to resume", async () => {
    const world = new World();
    const reason = new FailoverError('FO_JOURNAL_E1101', 'internal', 'cannot write the journal: disk full', {
      hint: 'free space under the state directory',
    });
    const controller = interruptOnApply(world, 'a', reason);
    const { result, events } = await run(RUNBOOK, {
      world,
      interrupt: controller.signal,
      runId: '20260301T101010Z-jfull',
    });
    expect(result.outcome).toBe('interrupted');
    expect(result.error).toMatchObject({
      code: 'FO_JOURNAL_E1101',
      category: 'internal',
      message: 'cannot write the journal: disk full',
      hint: 'free space under the state directory; run `failover resume 20260301T101010Z-jfull` to continue where it stopped',
    });
    expect(ofType(events, 'run.interrupted')[0]).toMatchObject({ signal: 'FO_JOURNAL_E1101', inFlight: [] });
    expect(world.writes).toEqual(['set a=1']);
  });

  it('without a hint of its own, the hint is how to resume', async () => {
    const world = new World();
    const reason = new FailoverError('FO_JOURNAL_E1102', 'internal', 'the journal was removed');
    const controller = interruptOnApply(world, 'a', reason);
    const { result } = await run(RUNBOOK, {
      world,
      interrupt: controller.signal,
      resumeCommand: 'failover resume R',
    });
    expect(result.error?.code).toBe('FO_JOURNAL_E1102');
    expect(result.error?.hint).toBe('run `failover resume R` to continue where it stopped');
  });
});
