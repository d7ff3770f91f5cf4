/**
 * One long-lived `git cat-file --batch` per cache repository: object reads (a file at a commit, a
 * directory listing, a commit's message, what a ref points at) are written to its stdin and read
 * back from its stdout, instead of starting a git process for each. Starting a process from a large
 * Node process is expensive (a fork of its address space), and a run reads the same overlay many
 * times. The process goes away when idle, and never keeps the CLI alive on its own.
 *
 * git looks refs up afresh for every request and re-scans its packs when an object is not found,
 * so a fetch or a write by another git process is seen by the next request.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export interface BatchObject {
  oid: string;
  type: string;
  content: Buffer;
}

interface Pending {
  resolve: (object: BatchObject | undefined) => void;
  reject: (error: Error) => void;
}

/** Stopped after this long without a request: the next read starts it again. */
const IDLE_MS = 5_000;

export class CatFileBatch {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly gitDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /**
   * The object `name` (anything git can resolve: `<commit>:<path>`, `<ref>^{commit}`), or
   * undefined when it does not exist. A name git cannot take on one line is refused.
   */
  read(name: string): Promise<BatchObject | undefined> {
    if (/[\n\r\0]/.test(name))
      return Promise.reject(new Error(`cannot read object name ${JSON.stringify(name)}`));
    const child = this.start();
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      // While an answer is awaited the process keeps the event loop alive, as any other child would.
      child.ref();
      (child.stdout as unknown as { ref(): void }).ref();
      child.stdin.write(`${name}\n`);
    });
  }

  /** Stops the process (pending reads fail). */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    if (child) {
      child.stdin.end();
      child.kill();
    }
    this.fail(new Error('git cat-file --batch was stopped'));
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', [`--git-dir=${this.gitDir}`, 'cat-file', '--batch'], {
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    this.child = child;
    this.buffer = Buffer.alloc(0);
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.drain();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.stdin.on('error', () => {});
    const ended = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.fail(new Error(`git cat-file --batch ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    };
    child.on('error', (error) => ended(`could not run (${error.message})`));
    child.on('exit', (code, signal) => ended(`exited (${signal ?? code})`));
    this.release(child);
    return child;
  }

  /** Without a read in flight, the process neither keeps the CLI running nor lives on idle. */
  private release(child: ChildProcessWithoutNullStreams): void {
    if (this.pending.length > 0) return;
    child.unref();
    (child.stdout as unknown as { unref(): void }).unref();
    (child.stderr as unknown as { unref(): void }).unref();
    (child.stdin as unknown as { unref(): void }).unref();
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.child === child && this.pending.length === 0) this.close();
    }, IDLE_MS);
    this.idle.unref();
  }

  private fail(error: Error): void {
    const pending = this.pending.splice(0);
    this.buffer = Buffer.alloc(0);
    for (const p of pending) p.reject(error);
  }

  /** Answers pending reads, in order, from what the process has written so far. */
  private drain(): void {
    while (this.pending.length > 0) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const header = this.buffer.subarray(0, newline).toString('utf8');
      // `<oid> <type> <size>`, or `<name> missing` / `<name> ambiguous` (and nothing else follows).
      const match = /^([0-9a-f]{40}|[0-9a-f]{64}) (\S+) (\d+)$/.exec(header);
      if (!match) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.pending.shift()?.resolve(undefined);
        continue;
      }
      const size = Number(match[3]);
      const end = newline + 1 + size;
      if (this.buffer.length < end + 1) return;
      const content = Buffer.from(this.buffer.subarray(newline + 1, end));
      this.buffer = this.buffer.subarray(end + 1);
      this.pending.shift()?.resolve({ oid: match[1] as string, type: match[2] as string, content });
    }
    if (this.child) this.release(this.child);
  }
}
