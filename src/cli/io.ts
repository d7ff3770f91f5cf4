/**
 * The terminal: where results (stdout) and progress (stderr) go, colours, TTY detection and the
 * confirmation prompt. The only place that knows about process streams besides main.ts.
 */
import { createInterface } from 'node:readline/promises';
import pc from 'picocolors';
import type { Redactor } from '../engine/redact.js';
import type { ChoiceRequest, ConfirmRequest } from '../steps/types.js';
import { escapeForTerminal, stripColours } from '../util/terminal.js';
import { TOOL_VERSION } from '../util/version.js';

/** How many times a typed confirmation may be mistyped before the run stops. */
const CONFIRM_ATTEMPTS = 3;
export type OutputFormat = 'text' | 'json';

export interface GlobalOptions {
  config?: string;
  output: OutputFormat;
  verbose?: boolean;
  color: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

export type Colors = ReturnType<typeof pc.createColors>;

export class Io {
  readonly colors: Colors;
  readonly interactive: boolean;

  constructor(
    readonly options: GlobalOptions,
    readonly redactor: Redactor,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
    readonly stdin: NodeJS.ReadStream = process.stdin,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const colorWanted =
      options.color && !('NO_COLOR' in env && env.NO_COLOR !== '') && options.output === 'text';
    this.colors = pc.createColors(colorWanted && Boolean(stderr.isTTY) && env.TERM !== 'dumb');
    this.interactive = Boolean(stdin.isTTY && stderr.isTTY) && !env.CI;
  }

  /**
   * True when a live, redrawn display is wanted (TTY, text output, not CI). A terminal that
   * reports no size (a bare pty) would clip the redrawn tree to nothing: plain lines there.
   */
  get live(): boolean {
    return (
      this.options.output === 'text' &&
      Boolean(this.stderr.isTTY) &&
      (this.stderr.rows ?? 0) > 0 &&
      !process.env.CI
    );
  }

  /** A result line on stdout. */
  out(text: string): void {
    this.stdout.write(`${escapeForTerminal(this.redactor.text(text))}\n`);
  }

  /** A JSON result on stdout; a document (an object) says which version of failover wrote it. */
  json(value: unknown): void {
    const stamped =
      value && typeof value === 'object' && !Array.isArray(value) && !('version' in value)
        ? { ...value, version: TOOL_VERSION }
        : value;
    this.stdout.write(`${JSON.stringify(this.redactor.value(stamped), null, 2)}\n`);
  }

  /**
   * Progress and logs on stderr. With --output json, stderr carries only JSON records: the text
   * becomes the message of one.
   */
  err(text: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    if (this.options.output === 'json') {
      const message = stripColours(this.redactor.text(text));
      if (message.trim() !== '') this.stderr.write(`${JSON.stringify({ level, message })}\n`);
      return;
    }
    this.stderr.write(`${escapeForTerminal(this.redactor.text(text))}\n`);
  }

  /**
   * A warning outside the engine's events: a line on stderr, or with --output json an NDJSON
   * record like the events, so that stderr stays machine-readable.
   */
  warn(code: string, message: string): void {
    if (this.options.output === 'json')
      this.stderr.write(`${JSON.stringify(this.redactor.value({ code, level: 'warn', message }))}\n`);
    else this.err(this.colors.yellow(message));
  }

  verbose(text: string): void {
    if (this.options.verbose) this.err(this.colors.dim(text));
  }

  get canConfirm(): boolean {
    return Boolean(this.options.yes) || this.interactive;
  }

  /**
   * Asks for the typed confirmation. Ctrl-C at the prompt, the end of input or `signal` (an
   * interrupt) is a refusal, said in one line; the run then stops like after "no".
   */
  async confirm(request: ConfirmRequest, signal?: AbortSignal): Promise<boolean> {
    if (this.options.yes) {
      this.err(this.colors.dim(`${request.message} — confirmed by --yes`));
      return true;
    }
    if (!this.interactive) return false;
    const expect = request.expect ?? 'yes';
    const session = await this.openQuestion(signal);
    try {
      let prompt = `${this.colors.bold(request.message)}\nType ${this.colors.cyan(expect)} to continue (or no to stop): `;
      // A typo at 3 a.m. deserves a second chance; "no" stops at once; Enter alone confirms nothing.
      for (let attempt = 1; attempt <= CONFIRM_ATTEMPTS; attempt++) {
        const raw = await session.ask(prompt);
        if (raw === undefined) {
          this.stderr.write('\n');
          this.err(
            this.colors.yellow('aborted at the confirmation (Ctrl-C): nothing is changed from here on'),
          );
          return false;
        }
        const answer = raw.trim();
        if (answer.toLowerCase() === expect.toLowerCase()) return true;
        if (/^(n|no)$/i.test(answer)) return false;
        prompt =
          answer === ''
            ? `Type ${this.colors.cyan(expect)}, then Enter, to continue (or no to stop): `
            : `"${answer}" is not ${this.colors.cyan(expect)}. Type ${this.colors.cyan(expect)} to continue (or no to stop): `;
      }
      return false;
    } finally {
      session.close();
    }
  }

