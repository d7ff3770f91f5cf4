/**
 * The portability check inside a failover: with a GKE node pool selector pushed into the base the
 * AWS overlay takes, to-aws stops at its health checks, before any change (no commit, no weight,
 * the lock released), naming the object and the field; with --force it goes on, records the finding,
 * and rolls back when the worker's pods never schedule on AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_OVERLAY,
  cli,
  GCP_OVERLAY,
  journal,
  lockHeld,
  mutatingRequests,
  pushWorkerOnGkeNodePool,
  remoteFile,
  remoteHead,
  runIdIn,
  stopWorlds,
  weights,
  withWorld,
} from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

describe('to-aws and an AWS overlay that AWS cannot serve once active', { timeout: 300_000 }, () => {
  it('refuses before any change, naming the object and the field; --force goes on', () =>
    withWorld(async (world) => {
      world.sandbox.outage('gke', true);
      const drifted = await pushWorkerOnGkeNodePool(world);
      world.sandbox.clearRequests();

      const refused = await cli(world, ['to-aws', '--yes', '--incident', 'INC-11'], { timeoutMs: 120_000 });
      expect(refused.code, `${refused.stdout}\n${refused.stderr}`).toBe(1);
      expect(refused.stdout).toMatch(
        /check failed: Deployment admin\/worker servable on AWS \(spec\.template\.spec\.nodeSelector\["cloud\.google\.com\/gke-nodepool"\]: node selector cloud\.google\.com\/gke-nodepool=batch: /,
      );
      // Stopped at the health checks: nothing fenced, activated or shifted; the lock released.
      const refusedEvents = journal(world, runIdIn(refused.stdout));
      expect(refusedEvents).toContainEqual(
        expect.objectContaining({ type: 'step.failed', stepId: 'aws-portable' }),
      );
      expect(refusedEvents.some((e) => e.type === 'step.started' && e.stepId === 'fence-gke')).toBe(false);
      expect(mutatingRequests(world)).toEqual([]);
      expect(await remoteHead(world)).toBe(drifted);
      expect(await lockHeld(world)).toBe(false);
      expect(weights(world)).toEqual({ gke: 255, aws: 0 });

      // Forced: AWS's nodes never carry the GKE node pool label, so the worker's pods stay Pending
      // (the scheduler's reason) and the wait ends; the run rolls its commits back.
      const forced = await cli(
        world,
        ['to-aws', '--yes', '--force', '--incident', 'INC-11', '--timeout', '10s'],
        { timeoutMs: 120_000 },
      );
      expect(forced.code, `${forced.stdout}\n${forced.stderr}`).toBe(1);
      expect(forced.stdout + forced.stderr).toMatch(/Deployment admin\/worker: 0\/\d+ ready/);
      expect(weights(world)).toEqual({ gke: 255, aws: 0 });
      expect(await remoteFile(world, AWS_OVERLAY)).toBe(world.seed.awsOverlay);
      expect(await remoteFile(world, GCP_OVERLAY)).toBe(world.seed.gcpOverlay);
      expect(world.sandbox.argocd.model.workloads('admin-aws')).toContainEqual(
        expect.objectContaining({
          name: 'worker',
          blocked: {
            reason: 'Unschedulable',
            message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
          },
        }),
      );
      // Forced, not hidden: the journal keeps the failed check of the portability step.
      const events = journal(world, runIdIn(forced.stdout));
      expect(JSON.stringify(events.filter((e) => 'stepId' in e && e.stepId === 'aws-portable'))).toMatch(
        /cloud\.google\.com\/gke-nodepool/,
      );
    }));
});
