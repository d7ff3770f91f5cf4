/**
 * The GitOps cache's reads and builds against real git, and the render cache against real
 * kustomize (kubectl behind a counting wrapper): objects are read through one long-lived
 * `git cat-file --batch` and still see what was written after it started; a commit built in this
 * process has exactly the tree git's own index would give; a tree is rendered once, a changed tree
 * again, and an edit that is then committed is already rendered. The repository is a billing
 * service with a primary and a standby cluster overlay (not the demo tree).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDirFor, GitCache } from '../../src/providers/git/cache.js';
import { createGitRunner } from '../../src/providers/git/cli.js';
import { renderEdited, renderToggle } from '../../src/providers/git/render.js';
import { git, isolatedGitEnv } from '../../src/sandbox/gitops-demo/index.js';
import { exec, findOnPath } from '../../src/util/exec.js';
import {
  type CountingWrapper,
  countingWrapper,
  loggedLines,
  remoteFromTree,
} from '../fixtures/counting-git.js';

const kubectl = await findOnPath('kubectl');
const OVERLAY = 'clusters/standby';
const FILE = `${OVERLAY}/kustomization.yaml`;
const STANDBY = `namespace: billing
resources:
  - ../../base
patches:
  # standby: no replicas until failover
  - path: scale-down.yaml
    target:
      kind: Deployment
`;
const ACTIVE = 'namespace: billing\nresources:\n  - ../../base\n';

const TREE: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - cronjob.yaml\n',
  'base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing-api
spec:
  replicas: 3
  selector:
    matchLabels: { app: billing-api }
  template:
    metadata:
      labels: { app: billing-api }
    spec:
      containers:
        - name: api
          image: registry.example.com/billing-api:2.4.1
`,
  'base/cronjob.yaml': `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ledger-export
spec:
  schedule: "15 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: export
              image: registry.example.com/ledger-export:1.9.0
`,
  [FILE]: STANDBY,
  [`${OVERLAY}/scale-down.yaml`]: '- op: replace\n  path: /spec/replicas\n  value: 0\n',
  'clusters/primary/kustomization.yaml': 'namespace: billing\nresources:\n  - ../../base\n',
  'tools/smoke.sh': '#!/bin/sh\necho ok\n',
};

const IDENTITY = {
  GIT_AUTHOR_NAME: 'billing release bot',
  GIT_AUTHOR_EMAIL: 'release-bot@billing.example.com',
  GIT_COMMITTER_NAME: 'billing release bot',
  GIT_COMMITTER_EMAIL: 'release-bot@billing.example.com',
};

let work: string;
let remote: string;
let seed: string;
let cache: GitCache;
let log: string;
let wrapper: CountingWrapper | undefined;

/** git in the cache repository (objects are read from there). */
async function remoteGit(args: string[]): Promise<string> {
  return (await git(['--git-dir', cache.dir, ...args])).stdout.trim();
}

async function renders(): Promise<number> {
  return (await loggedLines(log)).length;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-git-read-cache-'));
  ({ remote, head: seed } = await remoteFromTree(work, TREE, { executable: ['tools/smoke.sh'] }));
  cache = new GitCache(
    createGitRunner(isolatedGitEnv()),
    remote,
    cacheDirFor(join(work, 'state', 'git-cache'), remote),
  );
  // kubectl behind a wrapper that counts the builds, first on PATH for the renderer lookup.
  log = join(work, 'renders.log');
  if (kubectl) wrapper = await countingWrapper(work, 'kubectl', kubectl, { log });
});

afterAll(async () => {
  wrapper?.restore();
  cache?.close();
  await rm(work, { recursive: true, force: true });
});

describe('the cache repository', () => {
  it('runs nothing on its own: git reads gc.auto 0 and maintenance.auto false from its config', async () => {
    await cache.ensure();
    expect(await remoteGit(['config', '--get', 'gc.auto'])).toBe('0');
    expect(await remoteGit(['config', '--type', 'bool', '--get', 'maintenance.auto'])).toBe('false');
    expect(await remoteGit(['rev-parse', '--is-bare-repository'])).toBe('true');
  });
});

