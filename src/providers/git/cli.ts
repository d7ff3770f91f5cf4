/**
 * The git CLI for the GitOps adapter: always `execFile` with an argument array (src/util/exec.ts),
 * never a shell. The user's git setup applies (credential helpers, SSH agent, URL rewrites, their
 * identity); only prompting is switched off, so a missing credential fails instead of hanging.
 */

import { join } from 'node:path';
import { type FailoverError, stepFailed } from '../../engine/errors.js';
import { ExecError, exec } from '../../util/exec.js';
import { packageRoot } from '../../util/package-root.js';

export interface GitRunOptions {
  /** The cache repository (`--git-dir`). */
  gitDir?: string;
  /** A work tree for commands that write files (rendering the overlay). */
  workTree?: string;
  /** Extra environment on top of the adapter's (an index file, an identity). */
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GitRunner {
  run(args: readonly string[], options?: GitRunOptions): Promise<string>;
  /** The environment local git commands run with (no credentials: they never reach the remote). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Network operations (fetch, push, ls-remote) may take a while on a slow link; local ones do not. */
export const NETWORK_TIMEOUT_MS = 120_000;
const LOCAL_TIMEOUT_MS = 30_000;

/** The environment git runs with: the user's, minus prompts, with messages in English for parsing. */
export function gitEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', LANGUAGE: 'C' };
  // Set by a surrounding git (a hook running us); they would point git at the wrong repository.
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_PREFIX', 'GIT_OBJECT_DIRECTORY']) {
    delete env[key];
  }
  return env;
}

/**
 * The user name and password written into an http(s) URL, and the URL without them. Git gets
 * them through GIT_ASKPASS and the environment, never on its command line.
 */
export interface UrlCredentials {
  /** The URL as configured (the key of the cache; never passed to git). */
  url: string;
  /** The URL without user info: what git sees in argv. */
  bare: string;
  username: string;
  password: string;
}

export function urlCredentials(url: string): UrlCredentials | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!parsed.username && !parsed.password) return undefined;
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url, bare: parsed.toString(), username, password };
}

/** The program git asks for credentials: bin/git-askpass of the package. */
export function askPassProgram(): string {
  return join(packageRoot(), 'bin', 'git-askpass');
}

export function createGitRunner(baseEnv: NodeJS.ProcessEnv, remote?: string): GitRunner {
  const env = gitEnvironment(baseEnv);
  const credentials = remote ? urlCredentials(remote) : undefined;
  const credentialEnv: NodeJS.ProcessEnv = credentials
    ? {
        GIT_ASKPASS: askPassProgram(),
        FAILOVER_GIT_USERNAME: credentials.username,
        FAILOVER_GIT_PASSWORD: credentials.password,
      }
    : {};
  // Without the user's credential helpers: they would answer for another account, or store
  // the password from the URL on disk.
  const credentialConfig = credentials ? ['-c', 'credential.helper='] : [];
  return {
    env,
    async run(args, options = {}) {
      options.signal?.throwIfAborted();
      const prefix = [
        ...credentialConfig,
        ...(options.gitDir ? [`--git-dir=${options.gitDir}`] : []),
        ...(options.workTree ? [`--work-tree=${options.workTree}`] : []),
      ];
      const argv = credentials ? args.map((arg) => (arg === credentials.url ? credentials.bare : arg)) : args;
      const { stdout } = await exec('git', [...prefix, ...argv], {
        env: { ...env, ...options.env, ...credentialEnv },
        timeoutMs: options.timeoutMs ?? LOCAL_TIMEOUT_MS,
        ...(options.input !== undefined ? { input: options.input } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return stdout;
    },
  };
}

/** A URL fit for messages: user and password (a token in an https URL) are taken out. */
export function displayUrl(url: string): string {
  return url.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

/** The lines of git's stderr worth showing: its own errors and what the remote said. */
export function gitMessage(error: unknown): string {
  if (!(error instanceof ExecError))
    return displayUrl(error instanceof Error ? error.message : String(error));
  if (error.systemCode === 'ENOENT') return 'git is not installed (not found on PATH)';
  if (error.timedOut) return error.message;
  const lines = error.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('hint:'));
  return displayUrl(lines.join(' / ') || error.message);
}

/**
 * The remote could not be reached or refused us (network, credentials, no such repository). The
 * git error is not attached as the cause: its arguments hold the URL, which may carry a token.
 */
export function unreachable(url: string, error: unknown, doing: string): FailoverError {
  return stepFailed(
    'FO_GIT_E3101',
    `cannot ${doing} the GitOps remote ${displayUrl(url)}: ${gitMessage(error)}`,
    {
      retryable: true,
      hint: 'check gitops.repo in the config, the network, and your git credentials (SSH agent, credential helper): failover never prompts for them',
    },
  );
}
