/**
 * A read-only step whose whole-run plan read live state moments earlier stands on that read when
 * it runs (each fact is read once per run), unless the input differs, a change was made since,
 * the plan is too old, the kind declines, or it is a retry. Failed checks fail the step as before.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { EngineEvent } from '../../../src/engine/events.js';
import { PLAN_REUSE_FRESH_MS } from '../../../src/engine/plan-reuse.js';
import { buildRunReport } from '../../../src/report/model.js';
import { httpCheck } from '../../../src/steps/check/http.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, type FakeRead, type FakeWrite, ofType, run, World } from './fakes.js';

/** Live reads per key, counted by the fake world. */
const reads = (world: World, key: string) => world.attempts.get(`read:${key}`) ?? 0;

/**
 * `test.read`: reads `key` from the world (a live read, counted) unless planned after changes;
 * its check holds when the value is `expect` (when given). Opts in to plan reuse unless `decline`.
 */
const readStep = defineStep({
  kind: 'test.read',
  description: 'reads a key of the fake world',
  mutating: false,
  input: z.strictObject({
    key: z.string(),
    expect: z.string().optional(),
    decline: z.boolean().default(false),
    /** Only to make the input depend on something. */
    tag: z.string().optional(),
  }),
  reusePlan: (input) => !input.decline,
  async plan(ctx, input) {
    if (ctx.afterChanges) return { summary: `will read ${input.key}`, changes: [], converged: false };
    const { world } = ctx.read as unknown as FakeRead;
    world.attempts.set(`read:${input.key}`, reads(world, input.key) + 1);
    const value = world.values.get(input.key) ?? '';
    return {
      summary: `${input.key} is ${value}`,
      changes: [],
      converged: false,
      checks:
        input.expect === undefined
          ? []
          : [{ name: `${input.key} is ${input.expect}`, ok: value === input.expect, detail: value }],
      outputs: { value, read: reads(world, input.key) },
    };
  },
});

/**
 * `test.touch`: mutating; converged in the whole-run plan when `convergedInPlan`, but when its turn
 * comes it has something to do (the world moved): its apply is the change the run made since.
 */
const touchStep = defineStep({
  kind: 'test.touch',
  description: 'a change only known to be needed at its turn',
  mutating: true,
  input: z.strictObject({ key: z.string(), convergedInPlan: z.boolean().default(true) }),
  async plan(ctx, input) {
    return {
      summary: `touch ${input.key}`,
      changes: [],
      converged: ctx.phase === 'plan' && input.convergedInPlan,
    };
  },
  async apply(ctx, input) {
    (ctx.write as unknown as FakeWrite).set(input.key, 'touched');
    return {};
  },
});

/** `test.claim`: like the run lock, a change that later steps do not read (independent). */
const claimStep = defineStep({
  ...touchStep,
  kind: 'test.claim',
  description: 'an independent change',
  independent: true,
  input: z.strictObject({ key: z.string() }),
  async plan(_ctx, input) {
    return { summary: `claim ${input.key}`, changes: [], converged: false };
  },
});

const registry = createRegistry([...FAKE_KINDS, readStep, touchStep, claimStep] as StepKind<never>[]);

