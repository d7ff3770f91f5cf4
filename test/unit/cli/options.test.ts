/** Flag values are checked before any work, each problem naming its flag. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  auditTextProblem,
  durationFlagProblem,
  reportTargetProblems,
  TIMEOUT_BOUNDS,
  writablePathProblem,
} from '../../../src/cli/options.js';
import { stagesProblems } from '../../../src/cli/stages-option.js';
import { branchNameProblem, lockRefProblem } from '../../../src/config/git-refs.js';
import { formatProblem } from '../../../src/engine/errors.js';
import { auditLine, standbyCommitMessage } from '../../../src/providers/git/message.js';
import { escapeForTerminal, escapeUntrusted } from '../../../src/util/terminal.js';

describe('audit texts', () => {
  it.each([
    ['a newline', 'GKE down\nSigned-off-by: CTO <cto@example.com>', /a newline at character 9/],
    ['ESC', 'ok \u001b[2J', /escape character/],
    ['a carriage return', 'a\rb', /carriage return/],
    ['a bidi override', 'abc\u202edcba', /U\+202E/],
    ['DEL', 'a\u007f', /U\+007F/],
  ])('refuses %s', (_name, value, message) => {
    expect(auditTextProblem('--reason', value, 200)?.message).toMatch(message);
  });

  it('refuses empty and over-long values, accepts one line of text', () => {
    expect(auditTextProblem('--incident', '  ', 64)?.message).toBe('--incident is empty');
    expect(auditTextProblem('--incident', 'x'.repeat(65), 64)?.message).toMatch(
      /65 characters long; at most 64/,
    );
    expect(auditTextProblem('--reason', 'GKE control plane down — ünïcode ok', 200)).toBeUndefined();
  });
});

describe('durations on the command line', () => {
  it.each([
    ['15', /has no unit/],
    ['', /is empty/],
    ['0s', /too short: at least 1\.0s/],
    ['99999999999h', /too long: at most 24h/],
    ['25h', /too long/],
    ['soon', /not a duration/],
  ])('--timeout %j is refused', (value, message) => {
    expect(durationFlagProblem('--timeout', value, TIMEOUT_BOUNDS)?.message).toMatch(message);
  });

  it('accepts durations with a unit inside the bounds', () => {
    for (const value of ['15m', '90s', '1h', '24h'])
      expect(durationFlagProblem('--timeout', value, TIMEOUT_BOUNDS)).toBeUndefined();
  });
});

describe('--stages', () => {
  it.each([
    ['10,200', /--stages: stage 2 \(200\)/],
    ['', /--stages is empty/],
    ['10,,100', /stage 2 \(""\) is not a percentage/],
    ['50,10,100', /stages must increase/],
    ['10,50', /the last stage must be 100/],
    ['abc', /not a percentage/],
  ])('%j is refused, naming the flag', (value, message) => {
    const problems = stagesProblems('--stages', value);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
    expect(problems.every((p) => p.message.startsWith('--stages'))).toBe(true);
  });

  it('accepts increasing percentages ending at 100', () => {
    expect(stagesProblems('--stages', '10,50,100')).toEqual([]);
  });

  it('says a stage over 100% plainly, and names the flag once when printed', () => {
    const problems = stagesProblems('--stages', '10,200');
    expect(problems.map((p) => p.message)).toContain('--stages: stage 2 (200) is more than 100%');
    const printed = problems.map(formatProblem);
    expect(printed[0]).toMatch(/^--stages: stage 2 \(200\) is more than 100% \(hint: /);
    expect(printed.join('\n')).not.toMatch(/--stages: --stages|Too big/);
  });
});

describe('a printed problem', () => {
  it('leads with its file, line, column and path, unless the message already begins with the path', () => {
    expect(
      formatProblem({ file: 'rb.yaml', line: 3, column: 5, path: 'steps[0].with', message: 'bad' }),
    ).toBe('rb.yaml:3:5 steps[0].with: bad');
    expect(formatProblem({ path: '--param', message: '--param x= has no value', hint: 'give one' })).toBe(
      '--param x= has no value (hint: give one)',
    );
  });
});

describe('--report paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'failover-report-'));
  it('accepts a new file in a new directory under a writable one', () => {
    expect(writablePathProblem(join(dir, 'a', 'b', 'r.xml'))).toBeUndefined();
  });
  it('refuses a directory, and a path under a regular file', () => {
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(writablePathProblem(dir)).toBe('is a directory');
    expect(writablePathProblem(join(file, 'r.xml'))).toMatch(/is not a directory/);
    expect(reportTargetProblems([{ format: 'junit', path: join(file, 'r.xml') }])[0]?.message).toMatch(
      /^--report junit:/,
    );
  });
});

describe('git refs', () => {
  it.each(['main', 'release/2026.1', 'feature/x-y_z'])('branch %s is accepted', (name) => {
    expect(branchNameProblem(name)).toBeUndefined();
  });
  it.each([
    ['-x', /start with "-"/],
    ['a..b', /".."/],
    ['a b', /a space/],
    ['x.lock', /\.lock/],
    ['HEAD', /HEAD/],
    ['a@{1}', /@\{/],
    ['refs/heads/main', /not a full ref/],
    ['a:b', /":"/],
    ['.hidden', /starting with "."/],
    ['trail/', /end with "\/"/],
  ])('branch %j is refused', (name, message) => {
    expect(branchNameProblem(name)).toMatch(message);
  });
  it('lock refs live in their own namespace', () => {
    expect(lockRefProblem('refs/failover/lock')).toBeUndefined();
    expect(lockRefProblem('refs/heads/main')).toMatch(/taken for a branch/);
    expect(lockRefProblem('refs/tags/lock')).toMatch(/taken for a tag/);
    expect(lockRefProblem('refs/lock')).toMatch(/namespace of its own/);
    expect(lockRefProblem('refs/failover/lo ck')).toMatch(/a space/);
  });
});

describe('commit messages and terminal output', () => {
  it('no value can start a trailer or a paragraph of its own', () => {
    const message = standbyCommitMessage('aws', 'active', 'all', {
      runId: 'r1',
      operator: 'alice\nFailover-Run: forged',
      incident: 'INC-1\n\nfailover: succeeded',
      reason: 'down\n\nSigned-off-by: CTO <cto@example.com>\u001b[31m',
    });
    const lines = message.trimEnd().split('\n');
    expect(lines[0]).toBe('failover: activate aws overlay (INC-1 failover: succeeded)');
    expect(
      lines
        .slice(1)
        .filter((l) => /^[A-Za-z-]+: /.test(l))
        .map((l) => l.split(':')[0]),
    ).toEqual(['Failover-Run', 'Failover-Operator', 'Failover-Incident', 'Failover-Reason']);
    expect(message).not.toContain('\u001b');
    expect(auditLine('x'.repeat(500))).toHaveLength(200);
  });

  it('control characters from outside are shown escaped; our colours stay', () => {
    expect(escapeUntrusted('a\u001b]0;pwned\u0007b\rc')).toBe('a\\x1b]0;pwned\\x07b\\rc');
    expect(escapeForTerminal('\u001b[31mred\u001b[39m \u001b[2J')).toBe('\u001b[31mred\u001b[39m \\x1b[2J');
  });
});
