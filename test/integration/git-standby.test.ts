/**
 * The GitOps adapter and the gitops.set-standby step against real git: temporary bare remotes
 * seeded with the demo tree (patch entries, as in the write-up) or a Component-shaped repository.
 * Commits, trailers, byte-exact restore, convergence, dry-run, push races injected between fetch
 * and push, real conflicts, branch protection, bad input, and GKE CronJob fencing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createGitReader, createGitWriter } from '../../src/providers/git/adapter.js';
import { cacheDirFor, GitCache } from '../../src/providers/git/cache.js';
import { createGitRunner } from '../../src/providers/git/cli.js';
import { FENCE_PATCH } from '../../src/providers/git/kustomization.js';
import { FENCE_FILE } from '../../src/providers/git/kustomization-entries.js';
import type { CommitMeta } from '../../src/providers/git/port.js';
import { FRESH_MS } from '../../src/providers/git/remote-view.js';
import {
  createGitRemote,
  demoTreeDir,
  git,
  isolatedGitEnv,
  pushChange,
} from '../../src/sandbox/gitops-demo/index.js';
import { setStandbyStep } from '../../src/steps/gitops/set-standby.js';
import { createRegistry } from '../../src/steps/registry.js';
import { exec, findOnPath } from '../../src/util/exec.js';
import {
  adapterOptions,
  COMPONENT_REPO,
  commitMessage,
  injectCommitHook,
  installRemoteHook,
  remoteFile,
  remoteHead,
  remoteRefs,
  remoteSubjects,
} from '../fixtures/gitops/harness.js';
import { failure } from '../support/failure.js';
import { stepContext } from '../support/step-context.js';

const AWS_FILE = 'overlays/aws/kustomization.yaml';
const GKE_FILE = 'overlays/gke/kustomization.yaml';
const DEMO_AWS = readFileSync(join(demoTreeDir(), AWS_FILE), 'utf8');
const DEMO_GKE = readFileSync(join(demoTreeDir(), GKE_FILE), 'utf8');
const COMPONENT_AWS = readFileSync(join(COMPONENT_REPO, AWS_FILE), 'utf8');
const META: CommitMeta = {
  runId: 'run-42',
  operator: 'alice',
  incident: 'INC-42',
  reason: 'GKE control plane down',
};
/** kustomize (or kubectl) renders the plan's summary of what starts and stops. */
const hasKustomize =
  (await findOnPath('kustomize')) !== undefined || (await findOnPath('kubectl')) !== undefined;

let work: string;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-git-standby-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function renderStore(): { cacheDir?: string } {
  const dir = inject('renderCacheDir');
  return dir ? { cacheDir: dir } : {};
}

/**
 * A copy of `tree` with GKE's CronJobs fenced, as to-aws leaves the gcp overlay before it
 * activates AWS: the writer refuses an activation that would leave a CronJob unsuspended in both
 * overlays.
 */
async function withGkeFenced(tree: string, dir: string): Promise<string> {
  const copy = join(dir, 'tree-gke-fenced');
  await cp(tree, copy, { recursive: true });
  const text = readFileSync(join(copy, GKE_FILE), 'utf8');
  const entry = `  - path: ${FENCE_FILE}\n    target:\n      kind: CronJob\n`;
  await writeFile(join(copy, 'overlays/gke', FENCE_FILE), FENCE_PATCH);
  await writeFile(
    join(copy, GKE_FILE),
    text.includes('\npatches:\n')
      ? text.replace('\npatches:\n', `\npatches:\n${entry}`)
      : `${text}patches:\n${entry}`,
  );
  return copy;
}

/** A teammate's commit on the remote that rewrites the aws overlay's kustomization with `edit`. */
function pushAwsEdit(remote: string, message: string, edit: (text: string) => string) {
  return pushChange({
    remote,
    message,
    change: async (dir) => {
      const file = join(dir, AWS_FILE);
      await writeFile(file, edit(readFileSync(file, 'utf8')));
    },
  });
}

/**
 * The demo tree with a second CronJob, nightly-export, that AWS's standby leaves running: its
 * CronJob entry suspends nightly-report by name. `awsExtra` is appended to the aws overlay.
 */
async function treeWithNightlyExport(awsExtra = ''): Promise<string> {
  const tree = join(work, `nightly-export-${++counter}`);
  await cp(demoTreeDir(), tree, { recursive: true });
  const report = readFileSync(join(tree, 'base/nightly-report.yml'), 'utf8');
  await writeFile(
    join(tree, 'base/nightly-export.yml'),
    report.replace('name: nightly-report', 'name: nightly-export'),
  );
  const base = readFileSync(join(tree, 'base/kustomization.yaml'), 'utf8');
  await writeFile(
    join(tree, 'base/kustomization.yaml'),
    base.replace('  - nightly-report.yml\n', '  - nightly-report.yml\n  - nightly-export.yml\n'),
  );
  const byName = DEMO_AWS.replace(
    '  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n',
    '  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n      name: nightly-report\n',
  );
  await writeFile(join(tree, AWS_FILE), `${byName}${awsExtra}`);
  return tree;
}

/**
 * A fresh remote (demo tree unless `from`; GKE's CronJobs fenced unless `gke: 'as-is'`) and an
 * adapter whose cache lives in its own state dir.
 */