  /**
   * Asks the operator to pick one of `request.choices` (a word or its first letter, any case).
   * Enter alone or another word asks again: at a gate nothing happens by default. Undefined when
   * not interactive, and on Ctrl-C, the end of input or `signal` (the caller treats that as an
   * interrupt).
   */
  async choose(request: ChoiceRequest, signal?: AbortSignal): Promise<string | undefined> {
    if (!this.interactive) return undefined;
    const session = await this.openQuestion(signal);
    try {
      const words = request.choices.map((c) => this.colors.cyan(c)).join(', ');
      const letters = request.choices.map((c) => c[0]).join('/');
      const details = (request.details ?? []).map((line) => `  ${escapeForTerminal(line)}\n`).join('');
      let prompt = `${details}${this.colors.bold(request.message)}\nType ${words} (${letters}): `;
      for (;;) {
        const raw = await session.ask(prompt);
        if (raw === undefined) {
          this.stderr.write('\n');
          return undefined;
        }
        const picked = pickChoice(raw, request.choices);
        if (picked !== undefined) return picked;
        const typed = raw.trim();
        prompt = `${typed === '' ? 'Nothing happens until you choose.' : `"${escapeForTerminal(typed)}" is not one of them.`} Type ${words} (${letters}): `;
      }
    } finally {
      session.close();
    }
  }

  /**
   * A readline question session on the terminal. Ctrl-C at the prompt, the end of input or
   * `signal` (an interrupt) make `ask` return undefined instead of an answer.
   */
  private async openQuestion(
    signal: AbortSignal | undefined,
  ): Promise<{ ask(prompt: string): Promise<string | undefined>; close(): void }> {
    // Before readline reads anything: what is already waiting was typed before the question.
    const typedAhead = await discardTypeahead(this.stdin);
    if (typedAhead.chars > 0 && !typedAhead.interrupted)
      this.err(
        this.colors.dim(
          `ignored ${typedAhead.chars} character(s) typed before the question: answer it now that you can read it`,
        ),
      );
    const rl = createInterface({ input: this.stdin, output: this.stderr });
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    // In raw mode Ctrl-C reaches readline, not the process: without a listener it would pause the
    // input and leave the question pending for ever.
    rl.on('SIGINT', stop);
    rl.on('close', stop);
    signal?.addEventListener('abort', stop, { once: true });
    if (typedAhead.interrupted || signal?.aborted) stop();
    return {
      ask: async (prompt) => {
        if (stopped.signal.aborted) return undefined;
        try {
          return await rl.question(prompt, { signal: stopped.signal });
        } catch {
          // AbortError: Ctrl-C, end of input or an interrupt.
          return undefined;
        }
      },
      close: () => {
        signal?.removeEventListener('abort', stop);
        rl.off('close', stop);
        rl.close();
      },
    };
  }
}

/** The choice an answer names: the word itself or its first letter, any case, spaces ignored. */
export function pickChoice(answer: string, choices: readonly string[]): string | undefined {
  const typed = answer
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '');
  if (typed === '') return undefined;
  return choices.find((choice) => {
    const word = choice.toLowerCase().replace(/[\s-]+/g, '');
    return typed === word || (typed.length === 1 && typed === word[0]);
  });
}

/** How long input is drained before a question: keys already in flight arrive within this. */
const TYPEAHEAD_WINDOW_MS = 120;

/**
 * Throws away what was typed before the question was on screen (an Enter pressed while the plan
 * scrolled, a word typed ahead): only an answer typed after reading the summary counts. A Ctrl-C
 * among those keys is still a Ctrl-C.
 */
async function discardTypeahead(stdin: NodeJS.ReadStream): Promise<{ chars: number; interrupted: boolean }> {
  let text = '';
  const raw = Boolean(stdin.isTTY) && typeof stdin.setRawMode === 'function';
  // Raw mode hands over a half-typed line too, which the terminal would otherwise keep for the answer.
  if (raw) stdin.setRawMode(true);
  const onData = (chunk: Buffer | string) => {
    text += String(chunk);
  };
  stdin.on('data', onData);
  try {
    await new Promise((resolve) => setTimeout(resolve, raw ? TYPEAHEAD_WINDOW_MS : 0));
  } finally {
    stdin.off('data', onData);
    stdin.pause();
    if (raw) stdin.setRawMode(false);
  }
  return { chars: text.replace(/[\r\n]/g, '').length, interrupted: text.includes('\u0003') };
}
