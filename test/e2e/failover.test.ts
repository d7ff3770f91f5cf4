/**
 * The failover itself, end to end: `failover to-aws` / `to-gcp` / `resume` spawned as an operator
 * runs them, against the sandbox's emulators running in this process with short timings. Every
 * outcome is checked where it happens (Route 53 weights, Argo CD workloads, the git remote's
 * overlay and lock ref, the journal), not only in what the tool prints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { git } from '../../src/sandbox/gitops-demo/index.js';
import {
  AWS_OVERLAY,
  awsWorkloads,
  cli,
  commitsSinceSeed,
  endState,
  FAST_TIMINGS,
  failedOverState,
  GCP_OVERLAY,
  journal,
  killAfterSucceeded,
  LOCK_REF,
  limiter,
  listedRuns,
  lockHeld,
  mutatingRequests,
  remoteFile,
  remoteHead,
  remoteRefs,
  runIdIn,
  STANDBY_ENTRIES,
  standbyEntriesIn,
  startCli,
  startWorld,
  stopWorlds,
  summaryOf,
  type World,
  waitUntil,
  weights,
  withWorld,
} from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

/** Each CLI run takes seconds here, several when the machine is busy. */
const SLOW = { timeout: 90_000 };

const types = (events: EngineEvent[]) => events.map((e) => e.type);
const finished = (events: EngineEvent[]) => events.findLast((e) => e.type === 'run.finished');
const succeededSteps = (events: EngineEvent[]) =>
  events.flatMap((e) => (e.type === 'step.succeeded' ? [e.stepId] : []));

/** The outcome `failover runs` lists for a run. */
async function listedOutcome(world: World, runId: string): Promise<string | undefined> {
  return (await listedRuns(world)).find((r) => r.runId === runId)?.outcome;
}