async function scenario(
  options: {
    from?: string;
    gke?: 'fenced' | 'as-is';
    gitops?: Record<string, unknown>;
    env?: NodeJS.ProcessEnv;
    kustomize?: Record<string, unknown>;
  } = {},
) {
  const dir = join(work, `s${++counter}`);
  const tree = options.from ?? demoTreeDir();
  const from = options.gke === 'as-is' ? tree : await withGkeFenced(tree, dir);
  const remote = await createGitRemote({ dir, from });
  const adapter = adapterOptions({
    repo: remote.remote,
    stateDir: join(dir, 'state'),
    ...(options.gitops ? { gitops: options.gitops } : {}),
    ...(options.env ? { env: options.env } : {}),
    // The test run's render store (test/render-cache-setup.ts): the scenarios render the same
    // trees over and over, and entries are named by content, so sharing changes no result.
    kustomize: { ...renderStore(), ...options.kustomize },
  });
  const cache = new GitCache(
    createGitRunner(isolatedGitEnv()),
    remote.remote,
    cacheDirFor(join(dir, 'state', 'git-cache'), remote.remote),
  );
  return {
    dir,
    remote: remote.remote,
    seed: remote.head,
    reader: createGitReader(adapter),
    writer: createGitWriter(adapter),
    options: adapter,
    cache,
  };
}

