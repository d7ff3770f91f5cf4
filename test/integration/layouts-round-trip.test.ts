/**
 * Round trips on GitOps trees laid out the way teams write them (test/fixtures/layouts): a
 * patch-list layout whose gke overlay has no standby entries, a Components layout with an AWS-only
 * Deployment kept on in standby by a negative label selector, a tree with a StatefulSet and a
 * DaemonSet, a tree with comments, images and commonLabels. Each runs in a sandbox seeded from the
 * tree (`sandbox start --repo-from TREE`), with the built CLI as an operator runs it, and is judged
 * from outside: `kubectl kustomize` of both overlays in a clone of the remote after each leg, the
 * live workloads in the Argo CD emulator, the whole tree byte for byte at the end, and the live state
 * (Route 53, Argo CD apps, the lock ref) back as the rehearsal before the round trip found it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isolatedGitEnv } from '../../src/sandbox/gitops-demo/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/sandbox.js';
import { findOnPath } from '../../src/util/exec.js';
import { FAST_TIMINGS } from '../e2e/failover-helpers.js';
import { assertBuilt, failover, removeTempDirs, sharedRenderStore, tempDir } from '../e2e/helpers.js';

const LAYOUTS = join(import.meta.dirname, '..', 'fixtures', 'layouts');
const FENCE = 'failover-fence-cronjobs.yaml';

interface Layout {
  name: string;
  /** Workloads that run in standby by design (`Kind name`). */
  alwaysOn: string[];
  /** How `failover status` names the first of them (`Kind namespace/name`). */
  statusShows?: string;
  /** What `failover status` counts in the AWS app back in standby (its WORKLOADS column). */
  statusCounts?: string;
  /** The gke overlay has no standby entry: fencing adds the generated patch. */
  generatedFence: boolean;
  /**
   * A resource only the standby entries add (`Kind name`): once AWS is active, Argo CD (auto-sync
   * without prune) leaves it to prune, and the app is OutOfSync while every workload runs.
   */
  leftToPrune?: string;
}

const layouts: Layout[] = [
  { name: 'patch-list', alwaysOn: [], generatedFence: true },
  {
    name: 'components',
    alwaysOn: ['Deployment preview-proxy'],
    statusShows: 'Deployment preview-proxy',
    generatedFence: true,
    leftToPrune: 'ConfigMap standby-marker',
  },
  {
    name: 'stateful',
    alwaysOn: ['DaemonSet log-agent'],
    statusShows: 'DaemonSet ledger/log-agent',
    statusCounts: '0/1 deployments running, 0/1 statefulsets running, 0/1 cronjobs active',
    generatedFence: true,
  },
  { name: 'labelled', alwaysOn: [], generatedFence: true },
];

interface Workload {
  kind: string;
  name: string;
  replicas?: number;
  suspend?: boolean;
}

const REPLICATED = new Set(['Deployment', 'StatefulSet']);
const LOCK_REF = 'refs/failover/lock';

/**
 * What a rehearsal reads of the live world, from the emulators and the remote: each Traffic Flow
 * instance's served split and state, each Argo CD app's sync and health through its REST API with
 * its live workloads, and whether the lock ref exists. Revisions are returned apart: a round trip
 * leaves the same tree at a new commit.
 */
async function liveState(sandbox: Sandbox): Promise<{ state: unknown; revisions: string[] }> {
  const model = sandbox.route53.model;
  const route53 = sandbox.info.route53.trafficPolicyInstanceIds.map((id) => ({
    split: model.trafficSplit(id),
    state: model.getTrafficPolicyInstance(id).State,
  }));
  const names = [...sandbox.info.argocd.apps.aws, ...sandbox.info.argocd.apps.gcp];
  const apps = await Promise.all(
    names.map(async (name) => {
      const res = await fetch(`${sandbox.info.argocd.endpoint}/api/v1/applications/${name}`, {
        headers: { authorization: `Bearer ${sandbox.argocdToken}` },
      });
      expect(res.status, `Argo CD app ${name}`).toBe(200);
      const app = (await res.json()) as {
        status: { sync: { status: string; revision?: string }; health: { status: string } };
      };
      const workloads = sandbox.argocd.model.workloads(name).map((w) => ({
        kind: w.kind,
        name: w.name,
        replicas: w.replicas,
        ready: w.readyReplicas,
        suspend: w.suspend,
      }));
      return {
        name,
        sync: app.status.sync.status,
        health: app.status.health.status,
        workloads,
        revision: app.status.sync.revision ?? '',
      };
    }),
  );
  const lock = git(['ls-remote', sandbox.info.git.remote, LOCK_REF]).trim() !== '';
  return {
    state: { route53, apps: apps.map(({ revision: _, ...rest }) => rest), lock },
    revisions: apps.map((a) => a.revision),
  };
}

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, env: isolatedGitEnv(), encoding: 'utf8' });
}

