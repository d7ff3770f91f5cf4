/**
 * `failover to-aws` killed with SIGKILL at each step boundary, then `failover resume`: the resumed
 * run reaches the end state of an uninterrupted one, from the same journal and lock. One sandbox
 * serves the cases one after another, reset to its seed before each (branch, lock, Route 53, Argo
 * CD, outages, state directory), so every case starts from the world a fresh sandbox would give it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../src/sandbox/gitops-demo/index.js';
import {
  cli,
  endState,
  failedOverState,
  finished,
  journal,
  killAfterSucceeded,
  LOCK_REF,
  startCli,
  stopWorlds,
  succeededSteps,
  summaryOf,
  types,
  worldPool,
} from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

// The cost of a case is CPU (two CLI runs), so running them side by side gains little on a small
// machine; one at a time, a case's timeout measures the case and not a queue.
const pool = worldPool(1);

beforeAll(() => assertBuilt());
afterAll(async () => {
  await pool.close();
  await stopWorlds();
  removeTempDirs();
});

describe.sequential('SIGKILL at each step boundary of to-aws, then `failover resume`', () => {
  // The top-level steps of to-aws with GKE down, in order; the health checks run in parallel. A case kills the run right after one of them succeeded, while the next one
  // starts. The boundary after `unlock` cannot be hit: its step.succeeded and run.finished are
  // written in the same tick.
  const order = [
    ['lock'],
    ['before'],
    ['aws-cluster', 'aws-endpoints-before', 'aws-portable', 'gke-cluster'],
    ['confirm'],
    // The warning that GKE has not seen the fence yet follows the fence in the same moment.
    ['fence-gke', 'fencing-pending'],
    ['activate-aws'],
    ['aws-running'],
    ['aws-endpoints'],
    ['aws-metrics'],
    ['shift'],
    ['dns'],
    ['verify'],
    ['aws-metrics-after'],
  ];
  // The steps that change something (the lock, git, Route 53 weights).
  const CHANGING = new Set(['lock', 'fence-gke', 'activate-aws', 'shift']);
  // Inside a run of steps that change nothing (before the confirmation: before, the health checks;
  // after the activation: the wait, aws-endpoints, aws-metrics; after the shift: dns, verify,
  // aws-metrics-after) a resume re-plans the same read-only steps wherever the kill fell, so the
  // boundaries at the two ends of each run stand for those inside it. Every boundary before and
  // after a step that changes something is a case of its own.
  const sameAsNext = new Set([
    'before',
    'aws-cluster',
    'aws-running',
    'aws-endpoints',
    'dns',
    'aws-metrics-after',
  ]);
  const boundaries = order
    .map((after, i) => ({ name: after.length === 4 ? 'the health checks' : after.join(' and '), i }))
    .filter(({ i }) => !sameAsNext.has(order[i]![0]!));
  it.each(boundaries)(
    'killed right after $name: resume reaches the end state of an uninterrupted run',
    ({ i }) =>
      pool.use(async (world) => {
        world.sandbox.outage('gke', true);
        const running = startCli(world, ['to-aws', '--yes', '--incident', 'INC-9']);
        const after = order[i]!;
        const { runId, atKill } = await killAfterSucceeded(world, running, after);
        const killed = await running.exited;
        expect(killed.signal).toBe('SIGKILL');
        const done = succeededSteps(atKill);
        expect(done).toEqual(expect.arrayContaining(after));
        // Killed at that boundary: the read-only steps right after it may be done too (their plans
        // made moments before are reused: they take no time, less than the kill takes to land),
        // and the next step that changes something may be under way (or done); none after it.
        const nextChange = order.findIndex((ids, k) => k > i && ids.some((id) => CHANGING.has(id)));
        const tooFar = order.slice(nextChange === -1 ? order.length : nextChange + 1).flat();
        expect(done.filter((id) => tooFar.includes(id))).toEqual([]);
        expect(types(atKill)).not.toContain('run.finished');
        // The dead run still holds its lock, under its own run id; its journal has no end.
        const lock = JSON.parse(
          (await git(['--git-dir', world.sandbox.info.git.remote, 'show', `${LOCK_REF}:lock.json`])).stdout,
        ) as { runId: string };
        expect(lock.runId).toBe(runId);
        expect(summaryOf(world, runId)?.outcome).toBe('running');

        // The resumed run asks for its confirmation again (the world may have moved): --yes answers it.
        const resumed = await cli(world, ['resume', runId, '--yes']);
        expect(resumed.code, `killed after ${done.join(', ')}\n${resumed.stdout}\n${resumed.stderr}`).toBe(0);
        // The resumed part works for the same incident: its commit names it too.
        expect(await endState(world)).toEqual(failedOverState(world, 'INC-9'));

        const events = journal(world, runId);
        const starts = events.flatMap((e) => (e.type === 'run.started' ? [e.resumedFrom] : []));
        expect(starts).toEqual([undefined, runId]);
        const incidents = events.flatMap((e) => (e.type === 'run.started' ? [e.incident] : []));
        expect(incidents).toEqual(['INC-9', 'INC-9']);
        expect(finished(events)).toMatchObject({ outcome: 'succeeded' });
        expect(summaryOf(world, runId)?.outcome).toBe('succeeded');
      }),
    240_000,
  );
});
