/**
 * What a rollback undoes: only steps that changed something, returned undo data and have a
 * rollback; an undo that outlasts the step's timeout fails with the timeout error while the other
 * undos still run. And what a run reports as changed (converged steps are not), with durations
 * measured from the step's start.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type PlanContext, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, type FakeRead, type FakeWrite, ofType, run, trace, World } from './fakes.js';

const input = z.strictObject({ key: z.string(), value: z.string() });

async function planSet(ctx: PlanContext, { key, value }: z.infer<typeof input>) {
  const converged = (ctx.read as unknown as FakeRead).world.values.get(key) === value;
  return {
    summary: `${key} = ${value}`,
    changes: converged ? [] : [{ action: 'update' as const, resource: `key ${key}`, summary: value }],
    converged,
  };
}

/** `test.no-undo`: changes the world but returns no undo data (it could not read what was there). */
const noUndoStep = defineStep({
  kind: 'test.no-undo',
  description: 'a change without undo data',
  mutating: true,
  input,
  plan: planSet,
  async apply(ctx, { key, value }) {
    (ctx.write as unknown as FakeWrite).set(key, value);
    return {};
  },
  async rollback(ctx, { key }) {
    (ctx.write as unknown as FakeWrite).restore(key, null);
  },
});

/** `test.keep`: returns undo data, but its kind has no rollback (a change that cannot be taken back). */
const keepStep = defineStep({
  kind: 'test.keep',
  description: 'a change without a rollback',
  mutating: true,
  input,
  plan: planSet,
  async apply(ctx, { key, value }) {
    const previous = (ctx.read as unknown as FakeRead).world.values.get(key) ?? null;
    (ctx.write as unknown as FakeWrite).set(key, value);
    return { undo: { previous } };
  },
});

/** `test.hang`: its rollback waits until its signal aborts, then gives up with the signal's reason. */
const hangStep = defineStep({
  kind: 'test.hang',
  description: 'a rollback that hangs',
  mutating: true,
  input,
  plan: planSet,
  async apply(ctx, { key, value }) {
    (ctx.write as unknown as FakeWrite).set(key, value);
    return { undo: { previous: null } };
  },
  async rollback(ctx) {
    await new Promise((_, reject) => {
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    });
  },
});

const registry = createRegistry([...FAKE_KINDS, noUndoStep, keepStep, hangStep] as StepKind<never>[]);

describe('a rollback', () => {
  it('leaves a change without undo data and a kind without rollback; undoes the others', async () => {
    const world = new World();
    const { result, events } = await run(
      `
name: partial-undo
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: n, uses: test.no-undo, with: { key: n, value: "1" } }
  - { id: k, uses: test.keep, with: { key: k, value: "1" } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
  - { id: f, uses: test.fail, onFailure: rollback, with: { key: f } }
`,
      { world, registry },
    );
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['b', 'a']);
    expect(trace(events, ['step.rollback.started', 'step.rollback.failed'])).toEqual([
      'step.rollback.started:b',
      'step.rollback.started:a',
    ]);
    expect(world.writes.slice(-2)).toEqual(['restore b', 'restore a']);
    expect([...world.values].sort()).toEqual([
      ['k', '1'],
      ['n', '1'],
    ]);
    // What was not rolled back is the state left behind.
    expect(result.changed).toEqual(['n', 'k']);
  });

  it("that outlasts the step's timeout fails with the timeout; the other undos still run", async () => {
    const world = new World();
    const started = Date.now();
    const { result, events } = await run(
      `
name: hanging-undo
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: h, uses: test.hang, timeout: 200ms, with: { key: h, value: "1" } }
  - { id: f, uses: test.fail, onFailure: rollback, with: { key: f } }
`,
      { world, registry },
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.outcome).toBe('failed');
    expect(ofType(events, 'step.rollback.failed').map((e) => [e.stepId, e.error])).toEqual([
      [
        'h',
        expect.objectContaining({
          code: 'FO_ENGINE_E1021',
          category: 'step-failed',
          message: 'step "h" timed out after 200ms',
        }),
      ],
    ]);
    expect(result.rolledBack).toEqual(['a']);
    expect(world.values.has('a')).toBe(false);
    expect(result.changed).toEqual(['h']);
  });

  it('reports each undo with its own duration', async () => {
    const started = Date.now();
    const { events } = await run(`
name: timed-undo
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: f, uses: test.fail, onFailure: rollback, with: { key: f } }
`);
    const elapsed = Date.now() - started;
    const undone = ofType(events, 'step.rolled-back');
    expect(undone.map((e) => e.stepId)).toEqual(['a']);
    expect(undone[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(undone[0]!.durationMs).toBeLessThanOrEqual(elapsed);
  });
});

describe('what a run reports as done', () => {
  it('changed: only steps that changed something; a converged step has no undo and a short duration', async () => {
    const world = new World();
    world.values.set('a', '1');
    const started = Date.now();
    const { result, events } = await run(
      `
name: partly-done
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
  - { id: n, uses: note, with: { message: read-only } }
`,
      { world },
    );
    const elapsed = Date.now() - started;
    expect(result.outcome).toBe('succeeded');
    expect(result.changed).toEqual(['b']);
    const succeeded = ofType(events, 'step.succeeded');
    const a = succeeded.find((e) => e.stepId === 'a')!;
    expect(a.converged).toBe(true);
    expect('undo' in a).toBe(false);
    expect(succeeded.find((e) => e.stepId === 'b')?.undo).toEqual({ previous: null });
    for (const event of succeeded) {
      expect(event.durationMs).toBeGreaterThanOrEqual(0);
      expect(event.durationMs).toBeLessThanOrEqual(elapsed);
    }
  });
});
