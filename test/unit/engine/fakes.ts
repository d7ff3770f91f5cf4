/**
 * Fake step kinds and ports for engine tests. The "world" is a key-value store the fake steps
 * converge; its write side records every call, and a process can "die" (simulated crash), after
 * which its ports and its journal stop having any effect.
 */
import { z } from 'zod';
import { Config } from '../../../src/config/schema.js';
import { type EngineOptions, executeRun, type RunResult } from '../../../src/engine/engine.js';
import { invalidInput, stepFailed } from '../../../src/engine/errors.js';
import type { EngineEvent, EventOf, Json } from '../../../src/engine/events.js';
import type { Ports, ReadPorts, WritePorts } from '../../../src/providers/ports.js';
import { type LoadedRunbook, parseRunbook } from '../../../src/runbook/load.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { defineStep, type PlanContext, type StepKind, type StepRegistry } from '../../../src/steps/types.js';

export class World {
  readonly values = new Map<string, string>();
  /** Successful writes per key: how often a step's apply really changed the world. */
  readonly applies = new Map<string, number>();
  /** Every write-side call, in order, as `set a=1` / `restore a`. */
  readonly writes: string[] = [];
  /** Attempts per fail-step key. */
  readonly attempts = new Map<string, number>();
  /** Keys in the order their apply started and finished (to see overlap). */
  readonly timeline: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private seq = 0;
  /** Called when an apply starts (tests hook interrupts here). */
  onApplyStart: (key: string) => void = () => {};
  private readonly arrivals = new Map<string, { count: number; release: () => void; done: Promise<void> }>();

  nextStamp(key: string): string {
    this.seq += 1;
    return `${key}-stamp-${this.seq}`;
  }

  /** Resolves once `count` callers arrived at the barrier `name`. */
  arrive(name: string, count: number): Promise<void> {
    let entry = this.arrivals.get(name);
    if (!entry) {
      let release = () => {};
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      entry = { count: 0, release, done };
      this.arrivals.set(name, entry);
    }
    entry.count += 1;
    if (entry.count >= count) entry.release();
    return entry.done;
  }
}

/** One "process": its ports act on the world only while it is alive. */
export class Process {
  dead = false;
  openWriteCalls = 0;

  constructor(readonly world: World) {}

  ports(): Ports {
    const read: FakeRead = { world: this.world, process: this };
    return {
      read: read as unknown as ReadPorts,
      openWrite: () => {
        this.openWriteCalls += 1;
        const write: FakeWrite = {
          set: (key, value) => {
            if (this.dead) return;
            this.world.writes.push(`set ${key}=${value}`);
            this.world.values.set(key, value);
            this.world.applies.set(key, (this.world.applies.get(key) ?? 0) + 1);
          },
          restore: (key, previous) => {
            if (this.dead) return;
            this.world.writes.push(`restore ${key}`);
            if (previous === null) this.world.values.delete(key);
            else this.world.values.set(key, previous);
          },
        };
        return write as unknown as WritePorts;
      },
    };
  }
}

export interface FakeRead {
  world: World;
  process: Process;
}

export interface FakeWrite {
  set(key: string, value: string): void;
  restore(key: string, previous: string | null): void;
}

const readOf = (ctx: PlanContext) => ctx.read as unknown as FakeRead;

/**
 * `test.set`: converges `key` to `value`. apply() returns a stamp only it knows (so a resumed run can
 * only have it from the journal) and undo data; rollback() restores the previous value. (Not called
 * `token`: the journal masks fields named like secrets, so such an output would resume as `***`.)
 */
export const setStep = defineStep({
  kind: 'test.set',
  description: 'set a key in the fake world',
  mutating: true,
  input: z.strictObject({
    key: z.string(),
    value: z.string(),
    /** Milliseconds apply() takes, honouring the signal. */
    slow: z.number().default(0),
    /** Milliseconds apply() takes, ignoring the signal (a call that cannot be cancelled). */
    stubborn: z.number().default(0),
    /** Rollback of this key fails. */
    failRollback: z.boolean().default(false),
    /** Barrier name: apply() waits until `barrierCount` applies arrived. */
    barrier: z.string().optional(),
    barrierCount: z.number().default(2),
    /** A warning of the plan (about what the change does), and one of apply (about its end state). */
    planWarning: z.string().optional(),
    endWarning: z.string().optional(),
  }),
  async plan(ctx, input) {
    const current = readOf(ctx).world.values.get(input.key);
    const converged = current === input.value;
    return {
      ...(input.planWarning ? { warnings: [input.planWarning] } : {}),
      summary: `${input.key} = ${input.value}`,
      changes: converged
        ? []
        : [
            {
              action: current === undefined ? 'create' : 'update',
              resource: `key ${input.key}`,
              summary: input.value,
            },
          ],
      converged,
    };
  },
  async apply(ctx, input) {
    const { world } = readOf(ctx);
    world.onApplyStart(input.key);
    world.timeline.push(`start ${input.key}`);
    world.inFlight += 1;
    world.maxInFlight = Math.max(world.maxInFlight, world.inFlight);
    try {
      if (input.barrier) {
        await Promise.race([
          world.arrive(input.barrier, input.barrierCount),
          new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
        ]);
      }
      if (input.slow) await ctx.sleep(input.slow);
      if (input.stubborn) await new Promise((resolve) => setTimeout(resolve, input.stubborn));
      const previous = world.values.get(input.key) ?? null;
      const write = ctx.write as unknown as FakeWrite;
      write.set(input.key, input.value);
      return {
        outputs: { stamp: world.nextStamp(input.key) },
        undo: { previous },
        ...(input.endWarning ? { warnings: [input.endWarning] } : {}),
      };
    } finally {
      world.inFlight -= 1;
      world.timeline.push(`end ${input.key}`);
    }
  },
  async rollback(ctx, input, undo) {
    if (input.failRollback) throw stepFailed('FO_TEST_E9001', `cannot restore ${input.key}`);
    const previous = (undo as { previous: string | null }).previous;
    (ctx.write as unknown as FakeWrite).restore(input.key, previous);
  },
});

