/**
 * Shell completion generated from the program: bash completes commands, subcommands, options,
 * runbook files and run ids (the real bash runs the generated function); zsh and fish get
 * scripts naming every command.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completionScript } from '../../../src/cli/commands/completion.js';
import { buildProgram } from '../../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const program = buildProgram(() => {});
const hasBash = spawnSync('bash', ['--version']).status === 0;

/** What bash offers after typing `words` (the last one being completed), in `cwd`. */
function complete(words: string[]): string[] {
  const file = join(dir, 'failover.bash');
  writeFileSync(file, completionScript('bash', program)!);
  // A stand-in `failover` on PATH answers `runs --output json` as the real one does.
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'failover'),
    '#!/bin/sh\nprintf \'[\\n  {\\n    "runId": "20261206T031000Z-ab12"\\n  },\\n  {\\n    "runId": "20261206T041500Z-cd34"\\n  }\\n]\\n\'\n',
  );
  chmodSync(join(bin, 'failover'), 0o755);
  const script = `source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _failover; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync('bash', ['-c', script], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}` },
  });
  return out.split('\n').filter(Boolean).sort();
}

describe.skipIf(!hasBash)('bash completion', () => {
  it('completes commands and subcommands', () => {
    expect(complete(['failover', 'to-'])).toEqual(['to-aws', 'to-gcp']);
    expect(complete(['failover', 'lint', 'po'])).toEqual(['portability']);
    expect(complete(['failover', 'sandbox', 'out'])).toEqual(['outage']);
  });

  it('completes the options of a command and the global ones', () => {
    expect(complete(['failover', 'to-aws', '--inc'])).toEqual(['--incident']);
    expect(complete(['failover', 'status', '--wa'])).toEqual(['--watch']);
    expect(complete(['failover', 'drill', '--dry'])).toEqual(['--dry-run']);
  });

  it('completes runbook files and run ids', () => {
    writeFileSync(join(dir, 'to-aws-staged.yaml'), 'name: x\n');
    writeFileSync(join(dir, 'notes.txt'), '');
    expect(complete(['failover', 'validate', 'to-'])).toEqual(['to-aws-staged.yaml']);
    expect(complete(['failover', 'report', '2026'])).toEqual([
      '20261206T031000Z-ab12',
      '20261206T041500Z-cd34',
    ]);
    expect(complete(['failover', 'resume', '20261206T04'])).toEqual(['20261206T041500Z-cd34']);
  });
});

describe('zsh and fish completion', () => {
  it('name every command', () => {
    const zsh = completionScript('zsh', program)!;
    const fish = completionScript('fish', program)!;
    expect(zsh.startsWith('#compdef failover\n')).toBe(true);
    for (const command of ['to-aws', 'to-gcp', 'drill', 'status', 'report', 'completion'])
      expect(fish).toContain(`-a ${command} `);
    expect(fish).toContain('-a "(__failover_runs)"');
    expect(completionScript('powershell', program)).toBeUndefined();
  });
});
