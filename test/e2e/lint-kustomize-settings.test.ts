/**
 * `failover lint portability` renders with the configured kustomize.buildOptions, as Argo CD builds
 * (and as `lint standby` and the runbook's portability check do). The tree is a payments service
 * laid out by region (deploy/regions/aws, not overlays/aws) whose AWS overlay takes a patch shared
 * from a directory outside it: kustomize loads that only with `--load-restrictor LoadRestrictionsNone`.
 * Without the option the build fails, so the lint could say nothing about the overlay.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/util/exec.js';
import { assertBuilt, cliEnv, failover, removeTempDirs, tempDir } from './helpers.js';

const kubectl = await findOnPath('kubectl');

const TREE: Record<string, string> = {
  'deploy/base/kustomization.yaml': 'resources:\n  - payments.yaml\n',
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
`,
  'deploy/regions/gcp/kustomization.yaml': 'namespace: payments\nresources:\n  - ../../base\n',
  'failover.config.yaml': `gitops:
  repo: .
  awsOverlay: deploy/regions/aws
  gcpOverlay: deploy/regions/gcp
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

const lint = (args: string[]) =>
  failover(['--no-color', 'lint', 'portability', ...args], { env, cwd: repo, timeoutMs: 60_000 });

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
        { overlay: 'deploy/regions/aws', target: 'aws', rendered: true, objects: 1 },
        { overlay: 'deploy/regions/gcp', target: 'gcp', rendered: true, objects: 1 },
      ]);
    });

    it('--overlay DIR --cloud aws renders with the build options of the config too', async () => {
      const r = await lint(['--overlay', 'deploy/regions/aws', '--cloud', 'aws']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Overlay deploy\/regions\/aws on aws: 1 objects, portable$/m);
    });
  },
);
