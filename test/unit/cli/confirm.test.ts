/**
 * The typed confirmation on a terminal: the expected word goes on (in any case), a typo or Enter
 * alone is asked again (a few times), "no" stops at once, input typed before the question is
 * thrown away.
 */
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type GlobalOptions, Io, pickChoice } from '../../../src/cli/io.js';
import { Redactor } from '../../../src/engine/redact.js';

function terminalIo(answers: string[], asks = /to continue/): { io: Io; prompts: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
  let written = '';
  const stderr = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        // Answer each prompt as it appears, like an operator typing.
        if (asks.test(String(chunk))) {
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

  it('stops at once on "no"', async () => {
    vi.stubEnv('CI', '');
    await expect(terminalIo(['no']).io.confirm({ message: 'Go?', expect: 'aws' })).resolves.toBe(false);
    await expect(terminalIo(['N']).io.confirm({ message: 'Go?', expect: 'aws' })).resolves.toBe(false);
  });

  it('takes the word in any case', async () => {
    vi.stubEnv('CI', '');
    await expect(terminalIo(['AWS']).io.confirm({ message: 'Go?', expect: 'aws' })).resolves.toBe(true);
    await expect(terminalIo(['Gcp']).io.confirm({ message: 'Go?', expect: 'gcp' })).resolves.toBe(true);
  });

  it('Enter alone confirms nothing and asks again', async () => {
    vi.stubEnv('CI', '');
    const { io, prompts } = terminalIo(['', 'aws']);
    await expect(io.confirm({ message: 'Go?', expect: 'aws' })).resolves.toBe(true);
    expect(prompts()).toContain('Type aws, then Enter, to continue (or no to stop)');
    await expect(terminalIo(['', '', '']).io.confirm({ message: 'Go?', expect: 'aws' })).resolves.toBe(false);
  });

  it('throws away what was typed before the question', async () => {
    vi.stubEnv('CI', '');
    const { io, prompts } = terminalIo(['no']);
    // Typed ahead while the plan scrolled: must not answer the question.
    (io.stdin as unknown as PassThrough).write('aws\n');
    await expect(io.confirm({ message: 'Go?', expect: 'aws' })).resolves.toBe(false);
    expect(prompts()).toContain('ignored 3 character(s) typed before the question');
  });
});

describe('a choice at a stage gate', () => {
  const GATE = {
    message: 'Stage 10% on AWS: continue?',
    details: ['health gate passed'],
    choices: ['continue', 'hold', 'roll back'],
  };
  const ASKS = /\(c\/h\/r\): $/;

  it('takes a word or its first letter, in any case, spaces ignored', () => {
    expect(pickChoice('continue', GATE.choices)).toBe('continue');
    expect(pickChoice(' H ', GATE.choices)).toBe('hold');
    expect(pickChoice('rollback', GATE.choices)).toBe('roll back');
    expect(pickChoice('Roll-Back', GATE.choices)).toBe('roll back');
    expect(pickChoice('r', GATE.choices)).toBe('roll back');
    expect(pickChoice('', GATE.choices)).toBeUndefined();
    expect(pickChoice('co', GATE.choices)).toBeUndefined();
    expect(pickChoice('yes', GATE.choices)).toBeUndefined();
  });

  it('shows what the gate found above the question, and returns the choice', async () => {
    vi.stubEnv('CI', '');
    const { io, prompts } = terminalIo(['h'], ASKS);
    await expect(io.choose(GATE)).resolves.toBe('hold');
    expect(prompts()).toContain(
      '  health gate passed\nStage 10% on AWS: continue?\nType continue, hold, roll back (c/h/r): ',
    );
  });

  it('Enter alone or another word changes nothing and asks again', async () => {
    vi.stubEnv('CI', '');
    const { io, prompts } = terminalIo(['', 'yes', 'roll back'], ASKS);
    await expect(io.choose(GATE)).resolves.toBe('roll back');
    expect(prompts()).toContain('Nothing happens until you choose. Type continue, hold, roll back (c/h/r): ');
    expect(prompts()).toContain('"yes" is not one of them. Type continue, hold, roll back (c/h/r): ');
  });

  it('the end of input or an interrupt is no answer (the caller stops the run)', async () => {
    vi.stubEnv('CI', '');
    const { io } = terminalIo([], ASKS);
    const interrupt = new AbortController();
    const asked = io.choose(GATE, interrupt.signal);
    setTimeout(() => interrupt.abort(), 200);
    await expect(asked).resolves.toBeUndefined();
    const closed = terminalIo([], ASKS);
    const pending = closed.io.choose(GATE);
    setTimeout(() => (closed.io.stdin as unknown as PassThrough).end(), 200);
    await expect(pending).resolves.toBeUndefined();
  });

  it('nobody is asked without a terminal', async () => {
    vi.stubEnv('CI', '1');
    await expect(terminalIo(['continue'], ASKS).io.choose(GATE)).resolves.toBeUndefined();
  });
});
