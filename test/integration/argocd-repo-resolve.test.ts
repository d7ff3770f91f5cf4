/**
 * The Argo CD emulator's repo-server resolves a branch again only when a file a ref lives in
 * changed. Checked against the real git CLI on every way a ref moves: a push, `update-ref`, refs
 * packed by `git pack-refs` (the loose file gone) and a loose ref written over a packed one.
 * Builds are shared between repo-servers by tree: counted by a kubectl wrapper on PATH.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { locateKustomize } from '../../src/providers/kustomize/index.js';
import { RepoService } from '../../src/sandbox/argocd/repo.js';
import { createGitRemote, type GitRemote, git, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { findOnPath } from '../../src/util/exec.js';
import { countingWrapper, loggedLines } from '../fixtures/counting-git.js';

const kubectl = await findOnPath('kubectl');

let work: string;
let remote: GitRemote;
let repo: RepoService;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'argocd-repo-resolve-'));
  remote = await createGitRemote({ dir: work });
  repo = new RepoService(join(work, 'cache'), await locateKustomize());
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const head = async () =>
  (await git(['--git-dir', remote.remote, 'rev-parse', 'refs/heads/main'])).stdout.trim();
const commit = (message: string) =>
  pushChange({
    remote: remote.remote,
    message,
    change: (dir) => writeFile(join(dir, 'README.md'), `${message}\n`),
  });

describe('branch resolution in the Argo CD emulator', () => {
  it('follows every way the branch moves, and answers the same sha while nothing changed', async () => {
    const first = await repo.resolve(remote.remote, 'main');
    expect(first).toBe(await head());
    expect(await repo.resolve(remote.remote, 'main')).toBe(first);

    const pushed = await commit('a push');
    expect(await repo.resolve(remote.remote, 'main')).toBe(pushed);

    await git(['--git-dir', remote.remote, 'update-ref', 'refs/heads/main', first]);
    expect(await repo.resolve(remote.remote, 'main')).toBe(first);

    // Packed: the loose ref file is gone, the ref lives in packed-refs.
    await git(['--git-dir', remote.remote, 'pack-refs', '--all']);
    expect(await repo.resolve(remote.remote, 'main')).toBe(first);
    await git(['--git-dir', remote.remote, 'update-ref', 'refs/heads/main', pushed]);
    expect(await repo.resolve(remote.remote, 'main')).toBe(pushed);

    // A sha resolves to itself; HEAD follows the branch.
    expect(await repo.resolve(remote.remote, first)).toBe(first);
    expect(await repo.resolve(remote.remote, 'HEAD')).toBe(pushed);
    await git(['--git-dir', remote.remote, 'update-ref', 'refs/heads/main', first]);
    expect(await repo.resolve(remote.remote, 'HEAD')).toBe(first);
  });
});

describe.skipIf(!kubectl)('renders shared by repo-servers in one process', () => {
  it('a second sandbox with the same files builds nothing; a hard refresh or a changed tree builds again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'argocd-repo-shared-'));
    const wrapper = await countingWrapper(dir, 'kubectl', kubectl as string);
    try {
      const tool = await locateKustomize();
      expect(tool.path).toBe(join(dir, 'bin', 'kubectl'));
      const builds = async () => (await loggedLines(wrapper.log)).length;
      const first = await createGitRemote({ dir: join(dir, 'first') });
      const second = await createGitRemote({ dir: join(dir, 'second') });
      const tree = async (remote: string, sha: string) =>
        (await git(['--git-dir', remote, 'rev-parse', `${sha}^{tree}`])).stdout.trim();
      const serverA = new RepoService(join(dir, 'cache-a'), tool);
      const serverB = new RepoService(join(dir, 'cache-b'), tool);
      const shaA = await serverA.resolve(first.remote, 'main');
      const shaB = await serverB.resolve(second.remote, 'main');
      expect(await tree(second.remote, shaB)).toBe(await tree(first.remote, shaA));

      const fromA = await serverA.render(first.remote, shaA, 'overlays/aws');
      expect(await builds()).toBe(1);
      const fromB = await serverB.render(second.remote, shaB, 'overlays/aws');
      expect(await builds()).toBe(1);
      expect(fromB).toEqual(fromA);
      // Each answer is its own copy.
      fromB.length = 0;
      expect(await serverA.render(first.remote, shaA, 'overlays/aws')).toEqual(fromA);
      // Another path of the same tree is another build.
      await serverB.render(second.remote, shaB, 'overlays/gke');
      expect(await builds()).toBe(2);

      // A hard refresh builds again, as the repo-server's manifest cache is dropped.
      serverB.invalidate(second.remote);
      expect(await serverB.render(second.remote, shaB, 'overlays/aws')).toEqual(fromA);
      expect(await builds()).toBe(3);

      const changed = await pushChange({
        remote: second.remote,
        message: 'aws overlay: a label',
        change: async (work) => {
          const file = join(work, 'overlays/aws/kustomization.yaml');
          await writeFile(file, `${await readFile(file, 'utf8')}commonLabels:\n  cloud: aws\n`);
        },
      });
      const labelled = await serverB.render(second.remote, changed, 'overlays/aws');
      expect(await builds()).toBe(4);
      expect(labelled.every((object) => object.metadata.labels?.cloud === 'aws')).toBe(true);
    } finally {
      wrapper.restore();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!kubectl)('renders kept in a render store, for other processes', () => {
  it('a repo-server in a fresh process finds a tree built before without a build; without the store it builds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'argocd-repo-store-'));
    const wrapper = await countingWrapper(dir, 'kubectl', kubectl as string);
    /** The repo-server module as a new process loads it: nothing shared in memory. */
    const freshRepoService = async () => {
      vi.resetModules();
      return (await import('../../src/sandbox/argocd/repo.js')).RepoService;
    };
    try {
      const tool = await locateKustomize();
      const builds = async () => (await loggedLines(wrapper.log)).length;
      const store = await mkdtemp(join(dir, 'store-'));
      const first = await createGitRemote({ dir: join(dir, 'first') });
      const second = await createGitRemote({ dir: join(dir, 'second') });

      const serverA = new (await freshRepoService())(join(dir, 'cache-a'), tool, store);
      const fromA = await serverA.render(
        first.remote,
        await serverA.resolve(first.remote, 'main'),
        'overlays/aws',
      );
      expect(await builds()).toBe(1);
      expect(await readdir(store)).toHaveLength(1);

      const serverB = new (await freshRepoService())(join(dir, 'cache-b'), tool, store);
      const fromB = await serverB.render(
        second.remote,
        await serverB.resolve(second.remote, 'main'),
        'overlays/aws',
      );
      expect(await builds()).toBe(1);
      expect(fromB).toEqual(fromA);

      const serverC = new (await freshRepoService())(join(dir, 'cache-c'), tool);
      await serverC.render(second.remote, await serverC.resolve(second.remote, 'main'), 'overlays/aws');
      expect(await builds()).toBe(2);
    } finally {
      wrapper.restore();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
