/**
 * Rendering is kustomize's (the sweep of every fixture against `kubectl kustomize` is
 * test/conformance/kustomize-kubectl.test.ts): what the demo overlays contain, what the old built-in
 * renderer got wrong, the configured binary and build options passed through as Argo CD passes
 * them, the lookup order, and the Argo CD emulator failing a render with kustomize's own message.
 */
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSeq, isMap as isYamlMap, parseDocument } from 'yaml';
import { type KubeObject, locateKustomize, render } from '../../src/providers/kustomize/index.js';
import { demoApps, startArgoCdEmulator } from '../../src/sandbox/argocd/index.js';
import { createGitRemote, demoTreeDir, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { findOnPath } from '../../src/util/exec.js';
import { parseIndependently, runDirect as run } from '../fixtures/kustomize/reference.js';

const KUSTOMIZE_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'kustomize');
const kubectl = await findOnPath('kubectl');

/** Removes the write-up's two standby entries from an overlay's patches, as a failover commit does. */
function withoutStandbyPatches(text: string): string {
  const doc = parseDocument(text);
  const patches = doc.get('patches');
  if (isSeq(patches)) {
    patches.items = patches.items.filter((item) => {
      const path = isYamlMap(item) ? item.get('path') : undefined;
      return path !== 'cronjob-suspend.yml' && path !== 'replicas-zero.yml';
    });
    if (patches.items.length === 0) doc.delete('patches');
  }
  return doc.toString();
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `${kind}/${name} not rendered; got ${objects.map((o) => `${o.kind}/${o.metadata.name}`)}`,
    );
  return found;
}

function spec(object: KubeObject): Record<string, unknown> {
  return (object.spec ?? {}) as Record<string, unknown>;
}

let work: string;
let tree: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kustomize-renderer-'));
  tree = join(work, 'tree');
  await cp(demoTreeDir(), tree, { recursive: true });
  // A second copy of the AWS overlay with the standby patches removed (AWS active).
  await cp(join(tree, 'overlays', 'aws'), join(tree, 'overlays', 'aws-active'), { recursive: true });
  const file = join(tree, 'overlays', 'aws-active', 'kustomization.yaml');
  await writeFile(file, withoutStandbyPatches(await readFile(file, 'utf8')));
  // GKE with the fencing toggle listed (GKE's CronJobs suspended while AWS is active).
  await cp(join(tree, 'overlays', 'gke'), join(tree, 'overlays', 'gke-fenced'), { recursive: true });
  const gke = join(tree, 'overlays', 'gke-fenced', 'kustomization.yaml');
  const doc = parseDocument(await readFile(gke, 'utf8'));
  doc.addIn(['patches'], doc.createNode({ path: 'cronjob-suspend.yml', target: { kind: 'CronJob' } }));
  await writeFile(gke, doc.toString());
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('what the demo overlays render to (kustomize)', () => {
  it('the AWS standby overlay: every Deployment at 0, the CronJob suspended, in build order', async () => {
    const objects = await render(join(tree, 'overlays', 'aws'));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/admin-api',
      'Service/admin-web',
      'Deployment/admin-api',
      'Deployment/admin-web',
      'Deployment/worker',
      'CronJob/nightly-report',
      'HorizontalPodAutoscaler/worker',
      'Ingress/admin',
    ]);
    for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
      expect(spec(deployment).replicas, deployment.metadata.name).toBe(0);
    }
    // The HPA-managed worker has no spec.replicas in base: `replace` silently added it.
    expect(spec(find(objects, 'Deployment', 'worker')).replicas).toBe(0);
    expect(spec(find(objects, 'CronJob', 'nightly-report')).suspend).toBe(true);
  });

  it('the AWS overlay without the standby patches runs at full size', async () => {
    const objects = await render(join(tree, 'overlays', 'aws-active'));
    expect(spec(find(objects, 'Deployment', 'admin-web')).replicas).toBe(3);
    expect(spec(find(objects, 'Deployment', 'worker'))).not.toHaveProperty('replicas');
    expect(spec(find(objects, 'CronJob', 'nightly-report'))).not.toHaveProperty('suspend');
  });

  it('GKE renders its own resources, and the fencing toggle suspends only its CronJob', async () => {
    const gke = await render(join(tree, 'overlays', 'gke'));
    expect(find(gke, 'BackendConfig', 'admin-web').apiVersion).toBe('cloud.google.com/v1');
    expect(spec(find(gke, 'CronJob', 'nightly-report'))).not.toHaveProperty('suspend');
    const fenced = await render(join(tree, 'overlays', 'gke-fenced'));
    expect(spec(find(fenced, 'CronJob', 'nightly-report')).suspend).toBe(true);
    expect(spec(find(fenced, 'Deployment', 'admin-web')).replicas).toBe(3);
  });

  it('what the old built-in renderer got wrong: CronJob replicas, octal modes, roleRef renames', async () => {
    await expect(render(join(KUSTOMIZE_FIXTURES, 'rejected', 'cronjob-replicas'))).rejects.toThrow(
      /cleanup does not match a config with the following GVK/,
    );
    const objects = await render(join(KUSTOMIZE_FIXTURES, 'kustomize-only', 'overlay'));
    const binding = find(objects, 'RoleBinding', 'aws-runner-reads-jobs');
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'aws-job-reader' });
    const cron = spec(find(objects, 'CronJob', 'aws-compaction'));
    expect(JSON.stringify(cron)).toContain('"defaultMode":493');
    expect(cron.suspend).toBe(true);
    expect(spec(find(objects, 'StatefulSet', 'aws-ledger')).replicas).toBe(0);
    const config = objects.find((o) => o.kind === 'ConfigMap');
    expect(config?.data).toEqual({ MODE: 'batch', UMASK: '0755' });
  });
});

