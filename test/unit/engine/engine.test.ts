/**
 * The engine with fake step kinds (test/unit/engine/fakes.ts): ordering, parallel groups,
 * timeouts, retries, onFailure, rollback, finally, dry-run, convergence, approval and interrupts.
 */

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { outcomeLabel } from '../../../src/engine/events.js';
import { planProblems, planWarnings, type RunPlan } from '../../../src/engine/plan.js';
import { backoffDelay } from '../../../src/engine/retry.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../../src/steps/types.js';
import { FAKE_KINDS, load, ofType, run, trace, World } from './fakes.js';

const THREE_STEPS = `
name: three
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: b, uses: test.set, with: { key: b, value: "\${{ steps.a.outputs.stamp }}" } }
  - { id: c, uses: test.set, with: { key: c, value: "3" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`;

describe('ordering', () => {
  it('runs steps one after the other, in file order, then finally', async () => {
    const { result, events, world } = await run(THREE_STEPS);
    expect(result.outcome).toBe('succeeded');
    expect(world.timeline).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(
      trace(events, ['run.started', 'run.planned', 'step.started', 'step.succeeded', 'run.finished']),
    ).toEqual([
      'run.started',
      'run.planned',
      'step.started:a',
      'step.succeeded:a',
      'step.started:b',
      'step.succeeded:b',
      'step.started:c',
      'step.succeeded:c',
      'step.started:bye',
      'step.succeeded:bye',
      'run.finished',
    ]);
  });

  it('passes outputs of earlier steps to later ones', async () => {
    const { result, world } = await run(THREE_STEPS);
    const stamp = result.outputs.a!.stamp;
    expect(stamp).toMatch(/^a-stamp-/);
    expect(world.values.get('b')).toBe(stamp);
    expect(result.outputs.b!.stamp).not.toBe(stamp);
  });

  it('skips a step whose `when` is false, at plan time and at apply time', async () => {
    const { result, events, world } = await run(`
name: when
params: { go: { type: boolean, default: false } }
steps:
  - { id: a, uses: test.set, when: "\${{ params.go }}", with: { key: a, value: "1" } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
`);
    expect(result.outcome).toBe('succeeded');
    expect(world.values.has('a')).toBe(false);
    expect(result.plan.steps[0]!.skipped).toMatch(/condition is false/);
    expect(ofType(events, 'step.skipped').map((e) => e.stepId)).toEqual(['a', 'a']);
    expect(world.values.get('b')).toBe('2');
  });
});

describe('parallel groups', () => {
  const GROUP = `
name: group
steps:
  - { id: before, uses: test.set, with: { key: before, value: "0" } }
  - id: pair
    parallel:
      - { id: left, uses: test.set, timeout: 2s, with: { key: left, value: "1", barrier: meet } }
      - { id: right, uses: test.set, timeout: 2s, with: { key: right, value: "2", barrier: meet } }
  - { id: after, uses: test.set, with: { key: after, value: "3" } }
`;

  it('runs the members at the same time (each waits for the other to arrive)', async () => {
    const { result, world } = await run(GROUP);
    // Run one after the other, the first member would wait for the second until its timeout.
    expect(result.outcome).toBe('succeeded');
    expect(world.maxInFlight).toBe(2);
    expect(world.timeline.slice(2, 4).sort()).toEqual(['start left', 'start right']);
  });

  it('starts the next entry only after every member finished', async () => {
    const { world } = await run(GROUP);
    expect(world.timeline[0]).toBe('start before');
    expect(world.timeline.indexOf('start after')).toBeGreaterThan(world.timeline.indexOf('end left'));
    expect(world.timeline.indexOf('start after')).toBeGreaterThan(world.timeline.indexOf('end right'));
  });
});