describe('round trip: dry-run, to-aws during a GKE outage, dry-run, to-gcp', SLOW, () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });

  it('to-aws --dry-run shows every change and sends no mutating request', async () => {
    const r = await cli(world, ['to-aws', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const runId = runIdIn(r.stdout);
    const policy = world.sandbox.info.route53.trafficPolicyId;
    // The traffic policy document diff: the weighted rule's two weights swap.
    expect(r.stdout).toContain(`--- traffic policy ${policy} version 1`);
    expect(r.stdout).toContain(`+++ traffic policy ${policy} new version (gcp 0 (0%) / aws 255 (100%))`);
    expect(r.stdout).toMatch(/-\s+"Weight": "255",\n\s+\+\s+"Weight": "0",/);
    expect(r.stdout).toMatch(/-\s+"Weight": "0",\n\s+\+\s+"Weight": "255",/);
    // The kustomization diff: both standby entries go, the comments above them stay.
    expect(r.stdout).toContain(`--- a/${AWS_OVERLAY}`);
    expect(r.stdout).toContain(`+++ b/${AWS_OVERLAY}`);
    for (const entry of STANDBY_ENTRIES) expect(r.stdout).toMatch(new RegExp(`-  - path: ${entry}`));
    expect(r.stdout).toMatch(/^ {9}# to standby, restore them\.$/m);
    // The commit, with its trailers.
    expect(r.stdout).toContain('+ git commit on main: failover: activate aws overlay');
    expect(r.stdout).toContain(`Failover-Run: ${runId}`);
    expect(r.stdout).toContain('Failover-Operator: e2e-operator');
    // The apps it will wait for, and what "up" means.
    expect(r.stdout).toMatch(/wait until aws Argo CD apps admin-aws are Synced at the commit pushed earlier/);
    // The lock, fencing GKE's CronJobs (GKE is up here), the overlay, the weights.
    expect(r.stdout).toMatch(/✓ dry-run: nothing was changed; 4 step\(s\) would change something/);

    // Planning read a lot and changed nothing.
    expect(world.sandbox.requests().length).toBeGreaterThan(5);
    expect(mutatingRequests(world)).toEqual([]);
    expect(await remoteHead(world)).toBe(world.seed.head);
    expect(Object.keys(await remoteRefs(world)).sort()).toEqual(['HEAD', 'refs/heads/main']);
    expect(finished(journal(world, runId))).toMatchObject({ outcome: 'planned' });
    expect(await listedOutcome(world, runId)).toBe('planned');
  });

  it('to-aws --yes with GKE down: AWS up, all traffic on AWS, overlay active, lock released', async () => {
    world.sandbox.outage('gke', true);
    const r = await cli(world, ['to-aws', '--yes', '--incident', 'INC-42', '--reason', 'GKE outage (e2e)']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runId = runIdIn(r.stdout);
    // GKE is down: its CronJobs are fenced in git only, and the run says so first.
    expect(r.stdout).toMatch(/⚠ to-aws: succeeded with warnings/);

    const state = await endState(world);
    expect(state).toEqual(failedOverState(world, 'INC-42'));
    expect(standbyEntriesIn(state.awsOverlay)).toEqual([]);
    // The commit says who, why and which run.
    const body = (await git(['--git-dir', world.sandbox.info.git.remote, 'log', '-1', '--format=%B', 'main']))
      .stdout;
    expect(body).toContain(`Failover-Run: ${runId}`);
    expect(body).toContain('Failover-Operator: e2e-operator');
    expect(body).toContain('Failover-Incident: INC-42');
    expect(body).toContain('Failover-Reason: GKE outage (e2e)');

    const events = journal(world, runId);
    expect(finished(events)).toMatchObject({ outcome: 'succeeded' });
    // GKE was unreachable: the fence is a git commit all the same, before AWS's CronJobs resume...
    expect(succeededSteps(events).indexOf('fence-gke')).toBeLessThan(
      succeededSteps(events).indexOf('activate-aws'),
    );
    // ... and the operator is warned that GKE itself has not seen it yet.
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'step.message', stepId: 'fencing-pending', level: 'warn' }),
    );
    expect(r.stderr).toMatch(/GKE is unreachable: its CronJobs are suspended in git/);
    expect(await listedOutcome(world, runId)).toBe('succeeded');
  });

  it('to-gcp --dry-run while GKE is still down: exit 1 at once, naming the GKE checks', async () => {
    world.sandbox.clearRequests();
    const started = Date.now();
    const r = await cli(world, ['to-gcp', '--dry-run']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    // A dry-run reports what the probes answer now; it does not wait out their `within` (1m, 2m).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stdout).toMatch(/✗ the plan found \d+ problem\(s\): gke-cluster: GKE cluster reachable/);
    expect(r.stdout).toMatch(/gke-endpoints: probe gke ingress \(by address\) \(status 503, expected 200\)/);
    expect(mutatingRequests(world)).toEqual([]);
  });

  it('to-gcp --dry-run after the failover, GKE back: every change shown, nothing sent', async () => {
    world.sandbox.outage('gke', false);
    world.sandbox.clearRequests();
    const headBefore = await remoteHead(world);
    const r = await cli(world, ['to-gcp', '--dry-run']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const policy = world.sandbox.info.route53.trafficPolicyId;
    expect(r.stdout).toMatch(new RegExp(`--- traffic policy ${policy} version 2\\b`));
    expect(r.stdout).toContain(`+++ traffic policy ${policy} new version (gcp 255 (100%) / aws 0 (0%))`);
    expect(r.stdout).toMatch(/-\s+"Weight": "0",\n\s+\+\s+"Weight": "255",/);
    expect(r.stdout).toContain(`--- a/${AWS_OVERLAY}`);
    for (const entry of STANDBY_ENTRIES) expect(r.stdout).toMatch(new RegExp(`\\+  - path: ${entry}`));
    expect(r.stdout).toContain('+ git commit on main: failover: put aws overlay in standby');
    expect(r.stdout).toMatch(
      /wait until aws Argo CD apps admin-aws are Synced .*as the standby render says \(0 ready where it wants 0/,
    );

    expect(world.sandbox.requests().length).toBeGreaterThan(5);
    expect(mutatingRequests(world)).toEqual([]);
    expect(await remoteHead(world)).toBe(headBefore);
    expect(await lockHeld(world)).toBe(false);
  });

  it('to-gcp --yes: traffic back on GKE, AWS at 0 replicas, the overlay byte-identical to the seed', async () => {
    const r = await cli(world, ['to-gcp', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runId = runIdIn(r.stdout);
    const state = await endState(world);
    expect(state).toEqual({
      weights: { gke: 255, aws: 0 },
      awsDeployments: { 'admin-api': '0/0', 'admin-web': '0/0', worker: '0/0' },
      awsCronJobsSuspended: { 'nightly-report': true },
      awsOverlay: world.seed.awsOverlay,
      gcpOverlay: world.seed.gcpOverlay,
      commitsSinceSeed: [
        'failover: suspend gcp cronjobs (INC-42)',
        'failover: activate aws overlay (INC-42)',
        'failover: put aws overlay in standby',
        'failover: resume gcp cronjobs',
      ],
      instanceState: 'Applied',
      lockHeld: false,
    });
    expect(finished(journal(world, runId))).toMatchObject({ outcome: 'succeeded' });
    expect((await listedRuns(world)).map((run) => [run.runbook, run.dryRun, run.outcome])).toEqual([
      ['to-aws', true, 'planned'],
      ['to-aws', false, 'succeeded'],
      ['to-gcp', true, 'planned'],
      ['to-gcp', true, 'planned'],
      ['to-gcp', false, 'succeeded'],
    ]);
  });
});

describe.concurrent('a failure at each phase ends in a consistent, reported state', SLOW, () => {
  it('EKS unreachable: to-aws fails at the health check, before any change (exit 1)', () =>
    withWorld(async (world) => {
      world.sandbox.outage('gke', true);
      world.sandbox.eks.control.knobs.outage = true;
      const r = await cli(world, ['to-aws', '--yes']);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stdout).toMatch(/check failed: EKS cluster reachable \(EKS: ServiceUnavailableException/);

      expect(mutatingRequests(world)).toEqual([]);
      expect(await remoteHead(world)).toBe(world.seed.head);
      expect(await lockHeld(world)).toBe(false);
      expect(weights(world)).toEqual({ gke: 255, aws: 0 });

      const runId = runIdIn(r.stdout);
      const events = journal(world, runId);
      expect(events).toContainEqual(expect.objectContaining({ type: 'step.failed', stepId: 'aws-cluster' }));
      expect(events.some((e) => e.type === 'step.started' && e.stepId === 'activate-aws')).toBe(false);
      expect(finished(events)).toMatchObject({ outcome: 'failed' });
      expect(await listedOutcome(world, runId)).toBe('failed');
    }));

  it('Argo CD rollout stalls: the overlay is rolled back to standby by a commit, weights untouched', () =>
    withWorld(async (world) => {
      world.sandbox.outage('gke', true);
      world.sandbox.argocd.model.stallRollout('admin-aws');
      // Long enough for the first read and render even on a busy machine.
      const r = await cli(world, ['to-aws', '--yes', '--timeout', '8s']);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stdout).toMatch(/✗ to-aws: rolled-back/);
      expect(r.stdout).toMatch(/rolled back: activate-aws/);
      expect(r.stdout).toMatch(/Deployment admin\/admin-api: 1\/2 ready, want 2/);

      expect(await remoteFile(world, AWS_OVERLAY)).toBe(world.seed.awsOverlay);
      expect(await remoteFile(world, GCP_OVERLAY)).toBe(world.seed.gcpOverlay);
      // Undone in reverse order: AWS's CronJobs suspended again before GKE's fence is lifted.
      expect(await commitsSinceSeed(world)).toEqual([
        'failover: suspend gcp cronjobs',
        'failover: activate aws overlay',
        'failover: rollback: put aws overlay in standby',
        'failover: rollback: resume gcp cronjobs',
      ]);
      expect(weights(world)).toEqual({ gke: 255, aws: 0 });
      expect(mutatingRequests(world).filter((req) => req.service === 'route53')).toEqual([]);
      expect(await lockHeld(world)).toBe(false);
      // Argo CD follows the restored overlay: AWS goes back to 0 replicas.
      await waitUntil('AWS back at 0 replicas', () =>
        awsWorkloads(world).every((w) => w.kind !== 'Deployment' || w.replicas === 0),
      );

      const runId = runIdIn(r.stdout);
      const events = journal(world, runId);
      expect(events).toContainEqual(expect.objectContaining({ type: 'step.failed', stepId: 'aws-running' }));
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'step.rolled-back', stepId: 'activate-aws' }),
      );
      expect(finished(events)).toMatchObject({ outcome: 'rolled-back' });
      expect(await listedOutcome(world, runId)).toBe('rolled-back');
    }));

  it('Argo CD rollout stalls with --no-rollback: AWS stays active for investigation', () =>
    withWorld(async (world) => {
      world.sandbox.outage('gke', true);
      world.sandbox.argocd.model.stallRollout('admin-aws');
      const r = await cli(world, ['to-aws', '--yes', '--timeout', '3s', '--no-rollback']);
      expect(r.code, r.stdout).toBe(1);
      const runId = runIdIn(r.stdout);
      expect(r.stdout).toContain(`resume: failover resume ${runId}`);
      expect(r.stdout).toContain('changed and still in place: fence-gke, activate-aws');

      expect(standbyEntriesIn(await remoteFile(world, AWS_OVERLAY))).toEqual([]);
      expect(await commitsSinceSeed(world)).toEqual([
        'failover: suspend gcp cronjobs',
        'failover: activate aws overlay',
      ]);
      expect(weights(world)).toEqual({ gke: 255, aws: 0 });
      expect(await lockHeld(world)).toBe(false);

      const events = journal(world, runId);
      expect(types(events)).not.toContain('step.rolled-back');
      expect(finished(events)).toMatchObject({ outcome: 'failed' });
      expect(await listedOutcome(world, runId)).toBe('failed');
    }));

  it('Route 53 fails to apply the new version: exit 1, the old version still serves', () =>
    withWorld(async (world) => {
      world.sandbox.outage('gke', true);
      world.sandbox.fault('route53', 'policy-instance-failed', { count: 1 });
      const r = await cli(world, ['to-aws', '--yes']);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stdout).toMatch(/an internal error occurred while creating the resource record sets/);

      expect(weights(world)).toEqual({ gke: 255, aws: 0 });
      const instance = world.sandbox.route53.model.getTrafficPolicyInstance(
        world.sandbox.info.route53.trafficPolicyInstanceIds[0]!,
      );
      expect(instance.State).toBe('Applied');
      // Traffic never moved, so AWS is not put back in standby: it is up and ready for another try.
      expect(standbyEntriesIn(await remoteFile(world, AWS_OVERLAY))).toEqual([]);
      expect(await lockHeld(world)).toBe(false);

      const runId = runIdIn(r.stdout);
      const events = journal(world, runId);
      const failure = events.find((e) => e.type === 'step.failed' && e.stepId === 'shift');
      expect(failure).toMatchObject({
        error: { message: expect.stringMatching(/failed to apply version 2/) },
      });
      expect(finished(events)).toMatchObject({ outcome: 'failed' });
      expect(await listedOutcome(world, runId)).toBe('failed');
    }));

  it('staged 10,50,100 with AWS failing at the 50% gate: weights back at the 10% stage', () =>
    withWorld(async (world) => {
      world.sandbox.outage('gke', true);
      // The moment stage 2 (50%) is sent to Route 53, the AWS side stops answering.
      const applied = () =>
        world.sandbox
          .requests()
          .filter((req) => req.operation === 'UpdateTrafficPolicyInstance' && req.status < 300).length;
      const watcher = waitUntil('the 50% stage', () => applied() >= 2, 60_000, 5).then(() =>
        world.sandbox.outage('aws', true),
      );
      const r = await cli(world, ['to-aws', '--yes', '--stages', '10,50,100']);
      await watcher;
      expect(r.code, r.stdout).toBe(1);
      expect(r.stdout).toMatch(/stage 50% failed \(health gate: probe aws ingress/);

      // 10% of 255, rounded: the weights of the last stage whose gate passed.
      expect(weights(world)).toEqual({ gke: 229, aws: 26 });
      expect(await lockHeld(world)).toBe(false);

      const runId = runIdIn(r.stdout);
      const events = journal(world, runId);
      expect(events).toContainEqual(expect.objectContaining({ type: 'step.failed', stepId: 'shift' }));
      expect(finished(events)).toMatchObject({ outcome: 'failed' });
      expect(await listedOutcome(world, runId)).toBe('failed');
    }));
});

