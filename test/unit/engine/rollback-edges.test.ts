/**
 * The engine's failure paths in the words an operator reads: onFailure decided by a parameter
 * (rollback, continue, anything else aborts), and the error and resume hint of an interrupted run.
 */
import { describe, expect, it } from 'vitest';
import { ofType, run, World } from './fakes.js';

const decided = `
name: decided
params:
  how: { type: string, default: abort }
steps:
  - { id: a, uses: test.set, with: { key: a, value: "2" } }
  - { id: f, uses: test.fail, onFailure: "\${{ params.how }}", with: { key: f } }
`;

describe('onFailure decided by a parameter', () => {
  it('rollback undoes the completed steps', async () => {
    const world = new World();
    world.values.set('a', '1');
    const { result } = await run(decided, { world, params: { how: 'rollback' } });
    expect(result.outcome).toBe('rolled-back');
    expect(result.rolledBack).toEqual(['a']);
    expect(world.values.get('a')).toBe('1');
  });

  it('continue carries on and reports a warning', async () => {
    const { result } = await run(decided, { params: { how: 'continue' } });
    expect(result.outcome).toBe('succeeded');
    expect(result.warnings.map((w) => w.stepId)).toEqual(['f']);
  });

  it('any other value aborts, keeping what was done for a resume', async () => {
    const world = new World();
    world.values.set('a', '1');
    const { result } = await run(decided, { world, params: { how: 'roll back please' } });
    expect(result.outcome).toBe('failed');
    expect(result.rolledBack).toEqual([]);
    expect(world.values.get('a')).toBe('2');
  });
});

describe('an interrupted run', () => {
  const slow = `
name: slow
steps:
  - { id: a, uses: test.set, with: { key: a, value: "2" } }
  - { id: s, uses: test.sleep, with: { ms: 5000 } }
`;

  it('says the operator interrupted it and how to resume it', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('SIGINT'), 100);
    const { result, events } = await run(slow, {
      interrupt: controller.signal,
      runId: '20260301T101010Z-intr',
    });
    expect(result.outcome).toBe('interrupted');
    expect(result.error).toMatchObject({
      code: 'FO_ENGINE_E1033',
      category: 'aborted',
      message: 'the run was interrupted by the operator',
      hint: 'run `failover resume 20260301T101010Z-intr` to continue where it stopped',
    });
    expect(ofType(events, 'run.interrupted')[0]).toMatchObject({
      signal: 'SIGINT',
      inFlight: ['s'],
      resumeCommand: 'failover resume 20260301T101010Z-intr',
    });
  });

  it('names the resume command it was given', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('SIGTERM'), 100);
    const { result } = await run(slow, {
      interrupt: controller.signal,
      resumeCommand: 'failover resume --config prod.yaml 20260101T000000Z-test',
    });
    expect(result.error?.hint).toBe(
      'run `failover resume --config prod.yaml 20260101T000000Z-test` to continue where it stopped',
    );
  });
});
