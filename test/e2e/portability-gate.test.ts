/**
 * The portability check inside a failover: with a GKE node pool selector pushed into the base the
 * AWS overlay takes, to-aws stops at its health checks, before any change (no commit, no weight,
 * the lock released), naming the object and the field; with --force it goes on and records the finding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  commitsSinceSeed,
  journal,
  lockHeld,
  mutatingRequests,
  pushWorkerOnGkeNodePool,
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

      const forced = await cli(world, ['to-aws', '--yes', '--force', '--incident', 'INC-11'], {
        timeoutMs: 120_000,
      });
      expect(forced.code, `${forced.stdout}\n${forced.stderr}`).toBe(0);
      expect(weights(world)).toEqual({ gke: 0, aws: 255 });
      expect((await commitsSinceSeed(world)).slice(-2)).toEqual([
        'failover: suspend gcp cronjobs (INC-11)',
        'failover: activate aws overlay (INC-11)',
      ]);
      // Forced, not hidden: the journal keeps the failed check of the portability step.
      const events = journal(world, runIdIn(forced.stdout));
      expect(JSON.stringify(events.filter((e) => 'stepId' in e && e.stepId === 'aws-portable'))).toMatch(
        /cloud\.google\.com\/gke-nodepool/,
      );
    }));
});