describe('object reads through one cat-file process', () => {
  it('reads files, directories, types and trees as git shows them', async () => {
    expect(await cache.fetchBranch('main')).toBe(seed);
    expect(await cache.readFile(seed, FILE)).toBe(STANDBY);
    expect(await cache.readFile(seed, OVERLAY)).toBeUndefined();
    expect(await cache.readFile(seed, 'clusters/none.yaml')).toBeUndefined();
    expect(await cache.typeOf(seed, OVERLAY)).toBe('tree');
    expect(await cache.typeOf(seed, FILE)).toBe('blob');
    expect(await cache.typeOf(seed, 'clusters/none')).toBeUndefined();
    expect(await cache.listDir(seed, 'tools')).toEqual([{ mode: '100755', type: 'blob', name: 'smoke.sh' }]);
    const lsTree = await remoteGit(['ls-tree', seed]);
    expect((await cache.listDir(seed, '')).map((e) => `${e.mode} ${e.type} ${e.name}`)).toEqual(
      lsTree.split('\n').map((line) => line.replace(/ [0-9a-f]{40}\t/, ' ')),
    );
    expect(await cache.listDirs(seed)).toEqual(
      (await remoteGit(['ls-tree', '-r', '-d', '--name-only', seed])).split('\n'),
    );
    expect(await cache.treeOf(seed, OVERLAY)).toBe(await remoteGit(['rev-parse', `${seed}:${OVERLAY}`]));
    expect(await cache.treeOf(seed, '')).toBe(await remoteGit(['rev-parse', `${seed}^{tree}`]));
    expect(await cache.hasObject(seed)).toBe(true);
    expect(await cache.hasObject('0'.repeat(40))).toBe(false);
    expect(await cache.commitMessage(seed)).toBe(`${await remoteGit(['log', '-1', '--format=%B', seed])}\n`);
    expect(await cache.commitDate(seed)).toBe(
      new Date(Number(await remoteGit(['log', '-1', '--format=%ct', seed])) * 1000).toISOString(),
    );
  });

  it('sees objects and refs written after it started', async () => {
    await cache.fetchBranch('main');
    const commit = await cache.commitFile({
      parent: seed,
      path: FILE,
      content: ACTIVE,
      message: 'billing: standby cluster active\n',
      env: IDENTITY,
    });
    expect(await cache.hasObject(commit)).toBe(true);
    expect(await cache.readFile(commit, FILE)).toBe(ACTIVE);
    expect(await cache.readFile(seed, FILE)).toBe(STANDBY);
    await cache.setRef('refs/remotes/origin/side', commit);
    expect(await cache.readRev('refs/remotes/origin/side')).toBe(commit);
    await cache.setRef('refs/remotes/origin/side', seed);
    expect(await cache.readRev('refs/remotes/origin/side')).toBe(seed);
  });
});

describe('commits built in this process', () => {
  it('have the tree that git read-tree + update-index + write-tree gives, and pass fsck', async () => {
    await cache.fetchBranch('main');
    const fence = '- op: add\n  path: /spec/suspend\n  value: true\n';
    const commit = await cache.commitFile({
      parent: seed,
      path: 'tools/smoke.sh',
      content: '#!/bin/sh\necho ok again\n',
      message: 'billing: fence and tidy\n',
      env: IDENTITY,
      also: [
        { path: `${OVERLAY}/fence-cronjobs.yaml`, content: fence },
        // The only file of its directory: the directory goes too.
        { path: 'clusters/primary/kustomization.yaml', content: null },
        { path: 'clusters/never-there.yaml', content: null },
      ],
    });
    // The same change through git's index.
    const env = { ...isolatedGitEnv(), GIT_INDEX_FILE: join(work, 'expected-index') };
    const plumbing = async (args: string[], input?: string) =>
      (
        await exec('git', ['--git-dir', cache.dir, ...args], {
          env,
          ...(input === undefined ? {} : { input }),
        })
      ).stdout.trim();
    await plumbing(['read-tree', seed]);
    const blob = await plumbing(['hash-object', '-w', '--stdin'], '#!/bin/sh\necho ok again\n');
    const fenceBlob = await plumbing(['hash-object', '-w', '--stdin'], fence);
    await plumbing(
      ['update-index', '--index-info'],
      `100755 ${blob}\ttools/smoke.sh\n100644 ${fenceBlob}\t${OVERLAY}/fence-cronjobs.yaml\n0 ${'0'.repeat(40)}\tclusters/primary/kustomization.yaml\n`,
    );
    const expected = await plumbing(['write-tree']);
    expect(await remoteGit(['rev-parse', `${commit}^{tree}`])).toBe(expected);
    expect(await remoteGit(['rev-parse', `${commit}^`])).toBe(seed);
    expect(await remoteGit(['log', '-1', '--format=%B', commit])).toBe('billing: fence and tidy');
    await remoteGit(['fsck', '--strict', '--no-dangling']);
    // The remote takes it: every object it needs is in the cache.
    expect(await cache.push(commit, 'refs/heads/fenced')).toEqual({ ok: true });
    expect((await git(['--git-dir', remote, 'rev-parse', 'refs/heads/fenced'])).stdout.trim()).toBe(commit);
  });

  it('a lock commit: one lock.json, no parent', async () => {
    const commit = await cache.commitDetached({
      file: 'lock.json',
      content: '{"runId":"run-7"}\n',
      message: 'lock\n',
      env: IDENTITY,
    });
    expect(await remoteGit(['ls-tree', commit])).toMatch(/^100644 blob [0-9a-f]{40}\tlock\.json$/);
    expect(await remoteGit(['rev-list', '--parents', '-1', commit])).toBe(commit);
    expect(await cache.readFile(commit, 'lock.json')).toBe('{"runId":"run-7"}\n');
  });
});

