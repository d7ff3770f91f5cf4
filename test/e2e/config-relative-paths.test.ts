/**
 * Relative paths in the config are relative to the config file, whatever the working directory:
 * `gitops.cacheDir` as `stateDir` and `gitops.repo`. An operator runs `failover status --config
 * /srv/failover/failover.config.yaml` from anywhere; the cache clone of the GitOps repository must
 * be the one beside the config, not a new clone in each directory the command is started from.
 * Real git: a remote on branch `release` whose overlays live under deploy/.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitRemote } from '../../src/sandbox/gitops-demo/index.js';
import { assertBuilt, cliEnv, failover, removeTempDirs, tempDir } from './helpers.js';

const TREE: Record<string, string> = {
  'deploy/base/kustomization.yaml': 'resources: []\n',
  'deploy/aws/kustomization.yaml': `resources:
  - ../base
patches:
  - path: ledger-dormant.yml
    target: { kind: Deployment }
`,
  'deploy/aws/ledger-dormant.yml': '- op: replace\n  path: /spec/replicas\n  value: 0\n',
  'deploy/gcp/kustomization.yaml': 'resources:\n  - ../base\n',
};

let home: string;
let elsewhere: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuilt();
  const work = tempDir('failover-relative-');
  const source = join(work, 'source');
  for (const [path, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(source, path)), { recursive: true });
    writeFileSync(join(source, path), text);
  }
  const { remote } = await createGitRemote({ dir: join(work, 'remote'), from: source, branch: 'release' });
  home = join(work, 'srv', 'failover');
  elsewhere = join(work, 'operator');
  mkdirSync(home, { recursive: true });
  mkdirSync(elsewhere, { recursive: true });
  writeFileSync(
    join(home, 'failover.config.yaml'),
    `stateDir: state
gitops:
  repo: ${remote}
  branch: release
  awsOverlay: deploy/aws
  gcpOverlay: deploy/gcp
  cacheDir: git-cache
  standby: { patchPaths: [ledger-dormant.yml] }
`,
  );
  // No FAILOVER_STATE_DIR: the config's stateDir decides, as in production.
  const { FAILOVER_STATE_DIR: _stateDir, ...rest } = cliEnv(tempDir());
  env = rest;
});
afterAll(removeTempDirs);

describe('relative paths of the config', { timeout: 60_000 }, () => {
  it('gitops.cacheDir: the clone lives beside the config, not in the working directory', async () => {
    const r = await failover(['--output', 'json', '--config', join(home, 'failover.config.yaml'), 'status'], {
      env,
      cwd: elsewhere,
    });
    const report = JSON.parse(r.stdout) as {
      overlays: Record<string, { ok: boolean; value?: { state: string } }>;
    };
    expect(report.overlays.aws, r.stderr).toMatchObject({ ok: true, value: { state: 'partial' } });
    expect(readdirSync(join(home, 'git-cache'))).toHaveLength(1);
    expect(existsSync(join(elsewhere, 'git-cache'))).toBe(false);
  });
});