describe('standby toggle, patch entries (the write-up layout)', () => {
  it('activates the aws overlay: one commit on the remote with the message and trailers', async () => {
    const s = await scenario();
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    expect(plan).toMatchObject({
      converged: false,
      current: 'standby',
      file: AWS_FILE,
      baseRevision: s.seed,
    });
    expect(plan.entries).toEqual(['cronjob-suspend.yml', 'replicas-zero.yml']);
    expect(plan.diff).toContain('-  - path: cronjob-suspend.yml\n');
    expect(plan.diff).toContain('-  - path: replicas-zero.yml\n');
    expect(plan.commitMessage).toBe(
      'failover: activate aws overlay (INC-42)\n\nGKE control plane down\n\nFailover-Run: run-42\nFailover-Operator: alice\nFailover-Incident: INC-42\nFailover-Reason: GKE control plane down\n',
    );

    const result = await s.writer.applyStandby(plan, META);
    expect(result).toMatchObject({ changed: true, attempts: 1 });
    expect(await remoteHead(s.remote)).toBe(result.commit);
    expect(await remoteSubjects(s.remote)).toEqual([
      'failover: activate aws overlay (INC-42)',
      'Seed the GitOps repository',
    ]);
    // git itself reads the trailers back.
    const message = await commitMessage(s.remote, 'main');
    const { stdout: trailers } = await exec('git', ['interpret-trailers', '--parse'], {
      input: message,
      env: isolatedGitEnv(),
    });
    expect(trailers).toBe(
      'Failover-Run: run-42\nFailover-Operator: alice\nFailover-Incident: INC-42\nFailover-Reason: GKE control plane down\n',
    );
    const author = (
      await git(['--git-dir', s.remote, 'log', '-1', '--format=%an <%ae> / %cn <%ce>', 'main'])
    ).stdout.trim();
    expect(author).toBe(
      'Failover Test <failover-test@example.invalid> / Failover Test <failover-test@example.invalid>',
    );
    // Only the kustomization changed, and only by the two entries (and their now empty key).
    const changed = (await git(['--git-dir', s.remote, 'diff', '--name-only', s.seed, 'main'])).stdout.trim();
    expect(changed).toBe(AWS_FILE);
    const after = await remoteFile(s.remote, AWS_FILE);
    expect(after).toBe(DEMO_AWS.slice(0, DEMO_AWS.indexOf('patches:\n')));
    expect(after).toContain('# Warm standby: every CronJob suspended');

    const state = await s.reader.overlayState('aws');
    expect(state).toMatchObject({
      state: 'active',
      entries: [],
      revision: result.commit,
      path: 'overlays/aws',
    });
  });

  it('goes back to standby byte-identical to the original, then converges both ways', async () => {
    const s = await scenario();
    await s.writer.applyStandby(await s.reader.planStandby('aws', 'active', 'all', META), META);
    // Someone edits another line of the same file while AWS is active: it must survive.
    await pushAwsEdit(s.remote, 'add a resource', (text) =>
      text.replace('  - ../../base\n', '  - ../../base\n  - extra.yml\n'),
    );
    const plan = await s.reader.planStandby('aws', 'standby', 'all', META);
    expect(plan.commitMessage.split('\n')[0]).toBe('failover: put aws overlay in standby (INC-42)');
    expect(plan.diff).toContain('+  - path: cronjob-suspend.yml\n');
    const result = await s.writer.applyStandby(plan, META);
    expect(result.changed).toBe(true);
    expect(await remoteFile(s.remote, AWS_FILE)).toBe(
      DEMO_AWS.replace('  - ../../base\n', '  - ../../base\n  - extra.yml\n'),
    );

    // Converged: nothing to commit, and the writer leaves the remote alone.
    const again = await s.reader.planStandby('aws', 'standby', 'all', META);
    expect(again).toMatchObject({ converged: true, diff: '', baseRevision: result.commit });
    expect(await s.writer.applyStandby(again, META)).toEqual({
      commit: result.commit,
      attempts: 1,
      changed: false,
    });
    expect(await remoteHead(s.remote)).toBe(result.commit);
  });

  // Skipped only without kustomize and kubectl (a requirement of the tool, checked by CI).
  it.skipIf(!hasKustomize)(
    'a replicas: item raised during the incident: the standby plan names the workload it keeps up on AWS',
    async () => {
      const s = await scenario();
      await s.writer.applyStandby(await s.reader.planStandby('aws', 'active', 'all', META), META);
      // While AWS serves, a teammate scales admin-api through the kustomization, and pins worker
      // (which a patch marks to run in standby) the same way.
      await pushChange({
        remote: s.remote,
        message: 'scale admin-api and worker for the incident',
        change: async (dir) => {
          const file = join(dir, AWS_FILE);
          await writeFile(
            file,
            `${readFileSync(file, 'utf8')}replicas:\n  - name: admin-api\n    count: 5\n  - name: worker\n    count: 2\n  - name: admin-web\n    count: 0\n`,
          );
          await writeFile(
            join(dir, 'base/worker.yml'),
            readFileSync(join(dir, 'base/worker.yml'), 'utf8').replace(
              /metadata:\n {2}name: worker\n/,
              'metadata:\n  name: worker\n  annotations:\n    failover.example.com/standby: always-on\n',
            ),
          );
        },
      });
      // Past the window in which a reader builds on its last fetch, as a failback's new process is.
      await new Promise((resolve) => setTimeout(resolve, FRESH_MS + 100));
      const plan = await s.reader.planStandby('aws', 'standby', 'all', META);
      expect(plan.baseRevision).toBe(await remoteHead(s.remote));
      expect(plan.render?.alwaysOn?.sort()).toEqual([
        'Deployment admin/admin-api',
        'Deployment admin/worker',
      ]);
      const named = (plan.warnings ?? []).filter((w) => w.includes('stays up in overlays/aws in standby'));
      expect(named).toEqual([
        expect.stringMatching(
          /^Deployment admin\/admin-api stays up in overlays\/aws in standby: the replicas: item \{name: admin-api, count: 5\} in overlays\/aws\/kustomization.yaml overrides the standby entries/,
        ),
      ]);
      // Without the item the same edit names nothing (the render alone decides, not the name).
      const head = await remoteHead(s.remote);
      await pushAwsEdit(s.remote, 'back to normal', (text) =>
        text.replace(/ {2}- name: admin-api\n {4}count: 5\n/, ''),
      );
      expect(await remoteHead(s.remote)).not.toBe(head);
      await new Promise((resolve) => setTimeout(resolve, FRESH_MS + 100));
      const after = await s.reader.planStandby('aws', 'standby', 'all', META);
      expect(after.warnings?.join('\n') ?? '').not.toContain('stays up in');
    },
  );

  it('plans without committing: no commit on the remote, no local commit or branch in the cache', async () => {
    const s = await scenario();
    const before = await remoteRefs(s.remote);
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    expect(plan.converged).toBe(false);
    expect(await remoteRefs(s.remote)).toBe(before);
    expect(await s.cache.localRefs()).toEqual(['refs/remotes/origin/main']);
    expect(
      (await git(['--git-dir', s.cache.dir, 'rev-parse', 'refs/remotes/origin/main'])).stdout.trim(),
    ).toBe(s.seed);
    // Planning created no object at all: everything in the cache came from the remote.
    const objects = async (gitDir: string) =>
      (
        await git(['--git-dir', gitDir, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)'])
      ).stdout
        .split('\n')
        .filter(Boolean);
    const inRemote = new Set(await objects(s.remote));
    expect((await objects(s.cache.dir)).filter((o) => !inRemote.has(o))).toEqual([]);
  });

  it.skipIf(!hasKustomize)(
    'renders the overlay before and after: what goes from dormant to running',
    async () => {
      // Skipped only without kustomize and kubectl (a requirement of the tool, checked by CI).
      const s = await scenario();
      const plan = await s.reader.planStandby('aws', 'active', 'all', META);
      expect(plan.render?.deploymentsStarting.sort()).toEqual([
        'admin/admin-api',
        'admin/admin-web',
        'admin/worker',
      ]);
      expect(plan.render?.cronJobsResuming).toEqual(['admin/nightly-report']);
      expect(plan.render?.deploymentsStopping).toEqual([]);
    },
  );

  it('without kustomize the plan still shows the diff and says the render was skipped, with the fix', async () => {
    const s = await scenario({ kustomize: { path: join(work, 'no-such-dir', 'kustomize') } });
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    expect(plan.converged).toBe(false);
    expect(plan.diff).toContain('-  - path: replicas-zero.yml\n');
    expect(plan.render).toBeUndefined();
    expect(plan.warnings).toEqual([
      expect.stringMatching(
        /^skipped the render of overlays\/aws that shows what starts and stops: cannot render Kustomize overlays: kustomize.path .*no-such-dir\/kustomize is not an executable file \(install kubectl \(includes kustomize\) or kustomize: https:\/\/kubectl.docs.kubernetes.io\/installation\/kustomize\/ ; or set kustomize.path in failover.config.yaml\)$/,
      ),
    ]);
  });

  it('only the CronJob entry with scope cronjobs', async () => {
    const s = await scenario();
    const plan = await s.reader.planStandby('aws', 'active', 'cronjobs', META);
    expect(plan.entries).toEqual(['cronjob-suspend.yml']);
    expect(plan.commitMessage.split('\n')[0]).toBe('failover: resume aws cronjobs (INC-42)');
    await s.writer.applyStandby(plan, META);
    expect((await s.reader.overlayState('aws')).state).toBe('partial');
  });
});

describe('push races', () => {
  const readmeEdit = { path: 'README.md', append: '\nEdited by someone else during the failover.\n' };

  it('another commit lands inside the push (pre-push): the remote`s compare-and-swap fails, re-applied on the new tip', async () => {
    const dir = join(work, 'race-pre-push');
    const s0 = await scenario();
    const injected = await injectCommitHook(dir, {
      hook: 'pre-push',
      remote: s0.remote,
      edits: [readmeEdit],
      message: 'someone else: edit the README',
    });
    const s = { ...s0, ...(await withEnv(s0, { GIT_CONFIG_GLOBAL: injected.gitconfig })) };
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    await writeFile(injected.armed, '');
    const result = await s.writer.applyStandby(plan, META);
    expect(existsSync(injected.fired)).toBe(true);
    expect(result).toMatchObject({ changed: true, attempts: 2 });
    expect(await remoteSubjects(s.remote)).toEqual([
      'failover: activate aws overlay (INC-42)',
      'someone else: edit the README',
      'Seed the GitOps repository',
    ]);
    expect(await remoteFile(s.remote, 'README.md')).toContain('Edited by someone else');
    expect(await remoteFile(s.remote, AWS_FILE)).toBe(DEMO_AWS.slice(0, DEMO_AWS.indexOf('patches:\n')));
    expect(await s.cache.localRefs()).toEqual(['refs/remotes/origin/main']);
  });

  it('another commit lands right after the fetch (reference-transaction): non-fast-forward, re-applied', async () => {
    const dir = join(work, 'race-after-fetch');
    const s0 = await scenario();
    const injected = await injectCommitHook(dir, {
      hook: 'reference-transaction',
      remote: s0.remote,
      edits: [readmeEdit],
      message: 'someone else: edit the README',
    });
    const s = { ...s0, ...(await withEnv(s0, { GIT_CONFIG_GLOBAL: injected.gitconfig })) };
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    // Past the window in which the apply would build on the plan's fetch: its first attempt fetches.
    await new Promise((resolve) => setTimeout(resolve, FRESH_MS + 100));
    // An ordinary commit after the plan, so that the apply's fetch moves the tracking ref (and
    // fires the hook, which lands one more commit before our push).
    await pushChange({
      remote: s.remote,
      message: 'an unrelated change',
      change: (tree) => writeFile(join(tree, 'NOTES.md'), 'notes\n'),
    });
    await writeFile(injected.armed, '');
    const result = await s.writer.applyStandby(plan, META);
    expect(existsSync(injected.fired)).toBe(true);
    expect(result).toMatchObject({ changed: true, attempts: 2 });
    expect(await remoteSubjects(s.remote)).toEqual([
      'failover: activate aws overlay (INC-42)',
      'someone else: edit the README',
      'an unrelated change',
      'Seed the GitOps repository',
    ]);
    expect(await remoteFile(s.remote, AWS_FILE)).toBe(DEMO_AWS.slice(0, DEMO_AWS.indexOf('patches:\n')));
  });

  it('the other commit already did the same change: converged, no second commit', async () => {
    const dir = join(work, 'race-same');
    const s0 = await scenario();
    const injected = await injectCommitHook(dir, {
      hook: 'pre-push',
      remote: s0.remote,
      edits: [{ path: AWS_FILE, search: DEMO_AWS.slice(DEMO_AWS.indexOf('patches:\n')), replace: '' }],
      message: 'someone else: activate aws by hand',
    });
    const s = { ...s0, ...(await withEnv(s0, { GIT_CONFIG_GLOBAL: injected.gitconfig })) };
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    await writeFile(injected.armed, '');
    const result = await s.writer.applyStandby(plan, META);
    expect(result.changed).toBe(false);
    expect(result.commit).toBe(await remoteHead(s.remote));
    expect(await remoteSubjects(s.remote)).toEqual([
      'someone else: activate aws by hand',
      'Seed the GitOps repository',
    ]);
  });

  it('the other commit changed the same entries differently: a clear error, nothing pushed', async () => {
    const dir = join(work, 'race-conflict');
    const s0 = await scenario();
    const injected = await injectCommitHook(dir, {
      hook: 'pre-push',
      remote: s0.remote,
      edits: [
        {
          path: AWS_FILE,
          search: '  - path: cronjob-suspend.yml\n',
          replace:
            '  # keep the nightly report off until the data migration is done\n  - path: cronjob-suspend.yml\n',
        },
      ],
      message: 'someone else: comment the cronjob entry',
    });
    const s = { ...s0, ...(await withEnv(s0, { GIT_CONFIG_GLOBAL: injected.gitconfig })) };
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    await writeFile(injected.armed, '');
    const error = await failure(s.writer.applyStandby(plan, META));
    expect(error.code).toBe('FO_GIT_E3131');
    expect(error.category).toBe('step-failed');
    expect(error.message).toMatch(
      /^the standby entries of overlays\/aws\/kustomization.yaml changed in .* since the plan \(planned at [0-9a-f]{12}, now at [0-9a-f]{12}\): the entries cronjob-suspend.yml, replicas-zero.yml themselves were edited$/,
    );
    expect(error.hint).toMatch(/run again/);
    expect(await remoteSubjects(s.remote)).toEqual([
      'someone else: comment the cronjob entry',
      'Seed the GitOps repository',
    ]);
    expect(await s.cache.localRefs()).toEqual(['refs/remotes/origin/main']);
  });

  it('gives up after gitops.pushAttempts when the branch keeps moving', async () => {
    const dir = join(work, 'race-forever');
    const s0 = await scenario({ gitops: { pushAttempts: 1 } });
    const injected = await injectCommitHook(dir, {
      hook: 'pre-push',
      remote: s0.remote,
      edits: [readmeEdit],
      message: 'someone else: edit the README',
    });
    const s = {
      ...s0,
      ...(await withEnv(s0, { GIT_CONFIG_GLOBAL: injected.gitconfig }, { pushAttempts: 1 })),
    };
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    await writeFile(injected.armed, '');
    const error = await failure(s.writer.applyStandby(plan, META));
    expect(error).toMatchObject({ code: 'FO_GIT_E3133', category: 'step-failed', retryable: true });
    expect(await remoteSubjects(s.remote)).toEqual([
      'someone else: edit the README',
      'Seed the GitOps repository',
    ]);
  });
});

/** The same remote and state dir, with a different git environment (a "user" gitconfig). */
async function withEnv(
  s: Awaited<ReturnType<typeof scenario>>,
  env: NodeJS.ProcessEnv,
  gitops: Record<string, unknown> = {},
) {
  const adapter = adapterOptions({ repo: s.remote, stateDir: join(s.dir, 'state'), env, gitops });
  return { reader: createGitReader(adapter), writer: createGitWriter(adapter), options: adapter };
}

describe('refusals and bad input', () => {
  it('a push rejected by branch protection: the remote`s message, a hint, nothing left behind', async () => {
    const s = await scenario();
    await installRemoteHook(
      s.remote,
      'pre-receive',
      "process.stderr.write('error: GH006: Protected branch update failed for refs/heads/main.\\nerror: Changes must be made through a pull request.\\n');\nprocess.exit(1);",
    );
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    const error = await failure(s.writer.applyStandby(plan, META));
    expect(error.code).toBe('FO_GIT_E3132');
    expect(error.category).toBe('step-failed');
    expect(error.message).toContain('GH006: Protected branch update failed');
    expect(error.message).toContain('pre-receive hook declined');
    expect(error.hint).toMatch(/branch protection/);
    expect(await remoteHead(s.remote)).toBe(s.seed);
    expect(await s.cache.localRefs()).toEqual(['refs/remotes/origin/main']);
    expect(
      (await git(['--git-dir', s.cache.dir, 'rev-parse', 'refs/remotes/origin/main'])).stdout.trim(),
    ).toBe(s.seed);
  });

  it('an overlay path that does not exist: invalid-input naming it and the directories there', async () => {
    const s = await scenario({ gitops: { awsOverlay: 'overlays/awz' } });
    const error = await failure(s.reader.planStandby('aws', 'active', 'all', META));
    expect(error).toMatchObject({ code: 'FO_GIT_E3111', category: 'invalid-input' });
    expect(error.message).toContain('overlays/awz does not exist');
    expect(error.hint).toContain('gitops.awsOverlay');
    expect(error.hint).toContain('overlays/aws, overlays/gke');
  });

  it('a kustomization without the configured standby entries: invalid-input naming the file', async () => {
    const s = await scenario({
      gitops: { standby: { patchPaths: ['suspend-all.yaml'], components: ['dormant'] } },
    });
    const error = await failure(s.reader.planStandby('aws', 'active', 'all', META));
    expect(error).toMatchObject({ code: 'FO_GIT_E3113', category: 'invalid-input' });
    expect(error.message).toContain(AWS_FILE);
    expect(error.hint).toContain('gitops.standby.patchPaths');
    const toStandby = await failure(s.reader.planStandby('aws', 'standby', 'all', META));
    expect(toStandby).toMatchObject({ code: 'FO_GIT_E3125', category: 'invalid-input' });
  });

  it('an unreachable remote: step-failed with the URL (without credentials) and a hint', async () => {
    const options = adapterOptions({
      repo: join(work, 'no-such-remote.git'),
      stateDir: join(work, 'state-unreachable'),
    });
    const error = await failure(createGitReader(options).planStandby('aws', 'active', 'all', META));
    expect(error).toMatchObject({ code: 'FO_GIT_E3101', category: 'step-failed' });
    expect(error.message).toContain('no-such-remote.git');
    expect(error.hint).toMatch(/credentials/);

    const secret = adapterOptions({
      repo: 'http://bot:s3cr3t-t0ken@127.0.0.1:9/gitops.git',
      stateDir: join(work, 'state-secret'),
    });
    const leaked = await failure(createGitReader(secret).overlayState('aws'));
    expect(leaked.code).toBe('FO_GIT_E3101');
    expect(`${leaked.message} ${leaked.hint}`).not.toContain('s3cr3t');
    expect(secret.redactor.text('token s3cr3t-t0ken')).not.toContain('s3cr3t');
  });

  it('a branch that does not exist: invalid-input', async () => {
    const s = await scenario({ gitops: { branch: 'production' } });
    const error = await failure(s.reader.overlayState('aws'));
    expect(error).toMatchObject({ code: 'FO_GIT_E3102', category: 'invalid-input' });
  });
});

describe('GKE CronJob fencing (scope cronjobs)', () => {
  it('uncomments the commented entry to suspend, and failback restores the original text', async () => {
    const s = await scenario({ gke: 'as-is' });
    const fence = await s.reader.planStandby('gcp', 'standby', 'cronjobs', META);
    expect(fence).toMatchObject({
      converged: false,
      current: 'active',
      file: GKE_FILE,
      entries: ['cronjob-suspend.yml'],
    });
    expect(fence.commitMessage.split('\n')[0]).toBe('failover: suspend gcp cronjobs (INC-42)');
    expect(fence.diff).toContain(
      '-  # - path: cronjob-suspend.yml\n-  #   target:\n-  #     kind: CronJob\n',
    );
    expect(fence.diff).toContain('+  - path: cronjob-suspend.yml\n+    target:\n+      kind: CronJob\n');
    await s.writer.applyStandby(fence, META);
    const fenced = await remoteFile(s.remote, GKE_FILE);
    expect(fenced).toContain('\n  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n');
    expect(fenced).toContain('  # Fencing toggle');

    const unfence = await s.reader.planStandby('gcp', 'active', 'cronjobs', META);
    expect(unfence.commitMessage.split('\n')[0]).toBe('failover: resume gcp cronjobs (INC-42)');
    await s.writer.applyStandby(unfence, META);
    expect(await remoteFile(s.remote, GKE_FILE)).toBe(DEMO_GKE);
    expect((await s.reader.planStandby('gcp', 'active', 'cronjobs', META)).converged).toBe(true);
  });
});

describe('an aws overlay that builds on the gke overlay', () => {
  it.skipIf(!hasKustomize)(
    'the fence reaches AWS too: its plan warns which CronJobs stay suspended',
    async () => {
      const tree = join(work, `chain-${++counter}`);
      await cp(demoTreeDir(), tree, { recursive: true });
      // AWS = GKE's overlay plus the standby entries (the GKE-only BackendConfig comes along).
      await writeFile(join(tree, AWS_FILE), DEMO_AWS.replace('  - ../../base', '  - ../gke'));
      const chained = await scenario({ from: tree, gke: 'as-is' });
      const fence = await chained.reader.planStandby('gcp', 'standby', 'cronjobs', META);
      expect(fence.converged).toBe(false);
      expect(fence.warnings).toEqual([
        expect.stringMatching(
          /^overlays\/aws builds on overlays\/gke \(overlays\/aws → overlays\/gke\): the fence suspends its CronJobs there too \(admin\/nightly-report\), so once AWS is active they stay suspended/,
        ),
      ]);
      // The demo's overlays both build on the base: no such warning.
      const plain = await scenario({ gke: 'as-is' });
      expect((await plain.reader.planStandby('gcp', 'standby', 'cronjobs', META)).warnings).toEqual([]);
    },
  );
});

describe('the CronJob invariant, judged on the renders', () => {
  // Skipped only without kustomize and kubectl (a requirement of the tool, checked by CI).
  it.skipIf(!hasKustomize)(
    'refuses to activate AWS while GKE runs the same CronJob: nothing pushed, the CronJob named, the fix given',
    async () => {
      const s = await scenario({ gke: 'as-is' });
      const plan = await s.reader.planStandby('aws', 'active', 'all', META);
      const error = await failure(s.writer.applyStandby(plan, META));
      expect(error.code).toBe('FO_GIT_E3136');
      expect(error.message).toContain('admin/nightly-report');
      expect(error.message).toContain('would run on both clouds');
      expect(error.hint).toContain('gcp overlay');
      expect(await remoteHead(s.remote)).toBe(s.seed);
    },
  );

  it.skipIf(!hasKustomize)(
    'a GKE entry that suspends one CronJob by name fences no other: the activation is refused',
    async () => {
      // A team keeps a retired job suspended on GKE with a patch of the standard name; the tool
      // takes that entry for a fence, and only the render shows nightly-report still runs there.
      const tree = join(work, `by-name-${++counter}`);
      await cp(demoTreeDir(), tree, { recursive: true });
      await writeFile(
        join(tree, GKE_FILE),
        DEMO_GKE.replace(
          '  # - path: cronjob-suspend.yml\n  #   target:\n  #     kind: CronJob\n',
          '  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n      name: legacy-export\n',
        ),
      );
      await writeFile(join(tree, 'overlays/gke/cronjob-suspend.yml'), FENCE_PATCH);
      const s = await scenario({ from: tree, gke: 'as-is' });
      const plan = await s.reader.planStandby('aws', 'active', 'all', META);
      const error = await failure(s.writer.applyStandby(plan, META));
      expect(error.code).toBe('FO_GIT_E3136');
      expect(error.details).toMatchObject({ cronJobs: ['admin/nightly-report'] });
      expect(await remoteHead(s.remote)).toBe(s.seed);
    },
  );

  it.skipIf(!hasKustomize)(
    'refuses to resume GKE CronJobs while AWS runs them (a rollback of the fence after AWS went active)',
    async () => {
      const s = await scenario();
      const activated = await s.writer.applyStandby(
        await s.reader.planStandby('aws', 'active', 'all', META),
        META,
      );
      expect(activated.changed).toBe(true);
      const unfence = await s.reader.planStandby('gcp', 'active', 'cronjobs', META);
      expect(unfence.converged).toBe(false);
      const error = await failure(s.writer.applyStandby(unfence, META));
      expect(error.code).toBe('FO_GIT_E3136');
      expect(error.details).toMatchObject({ cronJobs: ['admin/nightly-report'] });
      expect(await remoteHead(s.remote)).toBe(activated.commit);
      // Once AWS is back in standby, GKE's CronJobs may resume.
      await s.writer.applyStandby(await s.reader.planStandby('aws', 'standby', 'all', META), META);
      const resumed = await s.writer.applyStandby(
        await s.reader.planStandby('gcp', 'active', 'cronjobs', META),
        META,
      );
      expect(resumed.changed).toBe(true);
    },
  );

  it.skipIf(!hasKustomize)(
    "a CronJob AWS runs even in standby: the unfence's plan refuses before anything changes",
    async () => {
      // AWS's standby suspends nightly-report by name; nightly-export, added later, runs there in
      // standby too. Once AWS is back in standby, resuming GKE's CronJobs would run it on both.
      const s = await scenario({ from: await treeWithNightlyExport() });
      // Going to AWS is fine: GKE's fence suspends every CronJob there.
      const activated = await s.writer.applyStandby(
        await s.reader.planStandby('aws', 'active', 'all', META),
        META,
      );
      expect(activated.changed).toBe(true);
      // The failback's unfence is refused at its plan, while AWS is still active: the plan judges
      // AWS as its standby edit will leave it, as the commit would after the runbook's standby step.
      const error = await failure(s.reader.planStandby('gcp', 'active', 'cronjobs', META));
      expect(error.code).toBe('FO_GIT_E3136');
      expect(error.details).toMatchObject({ cronJobs: ['admin/nightly-export'] });
      expect(error.hint).toContain('aws overlay');
      // The standby step itself plans as before: it is the unfence that may not follow.
      const standby = await s.reader.planStandby('aws', 'standby', 'all', META);
      expect(standby.converged).toBe(false);
      expect(await remoteHead(s.remote)).toBe(activated.commit);
    },
  );
});

describe('CronJobs named differently per cloud', () => {
  // Skipped only without kustomize and kubectl (a requirement of the tool, checked by CI).
  it.skipIf(!hasKustomize)(
    'a namePrefix on AWS: the unfence still finds the CronJob both clouds would run, by the file it comes from',
    async () => {
      // As in the case above, AWS's standby suspends only nightly-report, and nightly-export runs
      // there in standby; here the aws overlay also prefixes every name (aws-nightly-export).
      const tree = await treeWithNightlyExport('namePrefix: aws-\n');
      const s = await scenario({ from: tree });
      await s.writer.applyStandby(await s.reader.planStandby('aws', 'active', 'all', META), META);
      const error = await failure(s.reader.planStandby('gcp', 'active', 'cronjobs', META));
      expect(error.code).toBe('FO_GIT_E3136');
      expect(error.details).toMatchObject({ cronJobs: ['admin/nightly-export'] });
      // kustomize itself agrees: AWS in standby names it aws-nightly-export, and leaves it unsuspended.
      const dir = join(tree, 'overlays/aws');
      const awsRender = (await findOnPath('kustomize'))
        ? await exec('kustomize', ['build', dir])
        : await exec('kubectl', ['kustomize', dir]);
      const exportJob = awsRender.stdout
        .split('\n---\n')
        .find((doc) => doc.includes('name: aws-nightly-export\n'));
      expect(exportJob).toBeDefined();
      expect(exportJob).not.toMatch(/suspend: true/);
    },
  );
});

describe('standby toggle, Component shape', () => {
  it('removes the component line to activate and restores it byte-identical', async () => {
    const s = await scenario({ from: COMPONENT_REPO });
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    expect(plan.entries).toEqual(['../../components/standby']);
    expect(plan.diff).toContain('-  - ../../components/standby # keep dormant\n');
    if (hasKustomize) {
      expect(plan.render?.deploymentsStarting).toEqual(['shop/web']);
      expect(plan.render?.cronJobsResuming).toEqual(['shop/report']);
    }
    await s.writer.applyStandby(plan, META);
    expect(await remoteFile(s.remote, AWS_FILE)).toBe(
      COMPONENT_AWS.replace('  - ../../components/standby # keep dormant\n', ''),
    );
    expect((await s.reader.overlayState('aws')).state).toBe('active');

    await s.writer.applyStandby(await s.reader.planStandby('aws', 'standby', 'all', META), META);
    expect(await remoteFile(s.remote, AWS_FILE)).toBe(COMPONENT_AWS);
    expect(await s.reader.overlayState('aws')).toMatchObject({
      state: 'standby',
      entries: ['../../components/standby'],
    });
  });

  it('adds the component found in the tree when the history never had it', async () => {
    const s = await scenario({ from: COMPONENT_REPO });
    await pushChange({
      remote: s.remote,
      message: 'start active',
      change: (dir) =>
        writeFile(
          join(dir, AWS_FILE),
          COMPONENT_AWS.replace('  - ../../components/standby # keep dormant\n', ''),
        ),
    });
    // Seed and this commit: the history has a standby version (the seed), so it is used.
    const fromHistory = await s.reader.planStandby('aws', 'standby', 'all', META);
    expect(fromHistory.data).toMatchObject({ method: 'history' });
    // A repository whose overlay never listed the component: the one in the tree is added.
    const tree = join(s.dir, 'never-standby');
    await cp(COMPONENT_REPO, tree, { recursive: true });
    await writeFile(join(tree, AWS_FILE), 'resources:\n  - ../../base\n');
    const fresh = await createGitRemote({ dir: join(s.dir, 'fresh'), from: tree });
    const reader = createGitReader(
      adapterOptions({ repo: fresh.remote, stateDir: join(s.dir, 'state-fresh') }),
    );
    const plan = await reader.planStandby('aws', 'standby', 'all', META);
    expect(plan.data).toMatchObject({ method: 'canonical' });
    expect(plan.diff).toContain('+components:\n+  - ../../components/standby\n');
    expect(plan.warnings?.[0]).toMatch(/no earlier standby version/);
  });
});

describe('gitops.set-standby step', () => {
  function harness(s: Awaited<ReturnType<typeof scenario>>, afterChanges = false) {
    return stepContext(
      s.options,
      {
        id: 'run-42',
        operator: 'alice',
        incident: 'INC-42',
        reason: 'GKE down',
        host: 'laptop',
      },
      { afterChanges },
    );
  }

  it('is registered; plans the diff and the commit, applies, and rolls back with a rollback commit', async () => {
    expect(createRegistry().get('gitops.set-standby')).toBe(setStandbyStep);
    const s = await scenario();
    const { ctx, messages } = harness(s);
    const input = setStandbyStep.input.parse({ role: 'aws', state: 'active' });
    const plan = await setStandbyStep.plan(ctx, input);
    expect(plan.converged).toBe(false);
    expect(plan.changes[0]).toMatchObject({
      action: 'update',
      resource: `git ${AWS_FILE}`,
      summary: 'remove cronjob-suspend.yml, replicas-zero.yml',
    });
    expect(plan.changes[0]?.diff).toContain('-  - path: replicas-zero.yml');
    expect(plan.changes[1]).toMatchObject({
      action: 'create',
      resource: 'git commit on main',
      summary: 'failover: activate aws overlay (INC-42)',
    });
    expect(plan.outputs).not.toHaveProperty('commit'); // known after the push: later steps defer on it

    const result = await setStandbyStep.apply!(ctx, input, plan);
    const head = await remoteHead(s.remote);
    expect(result.outputs).toMatchObject({ commit: head, changed: true, attempts: 1 });
    expect(result.undo).toEqual({ role: 'aws', scope: 'all', previousState: 'standby', state: 'active' });
    expect(messages.map((m) => m.code)).toContain('FO_GITOPS_I4101');

    const converged = await setStandbyStep.plan(ctx, input);
    expect(converged).toMatchObject({ converged: true, outputs: { commit: head, changed: false } });

    await setStandbyStep.rollback!(ctx, input, result.undo);
    expect((await remoteSubjects(s.remote))[0]).toBe(
      'failover: rollback: put aws overlay in standby (INC-42)',
    );
    expect(await remoteFile(s.remote, AWS_FILE)).toBe(DEMO_AWS);
  });

  it('after earlier changes, a converged overlay is decided when the step runs', async () => {
    const s = await scenario();
    const { ctx } = harness(s, true);
    const plan = await setStandbyStep.plan(
      ctx,
      setStandbyStep.input.parse({ role: 'aws', state: 'standby' }),
    );
    expect(plan.converged).toBe(false);
    expect(plan.summary).toMatch(/decided when the step runs/);
  });
});

describe('Deployments the activation leaves at 0 replicas', () => {
  /** The demo tree with the aws overlay's Deployment entry replaced by `replacement`. */
  async function treeWith(replacement: string): Promise<string> {
    const tree = join(work, `at-zero-${++counter}`);
    await cp(demoTreeDir(), tree, { recursive: true });
    const edited = DEMO_AWS.replace(
      '  - path: replicas-zero.yml\n    target:\n      kind: Deployment\n',
      replacement,
    );
    expect(edited).not.toBe(DEMO_AWS);
    await writeFile(join(tree, AWS_FILE), edited);
    return tree;
  }

  // Skipped only without kustomize and kubectl (a requirement of the tool, checked by CI).
  it.skipIf(!hasKustomize)(
    'none starts (kept at 0 by a patch failover does not know): refused at plan time, with the fix',
    async () => {
      // An inline patch: not a standby entry, so removing the entries leaves every Deployment at 0.
      const tree = await treeWith(
        '  - patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 0\n    target:\n      kind: Deployment\n',
      );
      const s = await scenario({ from: tree });
      const error = await failure(s.reader.planStandby('aws', 'active', 'all', META));
      expect(error.code).toBe('FO_GIT_E3137');
      expect(error.message).toContain('would leave every Deployment at 0 replicas');
      expect(error.message).toContain('admin/admin-web');
      expect(error.hint).toContain('gitops.standby');
      expect(await remoteHead(s.remote)).toBe(s.seed);
    },
  );

  it.skipIf(!hasKustomize)(
    'only the CronJobs left to resume, one Deployment kept off AWS on purpose: not refused, a warning',
    async () => {
      // Partly active already: the Deployments run but worker, which an inline patch keeps at 0.
      const tree = await treeWith(
        '  - patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 0\n    target:\n      kind: Deployment\n      name: worker\n',
      );
      const s = await scenario({ from: tree });
      const plan = await s.reader.planStandby('aws', 'active', 'all', META);
      expect(plan.current).toBe('partial');
      expect(plan.render?.deploymentsStarting).toEqual([]);
      expect(plan.render?.cronJobsResuming).toEqual(['admin/nightly-report']);
      expect(plan.render?.noDeploymentRuns).toBeUndefined();
      expect(plan.warnings?.join('\n')).toContain('Deployment admin/worker stays at 0 replicas');
    },
  );

  it.skipIf(!hasKustomize)(
    'some stay at 0 (a workload kept off AWS on purpose): a warning names them',
    async () => {
      const tree = await treeWith(
        '  - path: replicas-zero.yml\n    target:\n      kind: Deployment\n  - patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 0\n    target:\n      kind: Deployment\n      name: worker\n',
      );
      const s = await scenario({ from: tree });
      const plan = await s.reader.planStandby('aws', 'active', 'all', META);
      expect(plan.render?.deploymentsStarting.sort()).toEqual(['admin/admin-api', 'admin/admin-web']);
      expect(plan.render?.workloadsStayingAtZero).toEqual(['Deployment admin/worker']);
      expect(plan.warnings?.join('\n')).toMatch(
        /Deployment admin\/worker stays at 0 replicas in overlays\/aws once active/,
      );
    },
  );
});

describe('a StatefulSet kept at 0 by a patch gitops.standby does not name', () => {
  it.skipIf(!hasKustomize)('the activation plan names it: it would stay at 0 on AWS', async () => {
    const tree = join(work, `statefulset-${++counter}`);
    await cp(demoTreeDir(), tree, { recursive: true });
    await writeFile(
      join(tree, 'base/redis.yml'),
      'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: redis\nspec:\n  replicas: 3\n  serviceName: redis\n  selector:\n    matchLabels: { app: redis }\n  template:\n    metadata:\n      labels: { app: redis }\n    spec:\n      containers:\n        - name: redis\n          image: redis:7\n',
    );
    const base = join(tree, 'base/kustomization.yaml');
    await writeFile(
      base,
      readFileSync(base, 'utf8').replace('  - ingress.yml\n', '  - ingress.yml\n  - redis.yml\n'),
    );
    await writeFile(
      join(tree, 'overlays/aws/statefulset-zero.yaml'),
      '- op: replace\n  path: /spec/replicas\n  value: 0\n',
    );
    await writeFile(
      join(tree, AWS_FILE),
      `${DEMO_AWS}  - path: statefulset-zero.yaml\n    target:\n      kind: StatefulSet\n`,
    );
    const s = await scenario({ from: tree });
    const plan = await s.reader.planStandby('aws', 'active', 'all', META);
    expect(plan.render?.workloadsStayingAtZero).toEqual(['StatefulSet admin/redis']);
    expect(plan.warnings?.join('\n')).toContain(
      'StatefulSet admin/redis stays at 0 replicas in overlays/aws once active',
    );
  });
});

describe('standby that lives outside the kustomization failover edits', () => {
  it.skipIf(!hasKustomize)(
    'a parent overlay holds the entries: "already active" is refused, with where to keep them',
    async () => {
      const s = await scenario();
      // The team moves the standby into an intermediate overlay that overlays/aws builds on.
      await pushChange({
        remote: s.remote,
        message: 'aws: standby in a shared parent overlay',
        change: async (dir) => {
          await cp(join(dir, 'overlays/aws'), join(dir, 'overlays/aws-standby-base'), { recursive: true });
          await writeFile(
            join(dir, AWS_FILE),
            'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../aws-standby-base\n',
          );
        },
      });
      const head = await remoteHead(s.remote);
      const error = await failure(s.reader.planStandby('aws', 'active', 'all', META));
      expect(error.code).toBe('FO_GIT_E3137');
      expect(error.message).toMatch(
        /^overlays\/aws\/kustomization.yaml lists no standby entry, yet overlays\/aws renders every Deployment at 0 replicas \(admin\/admin-api, admin\/admin-web, admin\/worker\)/,
      );
      expect(error.hint).toContain('not in a parent overlay');
      expect(await remoteHead(s.remote)).toBe(head);
      // The status reads the render, not the absent entries: standby, from elsewhere.
      expect(await s.reader.overlayState('aws')).toMatchObject({
        state: 'standby',
        standbyElsewhere: true,
        entries: [],
      });
    },
  );
});
