/**
 * The built-in Kustomize renderer against the demo GitOps tree and the fixtures, and against the
 * real thing (`kubectl kustomize`): both must produce the same objects in the same order.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSeq, isMap as isYamlMap, parseDocument } from 'yaml';
import {
  applyJsonPatch,
  findKubectl,
  type KubeObject,
  KustomizeError,
  render,
  renderKustomization,
  renderWithKubectl,
} from '../../src/providers/kustomize/index.js';
import { demoTreeDir } from '../../src/sandbox/gitops-demo/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'kustomize');
const kubectl = await findKubectl();

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

/** The fields that decide whether a side is up or down, for readable failures. */
function summary(objects: KubeObject[]) {
  return objects.map((o) => ({
    kind: o.kind,
    name: o.metadata.name,
    namespace: o.metadata.namespace,
    labels: o.metadata.labels,
    replicas: spec(o).replicas,
    suspend: spec(o).suspend,
  }));
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

describe('built-in renderer on the demo GitOps tree', () => {
  it('renders the AWS standby overlay with every Deployment at 0 and the CronJob suspended', async () => {
    const objects = await renderKustomization(join(tree, 'overlays', 'aws'));
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
    for (const object of objects) {
      expect(object.metadata.namespace).toBe('admin');
      expect(object.metadata.labels?.['app.kubernetes.io/part-of']).toBe('karte-admin');
    }
    // `labels` without includeSelectors leaves selectors alone.
    const web = spec(find(objects, 'Deployment', 'admin-web'));
    expect(web.selector).toEqual({ matchLabels: { app: 'admin-web' } });
  });

  it('renders the AWS overlay without the standby patches at full size', async () => {
    const objects = await renderKustomization(join(tree, 'overlays', 'aws-active'));
    expect(spec(find(objects, 'Deployment', 'admin-web')).replicas).toBe(3);
    expect(spec(find(objects, 'Deployment', 'admin-api')).replicas).toBe(2);
    expect(spec(find(objects, 'Deployment', 'worker'))).not.toHaveProperty('replicas');
    expect(spec(find(objects, 'CronJob', 'nightly-report'))).not.toHaveProperty('suspend');
  });

  it('renders GKE with its own resources, and the fencing toggle suspends its CronJob', async () => {
    const gke = await renderKustomization(join(tree, 'overlays', 'gke'));
    expect(find(gke, 'BackendConfig', 'admin-web').apiVersion).toBe('cloud.google.com/v1');
    expect(find(gke, 'Service', 'admin-web').metadata.annotations).toEqual({
      'cloud.google.com/backend-config': '{"default": "admin-web"}',
    });
    expect(spec(find(gke, 'CronJob', 'nightly-report'))).not.toHaveProperty('suspend');
    expect(spec(find(gke, 'Deployment', 'admin-web')).replicas).toBe(3);
    const fenced = await renderKustomization(join(tree, 'overlays', 'gke-fenced'));
    expect(spec(find(fenced, 'CronJob', 'nightly-report')).suspend).toBe(true);
    expect(spec(find(fenced, 'Deployment', 'admin-web')).replicas).toBe(3);
  });

  it('keeps the Ingress catch-all rule last (safe on ALB and GCLB alike)', async () => {
    const ingress = find(await renderKustomization(join(tree, 'overlays', 'aws')), 'Ingress', 'admin');
    const rules = spec(ingress).rules as { http: { paths: { path: string }[] } }[];
    expect(rules[0]?.http.paths.map((p) => p.path)).toEqual(['/api/*', '/*']);
  });
});

describe('built-in renderer on the fixtures', () => {
  it('applies a standby Component to the overlay and its base, with prefix, namespace and labels', async () => {
    const objects = await renderKustomization(join(FIXTURES, 'component-standby', 'overlays', 'aws'));
    const web = find(objects, 'Deployment', 'aws-web');
    expect(spec(web).replicas).toBe(0);
    expect(spec(find(objects, 'Deployment', 'aws-queue')).replicas).toBe(0);
    expect(spec(find(objects, 'CronJob', 'aws-cleanup')).suspend).toBe(true);
    expect(find(objects, 'ConfigMap', 'aws-standby-marker').metadata.namespace).toBe('admin-aws');
    expect(web.metadata.labels).toEqual({ app: 'web', cloud: 'aws', tier: 'admin' });
    expect(spec(web).selector).toEqual({ matchLabels: { app: 'web', cloud: 'aws' } });
    expect(web.metadata.annotations).toEqual({ owner: 'sre' });
    // Name references follow the prefix.
    const hpa = spec(find(objects, 'HorizontalPodAutoscaler', 'aws-queue'));
    expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'aws-queue' });
    expect(JSON.stringify(find(objects, 'Ingress', 'aws-web'))).not.toContain('"name":"web"');
    expect(JSON.stringify(web)).toContain('"aws-web-settings"');

    const active = await renderKustomization(join(FIXTURES, 'component-standby', 'overlays', 'aws-active'));
    expect(spec(find(active, 'Deployment', 'aws-web')).replicas).toBe(3);
    expect(spec(find(active, 'Deployment', 'aws-queue'))).not.toHaveProperty('replicas');
    expect(spec(find(active, 'CronJob', 'aws-cleanup'))).not.toHaveProperty('suspend');
    expect(active.some((o) => o.metadata.name === 'aws-standby-marker')).toBe(false);
  });

  it('applies the patch variety: selectors, strategic merges, JSON patches, images, replicas', async () => {
    const objects = await renderKustomization(join(FIXTURES, 'patch-variety', 'overlay'));
    const api = find(objects, 'Deployment', 'b-api');
    expect(spec(api)).toMatchObject({ replicas: 1, minReadySeconds: 5 });
    expect(api.metadata.annotations).toEqual({ 'added-by': 'json6902' });
    const web = find(objects, 'Deployment', 'b-web');
    expect(spec(web).replicas).toBe(6);
    const containers = (spec(web).template as { spec: { containers: { name: string; image: string }[] } })
      .spec.containers;
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'proxy=example/proxy:3',
      'web=example/web:1.1',
    ]);
    expect(find(objects, 'Namespace', 'variety')).toBeDefined();
    expect(spec(find(objects, 'CronJob', 'b-report')).suspend).toBe(true);
  });
});