/** `test.fail`: fails its first `failures` attempts (or always), then succeeds. Read-only. */
export const failStep = defineStep({
  kind: 'test.fail',
  description: 'fails on purpose',
  mutating: false,
  input: z.strictObject({
    key: z.string(),
    failures: z.number().default(1_000),
    category: z.enum(['step-failed', 'invalid-input']).default('step-failed'),
  }),
  async plan(_ctx, input) {
    return { summary: `fails ${input.failures} time(s)`, changes: [], converged: false };
  },
  async apply(ctx, input) {
    const { world } = readOf(ctx);
    const attempt = (world.attempts.get(input.key) ?? 0) + 1;
    world.attempts.set(input.key, attempt);
    if (attempt <= input.failures) {
      throw input.category === 'invalid-input'
        ? invalidInput('FO_TEST_E9002', `${input.key}: bad input`)
        : stepFailed('FO_TEST_E9003', `${input.key}: attempt ${attempt} failed`);
    }
    return { outputs: { attempts: attempt } };
  },
});

/** `test.sleep`: read-only; plan or apply sleeps (honouring the signal) and records whether it was aborted. */
export const sleepStep = defineStep({
  kind: 'test.sleep',
  description: 'sleeps',
  mutating: false,
  defaultTimeoutMs: 60_000,
  input: z.strictObject({
    ms: z.number(),
    ignoreSignal: z.boolean().default(false),
    /** Sleep while the whole run is planned (a check that waits), not only when the step runs. */
    inPlan: z.boolean().default(false),
  }),
  async plan(ctx, input) {
    if (input.inPlan && ctx.phase === 'plan') {
      const { world } = readOf(ctx);
      world.timeline.push('plan sleep start');
      await ctx.sleep(input.ms);
      world.timeline.push('plan sleep end');
    }
    return { summary: 'sleep', changes: [], converged: false };
  },
  async apply(ctx, input) {
    const { world } = readOf(ctx);
    world.timeline.push('sleep start');
    try {
      if (input.ignoreSignal) await new Promise((resolve) => setTimeout(resolve, input.ms));
      else await ctx.sleep(input.ms);
    } catch (error) {
      world.timeline.push(`sleep aborted: ${ctx.signal.aborted}`);
      throw error;
    }
    world.timeline.push('sleep end');
    return {};
  },
});

export const FAKE_KINDS = [setStep, failStep, sleepStep] as StepKind<never>[];

export function fakeRegistry(): StepRegistry {
  return createRegistry(FAKE_KINDS);
}

export function load(yaml: string, registry: StepRegistry = fakeRegistry()): LoadedRunbook {
  return parseRunbook(yaml, 'test.yaml', registry);
}

export interface Harness {
  result: RunResult;
  events: EngineEvent[];
  world: World;
  process: Process;
}

export interface RunOptions extends Partial<Omit<EngineOptions, 'loaded' | 'run'>> {
  world?: World;
  process?: Process;
  dryRun?: boolean;
  runId?: string;
}

export async function run(yaml: string | LoadedRunbook, options: RunOptions = {}): Promise<Harness> {
  const registry = options.registry ?? fakeRegistry();
  const loaded = typeof yaml === 'string' ? load(yaml, registry) : yaml;
  const world = options.world ?? options.process?.world ?? new World();
  const proc = options.process ?? new Process(world);
  const events: EngineEvent[] = [];
  const result = await executeRun({
    loaded,
    params: options.params ?? {},
    config: options.config ?? Config.parse({}),
    registry,
    ports: options.ports ?? proc.ports(),
    run: {
      id: options.runId ?? '20260101T000000Z-test',
      operator: 'tester',
      dryRun: options.dryRun ?? false,
      runbook: loaded.runbook.name,
      host: 'test-host',
    },
    emit:
      options.emit ??
      ((event) => {
        events.push(event);
      }),
    confirm: options.confirm ?? (async () => true),
    canConfirm: options.canConfirm ?? true,
    ...(options.cannotConfirm ? { cannotConfirm: options.cannotConfirm } : {}),
    interrupt: options.interrupt ?? new AbortController().signal,
    ...(options.interruptGraceMs !== undefined ? { interruptGraceMs: options.interruptGraceMs } : {}),
    ...(options.resume ? { resume: options.resume } : {}),
    ...(options.resumeCommand ? { resumeCommand: options.resumeCommand } : {}),
  });
  return { result, events, world, process: proc };
}

export function ofType<T extends EngineEvent['type']>(events: EngineEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

/** `type:stepId` for step events, `type` for run events: a compact trace to compare. */
export function trace(events: EngineEvent[], types?: EngineEvent['type'][]): string[] {
  return events
    .filter((e) => !types || types.includes(e.type))
    .map((e) => ('stepId' in e ? `${e.type}:${e.stepId}` : e.type));
}

export type Outputs = Record<string, Record<string, Json>>;
