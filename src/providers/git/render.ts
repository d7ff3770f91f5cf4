/**
 * What the toggle does to the workloads: the overlay rendered by kustomize before and after the
 * edit, and which Deployments and CronJobs go from dormant to running or back. The plan shows it
 * beside the diff; the diff alone decides the change, so a plan without kustomize says the render
 * was skipped rather than failing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeObject, type KustomizeSettings, locateKustomize, render } from '../kustomize/index.js';
import type { GitCache } from './cache.js';
import type { StandbyPlan } from './port.js';

export type RenderSummary = NonNullable<StandbyPlan['render']>;

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

const REPLICATED = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Rollout']);

/** Workloads that run in a standby render (`Kind namespace/name`): always on by design. */
export function alwaysOnIn(objects: readonly KubeObject[]): string[] {
  return objects
    .filter((o) =>
      REPLICATED.has(o.kind) ? (spec(o).replicas ?? 1) !== 0 : o.kind === 'DaemonSet' || o.kind === 'Pod',
    )
    .map((o) => `${o.kind} ${nameOf(o)}`);
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
 * Renders the overlay at `revision` as it is and with `file` := `text`. Throws FO_KUSTOMIZE_E4001
 * when no kustomize is installed, a KustomizeError when the build fails (the caller turns both into
 * a warning: the render only illustrates the plan).
 */
export async function renderToggle(
  cache: GitCache,
  revision: string,
  overlay: string,
  file: string,
  text: string,
  files: readonly { path: string; content: string | null }[] = [],
  /** Which render is the standby one, to list what stays on there. */
  standby?: 'before' | 'after',
  settings: KustomizeSettings = {},
): Promise<{ renderer: string; summary: RenderSummary }> {
  const tool = await locateKustomize(settings);
  const work = await mkdtemp(join(tmpdir(), 'failover-render-'));
  try {
    const tree = join(work, 'tree');
    await cache.exportTree(revision, tree);
    const before = await render(join(tree, overlay), { tool });
    await writeFile(join(tree, file), text);
    for (const extra of files) {
      if (extra.content === null) await rm(join(tree, extra.path), { force: true });
      else await writeFile(join(tree, extra.path), extra.content);
    }
    const after = await render(join(tree, overlay), { tool });
    const summary = summarizeRender(before, after);
    if (standby) summary.alwaysOn = alwaysOnIn(standby === 'before' ? before : after);
    return { renderer: tool.name, summary };
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