function worldWith(values: Record<string, string>): World {
  const world = new World();
  for (const [key, value] of Object.entries(values)) world.values.set(key, value);
  return world;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('plan reuse', () => {
  it('stands on the plan phase read: plan() reads once, the outputs and the journal say so', async () => {
    const world = worldWith({ x: 'one' });
    const { result, events } = await run(
      `
name: reuse
steps:
  - { id: lock, uses: test.claim, with: { key: lock } }
  - { id: r, uses: test.read, with: { key: x, expect: one } }
  - { id: after, uses: test.set, with: { key: y, value: "\${{ steps.r.outputs.value }}" } }
`,
      { world, registry },
    );
    expect(result.outcome).toBe('succeeded');
    expect(reads(world, 'x')).toBe(1);
    // The independent change (the lock) was made between the plan and the step: still one read.
    expect(world.values.get('lock')).toBe('touched');
    const done = ofType(events, 'step.succeeded').find((e) => e.stepId === 'r')!;
    expect(done.outputs).toEqual({ value: 'one', read: 1 });
    expect(done.planAgeMs).toBeGreaterThanOrEqual(0);
    expect(done.planAgeMs).toBeLessThan(PLAN_REUSE_FRESH_MS);
    expect(world.values.get('y')).toBe('one');
    expect(ofType(events, 'step.succeeded').find((e) => e.stepId === 'after')!.planAgeMs).toBeUndefined();
    const report = buildRunReport(events);
    expect(report.steps.find((s) => s.id === 'r')!.note).toMatch(/^as read by the plan \d+ms before$/);
  });

  it('reads again after a change made since the plan (a converged step changed nothing)', async () => {
    const world = worldWith({ x: 'one', same: 'v' });
    const { result, events } = await run(
      `
name: changed
steps:
  - { id: r1, uses: test.read, with: { key: x } }
  - { id: noop, uses: test.set, with: { key: same, value: v } }
  - { id: r2, uses: test.read, with: { key: x, tag: two } }
  - { id: touch, uses: test.touch, with: { key: x } }
  - { id: r3, uses: test.read, with: { key: x, tag: three } }
`,
      { world, registry },
    );
    expect(result.outcome).toBe('succeeded');
    // r1, r2 and r3 read in the plan; only r3 reads again, after the touch changed x.
    expect(reads(world, 'x')).toBe(4);
    const succeeded = ofType(events, 'step.succeeded');
    const age = (id: string) => succeeded.find((e) => e.stepId === id)!.planAgeMs;
    expect(age('r1')).toBeDefined();
    expect(age('r2')).toBeDefined();
    expect(age('r3')).toBeUndefined();
    expect(succeeded.find((e) => e.stepId === 'r3')!.outputs.value).toBe('touched');
  });

  it('never stands on a plan made after changes or with inputs known only at apply time', async () => {
    const world = worldWith({ x: 'one' });
    const { result, events } = await run(
      `
name: after-changes
steps:
  - { id: r1, uses: test.read, with: { key: x } }
  - { id: f, uses: test.fail, with: { key: f, failures: 0 } }
  - { id: r2, uses: test.read, with: { key: x, tag: "n\${{ steps.f.outputs.attempts }}" } }
  - { id: w, uses: test.set, with: { key: w, value: "1" } }
  - { id: r3, uses: test.read, with: { key: x, tag: after } }
`,
      { world, registry },
    );
    expect(result.outcome).toBe('succeeded');
    // Plan: r1 only (r2 deferred, r3 planned after changes). Apply: r2 and r3 read.
    expect(reads(world, 'x')).toBe(3);
    const planAge = (id: string) => ofType(events, 'step.succeeded').find((e) => e.stepId === id)!.planAgeMs;
    expect([planAge('r1') !== undefined, planAge('r2'), planAge('r3')]).toEqual([true, undefined, undefined]);
  });

  it('reads again when the plan is older than the freshness bound (minutes at a confirmation)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const runbook = `
name: stale
steps:
  - { id: r1, uses: test.read, with: { key: x } }
  - { id: confirm, uses: approve, with: { message: go? } }
  - { id: r2, uses: test.read, with: { key: x, tag: two } }
`;
    const longRead = worldWith({ x: 'one' });
    const slow = await run(runbook, {
      world: longRead,
      registry,
      confirm: async () => {
        vi.setSystemTime(Date.now() + PLAN_REUSE_FRESH_MS + 1);
        return true;
      },
    });
    expect(slow.result.outcome).toBe('succeeded');
    // r1 stands on the plan (before the confirmation); r2 reads again.
    expect(reads(longRead, 'x')).toBe(3);

    const quickRead = worldWith({ x: 'one' });
    const quick = await run(runbook, {
      world: quickRead,
      registry,
      confirm: async () => {
        vi.setSystemTime(Date.now() + PLAN_REUSE_FRESH_MS - 1_000);
        return true;
      },
    });
    expect(reads(quickRead, 'x')).toBe(2);
    expect(
      ofType(quick.events, 'step.succeeded').find((e) => e.stepId === 'r2')!.planAgeMs,
    ).toBeGreaterThanOrEqual(PLAN_REUSE_FRESH_MS - 1_000);
  });

  it('reads again when the input now differs from the one planned', async () => {
    const world = worldWith({ x: 'one', y: 'before' });
    const { result, events } = await run(
      `
name: input-differs
steps:
  - { id: confirm, uses: approve, with: { message: go? } }
  - { id: src, uses: test.read, with: { key: y, decline: true } }
  - { id: r, uses: test.read, with: { key: x, tag: "\${{ steps.src.outputs.value }}" } }
`,
      {
        world,
        registry,
        // Someone else changes y while the operator reads the plan: src reads it again.
        confirm: async () => {
          world.values.set('y', 'after');
          return true;
        },
      },
    );
    expect(result.outcome).toBe('succeeded');
    expect(reads(world, 'y')).toBe(2);
    expect(reads(world, 'x')).toBe(2);
    expect(ofType(events, 'step.succeeded').find((e) => e.stepId === 'r')!.planAgeMs).toBeUndefined();
  });

  it('reads again when the kind declines for this input', async () => {
    const world = worldWith({ x: 'one' });
    const { events } = await run(
      `
name: declines
steps:
  - { id: r, uses: test.read, with: { key: x, decline: true } }
`,
      { world, registry },
    );
    expect(reads(world, 'x')).toBe(2);
    expect(ofType(events, 'step.succeeded')[0]!.planAgeMs).toBeUndefined();
  });

  it('fails on the failed checks of the plan it stands on, exactly as on a fresh read', async () => {
    const runbook = (decline: boolean) => `
name: failing
steps:
  - { id: r, uses: test.read, with: { key: x, expect: two, decline: ${decline} } }
  - { id: never, uses: test.set, with: { key: never, value: "1" } }
`;
    const world = worldWith({ x: 'one' });
    const reused = await run(runbook(false), { world, registry });
    const fresh = await run(runbook(true), { world: worldWith({ x: 'one' }), registry });
    expect(reads(world, 'x')).toBe(1);
    expect(reused.result.outcome).toBe('failed');
    expect(world.values.has('never')).toBe(false);
    expect(reused.result.error?.code).toBe('FO_ENGINE_E1035');
    expect(reused.result.error?.message).toBe(fresh.result.error?.message);
    expect(reused.result.error?.message).toBe('check failed: x is two (one)');
    const failed = ofType(reused.events, 'step.failed')[0]!;
    expect(failed.planAgeMs).toBeGreaterThanOrEqual(0);
    expect(ofType(fresh.events, 'step.failed')[0]!.planAgeMs).toBeUndefined();
  });

  it('a retry reads again: only the first attempt stands on the plan', async () => {
    const world = worldWith({ x: 'one' });
    const { result, events } = await run(
      `
name: retried
steps:
  - id: r
    uses: test.read
    retry: { attempts: 3, backoff: 1ms }
    with: { key: x, expect: two }
`,
      { world, registry },
    );
    expect(result.outcome).toBe('failed');
    // The plan's read stands for attempt 1; attempts 2 and 3 read.
    expect(reads(world, 'x')).toBe(3);
    expect(ofType(events, 'step.retrying')).toHaveLength(2);
    expect(ofType(events, 'step.failed')[0]!.planAgeMs).toBeUndefined();
  });

  it('a retry that passes on a fresh read succeeds', async () => {
    const world = worldWith({ x: 'one' });
    const events: EngineEvent[] = [];
    const { result } = await run(
      `
name: recovers
steps:
  - id: r
    uses: test.read
    retry: { attempts: 2, backoff: 1ms }
    with: { key: x, expect: two }
`,
      {
        world,
        registry,
        emit: (event) => {
          events.push(event);
          if (event.type === 'step.retrying') world.values.set('x', 'two');
        },
      },
    );
    expect(result.outcome).toBe('succeeded');
    expect(reads(world, 'x')).toBe(2);
    expect(ofType(events, 'step.succeeded')[0]!.planAgeMs).toBeUndefined();
  });
});

describe('check.http reuse', () => {
  const plan = (ok: boolean) => ({
    summary: '',
    changes: [],
    converged: false,
    checks: [{ name: 'probe aws', ok, severity: 'warning' as const }],
  });
  const input = (within?: string) => httpCheck.input.parse({ probes: 'aws', ...(within ? { within } : {}) });

  it('stands on the plan without `within`, failing or not', () => {
    expect(httpCheck.reusePlan?.(input(), plan(false))).toBe(true);
    expect(httpCheck.reusePlan?.(input(), plan(true))).toBe(true);
  });

  it('with `within`, only when every probe passed (its turn waits for failing probes)', () => {
    expect(httpCheck.reusePlan?.(input('2m'), plan(true))).toBe(true);
    expect(httpCheck.reusePlan?.(input('2m'), plan(false))).toBe(false);
  });
});
