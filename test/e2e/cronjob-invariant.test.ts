/**
 * The CronJob invariant, checked from outside the tool: after a sandbox round trip (to-aws, then
 * to-gcp), every commit on the remote's branch is checked out in a clone of its own and both
 * overlays are rendered with the real `kubectl kustomize`; no CronJob may be unsuspended in both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTrip, runningOnBoth } from './cronjob-renders.js';
import { commitsSinceSeed, stopWorlds, withWorld } from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

describe.concurrent('no CronJob runs on both clouds at any commit of a round trip', {
  timeout: 300_000,
}, () => {
  it.each([
    { gke: 'healthy', down: false },
    { gke: 'down during the failover', down: true },
  ])('GKE $gke: every commit renders each CronJob suspended in one overlay at least', ({ down }) =>
    withWorld(async (world) => {
      const rendered = await roundTrip(world, down);
      for (const r of rendered) {
        // The renders are real: the demo's CronJob is in both overlays at every commit.
        expect(Object.keys(r.aws), r.subject).toContain('nightly-report');
        expect(Object.keys(r.gcp).sort(), r.subject).toEqual(Object.keys(r.aws).sort());
        expect(runningOnBoth(r), `${r.commit.slice(0, 12)} "${r.subject}"`).toEqual([]);
      }
      expect(await commitsSinceSeed(world)).toEqual([
        'failover: suspend gcp cronjobs (INC-7)',
        'failover: activate aws overlay (INC-7)',
        'failover: put aws overlay in standby (INC-7)',
        'failover: resume gcp cronjobs (INC-7)',
      ]);
      // Not vacuous: AWS ran the jobs while failed over, and GKE runs them again at the end.
      const bySubject = Object.fromEntries(rendered.map((r) => [r.subject, r]));
      expect(bySubject['failover: activate aws overlay (INC-7)']).toMatchObject({
        aws: { 'nightly-report': false },
        gcp: { 'nightly-report': true },
      });
      expect(rendered.at(-1)).toMatchObject({
        aws: { 'nightly-report': true },
        gcp: { 'nightly-report': false },
      });
    }),
  );
});
