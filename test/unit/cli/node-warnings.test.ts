/**
 * Node warnings in a real Node process with the CLI's handler installed: Node's own printing is
 * gone, --verbose shows one plain line. Checked in a child process because the handler replaces
 * process-wide listeners.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verboseWanted } from '../../../src/cli/node-warnings.js';
import { assertBuilt } from '../../e2e/helpers.js';

const MODULE = pathToFileURL(
  join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'node-warnings.js'),
).href;

function stderrOf(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { timeout: 20_000 },
      (error, _out, err) => (error ? reject(error) : resolve(err)),
    );
  });
}

const emit = `
  import { EventEmitter } from 'node:events';
  const emitter = new EventEmitter();
  for (let i = 0; i < 12; i++) emitter.on('tick', () => {});
  process.emitWarning('a dependency did something old', 'DeprecationWarning');
  await new Promise((r) => setTimeout(r, 50));
`;

describe('Node warnings', () => {
  it('Node prints them without the handler (the control case)', async () => {
    expect(await stderrOf(emit)).toMatch(/MaxListenersExceededWarning[\s\S]*DeprecationWarning/);
  });

  it('never reach the terminal with the handler installed', async () => {
    assertBuilt();
    const err = await stderrOf(
      `import { routeNodeWarnings } from '${MODULE}';\nrouteNodeWarnings(false, (l) => process.stderr.write(l));\n${emit}`,
    );
    expect(err).toBe('');
  });

  it('show as one plain line each with --verbose', async () => {
    assertBuilt();
    const err = await stderrOf(
      `import { routeNodeWarnings } from '${MODULE}';\nrouteNodeWarnings(true, (l) => process.stderr.write(l));\n${emit}`,
    );
    expect(err.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^node warning \(MaxListenersExceededWarning\): Possible EventEmitter memory leak/,
      ),
      'node warning (DeprecationWarning): a dependency did something old',
    ]);
  });

  it.each([
    [['node', 'failover', 'status', '--verbose'], true],
    [['node', 'failover', '-v', 'status'], true],
    [['node', 'failover', '-yv', 'to-aws'], true],
    [['node', 'failover', '-V'], false],
    [['node', 'failover', 'status'], false],
  ])('%j asks for verbose: %s', (argv, wanted) => {
    expect(verboseWanted(argv)).toBe(wanted);
  });
});
