/**
 * The CronJob invariant, checked from outside the tool: after a sandbox round trip (to-aws, then
 * to-gcp), every commit on the remote's branch is checked out in a clone of its own and both
 * overlays are rendered with the real `kubectl kustomize`; no CronJob may be unsuspended in both.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { git, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { cli, commitsSinceSeed, stopWorlds, type World, weights, withWorld } from './failover-helpers.js';
import { assertBuilt, removeTempDirs, tempDir } from './helpers.js';

const run = promisify(execFile);

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

const OVERLAYS = { aws: 'overlays/aws', gcp: 'overlays/gke' } as const;

/** name → suspended, for every CronJob `kubectl kustomize DIR` renders. */
async function cronJobs(dir: string): Promise<Record<string, boolean>> {
  const { stdout } = await run('kubectl', ['kustomize', dir], {
    env: { PATH: process.env.PATH, KUBECONFIG: '/dev/null' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const out: Record<string, boolean> = {};
  for (const doc of parseAllDocuments(stdout)) {
    const object = doc.toJS() as {
      kind?: string;
      metadata?: { name?: string };
      spec?: { suspend?: boolean };
    } | null;
    if (object?.kind === 'CronJob' && object.metadata?.name) {
      out[object.metadata.name] = object.spec?.suspend === true;
    }
  }
  return out;
}

interface Rendered {
  commit: string;
  subject: string;
  aws: Record<string, boolean>;
  gcp: Record<string, boolean>;
}

/** Both overlays' CronJobs at every commit of the remote's main, oldest first. */
async function renderEveryCommit(world: World): Promise<Rendered[]> {
  const clone = join(tempDir('failover-e2e-invariant-'), 'clone');
  await git(['clone', '--quiet', world.sandbox.info.git.remote, clone]);
  const commits = (await git(['-C', clone, 'rev-list', '--reverse', 'origin/main'])).stdout
    .split('\n')
    .filter(Boolean);
  const rendered: Rendered[] = [];
  for (const commit of commits) {
    await git(['-C', clone, 'checkout', '--quiet', '--force', '--detach', commit]);
    const subject = (await git(['-C', clone, 'log', '-1', '--format=%s', commit])).stdout.trim();
    rendered.push({
      commit,
      subject,
      aws: await cronJobs(join(clone, OVERLAYS.aws)),
      gcp: await cronJobs(join(clone, OVERLAYS.gcp)),
    });
  }
  return rendered;
}

/** CronJobs unsuspended in both overlays at a commit. */
const runningOnBoth = (r: Rendered) =>
  Object.keys(r.aws).filter((name) => r.aws[name] === false && r.gcp[name] === false);

async function roundTrip(world: World, gkeDownDuringFailover: boolean): Promise<Rendered[]> {
  world.sandbox.outage('gke', gkeDownDuringFailover);
  const out = await cli(world, ['to-aws', '--yes', '--incident', 'INC-7'], { timeoutMs: 120_000 });
  expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
  expect(weights(world)).toEqual({ gke: 0, aws: 255 });
  world.sandbox.outage('gke', false);
  const back = await cli(world, ['to-gcp', '--yes', '--incident', 'INC-7'], { timeoutMs: 120_000 });
  expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
  expect(weights(world)).toEqual({ gke: 255, aws: 0 });
  return renderEveryCommit(world);
}

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