/** `kubectl kustomize` of an overlay of a fresh clone of the remote: what Argo CD would apply. */
function renderOverlay(clone: string, overlay: string): Workload[] {
  const out = execFileSync('kubectl', ['kustomize', join(clone, overlay)], { encoding: 'utf8' });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> })
    .filter((o) => o?.kind && ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'].includes(o.kind))
    .map((o) => ({
      kind: o.kind!,
      name: o.metadata!.name!,
      ...(typeof o.spec?.replicas === 'number' ? { replicas: o.spec.replicas } : {}),
      ...(o.kind === 'CronJob' ? { suspend: o.spec?.suspend === true } : {}),
    }));
}

/** Running as the active side: replicas not 0 (absent: HPA or API default), CronJobs active. */
function running(w: Workload): boolean {
  if (w.kind === 'CronJob') return !w.suspend;
  return REPLICATED.has(w.kind) ? w.replicas !== 0 : true;
}

const sandboxes: Sandbox[] = [];
const timings: Record<string, { toAwsMs: number; toGcpMs: number }> = {};

afterAll(async () => {
  await Promise.allSettled(sandboxes.map((s) => s.close()));
  removeTempDirs();
  // The measured round trips, for the record (vitest shows console output of the file).
  console.log(
    `round trips: ${Object.entries(timings)
      .map(
        ([name, t]) =>
          `${name} to-aws ${(t.toAwsMs / 1000).toFixed(1)}s + to-gcp ${(t.toGcpMs / 1000).toFixed(1)}s`,
      )
      .join('; ')}`,
  );
});

