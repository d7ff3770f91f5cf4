/**
 * Running the built CLI as a user would: `node bin/failover.js …` with an argument array (never a
 * shell), a private state directory and a clean environment. `npm test` builds first (pretest);
 * when dist/ is missing the tests say so instead of failing obscurely.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin', 'failover.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'runbooks');
export const HELLO = join(ROOT, 'runbooks', 'examples', 'hello.yaml');

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does it in pretest)');
  }
}

const made: string[] = [];

export function tempDir(prefix = 'failover-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Only what the CLI needs: no FAILOVER_* or cloud variables leak in from the developer's shell. */
export function cliEnv(stateDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: stateDir,
    LANG: 'C.UTF-8',
    CI: '1',
    FAILOVER_STATE_DIR: stateDir,
    FAILOVER_OPERATOR: 'e2e-operator',
    ...extra,
  };
}

/**
 * `env` with the test run's shared render store (test/render-cache-setup.ts), unless it names a
 * store of its own.
 */
export function withSharedRenders(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if ('FAILOVER_KUSTOMIZE_CACHE_DIR' in env) return env;
  const dir = inject('renderCacheDir');
  return dir ? { ...env, FAILOVER_KUSTOMIZE_CACHE_DIR: dir } : env;
}

/** The sandbox option for the same store: its Argo CD keeps builds there, by tree. */
export function sharedRenderStore(): { renderCacheDir?: string } {
  const dir = inject('renderCacheDir');
  return dir ? { renderCacheDir: dir } : {};
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env: NodeJS.ProcessEnv;
  /** Working directory; a temp dir by default so no stray .env or config is picked up. */
  cwd?: string;
  timeoutMs?: number;
  /** Arguments for node itself, before the script (e.g. --import). */
  nodeArgs?: string[];
}

/** Runs `node bin/failover.js ARGS` to completion. Never rejects on a non-zero exit. */
export function failover(args: string[], options: CliOptions): Promise<CliResult> {
  return execNode([...(options.nodeArgs ?? []), BIN, ...args], options);
}

export function execNode(args: string[], options: CliOptions): Promise<CliResult> {
  return execCommand(process.execPath, args, { ...options, env: withSharedRenders(options.env) });
}

/** Runs `file ARGS` (no shell) to completion. Never rejects on a non-zero exit. */
export function execCommand(file: string, args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd ?? options.env.FAILOVER_STATE_DIR ?? tmpdir(),
        env: options.env,
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolvePromise({
          code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** A CLI process still running, for tests that signal it mid-run. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr matches, rejects after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves when stdout matches, rejects after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<CliResult>;
}

export function startFailover(args: string[], options: CliOptions): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? options.env.FAILOVER_STATE_DIR ?? tmpdir(),
    env: withSharedRenders(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => boolean)[] = [];
  const wakeWaiters = () => {
    for (const wake of [...waiters]) if (wake()) waiters.splice(waiters.indexOf(wake), 1);
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    wakeWaiters();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    wakeWaiters();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const exited = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolvePromise({ code, signal, stdout: out, stderr: err });
    });
  });
  const waitFor = (stream: string, text: () => string, pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolvePromise, reject) => {
      const check = () => {
        if (!pattern.test(text())) return false;
        clearTimeout(timer);
        resolvePromise();
        return true;
      };
      const timer = setTimeout(
        () => reject(new Error(`${stream} did not match ${pattern} within ${timeoutMs}ms:\n${text()}`)),
        timeoutMs,
      );
      if (!check()) waiters.push(check);
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr: (pattern, timeoutMs) => waitFor('stderr', () => err, pattern, timeoutMs),
    waitForStdout: (pattern, timeoutMs) => waitFor('stdout', () => out, pattern, timeoutMs),
  };
}

/**
 * Writes a `--import` preload that records every module the process resolves or requires into
 * `log`: ESM through a module.register() resolve hook (runs on the loader thread), CommonJS by
 * wrapping Module._load. Returns the node arguments that install it.
 */
export function importRecorder(dir: string, log: string): string[] {
  const hooks = join(dir, 'record-hooks.mjs');
  const preload = join(dir, 'record-imports.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
let log;
export async function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, 'import ' + specifier + ' ' + result.url + '\\n');
  return result;
}
`,
  );
  writeFileSync(
    preload,
    `import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
const log = ${JSON.stringify(log)};
register(${JSON.stringify(new URL(`file://${hooks}`).href)}, { data: { log } });
const load = Module._load;
Module._load = function (request, ...rest) {
  appendFileSync(log, 'require ' + request + '\\n');
  return load.call(this, request, ...rest);
};
`,
  );
  writeFileSync(log, '');
  return ['--import', new URL(`file://${preload}`).href];
}

/** Runs a command under a pseudo-terminal (Python's pty module; no shell), output merged. */
export function inPty(command: string[], options: CliOptions): Promise<CliResult> {
  const script =
    'import os, pty, sys\nstatus = pty.spawn(sys.argv[1:])\nsys.exit(os.waitstatus_to_exitcode(status))\n';
  return new Promise((resolvePromise) => {
    execFile(
      'python3',
      ['-c', script, ...command],
      {
        cwd: options.cwd ?? options.env.FAILOVER_STATE_DIR ?? tmpdir(),
        env: withSharedRenders(options.env),
        timeout: options.timeoutMs ?? 30_000,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolvePromise({
          code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** The run id printed in `(run 20260101T000000Z-abcd)` or a journal path. */
export function runIdIn(text: string): string {
  const match = /\b(\d{8}T\d{6}Z-[a-z0-9]{4})\b/.exec(text);
  if (!match) throw new Error(`no run id in:\n${text}`);
  return match[1]!;
}
