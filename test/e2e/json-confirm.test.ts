/**
 * Under --output json both streams carry JSON only, so a run that would ask for the typed
 * confirmation does not ask: on a real terminal, without --yes, it stops before any change with
 * exit 2, a JSON error that names --yes, and only JSON lines on stderr. With --yes it runs.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, type CliResult, cliEnv, HELLO, removeTempDirs, tempDir } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(() => removeTempDirs());

/**
 * Runs the CLI with stdin and stderr on a pseudo-terminal (so it could ask) and stdout in a file;
 * answers "no" if a prompt ever shows. Returns the terminal's text as stderr and the file as stdout.
 */
function onTerminal(args: string[], state: string): Promise<CliResult> {
  const stdoutFile = join(state, 'stdout.txt');
  const script = `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    out = os.open(os.environ['STDOUT_FILE'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.execv(sys.argv[1], sys.argv[1:])
seen = b''
answered = False
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    if not answered and b'to continue' in seen:
        os.write(fd, b'no\\r')
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
  const env: NodeJS.ProcessEnv = { ...cliEnv(state), STDOUT_FILE: stdoutFile, TERM: 'dumb' };
  delete env.CI;
  return new Promise((resolve) => {
    execFile(
      'python3',
      ['-c', script, process.execPath, BIN, ...args],
      { cwd: state, env, timeout: 90_000, encoding: 'utf8' },
      (error, terminal) => {
        const failure = error as (Error & { code?: number | string }) | null;
        resolve({
          code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
          signal: null,
          stdout: readFileSync(stdoutFile, 'utf8'),
          stderr: terminal,
        });
      },
    );
  });
}

describe('--output json and the confirmation', () => {
  it('on a terminal without --yes: no question, exit 2, JSON only, nothing run', async () => {
    const state = tempDir();
    const r = await onTerminal(['--output', 'json', 'run', HELLO], state);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).not.toMatch(/to continue|Type /);
    const lines = r.stderr.split(/\r?\n/).filter((l) => l.trim() !== '');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const result = JSON.parse(r.stdout) as { exitCode: number; error: { message: string; hint: string } };
    expect(result.exitCode).toBe(2);
    expect(result.error.message).toMatch(
      /asks for confirmation, but with --output json no question is asked/,
    );
    expect(result.error.hint).toMatch(/pass --yes/);
    // Not one step applied: the journal has no step.succeeded.
    expect(lines.some((l) => l.includes('"type":"step.succeeded"'))).toBe(false);
  });

  it('in text mode the same terminal is asked (the contrast), and --yes runs under JSON', async () => {
    const state = tempDir();
    const asked = await onTerminal(['run', HELLO], state);
    expect(asked.stderr).toMatch(/to continue/);
    expect(asked.code).toBe(3);
    const yes = await onTerminal(['--output', 'json', 'run', HELLO, '--yes'], tempDir());
    expect(yes.code, yes.stderr).toBe(0);
    expect((JSON.parse(yes.stdout) as { outcome: string }).outcome).toBe('succeeded');
  });
});
