/**
 * What the activation's plan checks in the renders before anything changes: an overlay whose
 * standby failover cannot take away (it lives outside the kustomization failover edits) is refused
 * with FO_GIT_E3137, and workloads the activation leaves at 0 are named in a warning. The fence's
 * plan checks that the AWS overlay does not build on the GKE one (it would inherit the fence). Every
 * activation, planned or committed, must leave no CronJob unsuspended on both sides (FO_GIT_E3136):
 * matched by name, or by the file each comes from when the overlays name them differently.
 */
import { posix } from 'node:path';
import { isScalar, isSeq, parse, parseDocument } from 'yaml';
import { invalidInput, stepFailed } from '../../engine/errors.js';
import type { KubeObject } from '../kustomize/index.js';
import { type Role, SIDE_NAMES } from '../types.js';
import { type GitOps, type Overlay, repoFiles } from './adapter.js';
import type { GitCache } from './cache.js';
import type { ToggleResult } from './kustomization.js';
import { asRecord } from './kustomization-entries.js';
import { overlayChain } from './overlay-includes.js';
import {
  cronJobNames,
  everyDeploymentAtZero,
  nameOf,
  type RenderSummary,
  renderEdited,
  unsuspendedCronJobObjects,
  unsuspendedCronJobs,
} from './render.js';

/** Where the standby must live for failover to take it away, and how to see what that starts. */
const KNOWN_ENTRIES =
  'a patch file gitops.standby.patchPaths names, such as replicas-zero.yml, or a standby component';
const SEE_LINT = '`failover lint standby` shows what removing the entries starts';
/** Where kustomize says an object comes from, with `buildMetadata: [originAnnotations]`. */
const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';

/** The overlay directory and its kustomization file, relative to the repository root. */
interface OverlayFiles {
  dir: string;
  file: string;
}

/**
 * Workloads the activation leaves at 0 replicas: something besides the standby entries keeps them
 * so (an inline patch, a patch or component gitops.standby does not name). When every Deployment
 * is still at 0 after the edit, the overlay cannot serve once active: refused before anything
 * changes, instead of a wait that times out. Some left at 0 may be deliberate (a workload meant
 * only for GKE): a warning, and the wait for AWS counts them converged at 0.
 */
export function stillAtZero(overlay: OverlayFiles, render: RenderSummary): string[] {
  const staying = render.workloadsStayingAtZero ?? [];
  if (staying.length === 0) return [];
  const hint =
    'something besides the standby entries keeps them at 0: an inline patch, a patch file or component that gitops.standby does not name, or a replicas: item with gitops.standby.replicasField false';
  if (render.noDeploymentRuns) {
    throw invalidInput(
      'FO_GIT_E3137',
      `activating ${overlay.dir} would leave every Deployment at 0 replicas: ${staying.join(', ')} ${staying.length === 1 ? 'stays' : 'stay'} at 0 once its standby entries are removed`,
      {
        hint: `${hint}. Keep the standby in entries failover knows (${KNOWN_ENTRIES}), push, then run again; ${SEE_LINT}`,
        details: { file: overlay.file, workloads: staying },
      },
    );
  }
  return [
    `${staying.join(', ')} ${staying.length === 1 ? 'stays' : 'stay'} at 0 replicas in ${overlay.dir} once active (${hint}); the wait for AWS counts ${staying.length === 1 ? 'it' : 'them'} converged at 0`,
  ];
}

/**
 * "Already active" holds only if the overlay renders something running. With no standby entry
 * left and every Deployment still at 0, the standby lives where failover does not edit (a parent
 * overlay, an inline patch, a patch file gitops.standby does not name): refused before anything
 * changes. A render that fails says nothing here (the plan's other steps report it).
 */
export async function dormantWithoutEntries(
  overlay: OverlayFiles,
  renderNow: () => Promise<KubeObject[]>,
): Promise<void> {
  let atZero: string[];
  try {
    atZero = everyDeploymentAtZero(await renderNow());
  } catch {
    return;
  }
  if (atZero.length === 0) return;
  throw invalidInput(
    'FO_GIT_E3137',
    `${overlay.file} lists no standby entry, yet ${overlay.dir} renders every Deployment at 0 replicas (${atZero.join(', ')}): activating it would start nothing`,
    {
      hint: `failover edits only ${overlay.file}: keep the standby entries there (${KNOWN_ENTRIES}), not in a parent overlay or an inline patch, push, then run again; ${SEE_LINT}`,
      details: { file: overlay.file, deployments: atZero },
    },
  );
}

/**
 * A fence written into the gke overlay reaches every overlay that builds on it. When the aws
 * overlay does (`resources: [../gke]`), AWS's CronJobs inherit the suspension: once AWS is active
 * they stay suspended, and the jobs run on neither cloud until failback. Said in a warning of the
 * fence (the failover itself still works, and its recap repeats it).
 */
export async function fenceReachesAws(
  gitops: { cache: GitCache; overlayDir(role: 'aws'): string },
  revision: string,
  fenced: OverlayFiles,
  render: RenderSummary | undefined,
): Promise<string[]> {
  const awsDir = gitops.overlayDir('aws');
  const chain = await overlayChain(gitops.cache, revision, awsDir, fenced.dir);
  if (!chain) return [];
  const names = render?.cronJobsSuspending.length ? ` (${render.cronJobsSuspending.join(', ')})` : '';
  return [
    `${awsDir} builds on ${fenced.dir} (${chain.join(' → ')}): the fence suspends its CronJobs there too${names}, so once AWS is active they stay suspended and run on neither cloud until failback. Move what both overlays share into a base both build on, so that the fence stays in ${fenced.dir}`,
  ];
}

