/**
 * `failover lint portability`: renders an overlay with kustomize and reports every object or
 * field the target cloud's cluster cannot serve (error: the sync or the pods fail) or will
 * ignore (warning), from the catalogue (catalogue.json), each with its source file and the patch
 * that fixes it in the overlay.
 */
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { type KubeObject, render } from '../../providers/kustomize/index.js';
import { type Cloud, entriesFor } from './catalogue.js';
import { detect, formatField } from './detect.js';
import { fixText } from './fix.js';
import { type ServedApis, unservedObjects, unsyncedClusters } from './live.js';
import { indexSources, kustomizationFile } from './sources.js';
import type { LiveCheckNote, PortabilityFinding, PortabilityReport } from './types.js';

export { type Cloud, catalogue, entriesFor } from './catalogue.js';
export { fixText, patchEntries } from './fix.js';
export { formatPortabilityReport } from './format.js';
export * from './types.js';

export interface OverlayTarget {
  overlay: string;
  target: Cloud;
}

export interface PortabilityOptions {
  /** Renders a kustomization directory (the project's kustomize renderer by default). */
  render?: (dir: string) => Promise<KubeObject[]>;
  /** Directory file names are shown relative to (the current directory by default). */
  base?: string;
  /** What the destination clusters of the target's apps serve (Argo CD); absent: no live check. */
  served?: (target: Cloud) => Promise<ServedApis[]>;
}

/** A kind a destination cluster does not serve needs its CustomResourceDefinition there. */
const UNSERVED_DOCS =
  'https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/';

async function liveFindings(
  objects: readonly KubeObject[],
  target: Cloud,
  overlay: string,
  named: ReadonlySet<string>,
  served: NonNullable<PortabilityOptions['served']>,
): Promise<{ findings: Omit<PortabilityFinding, 'source'>[]; note: LiveCheckNote }> {
  let clusters: ServedApis[];
  try {
    clusters = await served(target);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      findings: [],
      note: {
        overlay,
        target,
        clusters: [],
        skipped: `cannot read what the clusters serve from Argo CD: ${message}`,
      },
    };
  }
  const unsynced = unsyncedClusters(clusters);
  const note: LiveCheckNote = {
    overlay,
    target,
    clusters: clusters.filter((c) => c.apiVersions.size > 0).map((c) => c.cluster),
    ...(unsynced.length
      ? { skipped: `Argo CD has not cached the API resources of ${unsynced.join(', ')} yet` }
      : {}),
  };
  const findings = unservedObjects(objects, clusters)
    // An object the catalogue already names as an error is not named twice.
    .filter((f) => !named.has(`${f.object.kind}/${f.object.namespace ?? ''}/${f.object.name}`))
    .map(
      (f): Omit<PortabilityFinding, 'source'> => ({
        rule: 'unserved-kind',
        severity: 'error',
        target,
        overlay,
        object: f.object,
        field: 'kind',
        value: `${f.object.apiVersion}/${f.object.kind}`,
        message: `cluster ${f.cluster} does not serve ${f.object.apiVersion} ${f.object.kind} (Argo CD's API resources of the cluster); the sync would fail: ${f.message}`,
        fix: {
          description: `install the CRD on ${f.cluster}, or delete ${f.object.kind} ${f.object.name} in the overlay`,
          patch: { type: 'delete' },
        },
        docs: UNSERVED_DOCS,
      }),
    );
  return { findings, note };
}

const shown = (path: string, base: string) => relative(base, resolve(path)) || '.';

/** Checks already-rendered objects of an overlay against the catalogue for `target`. */
export function checkObjects(
  objects: readonly KubeObject[],
  target: Cloud,
  overlay: string,
): Omit<PortabilityFinding, 'source'>[] {
  return detect(objects, entriesFor(target)).map((d) => ({
    rule: d.entry.id,
    severity: d.severity,
    target,
    overlay,
    object: d.object,
    field: formatField(d.path),
    value: d.value,
    message: `${d.what}: ${d.entry.problem}`,
    fix: d.fix,
    docs: d.entry.docs,
  }));
}

export async function lintPortability(
  targets: readonly OverlayTarget[],
  options: PortabilityOptions = {},
): Promise<PortabilityReport> {
  const base = options.base ?? process.cwd();
  const renderer = options.render ?? ((dir: string) => render(dir));
  const report: PortabilityReport = { overlays: [], findings: [], problems: [] };
  for (const { overlay, target } of targets) {
    const name = shown(overlay, base);
    let objects: KubeObject[];
    try {
      objects = await renderer(resolve(overlay));
    } catch (error) {
      report.overlays.push({ overlay: name, target, rendered: false, objects: 0 });
      report.problems.push({
        overlay: name,
        message: `cannot render ${name}: ${error instanceof Error ? error.message : String(error)}`,
      });
      continue;
    }
    report.overlays.push({ overlay: name, target, rendered: true, objects: objects.length });
    const found = checkObjects(objects, target, name);
    if (options.served) {
      const named = new Set(
        found
          .filter((f) => f.severity === 'error')
          .map((f) => `${f.object.kind}/${f.object.namespace ?? ''}/${f.object.name}`),
      );
      const live = await liveFindings(objects, target, name, named, options.served);
      found.push(...live.findings);
      report.live = [...(report.live ?? []), live.note];
    }
    if (found.length === 0) continue;
    const sources = await indexSources(overlay, base);
    for (const finding of found) {
      const source = sources.find(finding.object.kind, finding.object.name);
      report.findings.push({ ...finding, ...(source ? { source } : {}) });
    }
  }
  return report;
}

/** 2 when no overlay could be rendered; 1 on an error finding or an overlay not rendered; else 0. */
export function portabilityExitCode(report: PortabilityReport): 0 | 1 | 2 {
  if (!report.overlays.some((o) => o.rendered)) return 2;
  return report.problems.length > 0 || report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/** The `--fix` text of every overlay of the report: patches to append, one block per overlay. */
export async function portabilityFixText(
  report: PortabilityReport,
  targets: readonly OverlayTarget[],
  base = process.cwd(),
): Promise<string> {
  const blocks: string[] = [];
  for (const { overlay } of targets) {
    const name = shown(overlay, base);
    const file = await kustomizationFile(resolve(overlay));
    if (!file) continue;
    const text = await readFile(file, 'utf8');
    blocks.push(
      fixText(
        shown(file, base),
        text,
        report.findings.filter((f) => f.overlay === name),
      ),
    );
  }
  return blocks.join('\n');
}