describe.sequential('round trips on real GitOps layouts', async () => {
  const kubectl = await findOnPath('kubectl');

  it.each(layouts)(
    '$name: lint and rehearsal pass, to-aws then to-gcp converge, tree and live state end as they began',
    async (layout) => {
      assertBuilt();
      const tree = join(LAYOUTS, layout.name);
      const dir = tempDir(`failover-layout-${layout.name}-`);
      const sandbox = await startSandbox({
        dir,
        repoFrom: tree,
        timings: FAST_TIMINGS,
        ...sharedRenderStore(),
      });
      sandboxes.push(sandbox);
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: dir,
        LANG: 'C.UTF-8',
        CI: '1',
        NO_COLOR: '1',
        FAILOVER_OPERATOR: 'layout-test',
        FAILOVER_CONFIG: sandbox.info.config,
        ...sandbox.env,
      };
      const run = (args: string[]) => failover(args, { env, cwd: dir, timeoutMs: 150_000 });
      const seed = sandbox.info.git.head;
      const clone = join(dir, 'clone');
      git(['clone', '--quiet', sandbox.info.git.remote, clone]);
      const refresh = () => {
        git(['fetch', '--quiet', 'origin'], clone);
        git(['checkout', '--quiet', '--detach', 'origin/main'], clone);
      };

      const lint = await run(['lint', 'standby', '--overlay', join(clone, 'overlays', 'aws')]);
      expect(lint.code, lint.stdout + lint.stderr).toBe(0);
      for (const name of layout.alwaysOn) expect(lint.stdout).toContain(name.split(' ')[1]);
      const before = await run(['drill', '--mode', 'rehearsal']);
      expect(before.code, before.stdout + before.stderr).toBe(0);
      // What the passing rehearsal found live: the round trip must leave exactly this.
      const ready = await liveState(sandbox);
      expect(ready.revisions.every((r) => r === seed)).toBe(true);

      // ── to-aws ──
      let started = Date.now();
      const toAws = await run([
        'to-aws',
        '--yes',
        '--incident',
        'INC-7',
        '--reason',
        'layout round trip',
        '--timeout',
        '2m',
      ]);
      const toAwsMs = Date.now() - started;
      expect(toAws.code, toAws.stdout + toAws.stderr).toBe(0);
      expect(toAws.stdout).toMatch(/to-aws: succeeded in/);
      expect(toAws.stdout).not.toContain('NOT fenced');
      const live = sandbox.argocd.model.workloads('admin-aws');
      for (const w of live.filter((x) => x.kind !== 'CronJob'))
        expect(w.readyReplicas, `${w.kind} ${w.name}`).toBeGreaterThan(0);
      for (const w of live.filter((x) => x.kind === 'CronJob')) expect(w.suspend, w.name).toBe(false);
      if (layout.leftToPrune) {
        // What Argo CD's API says: OutOfSync by that resource alone, gone from git.
        const res = await fetch(`${sandbox.info.argocd.endpoint}/api/v1/applications/admin-aws`, {
          headers: { authorization: `Bearer ${sandbox.argocdToken}` },
        });
        const app = (await res.json()) as {
          status: {
            sync: { status: string };
            resources: { kind: string; name: string; status?: string; requiresPruning?: boolean }[];
          };
        };
        expect(app.status.sync.status).toBe('OutOfSync');
        expect(
          app.status.resources
            .filter((r) => r.status === 'OutOfSync')
            .map((r) => `${r.kind} ${r.name}${r.requiresPruning ? ' (to prune)' : ''}`),
        ).toEqual([`${layout.leftToPrune} (to prune)`]);
      }

      refresh();
      if (kubectl) {
        const aws = renderOverlay(clone, 'overlays/aws');
        expect(aws.length).toBeGreaterThan(0);
        for (const w of aws) expect(running(w), `aws ${w.kind} ${w.name} runs`).toBe(true);
        const gke = renderOverlay(clone, 'overlays/gke');
        // Fenced: no CronJob active on both clouds.
        for (const w of gke.filter((x) => x.kind === 'CronJob'))
          expect(w.suspend, `gke ${w.name}`).toBe(true);
        for (const w of gke.filter((x) => x.kind !== 'CronJob'))
          expect(running(w), `gke ${w.name}`).toBe(true);
      }
      expect(existsSync(join(clone, 'overlays', 'gke', FENCE))).toBe(layout.generatedFence);

      // ── to-gcp ──
      started = Date.now();
      const toGcp = await run(['to-gcp', '--yes', '--incident', 'INC-7', '--timeout', '2m']);
      const toGcpMs = Date.now() - started;
      expect(toGcp.code, toGcp.stdout + toGcp.stderr).toBe(0);
      expect(toGcp.stdout).toMatch(/to-gcp: succeeded in/);
      timings[layout.name] = { toAwsMs, toGcpMs };

      refresh();
      if (kubectl) {
        const aws = renderOverlay(clone, 'overlays/aws');
        for (const w of aws) {
          const on = layout.alwaysOn.includes(`${w.kind} ${w.name}`);
          expect(running(w), `aws ${w.kind} ${w.name} ${on ? 'always on' : 'dormant'}`).toBe(on);
        }
        for (const w of renderOverlay(clone, 'overlays/gke'))
          expect(running(w), `gke ${w.kind} ${w.name}`).toBe(true);
      }
      // The whole tree as it was, byte for byte (git compares the trees: `diff -r` of the dirs).
      expect(git(['diff', '--stat', seed, 'HEAD'], clone)).toBe('');
      expect(existsSync(join(clone, 'overlays', 'gke', FENCE))).toBe(false);
      const standbyLive = sandbox.argocd.model.workloads('admin-aws');
      for (const w of standbyLive.filter((x) => x.kind !== 'CronJob')) {
        const on = layout.alwaysOn.includes(`${w.kind} ${w.name}`);
        if (on) expect(w.readyReplicas, `${w.name} stays on`).toBeGreaterThan(0);
        else expect(w.readyReplicas ?? 0, `${w.name} at 0`).toBe(0);
      }

      // Status says what stays on in standby, so nobody is surprised.
      if (layout.statusShows) {
        const status = await run(['status']);
        expect(status.stdout).toContain(`always on in standby: ${layout.statusShows}`);
        if (layout.statusCounts) expect(status.stdout).toContain(layout.statusCounts);
      }
      // Ready for the next failover: the live world is what the passing rehearsal read before the
      // round trip (Route 53 split and state, both apps synced and healthy with the same workloads,
      // no lock), with the apps synced at the new head, and the tree is the seed's byte for byte.
      // A second rehearsal and lint would read these same facts and bytes, so they are not run.
      const head = git(['rev-parse', 'HEAD'], clone).trim();
      const again = await liveState(sandbox);
      expect(again.state).toEqual(ready.state);
      expect(again.revisions.every((r) => r === head)).toBe(true);
      await sandbox.close();
    },
    // A round trip takes about a minute and a half on a quiet machine; lint and a rehearsal add to it.
    600_000,
  );
});