describe('per-step timeout', () => {
  it('aborts the step signal at the deadline and fails the step', async () => {
    const started = Date.now();
    const { result, events, world } = await run(`
name: timeout
steps:
  - { id: slow, uses: test.sleep, timeout: 50ms, with: { ms: 10000 } }
  - { id: never, uses: test.set, with: { key: never, value: "1" } }
`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.outcome).toBe('failed');
    expect(result.error?.code).toBe('FO_ENGINE_E1021');
    expect(result.error?.message).toBe('step "slow" timed out after 50ms');
    expect(world.timeline).toContain('sleep aborted: true');
    expect(ofType(events, 'step.failed').map((e) => e.stepId)).toEqual(['slow']);
    expect(world.values.has('never')).toBe(false);
  });

  it('settles at the deadline even when the step ignores its signal', async () => {
    const started = Date.now();
    const { result } = await run(`
name: stubborn
steps:
  - { id: stuck, uses: test.sleep, timeout: 50ms, with: { ms: 6000, ignoreSignal: true } }
`);
    expect(result.error?.code).toBe('FO_ENGINE_E1021');
    // Deadline plus the short grace for the step's own error, far from the step's 6 s.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('takes the timeout from an expression', async () => {
    const { result } = await run(
      `
name: expression-timeout
params: { limit: { type: duration, default: 40ms } }
steps:
  - { id: slow, uses: test.sleep, timeout: "\${{ params.limit }}", with: { ms: 10000 } }
`,
      { params: { limit: '40ms' } },
    );
    expect(result.error?.message).toBe('step "slow" timed out after 40ms');
  });

  it("uses the kind's default timeout when the runbook sets none", async () => {
    const quick = defineStep({
      kind: 'test.quick-default',
      description: 'short default timeout',
      mutating: false,
      defaultTimeoutMs: 30,
      input: z.strictObject({}),
      async plan() {
        return { summary: 'x', changes: [], converged: false };
      },
      async apply(ctx) {
        await ctx.sleep(5_000);
        return {};
      },
    });
    const registry = createRegistry([...FAKE_KINDS, quick] as StepKind<never>[]);
    const { result } = await run(`name: d\nsteps:\n  - { id: q, uses: test.quick-default }\n`, { registry });
    expect(result.error?.message).toBe('step "q" timed out after 30ms');
  });
});

