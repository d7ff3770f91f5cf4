/**
 * What the toggle does to the workloads: the overlay rendered before and after the edit (with
 * `kubectl kustomize`, or a standalone `kustomize`), and which Deployments and CronJobs go from
 * dormant to running or back. Only when one of them is on PATH; the plan is complete without it.
 *
 * The renderer comes from src/sandbox/kustomize until it moves to src/providers/kustomize.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecError, exec, findOnPath } from '../../util/exec.js';
import { findKubectl, type KubeObject, parseYamlDocuments, render } from '../kustomize/index.js';
import type { GitCache } from './cache.js';
import type { StandbyPlan } from './port.js';

export type RenderSummary = NonNullable<StandbyPlan['render']>;
type Renderer = (dir: string) => Promise<KubeObject[]>;

async function findRenderer(): Promise<{ name: string; render: Renderer } | undefined> {
  if (await findKubectl())
    return { name: 'kubectl kustomize', render: (dir) => render(dir, { prefer: 'kubectl' }) };
  const kustomize = await findOnPath('kustomize');
  if (!kustomize) return undefined;
  return {
    name: 'kustomize build',
    render: async (dir) => {
      try {
        const { stdout } = await exec(kustomize, ['build', dir], { timeoutMs: 60_000 });
        return parseYamlDocuments(stdout).filter(isKubeObject);
      } catch (error) {
        throw new Error(error instanceof ExecError ? error.stderr.trim() || error.message : String(error));
      }
    },
  };
}

function isKubeObject(value: unknown): value is KubeObject {
  const object = value as Partial<KubeObject> | null;
  return typeof object?.kind === 'string' && typeof object.metadata?.name === 'string';
}

function spec(object: KubeObject): Record<string, unknown> {
  const value = object.spec;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** A Deployment without `replicas` gets the API default of 1; a CronJob runs unless suspended. */
function dormant(object: KubeObject): boolean {
  if (object.kind === 'Deployment') return (spec(object).replicas ?? 1) === 0;
  return spec(object).suspend === true;
}

function nameOf(object: KubeObject): string {
  return object.metadata.namespace
    ? `${object.metadata.namespace}/${object.metadata.name}`
    : object.metadata.name;
}

/** Deployments and CronJobs present on both sides whose dormancy changes. */
export function summarizeRender(before: readonly KubeObject[], after: readonly KubeObject[]): RenderSummary {
  const summary: RenderSummary = {
    deploymentsStarting: [],
    cronJobsResuming: [],
    deploymentsStopping: [],
    cronJobsSuspending: [],
  };
  const key = (o: KubeObject) => `${o.kind}/${nameOf(o)}`;
  const earlier = new Map(before.map((o) => [key(o), o]));
  for (const object of after) {
    if (object.kind !== 'Deployment' && object.kind !== 'CronJob') continue;
    const previous = earlier.get(key(object));
    if (!previous) continue;
    const [was, is] = [dormant(previous), dormant(object)];
    if (was === is) continue;
    const deployment = object.kind === 'Deployment';
    const list = was
      ? deployment
        ? summary.deploymentsStarting
        : summary.cronJobsResuming
      : deployment
        ? summary.deploymentsStopping
        : summary.cronJobsSuspending;
    list.push(nameOf(object));
  }
  return summary;
}

/** `2 Deployments start (admin/a, admin/b); 1 CronJob resumes (admin/c)`. */
export function describeRender(summary: RenderSummary): string {
  // [singular, plural] for the noun and the verb.
  const part = (names: string[], noun: [string, string], verb: [string, string]) => {
    const n = names.length === 1 ? 0 : 1;
    return names.length ? [`${names.length} ${noun[n]} ${verb[n]} (${names.join(', ')})`] : [];
  };
  const parts = [
    ...part(
      summary.deploymentsStarting,
      ['Deployment', 'Deployments'],
      ['goes from 0 replicas to running', 'go from 0 replicas to running'],
    ),
    ...part(summary.cronJobsResuming, ['CronJob', 'CronJobs'], ['resumes', 'resume']),
    ...part(summary.deploymentsStopping, ['Deployment', 'Deployments'], ['scales to 0', 'scale to 0']),
    ...part(summary.cronJobsSuspending, ['CronJob', 'CronJobs'], ['is suspended', 'are suspended']),
  ];
  return parts.length ? parts.join('; ') : 'no Deployment or CronJob changes between dormant and running';
}

/**
 * Renders the overlay at `revision` as it is and with `file` := `text`. Undefined when no renderer
 * is installed; throws when rendering fails (the caller turns that into a warning).
 */
export async function renderToggle(
  cache: GitCache,
  revision: string,
  overlay: string,
  file: string,
  text: string,
): Promise<{ renderer: string; summary: RenderSummary } | undefined> {
  const renderer = await findRenderer();
  if (!renderer) return undefined;
  const work = await mkdtemp(join(tmpdir(), 'failover-render-'));
  try {
    const tree = join(work, 'tree');
    await cache.exportTree(revision, tree);
    const before = await renderer.render(join(tree, overlay));
    await writeFile(join(tree, file), text);
    const after = await renderer.render(join(tree, overlay));
    return { renderer: renderer.name, summary: summarizeRender(before, after) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The overlay at `revision` with `file` := `text`, rendered with the project's kustomize renderer:
 * what Argo CD would apply after that edit (the portability check renders AWS as it is once
 * active). Throws when rendering fails.
 */
export async function renderEdited(
  cache: GitCache,
  revision: string,
  overlay: string,
  file: string,
  text: string,
): Promise<KubeObject[]> {
  const work = await mkdtemp(join(tmpdir(), 'failover-render-'));
  try {
    const tree = join(work, 'tree');
    await cache.exportTree(revision, tree);
    await writeFile(join(tree, file), text);
    return await render(join(tree, overlay));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