/**
 * The CronJobs (`namespace/name`) a commit of `result` on `revision` would leave unsuspended in
 * both overlays: in this overlay's render after the edit and in the other's. The runbook lint checks
 * the order of the steps; this checks what the renders really say (an entry that suspends only some
 * CronJobs is no fence for the others).
 *
 * The other overlay is judged as it is at `revision` (the commit's check), or with `otherAtRest` as
 * its own standby edit would leave it (GKE fenced, AWS in standby): what a runbook that puts the
 * other side to rest first meets when this step's turn comes, which the plan can tell before
 * anything changes.
 */
export async function cronJobsOnBothSides(
  gitops: GitOps,
  revision: string,
  overlay: Overlay,
  result: ToggleResult,
  otherAtRest = false,
): Promise<string[]> {
  const role: Role = overlay.role === 'aws' ? 'gcp' : 'aws';
  const other = await gitops.readOverlay(revision, role);
  // At rest: as its own standby edit leaves it (GKE fenced, AWS in standby); else as committed.
  const otherEdit = otherAtRest
    ? await gitops.toggle(revision, other, 'standby', role === 'gcp' ? 'cronjobs' : 'all')
    : undefined;
  const render = (o: Overlay, r: ToggleResult | undefined, text = (t: string) => t) =>
    renderEdited(
      gitops.cache,
      revision,
      o.dir,
      o.file,
      text(r?.text ?? o.text),
      gitops.kustomize,
      r ? repoFiles(o, r) : [],
    );
  const [after, there] = await Promise.all([
    render(overlay, result),
    otherEdit ? render(other, otherEdit) : gitops.renderAt(revision, role),
  ]);
  const elsewhere = unsuspendedCronJobs(there);
  const byName = [...unsuspendedCronJobs(after)].filter((name) => elsewhere.has(name));
  const [here, theirs] = [cronJobNames(after), cronJobNames(there)];
  if (here.size === theirs.size && [...here].every((name) => theirs.has(name))) return byName.sort();
  // The overlays name their CronJobs differently (a namePrefix or a namespace per cloud): match
  // them by the file each comes from, which kustomize's origin annotations tell.
  const byOrigin = await Promise.all([
    render(overlay, result, withOriginAnnotations),
    render(other, otherEdit, withOriginAnnotations),
  ]).then(
    ([afterO, thereO]) => {
      const origins = unsuspendedByOrigin(thereO, other.dir);
      return [...unsuspendedByOrigin(afterO, overlay.dir)]
        .filter(([key]) => origins.has(key))
        .map(([, name]) => name);
    },
    () => [],
  );
  return [...new Set([...byName, ...byOrigin])].sort();
}

/** `text` with `buildMetadata: [originAnnotations]`: kustomize then annotates where each object comes from. */
export function withOriginAnnotations(text: string): string {
  const doc = parseDocument(text);
  const metadata = doc.get('buildMetadata', true);
  if (isSeq(metadata)) {
    if (!metadata.items.some((i) => isScalar(i) && i.value === 'originAnnotations'))
      metadata.add('originAnnotations');
  } else doc.set('buildMetadata', ['originAnnotations']);
  return doc.toString();
}

/**
 * Where a rendered object comes from, from its origin annotation: the file, relative to the
 * repository root (or the remote repository and ref with the path in it).
 */
function originOf(object: KubeObject, overlayDir: string): string | undefined {
  const annotation = object.metadata.annotations?.[ORIGIN_ANNOTATION];
  if (!annotation) return undefined;
  const origin = asRecord(parse(annotation));
  if (typeof origin?.path !== 'string') return undefined;
  if (typeof origin.repo === 'string') return `${origin.repo}@${String(origin.ref ?? '')}:${origin.path}`;
  return posix.normalize(posix.join(overlayDir, origin.path));
}

/**
 * Unsuspended CronJobs of a render by origin: the file, and the CronJob's place among that file's
 * CronJobs in the render (kustomize keeps their order under a namePrefix or a namespace, where
 * their names differ between the overlays).
 */
export function unsuspendedByOrigin(objects: readonly KubeObject[], overlayDir: string): Map<string, string> {
  const unsuspended = new Set(unsuspendedCronJobObjects(objects));
  const seen = new Map<string, number>();
  const out = new Map<string, string>();
  for (const o of objects.filter((object) => object.kind === 'CronJob')) {
    const origin = originOf(o, overlayDir);
    if (!origin) continue;
    const place = seen.get(origin) ?? 0;
    seen.set(origin, place + 1);
    if (unsuspended.has(o)) out.set(`${origin}#${place}`, nameOf(o));
  }
  return out;
}

/** FO_GIT_E3136: `both` would run on both clouds after the edit of `overlay`; nothing committed. */
export function cronJobsOnBothSidesError(overlay: Overlay, revision: string, both: string[]) {
  const other = overlay.role === 'aws' ? 'gcp' : 'aws';
  const many = both.length > 1;
  return stepFailed(
    'FO_GIT_E3136',
    `nothing committed: the edit of ${overlay.file} would leave the CronJob${many ? 's' : ''} ${both.join(', ')} unsuspended on ${SIDE_NAMES[overlay.role]} while ${SIDE_NAMES[other]}'s overlay runs ${many ? 'them' : 'it'} too, so ${many ? 'they' : 'it'} would run on both clouds`,
    {
      hint: `suspend ${many ? 'them' : 'it'} in the ${other} overlay first (a CronJob standby entry whose target names one CronJob or selects by label suspends only those), push, then run again`,
      details: { file: overlay.file, revision, cronJobs: both },
    },
  );
}
