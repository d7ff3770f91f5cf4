/**
 * What the tool reads is bounded: regular files only, 1 MiB, linear YAML parsing, nesting and
 * alias expansion limited; every refusal is invalid input with the place.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../../src/engine/errors.js';
import { MAX_INPUT_BYTES, readInputFile } from '../../../src/util/input-file.js';
import { MAX_NESTING, parseYamlSource } from '../../../src/util/yaml-source.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-limits-'));
const opts = { what: 'config', code: 'FO_TEST_E1' };

function refusal(path: string): FailoverError {
  try {
    readInputFile(path, opts);
  } catch (error) {
    if (FailoverError.is(error)) return error;
    throw error;
  }
  throw new Error(`${path} was read`);
}

describe('readInputFile', () => {
  it('reads a regular text file', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'a: 1\n');
    expect(readInputFile(file, opts)).toBe('a: 1\n');
  });

  it.each([
    ['/dev/zero', /a device/],
    ['/dev/null', /a device/],
    ['/', /a directory/],
  ])('refuses %s without reading it', (path, message) => {
    const error = refusal(path);
    expect(error.category).toBe('invalid-input');
    expect(error.message).toMatch(message);
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    expect(refusal(fifo).message).toMatch(/FIFO/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a file over the limit, naming both sizes', () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, Buffer.alloc(MAX_INPUT_BYTES + 1, 'a'));
    expect(refusal(file).message).toMatch(/1\.0 MiB is over the limit of 1 MiB|over the limit of 1 MiB/);
  });

  it('reports a symlink loop as a loop, not as "not found"', () => {
    const a = join(dir, 'loop-a');
    const b = join(dir, 'loop-b');
    symlinkSync(b, a);
    symlinkSync(a, b);
    expect(refusal(a).message).toMatch(/symbolic link loop .*\(ELOOP\)/);
  });

  it('refuses a binary file', () => {
    const file = join(dir, 'bin.yaml');
    writeFileSync(file, Buffer.from([0x61, 0x3a, 0x00, 0x01]));
    expect(refusal(file).message).toMatch(/binary/);
  });
});

describe('parseYamlSource limits', () => {
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  ].join('\n');

  it('turns an alias bomb into a positioned problem', () => {
    const source = parseYamlSource(bomb, 'bomb.yaml');
    expect(source.value).toBeUndefined();
    expect(source.problems).toHaveLength(1);
    expect(source.problems[0]).toMatchObject({ file: 'bomb.yaml', line: 2 });
    expect(source.problems[0]!.message).toMatch(/aliases expand too much/);
  });

  it('keeps a few aliases working', () => {
    const source = parseYamlSource('a: &x [1, 2]\nb: *x\n', 'ok.yaml');
    expect(source.problems).toEqual([]);
    expect(source.value).toEqual({ a: [1, 2], b: [1, 2] });
  });

  it.each([
    ['flow brackets', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`],
    ['flow mappings', `a: ${'{b: '.repeat(MAX_NESTING + 1)}1${'}'.repeat(MAX_NESTING + 1)}\n`],
    ['indentation', Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')],
  ])('refuses deep nesting (%s) with a message, not a stack overflow', (_name, text) => {
    const source = parseYamlSource(text, 'deep.yaml');
    expect(source.problems).toHaveLength(1);
    expect(source.problems[0]!.message).toMatch(/nested more than 64 levels deep/);
    expect(source.problems[0]!.line).toBeGreaterThanOrEqual(1);
  });

  it('does not count brackets inside quotes or comments', () => {
    const text = `a: "${'['.repeat(200)}"\nb: '${'{'.repeat(200)}'\n# ${'['.repeat(200)}\n`;
    expect(parseYamlSource(text, 'q.yaml').problems).toEqual([]);
  });

  // How the check scales is measured by bench/yaml-keys.mjs, not timed here.
  it('finds the one duplicate key among 40,000, on its own line', () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `k${i}: ${i}`);
    lines.push('k17: again');
    const source = parseYamlSource(lines.join('\n'), 'many.yaml');
    expect(source.problems).toHaveLength(1);
    expect(source.problems[0]).toMatchObject({ line: 40_001 });
    expect(source.problems[0]!.message).toMatch(/Map keys must be unique \("k17"/);
  });
});
