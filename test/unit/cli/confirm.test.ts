/**
 * The typed confirmation on a terminal: the expected word goes on, a typo is asked again (a few
 * times), an empty answer or "no" stops at once.
 */
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type GlobalOptions, Io } from '../../../src/cli/io.js';
import { Redactor } from '../../../src/engine/redact.js';

function terminalIo(answers: string[]): { io: Io; prompts: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
  let written = '';
  const stderr = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        // Answer each prompt as it appears, like an operator typing.
        if (String(chunk).includes('to continue')) {
          const next = answers.shift();
          if (next !== undefined) setImmediate(() => (stdin as unknown as PassThrough).write(`${next}\n`));
        }
        done();
      },
    }),
    { isTTY: true, rows: 40, columns: 120 },
  ) as unknown as NodeJS.WriteStream;
  const io = new Io({ output: 'text', color: false } as GlobalOptions, new Redactor(), stderr, stderr, stdin);
  return { io, prompts: () => written };
}

afterEach(() => vi.unstubAllEnvs());

describe('typed confirmation', () => {
  it('goes on when the expected word is typed', async () => {
    vi.stubEnv('CI', '');
    const { io } = terminalIo(['aws']);
    await expect(io.confirm({ message: 'Move traffic to AWS?', expect: 'aws' })).resolves.toBe(true);
  });

  it('asks again after a typo, and goes on when the word comes', async () => {
    vi.stubEnv('CI', '');
    const { io, prompts } = terminalIo(['yes', 'aws']);
    await expect(io.confirm({ message: 'Move traffic to AWS?', expect: 'aws' })).resolves.toBe(true);
    expect(prompts()).toContain('"yes" is not aws. Type aws to continue (or no to stop)');
  });

  it('stops after three wrong answers', async () => {
    vi.stubEnv('CI', '');
    const { io } = terminalIo(['yes', 'y', 'ok', 'aws']);
    await expect(io.confirm({ message: 'Move traffic to AWS?', expect: 'aws' })).resolves.toBe(false);
  });

  it('stops at once on "no" or an empty answer', async () => {
    vi.stubEnv('CI', '');
    await expect(terminalIo(['no']).io.confirm({ message: 'Go?', expect: 'aws' })).resolves.toBe(false);
    await expect(terminalIo(['']).io.confirm({ message: 'Go?', expect: 'aws' })).resolves.toBe(false);
  });
});
