/**
 * `failover lint …` and `failover iam-policy` as a user runs them: spawned CLI, exit codes,
 * stdout/stderr split, stdin input, `--fix` on a copy. The rules themselves are covered in
 * test/unit/lint-*.test.ts; this file checks the wiring a GitOps repo's CI relies on.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  BIN,
  type CliResult,
  cliEnv,
  failover,
  ROOT,
  removeTempDirs,
  tempDir,
} from './helpers.js';

const INGRESS = join(ROOT, 'test', 'fixtures', 'ingress');
const STANDBY = join(ROOT, 'test', 'fixtures', 'standby', 'overlays');

/** Runs the CLI with `input` on stdin (execFile cannot feed stdin). Bounded by a kill timer. */
function failoverWithStdin(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: env.FAILOVER_STATE_DIR, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

let env: NodeJS.ProcessEnv;

beforeAll(() => {
  assertBuilt();
  env = cliEnv(tempDir());
});
afterAll(removeTempDirs);

describe('failover lint ingress', () => {
  it('exits 1 on the write-up example and names the file, line and both backends on stdout', async () => {
    const file = join(INGRESS, 'writeup-unsafe.yaml');
    const result = await failover(['lint', 'ingress', file, '--no-color'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/writeup-unsafe\.yaml:\d+/);
    expect(result.stdout).toContain('/hoge/');
    expect(result.stdout).toMatch(/default/);
    expect(result.stdout).toMatch(/hoge/);
  });

  it('exits 0 on the reordered example', async () => {
    const result = await failover(['lint', 'ingress', join(INGRESS, 'writeup-safe.yaml')], { env });
    expect(result.code).toBe(0);
  });

  it('--output json is one JSON document on stdout with the divergences', async () => {
    const result = await failover(
      ['--output', 'json', 'lint', 'ingress', join(INGRESS, 'writeup-unsafe.yaml')],
      {
        env,
      },
    );
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { findings: { kind: string; file: string }[] };
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.every((f) => f.file.endsWith('writeup-unsafe.yaml'))).toBe(true);
  });

  it('reads rendered manifests from stdin', async () => {
    const text = readFileSync(join(INGRESS, 'writeup-unsafe.yaml'), 'utf8');
    const result = await failoverWithStdin(['lint', 'ingress', '-'], text, env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('<stdin>');
  });

  it('empty stdin is bad usage (exit 2), not a clean bill of health', async () => {
    const result = await failoverWithStdin(['lint', 'ingress'], '', env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/empty: nothing was checked/);
    expect(result.stdout).toBe('');
  });

  it('--fix rewrites a copy so that re-linting finds nothing, and keeps its comments', async () => {
    const dir = tempDir();
    const copy = join(dir, 'ingress.yaml');
    copyFileSync(join(INGRESS, 'fix', 'commented.yaml'), copy);
    const before = readFileSync(copy, 'utf8');
    expect((await failover(['lint', 'ingress', copy], { env })).code).toBe(1);

    const fixed = await failover(['lint', 'ingress', '--fix', copy], { env });
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toMatch(
      /fixed .*ingress\.yaml: rules reordered, [1-9]\d* finding\(s\) before the fix/,
    );
    const after = readFileSync(copy, 'utf8');
    expect(after).not.toBe(before);
    const comments = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.trim().startsWith('#'))
        .map((line) => line.trim())
        .sort();
    expect(comments(after)).toEqual(comments(before));
    expect((await failover(['lint', 'ingress', copy], { env })).code).toBe(0);
  });

  it('--fix refuses stdin: there is no file to rewrite', async () => {
    const result = await failoverWithStdin(['lint', 'ingress', '--fix'], 'kind: Ingress\n', env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot rewrite standard input/);
  });

  it('a broken file is reported with its position while the good files are still checked', async () => {
    const result = await failover(
      ['lint', 'ingress', join(INGRESS, 'bad', 'broken.yaml'), join(INGRESS, 'writeup-unsafe.yaml')],
      { env },
    );
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/broken\.yaml:\d+(:\d+)?/);
    expect(result.stdout).toContain('writeup-unsafe.yaml');
  });

  it('exits 2 when nothing could be checked', async () => {
    const result = await failover(['lint', 'ingress', join(tempDir(), 'missing.yaml')], { env });
    expect(result.code).toBe(2);
  });
});

describe('failover lint standby', () => {
  it('a dormant overlay passes (warnings allowed)', async () => {
    const result = await failover(['lint', 'standby', '--overlay', join(STANDBY, 'patches-clean')], { env });
    expect(result.code).toBe(0);
  });

  it('an overlay whose traps run in standby fails and names them', async () => {
    const result = await failover(
      ['lint', 'standby', '--overlay', join(STANDBY, 'patches-traps'), '--no-color'],
      { env },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/StatefulSet/);
    expect(result.stdout).toMatch(/DaemonSet/);
  });

  it('a missing overlay directory is invalid input (exit 2) with the path in the message', async () => {
    const missing = join(tempDir(), 'no-such-overlay');
    const result = await failover(['lint', 'standby', '--overlay', missing], {
      env,
    });
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain('no-such-overlay');
    // Nothing was read, so nothing is claimed about its state.
    expect(result.stdout).toMatch(/no-such-overlay: not checked/);
    expect(result.stdout).not.toMatch(/: active; standby entries/);
  });
});

describe('failover lint runbook / config', () => {
  it('the shipped runbooks have no errors', async () => {
    const files = ['to-aws', 'to-gcp', 'drill'].map((name) => join(ROOT, 'runbooks', `${name}.yaml`));
    const result = await failover(['lint', 'runbook', ...files], { env });
    expect(result.code).toBe(0);
  });

  it('a runbook that shifts traffic before waiting for AWS is an error with its position', async () => {
    const dir = tempDir();
    const file = join(dir, 'hasty.yaml');
    writeFileSync(
      file,
      [
        'name: hasty',
        'steps:',
        '  - id: activate',
        '    uses: gitops.set-standby',
        '    with: { state: active }',
        '  - id: shift',
        '    uses: route53.set-weights',
        '    with: { weights: { aws: 100, gcp: 0 } }',
        '',
      ].join('\n'),
    );
    const result = await failover(['lint', 'runbook', file, '--no-color'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/hasty\.yaml:\d+:\d+/);
  });

  it('lint config with an unreadable config exits 2', async () => {
    const result = await failover(['lint', 'config', '--config', join(tempDir(), 'nope.yaml')], { env });
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain('nope.yaml');
  });
});

describe('failover iam-policy', () => {
  it('prints a JSON IAM policy document on stdout for the shipped runbooks', async () => {
    const result = await failover(['--output', 'json', 'iam-policy'], { env });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    const text = JSON.stringify(out);
    expect(text).toContain('route53:UpdateTrafficPolicyInstance');
    expect(text).toContain('eks:DescribeCluster');
    expect(text).toContain('container.clusters.get');
  });
});
