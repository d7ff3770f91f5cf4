/**
 * Running programs without a shell: arguments reach the program verbatim (no word splitting, no
 * expansion), failures carry exit code and stderr, and an aborted signal kills the child.
 */
import { describe, expect, it } from 'vitest';
import { ExecError, exec } from '../../../src/util/exec.js';

const node = process.execPath;

describe('exec', () => {
  it('passes arguments verbatim: shell syntax stays text', async () => {
    const tricky = ['$(touch /tmp/failover-pwned)', '; rm -rf ~', '`id`', 'a b', '*'];
    const { stdout } = await exec(node, [
      '-e',
      'console.log(JSON.stringify(process.argv.slice(1)))',
      ...tricky,
    ]);
    expect(JSON.parse(stdout)).toEqual(tricky);
  });

  it('a non-zero exit is an ExecError with the code and the first stderr line', async () => {
    const error = await exec(node, ['-e', 'console.error("no such ref"); process.exit(3)']).catch((e) => e);
    expect(error).toBeInstanceOf(ExecError);
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/exited with code 3: no such ref/);
  });

  it('an aborted signal kills the child and says it was cancelled', async () => {
    const controller = new AbortController();
    // Without the kill the child would finish normally after 20 s and the promise would resolve.
    const running = exec(node, ['-e', 'setTimeout(() => {}, 20000)'], {
      signal: controller.signal,
      timeoutMs: 60_000,
    });
    setTimeout(() => controller.abort(new Error('step timed out')), 100);
    const error = await running.catch((e) => e);
    expect(error).toBeInstanceOf(ExecError);
    expect(error.timedOut).toBe(false);
    expect(error.message).toMatch(/was cancelled/);
  });

  it('a program that is not installed says so', async () => {
    const error = await exec('failover-no-such-program', []).catch((e) => e);
    expect(error).toBeInstanceOf(ExecError);
    expect(error.systemCode).toBe('ENOENT');
  });
});
