/**
 * Every render the GitOps adapter makes goes through the kustomize the config names, with its build
 * options, as Argo CD builds: the overlay at a commit (argocd.wait judges the workloads by it, status
 * lists what stays on by it) and the overlay made active (the portability check), not only the
 * plan's before/after. The repository is an orders service whose standby patch is shared from a
 * directory outside the overlay, which kustomize loads only with
 * `--load-restrictor LoadRestrictionsNone` (a common Argo CD kustomize.buildOptions).
 * Real git, real kubectl behind a logging wrapper given as kustomize.path.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitReader } from '../../src/providers/git/adapter.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';
import { findOnPath } from '../../src/util/exec.js';
import {
  type CountingWrapper,
  countingWrapper,
  loggedLines,
  remoteFromTree,
} from '../fixtures/counting-git.js';
import { adapterOptions } from '../fixtures/gitops/harness.js';

const kubectl = await findOnPath('kubectl');

const TREE: Record<string, string> = {
  'deploy/base/kustomization.yaml': 'resources:\n  - orders.yaml\n',
  'deploy/base/orders.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-api
spec:
  replicas: 5
  selector:
    matchLabels: { app: orders-api }
  template:
    metadata:
      labels: { app: orders-api }
    spec:
      containers:
        - name: api
          image: registry.example.org/orders-api:3.2.0
`,
  // One standby patch for every region's AWS overlay, kept beside them.
  'deploy/shared/replicas-zero.yml': '- op: replace\n  path: /spec/replicas\n  value: 0\n',
  'deploy/regions/aws/kustomization.yaml': `namespace: orders
resources:
  - ../../base
patches:
  - path: ../../shared/replicas-zero.yml
    target:
      kind: Deployment
`,
  'deploy/regions/gcp/kustomization.yaml': 'namespace: orders\nresources:\n  - ../../base\n',
};

const RELAXED = '--load-restrictor LoadRestrictionsNone';

let work: string;
let head: string;
let remote: string;
let wrapper: CountingWrapper | undefined;

function replicasOf(objects: KubeObject[], name: string): unknown {
  const found = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  return (found?.spec as { replicas?: unknown } | undefined)?.replicas;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-git-render-settings-'));
  ({ remote, head } = await remoteFromTree(join(work, 'repo'), TREE));
  // The wrapper is the configured kustomize.path; PATH is put back at once, so only the config
  // can lead a render to it.
  if (kubectl) {
    await mkdir(join(work, 'tool'));
    wrapper = await countingWrapper(join(work, 'tool'), 'kubectl', kubectl);
    wrapper.restore();
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function reader(run: string, buildOptions?: string) {
  return createGitReader(
    adapterOptions({
      repo: remote,
      stateDir: join(work, run),
      gitops: {
        awsOverlay: 'deploy/regions/aws',
        gcpOverlay: 'deploy/regions/gcp',
        standby: { patchPaths: ['shared/replicas-zero.yml'] },
      },
      kustomize: { path: join(work, 'tool', 'bin', 'kubectl'), ...(buildOptions ? { buildOptions } : {}) },
    }),
  );
}

describe.skipIf(!kubectl)('renders use the configured kustomize and its build options', () => {
  it('the overlay at a commit and the overlay made active both build with kustomize.path and buildOptions', async () => {
    const git = reader('relaxed', RELAXED);
    const signal = new AbortController().signal;

    const standby = await git.renderOverlay('aws', head, signal);
    expect(standby?.revision).toBe(head);
    expect(replicasOf(standby?.objects ?? [], 'orders-api')).toBe(0);

    const active = await git.renderActive?.('aws', signal);
    expect(active?.revision).toBe(head);
    expect(replicasOf(active?.objects ?? [], 'orders-api')).toBe(5);

    // Both builds ran the configured binary with the options, one argument each.
    const calls = await loggedLines((wrapper as CountingWrapper).log);
    expect(calls.length).toBe(2);
    for (const call of calls) expect(call).toMatch(/^kustomize \S+ --load-restrictor LoadRestrictionsNone$/);
  });

  it('without the option the same overlay is refused by kustomize itself, as Argo CD would refuse it', async () => {
    const git = reader('strict');
    await expect(git.renderOverlay('aws', head, new AbortController().signal)).rejects.toThrow(
      /is not in or below/,
    );
  });
});