/** A stand-in kustomize that records its argv and environment, then prints one object. */
async function fakeTool(dir: string, name: string, options: { fail?: boolean } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  const body = options.fail
    ? "process.stderr.write('Error: accumulating resources: missing.yaml: no such file\\n'); process.exit(1);"
    : "process.stdout.write('apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: recorded\\n');";
  await writeFile(
    path,
    `#!${process.execPath}\nrequire('node:fs').writeFileSync(__filename + '.argv', JSON.stringify({ argv: process.argv.slice(2), kubeconfig: process.env.KUBECONFIG }));\n${body}\n`,
  );
  await chmod(path, 0o755);
  return path;
}

async function recorded(path: string): Promise<{ argv: string[]; kubeconfig?: string }> {
  return JSON.parse(await readFile(`${path}.argv`, 'utf8')) as { argv: string[]; kubeconfig?: string };
}

describe('the configured binary and build options (kustomize.path, kustomize.buildOptions)', () => {
  it('runs the configured kustomize directly with `build DIR` and Argo CD’s options split as Argo CD splits them', async () => {
    const fake = await fakeTool(join(work, 'fake-kustomize'), 'kustomize');
    const overlay = join(work, 'some overlay');
    const objects = await render(overlay, {
      kustomize: { path: fake, buildOptions: ' --load-restrictor  LoadRestrictionsNone --enable-helm ' },
    });
    expect(objects).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'recorded' } }]);
    expect(await recorded(fake)).toEqual({
      argv: ['build', overlay, '--load-restrictor', 'LoadRestrictionsNone', '--enable-helm'],
      kubeconfig: '/dev/null',
    });
  });

  it('a configured kubectl gets `kustomize DIR`; list options stay one argument each (no shell)', async () => {
    const fake = await fakeTool(join(work, 'fake-kubectl'), 'kubectl');
    const overlay = join(work, 'overlay');
    await render(overlay, {
      kustomize: {
        path: fake,
        buildOptions: ['--enable-helm', '--helm-command', '/opt/helm 3/helm; rm -rf /'],
      },
    });
    expect((await recorded(fake)).argv).toEqual([
      'kustomize',
      overlay,
      '--enable-helm',
      '--helm-command',
      '/opt/helm 3/helm; rm -rf /',
    ]);
  });

  it('a failed build is a KustomizeError carrying kustomize’s stderr', async () => {
    const fake = await fakeTool(join(work, 'fake-failing'), 'kustomize', { fail: true });
    await expect(render(join(work, 'x'), { kustomize: { path: fake } })).rejects.toThrow(
      /kustomize build failed: Error: accumulating resources: missing.yaml: no such file/,
    );
  });

  it('looks up kustomize, then kubectl, on PATH; with neither: FO_KUSTOMIZE_E4001 naming what to install', async () => {
    const both = join(work, 'path-both');
    await fakeTool(both, 'kubectl');
    await fakeTool(both, 'kustomize');
    expect(await locateKustomize({}, both)).toMatchObject({
      name: 'kustomize build',
      path: join(both, 'kustomize'),
    });
    const onlyKubectl = join(work, 'path-kubectl');
    await fakeTool(onlyKubectl, 'kubectl');
    expect(await locateKustomize({}, onlyKubectl)).toMatchObject({
      name: 'kubectl kustomize',
      path: join(onlyKubectl, 'kubectl'),
    });
    const empty = join(work, 'path-empty');
    await mkdir(empty, { recursive: true });
    await expect(locateKustomize({}, empty)).rejects.toMatchObject({
      code: 'FO_KUSTOMIZE_E4001',
      category: 'invalid-input',
      message: 'cannot render Kustomize overlays: neither kustomize nor kubectl is on PATH',
      hint: 'install kubectl (includes kustomize) or kustomize: https://kubectl.docs.kubernetes.io/installation/kustomize/ ; or set kustomize.path in failover.config.yaml',
    });
    await expect(locateKustomize({ path: join(empty, 'kustomize') }, both)).rejects.toMatchObject({
      code: 'FO_KUSTOMIZE_E4001',
      message: expect.stringContaining(
        `kustomize.path ${join(empty, 'kustomize')} is not an executable file`,
      ),
    });
  });

  it.skipIf(!kubectl)(
    'with the real kubectl, --load-restrictor LoadRestrictionsNone lets a shared patch file load',
    async () => {
      const overlay = join(KUSTOMIZE_FIXTURES, 'load-restrictor', 'overlay');
      await expect(render(overlay, { kustomize: { path: kubectl } })).rejects.toThrow(/is not in or below/);
      const options = ['--load-restrictor', 'LoadRestrictionsNone'];
      const objects = await render(overlay, {
        kustomize: { path: kubectl, buildOptions: options.join(' ') },
      });
      const reference = await run(kubectl as string, ['kustomize', overlay, ...options]);
      expect(objects).toEqual(await parseIndependently(reference.stdout));
      expect(spec(find(objects, 'Deployment', 'web')).replicas).toBe(0);
    },
  );
});

