/**
 * Conformance of rendering with `kubectl kustomize`: every kustomization under test/fixtures and in
 * the demo tree (plus the demo overlays as a failover and a fencing commit leave them) renders
 * through the tool into exactly the objects, in exactly the order, that `kubectl kustomize` prints,
 * read back by another YAML implementation; a tree kustomize refuses fails through the tool with
 * kustomize's own reason.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSeq, isMap as isYamlMap, parseDocument } from 'yaml';
import { KustomizeError, render } from '../../src/providers/kustomize/index.js';
import { demoTreeDir } from '../../src/sandbox/gitops-demo/index.js';
import { findOnPath } from '../../src/util/exec.js';
import {
  kustomizationDirs,
  parseManyIndependently,
  reasonOf,
  runDirect,
} from '../fixtures/kustomize/reference.js';

const ROOT = join(import.meta.dirname, '..', '..');
const kubectl = await findOnPath('kubectl');
const suiteName = kubectl
  ? 'every kustomization renders through the tool as `kubectl kustomize` renders it'
  : 'kustomize conformance — skipped: `kubectl` is not installed on this machine';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kustomize-conformance-'));
  const tree = join(work, 'tree');
  await cp(demoTreeDir(), tree, { recursive: true });
  // The AWS overlay as a failover commit leaves it: the two standby patches removed.
  await cp(join(tree, 'overlays', 'aws'), join(tree, 'overlays', 'aws-active'), { recursive: true });
  const aws = join(tree, 'overlays', 'aws-active', 'kustomization.yaml');
  const doc = parseDocument(await readFile(aws, 'utf8'));
  const patches = doc.get('patches');
  if (isSeq(patches)) {
    patches.items = patches.items.filter((item) => {
      const path = isYamlMap(item) ? item.get('path') : undefined;
      return path !== 'cronjob-suspend.yml' && path !== 'replicas-zero.yml';
    });
    if (patches.items.length === 0) doc.delete('patches');
  }
  await writeFile(aws, doc.toString());
  // GKE with the fencing toggle listed (its CronJobs suspended while AWS is active).
  await cp(join(tree, 'overlays', 'gke'), join(tree, 'overlays', 'gke-fenced'), { recursive: true });
  const gke = join(tree, 'overlays', 'gke-fenced', 'kustomization.yaml');
  const fenced = parseDocument(await readFile(gke, 'utf8'));
  fenced.addIn(['patches'], fenced.createNode({ path: 'cronjob-suspend.yml', target: { kind: 'CronJob' } }));
  await writeFile(gke, fenced.toString());
  if (kubectl) await renderReferences();
  // Dozens of kubectl runs: room for a loaded machine.
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const cases: (readonly [string, () => string])[] = [
  ...kustomizationDirs(join(ROOT, 'test', 'fixtures')).map(
    (dir) => [relative(ROOT, dir), () => dir] as const,
  ),
  ...kustomizationDirs(demoTreeDir()).map((dir) => [relative(ROOT, dir), () => dir] as const),
  ['demo overlays/aws without the standby patches', () => join(work, 'tree', 'overlays', 'aws-active')],
  ['demo overlays/gke with the fencing toggle', () => join(work, 'tree', 'overlays', 'gke-fenced')],
];

/** What `kubectl kustomize` says of a directory: its objects read back independently, or its reason. */
type Reference = { ok: true; objects: unknown[] } | { ok: false; stderr: string };
const references = new Map<string, Reference>();

/**
 * `kubectl kustomize` of every case, two at a time, and every stream read back by one PyYAML
 * process: the reference side costs one kubectl per case and one interpreter for the sweep.
 */
async function renderReferences(): Promise<void> {
  const dirs = cases.map(([, dir]) => dir());
  const runs = new Map<string, Awaited<ReturnType<typeof runDirect>>>();
  let next = 0;
  const worker = async () => {
    while (next < dirs.length) {
      const dir = dirs[next++]!;
      runs.set(dir, await runDirect(kubectl as string, ['kustomize', dir]));
    }
  };
  await Promise.all([worker(), worker()]);
  const rendered = dirs.filter((dir) => runs.get(dir)!.code === 0);
  const parsed = await parseManyIndependently(rendered.map((dir) => runs.get(dir)!.stdout));
  for (const [i, dir] of rendered.entries()) references.set(dir, { ok: true, objects: parsed[i]! });
  for (const dir of dirs)
    if (runs.get(dir)!.code !== 0) references.set(dir, { ok: false, stderr: runs.get(dir)!.stderr });
}

describe.skipIf(!kubectl)(suiteName, () => {
  it('sweeps every fixture and demo kustomization', () => {
    // A lost fixture directory would silently shrink the sweep.
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s', async (_label, dir) => {
    const reference = references.get(dir());
    if (!reference) throw new Error(`no kubectl reference for ${dir()}`);
    if (reference.ok) {
      // A Component built alone renders nothing; equal is still the rule.
      expect(await render(dir())).toEqual(reference.objects);
    } else {
      const failure = await render(dir()).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(KustomizeError);
      expect((failure as Error).message).toContain(reasonOf(reference.stderr));
    }
  });
});
