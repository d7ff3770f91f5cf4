/**
 * `failover lint portability` and `failover lint standby` render with the configured
 * kustomize.buildOptions, as Argo CD builds (and as the runbook's portability check does). The tree
 * is a payments service laid out by region (deploy/regions/aws, not overlays/aws) whose AWS overlay
 * takes patches shared from a directory outside it, its standby patch among them (named as the
 * config's gitops.standby says): kustomize loads those only with
 * `--load-restrictor LoadRestrictionsNone`. Without the option, or without those files, the build
 * fails, so a lint could say nothing true about the overlay.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { findOnPath } from '../../src/util/exec.js';
import { assertBuilt, cliEnv, failover, removeTempDirs, tempDir } from './helpers.js';

const kubectl = await findOnPath('kubectl');

const TREE: Record<string, string> = {
  'deploy/base/kustomization.yaml': 'resources:\n  - payments.yaml\n  - settle.yaml\n',
  'deploy/base/payments.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments
spec:
  replicas: 4
  selector:
    matchLabels: { app: payments }
  template:
    metadata:
      labels: { app: payments }
    spec:
      containers:
        - name: api
          image: registry.example.org/payments:7.1.0
`,
  'deploy/base/settle.yaml': `apiVersion: batch/v1
kind: CronJob
metadata:
  name: payments-settle
spec:
  schedule: '*/15 * * * *'
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: settle
              image: registry.example.org/payments:7.1.0
`,
  // The standby patches: the Deployment one shared by every AWS region, the CronJob one the overlay's own.
  'deploy/shared/payments-dormant.yml': '- op: replace\n  path: /spec/replicas\n  value: 0\n',
  'deploy/regions/aws/settle-paused.yml': '- op: add\n  path: /spec/suspend\n  value: true\n',
  // The AWS node pool, set by a patch every AWS region shares: outside the overlay.
  'deploy/shared/aws-nodes.yml': `- op: add
  path: /spec/template/spec/nodeSelector
  value: { eks.amazonaws.com/nodegroup: payments }
`,
  'deploy/regions/aws/kustomization.yaml': `namespace: payments
resources:
  - ../../base
patches:
  - path: ../../shared/aws-nodes.yml
    target:
      kind: Deployment
  - path: ../../shared/payments-dormant.yml
    target:
      kind: Deployment
  - path: settle-paused.yml
    target:
      kind: CronJob
`,
  'deploy/regions/gcp/kustomization.yaml': 'namespace: payments\nresources:\n  - ../../base\n',
  'failover.config.yaml': `gitops:
  repo: .
  awsOverlay: deploy/regions/aws
  gcpOverlay: deploy/regions/gcp
  standby:
    patchPaths: [payments-dormant.yml, settle-paused.yml]
kustomize:
  buildOptions: --load-restrictor LoadRestrictionsNone
`,
};

let repo: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  assertBuilt();
  env = cliEnv(tempDir());
  repo = join(tempDir('failover-lint-kustomize-'), 'payments');
  for (const [path, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
});
afterAll(removeTempDirs);

const lint = (args: string[], command = 'portability') =>
  failover(['--no-color', 'lint', command, ...args], { env, cwd: repo, timeoutMs: 60_000 });

describe.skipIf(!kubectl)(
  'failover lint portability with kustomize.buildOptions',
  { timeout: 60_000 },
  () => {
    it("the config's overlays render with its build options: the AWS overlay with its shared patch is checked", async () => {
      const r = await lint(['--output', 'json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { overlays: unknown[]; problems: unknown[] };
      expect(report.problems).toEqual([]);
      expect(report.overlays).toEqual([
        { overlay: 'deploy/regions/aws', target: 'aws', rendered: true, objects: 2 },
        { overlay: 'deploy/regions/gcp', target: 'gcp', rendered: true, objects: 2 },
      ]);
    });

    it('--overlay DIR --cloud aws renders with the build options of the config too', async () => {
      const r = await lint(['--overlay', 'deploy/regions/aws', '--cloud', 'aws']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Overlay deploy\/regions\/aws on aws: 2 objects, portable$/m);
    });
  },
);

describe.skipIf(!kubectl)('failover lint standby with kustomize.buildOptions', { timeout: 60_000 }, () => {
  it('the overlay without its standby entries renders with the shared patch it keeps: in standby, both workloads would start', async () => {
    const r = await lint(['--output', 'json'], 'standby');
    const report = JSON.parse(r.stdout) as {
      state: string;
      findings: { rule: string; message: string }[];
      wouldStart: { kind: string; name: string; to: string }[];
    };
    expect(report.findings, r.stdout).toEqual([]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(report.state).toBe('standby');
    // The Deployment starts at the base's 4 replicas once its shared standby patch is gone.
    expect(report.wouldStart.map((w) => `${w.kind}/${w.name} ${w.to}`).sort()).toEqual([
      expect.stringMatching(/^CronJob\/payments-settle /),
      'Deployment/payments 4 replicas',
    ]);
  });
});

describe.skipIf(!kubectl)(
  'sandbox start --kustomize-build-options: a copy of the repo rehearsed as its Argo CD builds it',
  { timeout: 60_000 },
  () => {
    it('the emulated Argo CD syncs the overlay that needs the option, and the written config carries it', async () => {
      const start = (buildOptions?: string) =>
        startSandbox({
          dir: tempDir('failover-sandbox-build-options-'),
          repoFrom: repo,
          awsOverlay: 'deploy/regions/aws',
          gcpOverlay: 'deploy/regions/gcp',
          ...(buildOptions ? { kustomizeBuildOptions: buildOptions } : {}),
        });
      const appOf = async (sandbox: Awaited<ReturnType<typeof start>>) => {
        const res = await fetch(`${sandbox.info.argocd.endpoint}/api/v1/applications/admin-aws`, {
          headers: { authorization: `Bearer ${sandbox.argocdToken}` },
        });
        return (await res.json()) as { status: { sync: { status: string } } };
      };
      const withOption = await start('--load-restrictor LoadRestrictionsNone');
      try {
        expect((await appOf(withOption)).status.sync.status).toBe('Synced');
        const payments = withOption.argocd.model.workloads('admin-aws').find((w) => w.name === 'payments');
        expect(payments?.replicas).toBe(0);
        const config = parse(readFileSync(withOption.info.config, 'utf8')) as { kustomize?: unknown };
        expect(config.kustomize).toEqual({ buildOptions: '--load-restrictor LoadRestrictionsNone' });
      } finally {
        await withOption.close();
      }
      // Without it, the repo-server's build fails as Argo CD's would: nothing is synced.
      const without = await start();
      try {
        expect((await appOf(without)).status.sync.status).not.toBe('Synced');
        expect(readFileSync(without.info.config, 'utf8')).not.toMatch(/^kustomize:/m);
      } finally {
        await without.close();
      }
    });
  },
);