describe('two runs at once', SLOW, () => {
  it('exactly one takes the lock; the other exits 4 and says who holds it since when', () =>
    // Slower rollouts keep the winner's lock held for seconds, so a slow start of the other
    // process on a busy machine still finds it taken.
    withWorld(
      async (world) => {
        world.sandbox.outage('gke', true);
        const [a, b] = await Promise.all([cli(world, ['to-aws', '--yes']), cli(world, ['to-aws', '--yes'])]);
        const codes = [a.code, b.code].sort();
        expect(codes, `${a.stdout}\n${b.stdout}`).toEqual([0, 4]);
        const loser = a.code === 4 ? a : b;
        const winner = a.code === 0 ? a : b;
        const winnerId = runIdIn(winner.stdout);
        expect(`${loser.stdout}${loser.stderr}`).toMatch(
          new RegExp(`locked by e2e-operator \\(run ${winnerId}\\) on \\S+ since \\d{4}-\\d\\d-\\d\\dT`),
        );
        expect(await endState(world)).toEqual(failedOverState(world));
        const outcomes = Object.fromEntries((await listedRuns(world)).map((run) => [run.runId, run.outcome]));
        expect(outcomes[winnerId]).toBe('succeeded');
        expect(outcomes[runIdIn(loser.stdout)]).toBe('failed');
      },
      { ...FAST_TIMINGS, rolloutMs: 3000 },
    ));
});