describe('retry', () => {
  const flaky = (failures: number, retry: string, category = 'step-failed') => `
name: retry
steps:
  - id: flaky
    uses: test.fail
    ${retry}
    with: { key: flaky, failures: ${failures}, category: ${category} }
`;

  it('tries again with backoff until an attempt succeeds', async () => {
    const { result, events, world } = await run(flaky(2, 'retry: { attempts: 3, backoff: 1ms }'));
    expect(result.outcome).toBe('succeeded');
    expect(world.attempts.get('flaky')).toBe(3);
    expect(ofType(events, 'step.started').map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(ofType(events, 'step.retrying').map((e) => e.attempt)).toEqual([1, 2]);
    expect(result.outputs.flaky).toEqual({ attempts: 3 });
  });

  it('gives up after retry.attempts tries', async () => {
    const { result, events, world } = await run(flaky(1000, 'retry: { attempts: 4, backoff: 1ms }'));
    expect(result.outcome).toBe('failed');
    expect(world.attempts.get('flaky')).toBe(4);
    expect(ofType(events, 'step.failed')).toHaveLength(1);
    expect(result.error?.message).toBe('flaky: attempt 4 failed');
  });

  it('tries once without retry', async () => {
    const { world } = await run(flaky(1000, ''));
    expect(world.attempts.get('flaky')).toBe(1);
  });

  it('does not retry invalid input', async () => {
    const { result, world } = await run(flaky(1000, 'retry: { attempts: 5, backoff: 1ms }', 'invalid-input'));
    expect(world.attempts.get('flaky')).toBe(1);
    expect(result.error?.category).toBe('invalid-input');
  });

  it('grows the delay by the factor, with jitter, capped by maxBackoff', async () => {
    const { events } = await run(
      flaky(3, 'retry: { attempts: 4, backoff: 20ms, factor: 3, maxBackoff: 100ms }'),
    );
    const delays = ofType(events, 'step.retrying').map((e) => e.delayMs);
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(10);
    expect(delays[0]).toBeLessThanOrEqual(20);
    expect(delays[1]).toBeGreaterThanOrEqual(30);
    expect(delays[1]).toBeLessThanOrEqual(60);
    expect(delays[2]).toBeGreaterThanOrEqual(50); // 180 capped to 100, then 50–100 %
    expect(delays[2]).toBeLessThanOrEqual(100);
  });

  it('backoffDelay: base·factor^(n−1), capped, scaled by 50–100 %', () => {
    expect(backoffDelay(1, 1000, 2, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 2, 60_000, () => 1)).toBe(4000);
    expect(backoffDelay(3, 1000, 2, 60_000, () => 0)).toBe(2000);
    expect(backoffDelay(10, 1000, 2, 60_000, () => 1)).toBe(60_000);
  });
});

describe('onFailure', () => {
  const failing = (mode: string) => `
name: on-failure
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: f, uses: test.fail, onFailure: ${mode}, with: { key: f } }
  - { id: c, uses: test.set, with: { key: c, value: "3" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`;

  it('abort (the default) stops at the failed step, keeps what was done and runs finally', async () => {
    const { result, events, world } = await run(failing('abort'));
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['f']);
    expect(result.error?.code).toBe('FO_TEST_E9003');
    expect(world.values.get('a')).toBe('1');
    expect(world.values.has('c')).toBe(false);
    expect(trace(events, ['step.started'])).toEqual(['step.started:a', 'step.started:f', 'step.started:bye']);
    expect(ofType(events, 'run.finished')[0]!.outcome).toBe('failed');
  });

  it('continue records the failure and goes on', async () => {
    const { result, world } = await run(failing('continue'));
    expect(world.values.get('c')).toBe('3');
    expect(result.failedSteps).toEqual(['f']);
    expect(result.outcome).toBe('succeeded');
  });

  it('continue makes the run "succeeded with warnings": the failure is a first-class warning of the result', async () => {
    const { result, events } = await run(failing('continue'));
    expect(result.warnings).toEqual([expect.objectContaining({ stepId: 'f', code: 'FO_TEST_E9003' })]);
    expect(outcomeLabel(result.outcome, result.warnings)).toBe('succeeded with warnings');
    const finished = ofType(events, 'run.finished')[0]!;
    expect(finished.outcome).toBe('succeeded');
    expect(finished.warnings?.map((w) => w.stepId)).toEqual(['f']);
    // Without the failure, no warning: plain success.
    const clean = await run(
      failing('continue')
        .replace('uses: test.fail', 'uses: test.set')
        .replace('{ key: f }', '{ key: f, value: "2" }'),
    );
    expect(clean.result.warnings).toEqual([]);
    expect(outcomeLabel(clean.result.outcome, clean.result.warnings)).toBe('succeeded');
  });

  it("a change's plan warnings and a step's warnings about its end state are warnings of the run", async () => {
    const world = new World();
    world.values.set('same', 'ok');
    const { result, events } = await run(
      `
name: warned
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1", planWarning: "web stays at 0 once active" } }
  - { id: same, uses: test.set, with: { key: same, value: ok, planWarning: "nothing changes here" } }
  - { id: b, uses: test.set, with: { key: b, value: "2", endWarning: "log-agent runs on no node" } }
`,
      { world },
    );
    expect(result.outcome).toBe('succeeded');
    // The converged step changed nothing: its plan's warning says nothing about the run's result.
    expect(result.warnings).toEqual([
      { stepId: 'a', code: 'FO_ENGINE_W1015', message: 'web stays at 0 once active' },
      { stepId: 'b', code: 'FO_ENGINE_W1015', message: 'log-agent runs on no node' },
    ]);
    expect(outcomeLabel(result.outcome, result.warnings)).toBe('succeeded with warnings');
    expect(ofType(events, 'run.finished')[0]!.warnings?.map((w) => w.message)).toEqual([
      'web stays at 0 once active',
      'log-agent runs on no node',
    ]);
  });

  it('a warning note of the runbook is a warning of the run; a plan error of a continue step is a warning of the plan', async () => {
    const { result } = await run(`
name: noted
steps:
  - { id: w, uses: note, with: { message: "GKE CronJobs were NOT suspended", level: warn } }
  - { id: i, uses: note, with: { message: "just info" } }
`);
    expect(result.warnings).toEqual([
      expect.objectContaining({ stepId: 'w', message: 'GKE CronJobs were NOT suspended' }),
    ]);
    const error = { code: 'FO_GIT_E3125', category: 'invalid-input' as const, message: 'cannot fence' };
    const plan: RunPlan = {
      runId: 'r',
      runbook: { name: 'to-aws', file: 'to-aws.yaml' },
      params: {},
      steps: [
        { id: 'fence', kind: 'gitops.set-standby', mutating: true, error, onFailure: 'continue' },
        { id: 'x', kind: 'gitops.set-standby', mutating: true, error },
      ],
      finally: [],
    };
    // The rehearsal reports the fencing as the real run would: a warning, not a problem.
    expect(planWarnings(plan)).toEqual(['fence: cannot fence']);
    expect(planProblems(plan)).toEqual(['x: cannot fence']);
  });

  it('rollback undoes completed steps in reverse order, only those that changed something', async () => {
    const world = new World();
    world.values.set('conv', 'ok'); // already in the wanted state: nothing to undo
    const { result, events } = await run(
      `
name: rollback
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: n, uses: note, with: { message: read-only } }
  - { id: conv, uses: test.set, with: { key: conv, value: ok } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
  - { id: f, uses: test.fail, onFailure: rollback, with: { key: f } }
  - { id: never, uses: test.set, with: { key: never, value: "x" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`,
      { world },
    );
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['b', 'a']);
    expect(world.writes).toEqual(['set a=1', 'set b=2', 'restore b', 'restore a']);
    expect([...world.values]).toEqual([['conv', 'ok']]);
    expect(trace(events, ['step.rollback.started', 'step.rolled-back', 'step.started']).slice(-5)).toEqual([
      'step.rollback.started:b',
      'step.rolled-back:b',
      'step.rollback.started:a',
      'step.rolled-back:a',
      'step.started:bye',
    ]);
  });

  it('a failed undo makes the outcome failed; the other undos still run', async () => {
    const { result, events, world } = await run(`
name: rollback-fails
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: b, uses: test.set, with: { key: b, value: "2", failRollback: true } }
  - { id: f, uses: test.fail, onFailure: rollback, with: { key: f } }
`);
    expect(result.outcome).toBe('failed');
    expect(ofType(events, 'step.rollback.failed').map((e) => [e.stepId, e.error.code])).toEqual([
      ['b', 'FO_TEST_E9001'],
    ]);
    expect(result.rolledBack).toEqual(['a']);
    expect(world.values.has('a')).toBe(false);
    expect(world.values.get('b')).toBe('2');
  });

  it("a group's onFailure applies to its members", async () => {
    const { result, world } = await run(`
name: group-rollback
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - id: pair
    onFailure: rollback
    parallel:
      - { id: x, uses: test.set, with: { key: x, value: "1" } }
      - { id: f, uses: test.fail, with: { key: f } }
`);
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['x', 'a']);
    expect(world.values.size).toBe(0);
  });
});

