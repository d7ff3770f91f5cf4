/**
 * Running external programs (git, kubectl, tar): `execFile` with an argument array, never a shell,
 * so nothing a user or a repository supplies can be interpreted as shell syntax. Every call has a
 * timeout, and a failure is an ExecError that carries the exit code and stderr.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface ExecOptions {
  cwd?: string;
  /** The complete environment of the child (defaults to the parent's). */
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGTERM) after this many ms. Default 60 s. */
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed. Without it, stdin is closed at once. */
  input?: string | Buffer;
  /** Largest stdout or stderr accepted, in bytes. Default 64 MiB. */
  maxBufferBytes?: number;
  /**
   * Kills the child (SIGTERM) when aborted: a step that timed out or was abandoned after Ctrl-C
   * leaves no git or kubectl process running behind the run.
   */
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/** A program that could not be started, exited non-zero, was killed, or timed out. */
export class ExecError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly args: readonly string[],
    /** Exit code; null when killed by a signal or never started. */
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
    readonly timedOut: boolean,
    /** ENOENT when the program is not installed, EACCES when not executable. */
    readonly systemCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExecError';
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/** Runs `command args...` and resolves with its output when it exits 0. */
export function exec(
  command: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise<ExecResult>((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: options.env,
        timeout: timeoutMs,
        killSignal: 'SIGTERM',
        maxBuffer: options.maxBufferBytes ?? DEFAULT_MAX_BUFFER,
        encoding: 'utf8',
        shell: false,
        windowsHide: true,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
          return;
        }
        const failure = error as NodeJS.ErrnoException & {
          code?: number | string;
          killed?: boolean;
          signal?: NodeJS.Signals | null;
        };
        const exitCode = typeof failure.code === 'number' ? failure.code : null;
        const systemCode = typeof failure.code === 'string' ? failure.code : undefined;
        const timedOut = failure.killed === true && exitCode === null && systemCode === undefined;
        const cancelled = options.signal?.aborted === true;
        const what = describeFailure(command, args, {
          cancelled,
          exitCode,
          systemCode,
          timedOut,
          timeoutMs,
          stderr,
          signal: failure.signal,
        });
        reject(
          new ExecError(
            what,
            command,
            args,
            exitCode,
            failure.signal ?? null,
            stdout,
            stderr,
            timedOut,
            systemCode,
            { cause: error },
          ),
        );
      },
    );
    // Never leave the child waiting for input from our stdin.
    child.stdin?.on('error', () => {});
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

function describeFailure(
  command: string,
  args: readonly string[],
  failure: {
    cancelled: boolean;
    exitCode: number | null;
    systemCode: string | undefined;
    timedOut: boolean;
    timeoutMs: number;
    stderr: string;
    signal: NodeJS.Signals | null | undefined;
  },
): string {
  const what = `${command} ${args[0] ?? ''}`.trim();
  if (failure.cancelled) return `${what} was cancelled (the step timed out or the run was interrupted)`;
  if (failure.systemCode === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
    return `${what} produced more output than allowed`;
  if (failure.systemCode) return `could not start ${command}: ${failure.systemCode}`;
  if (failure.timedOut) return `${what} timed out after ${failure.timeoutMs} ms`;
  if (failure.exitCode !== null) {
    const firstStderrLine = failure.stderr.trim().split('\n')[0];
    return `${what} exited with code ${failure.exitCode}${firstStderrLine ? `: ${firstStderrLine}` : ''}`;
  }
  return `${what} was killed by ${failure.signal ?? 'a signal'}`;
}

/** The absolute path of `command` on PATH (like `which`), or undefined when it is not installed. */
export async function findOnPath(
  command: string,
  pathVariable = process.env.PATH ?? '',
): Promise<string | undefined> {
  for (const dir of pathVariable.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}