describe('built-in renderer errors', () => {
  async function overlayWith(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(work, 'case-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }
  const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec: {}\n';

  it('names fields it does not model instead of ignoring them', async () => {
    const dir = await overlayWith({
      'kustomization.yaml': 'resources: [d.yaml]\nconfigMapGenerator:\n  - name: x\n',
      'd.yaml': deployment,
    });
    await expect(renderKustomization(dir)).rejects.toThrow(/configMapGenerator.*not supported/);
  });

  it('fails like kustomize on a missing parent, a missing remove, and a failed test', async () => {
    const missingParent = await overlayWith({
      'kustomization.yaml':
        'resources: [d.yaml]\npatches:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: replace\n        path: /spec/foo/bar\n        value: 1\n',
      'd.yaml': deployment,
    });
    await expect(renderKustomization(missingParent)).rejects.toThrow(/missing path: \/spec\/foo\/bar/);
    expect(() => applyJsonPatch({ spec: {} }, [{ op: 'remove', path: '/spec/replicas' }])).toThrow(
      /nonexistent key/,
    );
    expect(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(KustomizeError);
    // replace on a missing key of an existing object adds it (the kustomize quirk)
    expect(applyJsonPatch({ spec: {} }, [{ op: 'replace', path: '/spec/replicas', value: 0 }])).toEqual({
      spec: { replicas: 0 },
    });
  });

  it('rejects a Component listed as a resource and a Kustomization listed as a component', async () => {
    const fixtures = join(FIXTURES, 'component-standby');
    const asResource = await overlayWith({
      'kustomization.yaml': `resources:\n  - ${fixtures}/components/standby\n`,
    });
    await expect(renderKustomization(asResource)).rejects.toThrow(/expected kind != 'Component'/);
    const asComponent = await overlayWith({ 'kustomization.yaml': `components:\n  - ${fixtures}/base\n` });
    await expect(renderKustomization(asComponent)).rejects.toThrow(/expected kind 'Component'/);
  });

  it('refuses patch files outside the kustomization directory (load restriction)', async () => {
    const dir = await overlayWith({
      'kustomization.yaml': `resources: [d.yaml]\npatches:\n  - path: ../outside.yml\n    target: {kind: Deployment}\n`,
      'd.yaml': deployment,
    });
    await expect(renderKustomization(dir)).rejects.toThrow(/security/);
  });
});

const OVERLAYS = [
  ['demo overlays/aws (standby)', () => join(tree, 'overlays', 'aws')],
  ['demo overlays/aws without the standby patches', () => join(tree, 'overlays', 'aws-active')],
  ['demo overlays/gke', () => join(tree, 'overlays', 'gke')],
  ['demo overlays/gke with the fencing toggle', () => join(tree, 'overlays', 'gke-fenced')],
  ['demo aws-only/preview-proxy', () => join(tree, 'aws-only', 'preview-proxy')],
  ['fixture component-standby (Component)', () => join(FIXTURES, 'component-standby', 'overlays', 'aws')],
  [
    'fixture component-standby without the Component',
    () => join(FIXTURES, 'component-standby', 'overlays', 'aws-active'),
  ],
  ['fixture patch-variety', () => join(FIXTURES, 'patch-variety', 'overlay')],
] as const;

// Skipped only where kubectl is not installed: the comparison needs the real kustomize.
describe.skipIf(!kubectl)(
  'built-in renderer agrees with kubectl kustomize (skipped: kubectl not on PATH)',
  () => {
    it.each(OVERLAYS)('%s', async (_label, dir) => {
      const [builtin, real] = await Promise.all([renderKustomization(dir()), renderWithKubectl(dir())]);
      expect(real.length).toBeGreaterThan(0);
      expect(summary(builtin)).toEqual(summary(real));
      expect(builtin).toEqual(real);
    });

    it('render() prefers kubectl when it is on PATH and falls back to the same result', async () => {
      const dir = join(tree, 'overlays', 'aws');
      expect(await render(dir, { prefer: 'kubectl' })).toEqual(await render(dir, { prefer: 'builtin' }));
    });

    it('reports kubectl failures as KustomizeError with its message', async () => {
      const dir = await mkdtemp(join(work, 'broken-'));
      await writeFile(join(dir, 'kustomization.yaml'), 'resources: [missing.yaml]\n');
      await expect(renderWithKubectl(dir)).rejects.toThrow(KustomizeError);
    });
  },
);