describe('finally', () => {
  const withFinally = (steps: string) => `
name: finally
steps:
${steps}
finally:
  - { id: first-final, uses: test.fail, with: { key: ff, failures: 0 } }
  - { id: last-final, uses: note, with: { message: "always" } }
`;
  const finals = (events: Parameters<typeof ofType>[0]) =>
    ofType(events, 'step.succeeded')
      .map((e) => e.stepId)
      .filter((id) => id.endsWith('-final'));

  it('runs after success', async () => {
    const { events } = await run(withFinally('  - { id: a, uses: test.set, with: { key: a, value: "1" } }'));
    expect(finals(events)).toEqual(['first-final', 'last-final']);
  });

  it('runs after a failed step', async () => {
    const { result, events } = await run(withFinally('  - { id: f, uses: test.fail, with: { key: f } }'));
    expect(result.outcome).toBe('failed');
    expect(finals(events)).toEqual(['first-final', 'last-final']);
  });

  it('runs when a step cannot even be planned', async () => {
    const broken = defineStep({
      kind: 'test.unplannable',
      description: 'plan throws',
      mutating: true,
      input: z.strictObject({}),
      async plan(): Promise<never> {
        throw new Error('cannot read the current state');
      },
    });
    const registry = createRegistry([...FAKE_KINDS, broken] as StepKind<never>[]);
    const { result, events, world } = await run(withFinally('  - { id: u, uses: test.unplannable }'), {
      registry,
    });
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toMatch(/cannot plan step "u": cannot read the current state/);
    expect(finals(events)).toEqual(['first-final', 'last-final']);
    expect(world.writes).toEqual([]);
  });

  it('a failing finally step fails a successful run, and the later finally steps still run', async () => {
    const { result, events } = await run(`
name: finally-fails
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
finally:
  - { id: broken-final, uses: test.fail, with: { key: bf } }
  - { id: last-final, uses: note, with: { message: "always" } }
`);
    expect(result.outcome).toBe('failed');
    expect(result.failedSteps).toEqual(['broken-final']);
    expect(finals(events)).toEqual(['last-final']);
  });
});

