/**
 * The failover when something breaks, end to end: a failure at each phase of `failover to-aws`
 * (EKS down, a stalled rollout with and without rollback, Route 53 failing to apply, a staged shift
 * whose gate fails) ends in a consistent state, checked in the emulators, the git remote and the
 * journal. Two sandboxes serve the cases, each reset to its seed before a case (branch, lock, Route
 * 53, Argo CD, outages, faults), so a case starts from the world a fresh sandbox would give it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_OVERLAY,
  awsWorkloads,
  cli,
  commitsSinceSeed,
  finished,
  GCP_OVERLAY,
  journal,
  listedOutcome,
  lockHeld,
  mutatingRequests,
  remoteFile,
  remoteHead,
  runIdIn,
  standbyEntriesIn,
  stopWorlds,
  types,
  waitUntil,
  weights,
  worldPool,
} from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

// Two cases at a time, each in its own sandbox; the wait for one counts against a case's time.
const pool = worldPool(2);
const TIMEOUT = { timeout: 300_000 };

beforeAll(() => assertBuilt());
afterAll(async () => {
  await pool.close();
  await stopWorlds();
  removeTempDirs();
});

describe.concurrent('a failure at each phase ends in a consistent, reported state', TIMEOUT, () => {
  it('EKS unreachable: to-aws fails at the health check, before any change (exit 1)', () =>
    pool.use(async (world) => {
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
    pool.use(async (world) => {
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
    pool.use(async (world) => {
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
    pool.use(async (world) => {
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
    pool.use(async (world) => {
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
