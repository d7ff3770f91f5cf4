/**
 * What the toggle does to the workloads: the overlay rendered by kustomize before and after the
 * edit, and which Deployments and CronJobs go from dormant to running or back. The plan shows it
 * beside the diff; the diff alone decides the change, so a plan without kustomize says the render
 * was skipped rather than failing.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExecError } from '../../util/exec.js';
import {
  type KubeObject,
  KustomizeError,
  type KustomizeSettings,
  type KustomizeTool,
  locateKustomize,
  render,
} from '../kustomize/index.js';
import type { GitCache } from './cache.js';
import type { StandbyPlan } from './port.js';
import { cachedView, editedView, renderInputs } from './render-inputs.js';
import { renderStoreDir, storedRender } from './render-store.js';

export type RenderSummary = NonNullable<StandbyPlan['render']>;

function spec(object: KubeObject): Record<string, unknown> {
  const value = object.spec;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** A Deployment without `replicas` gets the API default of 1; a CronJob runs unless suspended. */
function dormant(object: KubeObject): boolean {
  if (object.kind === 'Deployment') return atZero(object);
  return spec(object).suspend === true;
}

/** `namespace/name`, or `name` for a cluster-scoped object. */
export function nameOf(object: KubeObject): string {
  return object.metadata.namespace
    ? `${object.metadata.namespace}/${object.metadata.name}`
    : object.metadata.name;
}

const REPLICATED = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Rollout']);

/** Without `replicas` the API defaults to 1. */
function atZero(object: KubeObject): boolean {
  return (spec(object).replicas ?? 1) === 0;
}

/** Where a DaemonSet's pods may run: its pod template's node selector, affinity and tolerations. */
function placementOf(object: KubeObject): string {
  const template = spec(object).template;
  const pod =
    typeof template === 'object' && template !== null ? (template as Record<string, unknown>).spec : {};
  const { nodeSelector, affinity, tolerations } = (pod ?? {}) as Record<string, unknown>;
  return JSON.stringify([nodeSelector ?? null, affinity ?? null, tolerations ?? null]);
}

/**
 * Workloads that run in a standby render (`Kind namespace/name`): always on by design. With the
 * active render beside it, a DaemonSet whose placement the standby changes (a nodeSelector no node
 * has) is kept off by the standby, not always on.
 */
export function alwaysOnIn(objects: readonly KubeObject[], active?: readonly KubeObject[]): string[] {
  const placementWhenActive = new Map(
    (active ?? []).filter((o) => o.kind === 'DaemonSet').map((o) => [nameOf(o), placementOf(o)]),
  );
  return objects
    .filter((o) => {
      if (REPLICATED.has(o.kind)) return !atZero(o);
      // A CronJob the standby leaves unsuspended (an AWS-only job excluded by label) runs too.
      if (o.kind === 'CronJob') return !dormant(o);
      if (o.kind === 'DaemonSet') {
        const whenActive = placementWhenActive.get(nameOf(o));
        return whenActive === undefined || whenActive === placementOf(o);
      }
      return o.kind === 'Pod';
    })
    .map(workloadLabel);
}

/** `Kind namespace/name`, as alwaysOnIn lists a workload. */
export function workloadLabel(object: KubeObject): string {
  return `${object.kind} ${nameOf(object)}`;
}

/**
 * Workloads present on both sides whose dormancy changes (0 replicas, or suspended). Knowing which
 * render is the standby one, a DaemonSet whose placement the standby changes starts or stops too.
 */