describe('dry-run', () => {
  it('plans every step and never opens the write side', async () => {
    const { result, events, world, process } = await run(THREE_STEPS, { dryRun: true });
    expect(result.outcome).toBe('planned');
    expect(process.openWriteCalls).toBe(0);
    expect(world.writes).toEqual([]);
    expect(world.timeline).toEqual([]);
    expect(ofType(events, 'step.started')).toEqual([]);
    const [a, b, c] = result.plan.steps;
    expect(a!.plan!.changes).toEqual([{ action: 'create', resource: 'key a', summary: '1' }]);
    // b's value is an output of a, known only after a applied.
    expect(b!.plan!.deferred).toEqual(['steps.a.outputs.stamp']);
    expect(c!.plan!.converged).toBe(false);
    expect(result.plan.finally.map((s) => s.id)).toEqual(['bye']);
  });

  it('gives plan() no write side at all', async () => {
    const seen: string[][] = [];
    const probe = defineStep({
      kind: 'test.probe',
      description: 'records its plan context',
      mutating: true,
      input: z.strictObject({}),
      async plan(ctx) {
        seen.push(Object.keys(ctx).sort());
        return { summary: 'probe', changes: [], converged: true };
      },
    });
    const registry = createRegistry([...FAKE_KINDS, probe] as StepKind<never>[]);
    await run('name: p\nsteps:\n  - { id: p, uses: test.probe }\n', { registry, dryRun: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toContain('write');
    expect(seen[0]).not.toContain('confirm');
  });

  it('reports plan problems as a failed dry-run', async () => {
    const { result } = await run(
      `
name: bad-plan
steps:
  - { id: a, uses: test.set, with: { key: a, value: "\${{ params.v }}" } }
params: { v: { type: number, default: 5 } }
`,
      { dryRun: true, params: { v: 5 } },
    );
    expect(result.outcome).toBe('planned');
    expect(result.error?.code).toBe('FO_ENGINE_E1030');
    expect(result.plan.steps[0]!.error?.problems?.[0]).toMatchObject({
      path: 'steps[0].with.value',
      file: 'test.yaml',
      line: 4,
    });
  });
});

describe('convergence', () => {
  it('does not apply a step whose goal already holds', async () => {
    const world = new World();
    world.values.set('a', '1');
    const { events } = await run(
      `
name: half-done
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: c, uses: test.set, with: { key: c, value: "3" } }
`,
      { world },
    );
    expect(world.applies.get('a')).toBeUndefined();
    expect(world.applies.get('c')).toBe(1);
    const succeeded = ofType(events, 'step.succeeded');
    expect(succeeded.find((e) => e.stepId === 'a')!.converged).toBe(true);
    expect(succeeded.find((e) => e.stepId === 'c')!.converged).toBe(false);
  });

  it('opens no write side when everything is already done', async () => {
    const world = new World();
    world.values.set('a', '1');
    world.values.set('c', '3');
    const { result, process } = await run(
      `
name: converged
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: c, uses: test.set, with: { key: c, value: "3" } }
`,
      { world },
    );
    expect(result.outcome).toBe('succeeded');
    expect(process.openWriteCalls).toBe(0);
    expect(world.writes).toEqual([]);
  });
});

describe('approval', () => {
  const APPROVE = `
name: approve
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1" } }
  - { id: ok, uses: approve, with: { message: "Move traffic?", expect: aws } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`;

  it('without a TTY and without --yes fails before any change', async () => {
    let asked = false;
    const { result, events, world, process } = await run(APPROVE, {
      canConfirm: false,
      confirm: async () => {
        asked = true;
        return true;
      },
    });
    expect(result.outcome).toBe('aborted');
    expect(result.error?.code).toBe('FO_ENGINE_E1031');
    expect(result.error?.category).toBe('invalid-input');
    expect(result.error?.hint).toMatch(/--yes/);
    expect(asked).toBe(false);
    expect(process.openWriteCalls).toBe(0);
    expect(world.writes).toEqual([]);
    expect(ofType(events, 'step.started')).toEqual([]);
  });

  it('on a terminal with CI set, says CI is why nothing is asked', async () => {
    const { result, world } = await run(APPROVE, {
      canConfirm: false,
      cannotConfirm: {
        reason: 'CI=true is set, so failover asks nothing even on this terminal',
        hint: 'pass --yes to confirm in automation, or unset CI to answer at this terminal',
      },
    });
    expect(result.error?.code).toBe('FO_ENGINE_E1031');
    expect(result.error?.message).toBe(
      'step "ok" asks for confirmation, but CI=true is set, so failover asks nothing even on this terminal',
    );
    expect(result.error?.hint).toMatch(/unset CI/);
    expect(world.writes).toEqual([]);
  });

  it('asks with the message and the word to type; a refusal aborts the run', async () => {
    const asked: unknown[] = [];
    const { result, world } = await run(APPROVE, {
      confirm: async (request) => {
        asked.push(request);
        return false;
      },
    });
    expect(asked).toEqual([{ message: 'Move traffic?', expect: 'aws' }]);
    expect(result.outcome).toBe('aborted');
    expect(result.error?.code).toBe('FO_APPROVE_E1101');
    expect(world.values.has('b')).toBe(false);
  });

  it('goes on when confirmed', async () => {
    const { result, world } = await run(APPROVE);
    expect(result.outcome).toBe('succeeded');
    expect(result.outputs.ok).toEqual({ approvedBy: 'tester', decisionMs: expect.any(Number) });
    expect(world.values.get('b')).toBe('2');
  });
});

describe('interrupt (SIGINT)', () => {
  const LONG = (aInput: string) => `
name: interrupt
steps:
  - { id: a, uses: test.set, with: { key: a, value: "1", ${aInput} } }
  - { id: b, uses: test.set, with: { key: b, value: "2" } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`;

  function interruptOnApply(world: World, key: string): AbortController {
    const controller = new AbortController();
    world.onApplyStart = (k) => {
      if (k === key) controller.abort('SIGINT');
    };
    return controller;
  }

  it('lets the in-flight step finish within the grace period, then stops, runs finally and says how to resume', async () => {
    const world = new World();
    const controller = interruptOnApply(world, 'a');
    const { result, events } = await run(LONG('slow: 100'), {
      world,
      interrupt: controller.signal,
      interruptGraceMs: 5_000,
    });
    expect(result.outcome).toBe('interrupted');
    expect(result.error?.code).toBe('FO_ENGINE_E1033');
    expect(world.values.get('a')).toBe('1'); // finished: its signal was not aborted at once
    expect(world.values.has('b')).toBe(false);
    const interrupted = ofType(events, 'run.interrupted');
    expect(interrupted).toEqual([
      expect.objectContaining({
        signal: 'SIGINT',
        inFlight: [],
        resumeCommand: 'failover resume 20260101T000000Z-test',
      }),
    ]);
    expect(
      trace(events)
        .filter((t) => !t.startsWith('step.message'))
        .slice(-5),
    ).toEqual([
      'step.succeeded:a',
      'run.interrupted',
      'step.started:bye',
      'step.succeeded:bye',
      'run.finished',
    ]);
  });

  it('abandons an in-flight step that outlasts the grace period', async () => {
    const world = new World();
    const controller = interruptOnApply(world, 'a');
    const started = Date.now();
    const { result, events } = await run(LONG('slow: 10000'), {
      world,
      interrupt: controller.signal,
      interruptGraceMs: 50,
      resumeCommand: 'failover resume X --config c.yaml',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.outcome).toBe('interrupted');
    expect(ofType(events, 'step.failed').map((e) => [e.stepId, e.error.code])).toEqual([
      ['a', 'FO_ENGINE_E1034'],
    ]);
    expect(ofType(events, 'run.interrupted')[0]).toMatchObject({
      inFlight: ['a'],
      resumeCommand: 'failover resume X --config c.yaml',
    });
    expect(ofType(events, 'step.succeeded').map((e) => e.stepId)).toEqual(['bye']);
    expect(world.values.size).toBe(0);
  });

  it('abandons a read-only step at once: there is no change in progress to wait for', async () => {
    const controller = new AbortController();
    const runPromise = run(
      `
name: interrupt-read-only
steps:
  - { id: nap, uses: test.sleep, with: { ms: 10000 } }
finally:
  - { id: bye, uses: note, with: { message: bye } }
`,
      { interrupt: controller.signal, interruptGraceMs: 10_000 },
    );
    setTimeout(() => controller.abort('SIGINT'), 50);
    const started = Date.now();
    const { result, events, world } = await runPromise;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.outcome).toBe('interrupted');
    expect(world.timeline).toEqual(['sleep start', 'sleep aborted: true']);
    expect(ofType(events, 'run.interrupted')[0]!.inFlight).toEqual(['nap']);
    expect(ofType(events, 'step.succeeded').map((e) => e.stepId)).toEqual(['bye']);
  });

  it('abandons planning at once: nothing ran, nothing to resume, the finally steps are not needed', async () => {
    const controller = new AbortController();
    const runPromise = run(
      `
name: interrupt-planning
steps:
  - { id: slow-check, uses: test.sleep, with: { ms: 30000, inPlan: true } }
  - { id: change, uses: test.set, with: { key: k, value: v } }
`,
      { interrupt: controller.signal, interruptGraceMs: 10_000 },
    );
    setTimeout(() => controller.abort('SIGINT'), 50);
    const { result, events, world } = await runPromise;
    expect(result.outcome).toBe('aborted');
    expect(result.error?.message).toMatch(/interrupted while planning: nothing was changed/);
    expect(world.timeline).toEqual(['plan sleep start']);
    expect(world.values.size).toBe(0);
    expect(ofType(events, 'step.started')).toEqual([]);
    expect(ofType(events, 'run.interrupted')).toEqual([]);
  });

  it('stops waiting between retries', async () => {
    const controller = new AbortController();
    const runPromise = run(
      `
name: interrupt-retry
steps:
  - { id: f, uses: test.fail, retry: { attempts: 5, backoff: 10s }, with: { key: f } }
`,
      { interrupt: controller.signal },
    );
    setTimeout(() => controller.abort('SIGTERM'), 50);
    const started = Date.now();
    const { result, world, events } = await runPromise;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.outcome).toBe('interrupted');
    expect(world.attempts.get('f')).toBe(1);
    expect(ofType(events, 'run.interrupted')[0]).toMatchObject({ signal: 'SIGTERM', inFlight: ['f'] });
  });

  it('starts no step, not even finally, when interrupted before the first one', async () => {
    const controller = new AbortController();
    controller.abort('SIGINT');
    const { result, world, events } = await run(LONG('slow: 0'), { interrupt: controller.signal });
    expect(result.outcome).toBe('aborted');
    expect(world.writes).toEqual([]);
    expect(trace(events, ['step.started'])).toEqual([]);
  });
});

describe('plan-time input checks', () => {
  it('rejects an input that resolves to the wrong type, with the field path and position', async () => {
    const loaded = load(`
name: typed
params: { n: { type: number, default: 3 } }
steps:
  - id: wait
    uses: wait
    with:
      duration: "\${{ params.n == 3 }}"
`);
    const { result } = await run(loaded, { params: { n: 3 } });
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toMatch(/cannot plan step "wait": invalid input for step "wait"/);
    expect(result.error?.problems[0]).toMatchObject({ path: 'steps[0].with.duration', line: 8, column: 17 });
  });
});