describe.concurrent('SIGKILL at each step boundary of to-aws, then `failover resume`', () => {
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
  const boundaries = order.map((after, i) => ({
    name: after.length === 4 ? 'the health checks' : after.join(' and '),
    i,
  }));
  // Each case is a sandbox and two CLI runs: two at a time on a small machine.
  const slot = limiter(2);

  it.each(boundaries)(
    'killed right after $name: resume reaches the end state of an uninterrupted run',
    ({ i }) =>
      slot(() =>
        withWorld(async (world) => {
          world.sandbox.outage('gke', true);
          const running = startCli(world, ['to-aws', '--yes', '--incident', 'INC-9']);
          const after = order[i]!;
          const { runId, atKill } = await killAfterSucceeded(world, running, after);
          const killed = await running.exited;
          expect(killed.signal).toBe('SIGKILL');
          const done = succeededSteps(atKill);
          expect(done).toEqual(expect.arrayContaining(after));
          // Killed at that boundary: the next step may be under way (or done, if it is instant),
          // none after it.
          const tooFar = order.slice(i + 2).flat();
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
          expect(resumed.code, `killed after ${done.join(', ')}\n${resumed.stdout}\n${resumed.stderr}`).toBe(
            0,
          );
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
      ),
    150_000,
  );
});