export function summarizeRender(
  before: readonly KubeObject[],
  after: readonly KubeObject[],
  standby?: 'before' | 'after',
): RenderSummary {
  const summary: RenderSummary = {
    deploymentsStarting: [],
    cronJobsResuming: [],
    deploymentsStopping: [],
    cronJobsSuspending: [],
  };
  const stayingAtZero: string[] = [];
  const othersStarting: string[] = [];
  const othersStopping: string[] = [];
  const key = (o: KubeObject) => `${o.kind}/${nameOf(o)}`;
  const earlier = new Map(before.map((o) => [key(o), o]));
  for (const object of after) {
    const previous = earlier.get(key(object));
    if (!previous) continue;
    if (REPLICATED.has(object.kind) && atZero(previous) && atZero(object))
      stayingAtZero.push(`${object.kind} ${nameOf(object)}`);
    if (REPLICATED.has(object.kind) && object.kind !== 'Deployment' && atZero(previous) !== atZero(object))
      (atZero(previous) ? othersStarting : othersStopping).push(`${object.kind} ${nameOf(object)}`);
    if (object.kind === 'DaemonSet' && standby && placementOf(previous) !== placementOf(object))
      (standby === 'before' ? othersStarting : othersStopping).push(`DaemonSet ${nameOf(object)}`);
    if (object.kind !== 'Deployment' && object.kind !== 'CronJob') continue;
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
  if (othersStarting.length > 0) summary.othersStarting = othersStarting;
  if (othersStopping.length > 0) summary.othersStopping = othersStopping;
  if (stayingAtZero.length > 0) summary.workloadsStayingAtZero = stayingAtZero;
  if (everyDeploymentAtZero(after).length > 0) summary.noDeploymentRuns = true;
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
    ...part(summary.othersStarting ?? [], ['other workload', 'other workloads'], ['starts', 'start']),
    ...part(summary.cronJobsResuming, ['CronJob', 'CronJobs'], ['resumes', 'resume']),
    ...part(summary.deploymentsStopping, ['Deployment', 'Deployments'], ['scales to 0', 'scale to 0']),
    ...part(summary.othersStopping ?? [], ['other workload', 'other workloads'], ['stops', 'stop']),
    ...part(summary.cronJobsSuspending, ['CronJob', 'CronJobs'], ['is suspended', 'are suspended']),
  ];
  return parts.length ? parts.join('; ') : 'no workload changes between dormant and running';
}

/** A file of the tree written (content) or deleted (null), relative to the repository root. */
type Edit = { path: string; content: string | null };

/**
 * Renders by cache, overlay, tool and what the build reads (render-inputs.ts: the tree ids of the
 * overlay's directory and of the kustomization directories it references, else the root tree id):
 * kustomize gives the same output for the same bytes and the same command, so a run renders each
 * overlay once however many steps ask, and a commit to another overlay keeps the render (a failed
 * build too; a timeout or an interrupted build is not remembered). The edited tree of a plan has
 * the id its commit will have, so the render of a pushed edit is already known. Successful renders
 * with an exact identity are also kept on disk for the next command (render-store.ts).
 */
const renders = new Map<string, Promise<KubeObject[]>>();
const RENDER_LIMIT = 64;

function remembered(error: unknown): boolean {
  const cause = error instanceof KustomizeError ? error.cause : undefined;
  return cause instanceof ExecError && cause.exitCode !== null && !cause.timedOut;
}

/**
 * Exports the tree at `revision` into a temporary directory, writes `edits` there, renders
 * `overlay`, and removes the directory. An edited tree is never written to the cache: a plan
 * leaves no object behind.
 */
/** The repository's files at `revision`, written to a new temporary folder; `remove` deletes it. */
export async function exportToTemporary(
  cache: GitCache,
  revision: string,
  prefix: string,
): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    await cache.exportTree(revision, root);
  } catch (error) {
    await remove();
    throw error;
  }
  return { root, remove };
}

async function renderExported(
  cache: GitCache,
  revision: string,
  edits: readonly Edit[],
  overlay: string,
  tool: KustomizeTool,
): Promise<KubeObject[]> {
  const { root: dir, remove } = await exportToTemporary(cache, revision, 'failover-render-');
  try {
    for (const edit of edits) {
      const path = join(dir, edit.path);
      if (edit.content === null) await rm(path, { force: true });
      else {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, edit.content);
      }
    }
    return await render(join(dir, overlay), { tool });
  } finally {
    await remove();
  }
}

