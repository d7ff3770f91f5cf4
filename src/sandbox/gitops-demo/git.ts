/**
 * The git CLI for the sandbox (demo remote, Argo CD emulator): always through execFile, with an
 * environment that ignores the machine's system and global git configuration, so results do not
 * depend on whoever runs the tests (HOME may have no .gitconfig, or one with signing enabled).
 */
import { type ExecResult, exec } from '../../util/exec.js';

export interface GitAuthor {
  name: string;
  email: string;
}

export const SANDBOX_AUTHOR: GitAuthor = { name: 'failover sandbox', email: 'sandbox@failover.invalid' };

/** An environment for git that reads no system or global configuration and never prompts. */
export function isolatedGitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Only what git needs to run; nothing from the user's git setup leaks in.
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
    LC_ALL: 'C',
    ...extra,
  };
}

/** `-c user.name=... -c user.email=...` plus settings that keep commits plain (no signing, no hooks). */
export function identityArgs(author: GitAuthor = SANDBOX_AUTHOR): string[] {
  return [
    '-c',
    `user.name=${author.name}`,
    '-c',
    `user.email=${author.email}`,
    '-c',
    'commit.gpgsign=false',
    '-c',
    'core.hooksPath=/dev/null',
  ];
}

export interface GitOptions {
  cwd?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function git(args: readonly string[], options: GitOptions = {}): Promise<ExecResult> {
  return exec('git', args, {
    cwd: options.cwd,
    env: isolatedGitEnv(options.env),
    timeoutMs: options.timeoutMs ?? 30_000,
  });
}

/** Accepts a plain path or a file:// URL for a local repository. */
export function localRepoPath(repoURL: string): string {
  if (repoURL.startsWith('file://')) return decodeURIComponent(new URL(repoURL).pathname);
  return repoURL;
}
