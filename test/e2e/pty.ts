/**
 * Drives the built CLI on a real pseudo-terminal with util-linux `script`, as an operator at a
 * terminal would: wait until the screen shows something, then type. stdin and stderr of the CLI
 * are the terminal, so its TTY code paths (the prompt, raw-mode Ctrl-C) are the ones exercised.
 */
import { spawn, spawnSync } from 'node:child_process';
import { BIN, withSharedRenders } from './helpers.js';

/** Whether util-linux `script` is installed (tests that need it skip with this reason when not). */
export const scriptAvailable = (() => {
  const r = spawnSync('script', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /util-linux/.test(r.stdout);
})();

export interface PtyStep {
  /** Type `send` once the screen (since the previous step) matches this. */
  when: RegExp;
  send: string;
  /** How long to "read" before typing (default 400ms). */
  delayMs?: number;
}

export interface PtyResult {
  code: number | null;
  /** Everything the terminal showed, colours and cursor moves stripped. */
  screen: string;
}

/** One argument quoted for `sh -c` (script runs its command through a shell). */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control sequences are the point.
const CONTROL = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\r/g;

export function onPty(
  args: string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    steps: PtyStep[];
    timeoutMs?: number;
    /** The terminal's size; without it `script`'s terminal has none (0 rows) when CI has no terminal. */
    size?: { rows: number; columns: number };
  },
): Promise<PtyResult> {
  const cli = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  const command = options.size
    ? `stty rows ${options.size.rows} columns ${options.size.columns} && exec ${cli}`
    : cli;
  const env: NodeJS.ProcessEnv = { ...withSharedRenders(options.env), SHELL: '/bin/sh', TERM: 'xterm' };
  // CI would make the CLI treat the terminal as non-interactive: a person is at this one.
  delete env.CI;
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd: options.cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const steps = [...options.steps];
  let raw = '';
  let from = 0;
  let typing = false;
  const onOutput = (chunk: Buffer) => {
    raw += chunk.toString('utf8');
    const next = steps[0];
    if (!next || typing) return;
    const screen = raw.slice(from).replace(CONTROL, '');
    if (!next.when.test(screen)) return;
    typing = true;
    // A person reads before typing; the pause also lets the prompt finish drawing.
    setTimeout(() => {
      steps.shift();
      from = raw.length;
      typing = false;
      child.stdin.write(next.send);
    }, next.delayMs ?? 400);
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 280_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, screen: raw.replace(CONTROL, '') });
    });
  });
}