/** Where renders are kept: kustomize.cacheDir, else beside the git cache. */
function storeOf(cache: GitCache, settings: KustomizeSettings): string {
  return settings.cacheDir ?? renderStoreDir(cache.dir);
}

/**
 * The overlay `overlay` of the tree at `revision` with `edits`, rendered by `tool` (cached in this
 * process, and on disk in `store` for the next command).
 */
async function renderTree(
  cache: GitCache,
  revision: string,
  overlay: string,
  edits: readonly Edit[],
  tool: KustomizeTool,
  store: string,
): Promise<KubeObject[]> {
  const view = edits.length
    ? await editedView(cache, revision, edits)
    : cachedView(cache, await cache.treeOf(revision, ''));
  const [, , ...options] = tool.args('');
  const reads = await renderInputs(cache, view, overlay, options);
  const key = [cache.dir, reads, overlay, tool.path, ...tool.args('')].join('\0');
  let rendered = renders.get(key);
  if (!rendered) {
    rendered = storedRender(store, reads, overlay, tool, () =>
      renderExported(cache, revision, edits, overlay, tool),
    );
    renders.set(key, rendered);
    rendered.catch((error: unknown) => {
      if (!remembered(error)) renders.delete(key);
    });
    if (renders.size > RENDER_LIMIT) renders.delete(renders.keys().next().value as string);
  }
  // Each caller gets its own objects: nobody changes what another one reads.
  return structuredClone(await rendered);
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
  files: readonly Edit[] = [],
  /** Which render is the standby one, to list what stays on there. */
  standby?: 'before' | 'after',
  settings: KustomizeSettings = {},
): Promise<{ renderer: string; summary: RenderSummary }> {
  const tool = await locateKustomize(settings);
  const store = storeOf(cache, settings);
  // Before and after at once: each is its own export and build when not already known.
  const [before, after] = await Promise.all([
    renderTree(cache, revision, overlay, [], tool, store),
    renderTree(cache, revision, overlay, [{ path: file, content: text }, ...files], tool, store),
  ]);
  const summary = summarizeRender(before, after, standby);
  if (standby)
    summary.alwaysOn = standby === 'before' ? alwaysOnIn(before, after) : alwaysOnIn(after, before);
  return { renderer: tool.name, summary };
}

/**
 * The overlay at `revision` with `file` := `text` (or as it is, without `file`), rendered with the
 * configured kustomize (`settings`: kustomize.path and kustomize.buildOptions, as Argo CD builds):
 * what Argo CD would apply after that edit (the portability check renders AWS as it is once
 * active). Throws when rendering fails.
 */
export async function renderEdited(
  cache: GitCache,
  revision: string,
  overlay: string,
  file?: string,
  text?: string,
  settings: KustomizeSettings = {},
  /** More files created (or deleted: content null) beside the edit, as a commit would. */
  files: readonly Edit[] = [],
): Promise<KubeObject[]> {
  const tool = await locateKustomize(settings);
  const edits =
    file === undefined || text === undefined ? [...files] : [{ path: file, content: text }, ...files];
  return renderTree(cache, revision, overlay, edits, tool, storeOf(cache, settings));
}

/** Deployments of a render at 0 replicas (`namespace/name`), when every one of them is; else none. */
export function everyDeploymentAtZero(objects: readonly KubeObject[]): string[] {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  return deployments.every(dormant) ? deployments.map(nameOf) : [];
}

/** Each CronJob in a render that is not suspended (`namespace/name`). */
export function unsuspendedCronJobs(objects: readonly KubeObject[]): Set<string> {
  return new Set(unsuspendedCronJobObjects(objects).map(nameOf));
}

/** The CronJobs of a render that are not suspended. */
export function unsuspendedCronJobObjects(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((o) => o.kind === 'CronJob' && !dormant(o));
}

/** Every CronJob of a render (`namespace/name`), suspended or not. */
export function cronJobNames(objects: readonly KubeObject[]): Set<string> {
  return new Set(objects.filter((o) => o.kind === 'CronJob').map(nameOf));
}
