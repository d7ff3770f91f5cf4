/**
 * The sandbox's GitOps repository: a bare git remote seeded from the demo tree (laid out like the
 * write-up: base + overlays/gke + overlays/aws in standby) or from a tree the team copies in.
 * The Argo CD emulator tracks it; the failover tool clones, commits and pushes to it like to any remote.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GitAuthor, git, identityArgs, SANDBOX_AUTHOR } from './git.js';

export { type GitAuthor, git, identityArgs, isolatedGitEnv, localRepoPath, SANDBOX_AUTHOR } from './git.js';

const TREE_IN_SOURCE = join('src', 'sandbox', 'gitops-demo', 'tree');

/**
 * Where the demo tree lives. The files are kept in the source tree (they are data, not code), so
 * from the compiled module in dist/ we look for the package root and use its src/ copy.
 */
export function demoTreeDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'tree');
  if (existsSync(join(sibling, 'base', 'kustomization.yaml'))) return sibling;
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, TREE_IN_SOURCE);
    if (existsSync(join(dir, 'package.json')) && existsSync(join(candidate, 'base', 'kustomization.yaml'))) {
      return candidate;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`demo GitOps tree not found (looked next to ${here} and for ${TREE_IN_SOURCE} above it)`);
}

export interface CreateGitRemoteOptions {
  /** Directory that receives the bare repository `gitops.git` (created if missing). */
  dir: string;
  /** An existing GitOps tree to seed from instead of the demo tree. Its own .git is ignored. */
  from?: string;
  /** Default `main`. */
  branch?: string;
  author?: GitAuthor;
  message?: string;
  /** Files to add to the seeded tree (path relative to the root → content). */
  extraFiles?: Record<string, string>;
}

export interface GitRemote {
  /** Path of the bare repository; usable as a git remote URL and as an Argo CD repoURL here. */
  remote: string;
  branch: string;
  /** Commit sha of the seed commit. */
  head: string;
}

/** Creates `dir/gitops.git` with one commit on `branch` holding the demo tree (or `from`). */
export async function createGitRemote(options: CreateGitRemoteOptions): Promise<GitRemote> {
  const branch = options.branch ?? 'main';
  const source = resolve(options.from ?? demoTreeDir());
  const remote = resolve(options.dir, 'gitops.git');
  await mkdir(options.dir, { recursive: true });
  if (existsSync(remote)) throw new Error(`${remote} already exists`);
  await git(['init', '--quiet', '--bare', `--initial-branch=${branch}`, remote]);

  const work = await mkdtemp(join(tmpdir(), 'failover-gitops-seed-'));
  try {
    await cp(source, work, {
      recursive: true,
      filter: (path) => !path.split(/[\\/]/).includes('.git'),
    });
    for (const [path, content] of Object.entries(options.extraFiles ?? {})) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
    }
    await git(['init', '--quiet', `--initial-branch=${branch}`], { cwd: work });
    await git(['add', '--all'], { cwd: work });
    await git(
      [
        ...identityArgs(options.author ?? SANDBOX_AUTHOR),
        'commit',
        '--quiet',
        '--no-verify',
        '-m',
        options.message ?? 'Seed the GitOps repository',
      ],
      { cwd: work },
    );
    await git(['push', '--quiet', remote, `HEAD:refs/heads/${branch}`], { cwd: work });
    const head = (await git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
    return { remote, branch, head };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface PushChangeOptions {
  remote: string;
  branch?: string;
  message: string;
  author?: GitAuthor;
  /** Edits the checked-out tree in `dir` (the repository root). */
  change: (dir: string) => void | Promise<void>;
}

/**
 * Clones the remote, applies `change`, commits everything and pushes: how a person (or a test)
 * changes the GitOps repository. Returns the new commit sha.
 */
export async function pushChange(options: PushChangeOptions): Promise<string> {
  const branch = options.branch ?? 'main';
  const work = await mkdtemp(join(tmpdir(), 'failover-gitops-change-'));
  try {
    await git(['clone', '--quiet', '--branch', branch, options.remote, work]);
    await options.change(work);
    await git(['add', '--all'], { cwd: work });
    await git(
      [
        ...identityArgs(options.author ?? SANDBOX_AUTHOR),
        'commit',
        '--quiet',
        '--no-verify',
        '-m',
        options.message,
      ],
      { cwd: work },
    );
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: work });
    return (await git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