describe('the Argo CD emulator renders with kustomize', () => {
  it('does not start without kustomize: FO_KUSTOMIZE_E4001', async () => {
    await expect(
      startArgoCdEmulator({ token: 't', apps: [], kustomize: { path: join(work, 'nowhere', 'kustomize') } }),
    ).rejects.toMatchObject({ code: 'FO_KUSTOMIZE_E4001' });
  });

  it.skipIf(!kubectl)(
    'fails a render as Argo CD does: a ComparisonError with kustomize’s own message',
    async () => {
      const remote = await createGitRemote({ dir: join(work, 'argocd') });
      const token = 'kustomize-test-token';
      const emulator = await startArgoCdEmulator({
        token,
        apps: demoApps(remote.remote),
        reconcileIntervalMs: 0,
        rolloutMs: 50,
      });
      try {
        await pushChange({
          remote: remote.remote,
          message: 'replicas for a CronJob',
          change: async (dir) => {
            const file = join(dir, 'overlays', 'aws', 'kustomization.yaml');
            const text = await readFile(file, 'utf8');
            await writeFile(file, `${text}replicas:\n  - name: nightly-report\n    count: 0\n`);
          },
        });
        const response = await fetch(`${emulator.url}/api/v1/applications/admin-aws?refresh=normal`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.status).toBe(200);
        const app = (await response.json()) as {
          status: { sync: { status: string }; conditions?: { type: string; message: string }[] };
        };
        expect(app.status.sync.status).toBe('Unknown');
        const condition = app.status.conditions?.find((c) => c.type === 'ComparisonError');
        expect(condition?.message).toMatch(
          /^Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `(?:kubectl kustomize|kustomize build) \S+\/overlays\/aws` failed exit status 1: .*nightly-report does not match a config with the following GVK/s,
        );
      } finally {
        await emulator.close();
      }
    },
  );
});
