/**
 * kubectl or kustomize is a requirement: the CLI run with a PATH that holds node and git but
 * neither kubectl nor kustomize exits 2 saying what to install, and `kustomize.path` /
 * `kustomize.buildOptions` from the config reach the binary it runs.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/util/exec.js';
import { assertBuilt, BIN, type CliResult, ROOT, removeTempDirs, tempDir } from './helpers.js';

const OVERLAY = join(ROOT, 'test', 'fixtures', 'standby', 'overlays', 'patches-clean');
const INSTALL =
  'install kubectl (includes kustomize) or kustomize: https://kubectl.docs.kubernetes.io/installation/kustomize/ ; or set kustomize.path in failover.config.yaml';

let work: string;
let bin: string;

/** Runs the CLI with the node of `bin` and PATH=bin only (no shell, bounded). */
function failover(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      join(bin, 'node'),
      [BIN, ...args],
      {
        cwd: work,
        env: { PATH: bin, HOME: work, LANG: 'C.UTF-8', CI: '1', FAILOVER_STATE_DIR: join(work, 'state') },
        timeout: 30_000,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({
          code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

beforeAll(async () => {
  assertBuilt();
  work = tempDir('failover-no-kustomize-');
  bin = join(work, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const git = await findOnPath('git');
  if (!git) throw new Error('git is a requirement of the tests');
  symlinkSync(git, join(bin, 'git'));
  // The PATH really has neither (the check the tool makes, from outside it).
  expect(await findOnPath('kubectl', bin)).toBeUndefined();
  expect(await findOnPath('kustomize', bin)).toBeUndefined();
});

afterAll(() => removeTempDirs());

describe('without kubectl and kustomize', () => {
  it('lint standby exits 2 with what to install, and renders nothing', async () => {
    const result = await failover(['--no-color', 'lint', 'standby', '--overlay', OVERLAY]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'error cannot render Kustomize overlays: neither kustomize nor kubectl is on PATH [FO_KUSTOMIZE_E4001]',
    );
    expect(result.stderr).toContain(`hint: ${INSTALL}`);
  });

  it('the sandbox (its Argo CD renders like the real one) does not start: exit 2, same message', async () => {
    const result = await failover(['--no-color', 'sandbox', 'start', '--dir', join(work, 'sandbox')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[FO_KUSTOMIZE_E4001]');
    expect(result.stderr).toContain(`hint: ${INSTALL}`);
  });

  it('the same as JSON: code, category and hint', async () => {
    const result = await failover(['-o', 'json', 'lint', 'standby', '--overlay', OVERLAY]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error: { code: 'FO_KUSTOMIZE_E4001', category: 'invalid-input', hint: INSTALL },
      exitCode: 2,
    });
  });

  it('kustomize.path and kustomize.buildOptions from the config reach the binary, argv intact', async () => {
    const tools = join(work, 'tools');
    mkdirSync(tools, { recursive: true });
    const fake = join(tools, 'kustomize-5.4');
    const log = join(tools, 'argv.jsonl');
    // Prints the overlay's standby render: a Deployment at 0 replicas.
    writeFileSync(
      fake,
      `#!${process.execPath}
require('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');
process.stdout.write('apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: web\\nspec:\\n  replicas: 0\\n');
`,
    );
    chmodSync(fake, 0o755);
    const config = join(work, 'failover.config.yaml');
    writeFileSync(
      config,
      `kustomize:\n  path: ${fake}\n  buildOptions: --load-restrictor LoadRestrictionsNone --enable-helm\n`,
    );
    const result = await failover([
      '--config',
      config,
      '-o',
      'json',
      'lint',
      'standby',
      '--overlay',
      OVERLAY,
    ]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({
      renderer: 'kustomize build',
      rendered: true,
      objects: 1,
    });
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[]);
    // The overlay as it is, then a temporary copy without the standby entries.
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual([
      'build',
      OVERLAY,
      '--load-restrictor',
      'LoadRestrictionsNone',
      '--enable-helm',
    ]);
    expect(calls[1]?.slice(2)).toEqual(['--load-restrictor', 'LoadRestrictionsNone', '--enable-helm']);
    expect(calls[1]?.[1]).not.toBe(OVERLAY);
  });

  it('a kustomize section of the wrong shape is a config error with its field path (exit 2)', async () => {
    const config = join(work, 'bad.config.yaml');
    writeFileSync(config, 'kustomize:\n  buildOptions: 3\n');
    const result = await failover(['--config', config, 'lint', 'standby', '--overlay', OVERLAY]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/kustomize\.buildOptions/);
  });
});
