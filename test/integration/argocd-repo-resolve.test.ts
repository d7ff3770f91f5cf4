/**
 * The Argo CD emulator's repo-server resolves a branch again only when a file a ref lives in
 * changed. Checked against the real git CLI on every way a ref moves: a push, `update-ref`, refs
 * packed by `git pack-refs` (the loose file gone) and a loose ref written over a packed one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateKustomize } from '../../src/providers/kustomize/index.js';
import { RepoService } from '../../src/sandbox/argocd/repo.js';
import { createGitRemote, type GitRemote, git, pushChange } from '../../src/sandbox/gitops-demo/index.js';

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