describe.skipIf(!kubectl)('renders, by tree', () => {
  const replicas = (objects: Awaited<ReturnType<typeof renderEdited>>) =>
    (objects.find((o) => o.kind === 'Deployment')?.spec as { replicas?: number } | undefined)?.replicas;
  const image = (objects: Awaited<ReturnType<typeof renderEdited>>) =>
    JSON.stringify(objects.find((o) => o.kind === 'Deployment')?.spec).match(/billing-api:[\d.]+/)?.[0];

  it('the same tree renders once; a changed tree, an edit and another overlay render again', async () => {
    await cache.fetchBranch('main');
    const start = await renders();
    const first = await renderEdited(cache, seed, OVERLAY);
    expect(replicas(first)).toBe(0);
    expect(await renders()).toBe(start + 1);
    const again = await renderEdited(cache, seed, OVERLAY);
    expect(again).toEqual(first);
    expect(await renders()).toBe(start + 1);
    // Each caller has its own objects.
    (again[0] as { kind: string }).kind = 'Changed';
    expect((await renderEdited(cache, seed, OVERLAY))[0]?.kind).not.toBe('Changed');

    // A file the overlay reads, changed in a new commit: rendered again, with the change.
    const upgraded = await cache.commitFile({
      parent: seed,
      path: 'base/deployment.yaml',
      content: TREE['base/deployment.yaml']!.replace('2.4.1', '2.5.0'),
      message: 'billing-api 2.5.0\n',
      env: IDENTITY,
    });
    expect(image(await renderEdited(cache, upgraded, OVERLAY))).toBe('billing-api:2.5.0');
    expect(await renders()).toBe(start + 2);

    // An edit of the overlay: rendered; the commit of that very edit is then already known.
    expect(replicas(await renderEdited(cache, seed, OVERLAY, FILE, ACTIVE))).toBe(3);
    expect(await renders()).toBe(start + 3);
    const activated = await cache.commitFile({
      parent: seed,
      path: FILE,
      content: ACTIVE,
      message: 'billing: standby cluster active\n',
      env: IDENTITY,
    });
    expect(replicas(await renderEdited(cache, activated, OVERLAY))).toBe(3);
    expect(await renders()).toBe(start + 3);

    // Another overlay of the same tree is another render.
    expect(replicas(await renderEdited(cache, seed, 'clusters/primary'))).toBe(3);
    expect(await renders()).toBe(start + 4);
  });

  it('the plan render (before and after) shares the renders of the same trees', async () => {
    await cache.fetchBranch('main');
    const start = await renders();
    const plan = await renderToggle(cache, seed, OVERLAY, FILE, ACTIVE, [], 'before');
    expect(plan.summary.deploymentsStarting).toEqual(['billing/billing-api']);
    // This standby keeps the Deployment at 0 only: the CronJob runs in standby too.
    expect(plan.summary.alwaysOn).toEqual(['CronJob billing/ledger-export']);
    // Both trees were rendered by the previous test.
    expect(await renders()).toBe(start);
    const back = await renderToggle(cache, seed, OVERLAY, FILE, STANDBY.replace('scale-down', 'scale-down'), [
      { path: `${OVERLAY}/extra.yaml`, content: 'unused: true\n' },
    ]);
    // The edit adds a file: another tree, rendered once.
    expect(back.summary.deploymentsStarting).toEqual([]);
    expect(await renders()).toBe(start + 1);
  });

  it('a build that fails is remembered for that tree', async () => {
    await cache.fetchBranch('main');
    const broken = await cache.commitFile({
      parent: seed,
      path: FILE,
      content: 'resources:\n  - missing-deployment.yaml\n',
      message: 'broken\n',
      env: IDENTITY,
    });
    const start = await renders();
    await expect(renderEdited(cache, broken, OVERLAY)).rejects.toThrow(/missing-deployment\.yaml/);
    await expect(renderEdited(cache, broken, OVERLAY)).rejects.toThrow(/missing-deployment\.yaml/);
    expect(await renders()).toBe(start + 1);
  });
});
