/**
 * A gke overlay that keeps one CronJob of its own suspended for good, with the standard patch file
 * and a target that names it: a sandbox round trip, every commit rendered with `kubectl kustomize`
 * (see cronjob-renders.ts). That entry fences no other CronJob, so to-aws must add its fence beside
 * it and to-gcp must take only that fence away.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { OVERLAYS, roundTrip, runningOnBoth } from './cronjob-renders.js';
import { stopWorlds, withWorld } from './failover-helpers.js';
import { assertBuilt, removeTempDirs, tempDir } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

describe('a gke overlay that suspends one CronJob of its own by name', { timeout: 300_000 }, () => {
  // A team keeps a retired job suspended on GKE for good, with the standard patch file and a
  // target that names it. That entry fences no other CronJob: fencing must add its own beside it,
  // and failback must take only its own away.
  const LEGACY = (name: string) =>
    `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: ${name}\nspec:\n  schedule: "0 4 * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: export\n              image: registry.example.com/admin-worker:1.42.0\n`;
  const TEAM_ENTRY =
    '  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n      name: legacy-export\n';

  it('to-aws fences nightly-report beside the team`s entry; to-gcp leaves the team`s entry as it was', () =>
    withWorld(async (world) => {
      let teamText = '';
      await pushChange({
        remote: world.sandbox.info.git.remote,
        message: 'retire legacy-export on GKE',
        change: async (dir) => {
          await writeFile(join(dir, 'base/legacy-export.yml'), LEGACY('legacy-export'));
          const base = join(dir, 'base/kustomization.yaml');
          await writeFile(
            base,
            (await readFile(base, 'utf8')).replace(
              '  - ingress.yml\n',
              '  - ingress.yml\n  - legacy-export.yml\n',
            ),
          );
          const gke = join(dir, OVERLAYS.gcp, 'kustomization.yaml');
          teamText = (await readFile(gke, 'utf8')).replace(
            '  - path: service-backendconfig.yml\n',
            `  - path: service-backendconfig.yml\n${TEAM_ENTRY}`,
          );
          await writeFile(gke, teamText);
        },
      });
      const rendered = await roundTrip(world, false);
      const seed = rendered.findIndex((r) => r.subject === 'retire legacy-export on GKE');
      expect(seed).toBeGreaterThanOrEqual(0);
      for (const r of rendered.slice(seed)) {
        expect(Object.keys(r.gcp).sort(), r.subject).toEqual(['legacy-export', 'nightly-report']);
        expect(runningOnBoth(r), `${r.commit.slice(0, 12)} "${r.subject}"`).toEqual([]);
        // The team's suspension holds at every commit.
        expect(r.gcp['legacy-export'], r.subject).toBe(true);
      }
      const bySubject = Object.fromEntries(rendered.map((r) => [r.subject, r]));
      expect(bySubject['failover: suspend gcp cronjobs (INC-7)']?.gcp).toEqual({
        'legacy-export': true,
        'nightly-report': true,
      });
      expect(bySubject['failover: activate aws overlay (INC-7)']?.aws['nightly-report']).toBe(false);
      expect(rendered.at(-1)?.gcp).toEqual({ 'legacy-export': true, 'nightly-report': false });
      // The gke kustomization ends byte for byte as the team wrote it.
      const clone = join(tempDir('failover-e2e-invariant-'), 'end');
      await git(['clone', '--quiet', world.sandbox.info.git.remote, clone]);
      expect(await readFile(join(clone, OVERLAYS.gcp, 'kustomization.yaml'), 'utf8')).toBe(teamText);
    }));
});
