/**
 * `failover lint standby`: is the AWS overlay really dormant in standby, and what does the toggle
 * start? Renders the overlay as it is (every workload must be dormant), then a temporary copy with
 * the standby entries removed by the same edit a failover makes (src/providers/git/kustomization.ts),
 * and compares the two. Both standby shapes are understood: patch entries and a Component.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { FailoverError } from '../../engine/errors.js';
import {
  findStandbyEntries,
  planToggle,
  type StandbyEntry,
  type StandbyMatcher,
  stateOf,
} from '../../providers/git/kustomization.js';
import type { KubeObject } from '../../providers/kustomize/index.js';
import { isDirectory, kustomizationFileOf } from '../../providers/kustomize/index.js';
import { classifyDeliberate } from './deliberate.js';
import {
  checkReplaceOperations,
  kustomizationOperations,
  type PatchOperation,
  standbyPatchOperations,
} from './patches.js';
import {
  chooseRenderer,
  copyOverlayTree,
  kustomizationClosure,
  type Renderer,
  RendererUnavailable,
  readKustomizationData,
} from './render.js';
import { indexSources } from './sources.js';
import type { StandbyFinding, StandbyLintOptions, StandbyLintReport } from './types.js';
import { checkStandbyRender, compareRenders } from './workloads.js';

export { formatStandbyReport } from './format.js';
export * from './types.js';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

function shapeOf(entries: readonly StandbyEntry[]): StandbyLintReport['shape'] {
  const shapes = new Set(entries.map((e) => e.shape));
  if (shapes.size === 0) return 'none';
  if (shapes.size > 1) return 'mixed';
  if (shapes.has('component')) return 'component';
  return shapes.has('replicas') ? 'replicas' : 'patches';
}

interface Overlay {
  dir: string;
  file: string;
  text: string;
  data: Record<string, unknown>;
}

/** The render without the standby entries, or the finding that says why there is none. */
async function renderActive(
  overlay: Overlay,
  matcher: StandbyMatcher,
  renderer: Renderer,
  display: (file: string) => string,
): Promise<{ objects?: KubeObject[]; finding?: StandbyFinding }> {
  let text: string;
  try {
    text = planToggle({
      text: overlay.text,
      file: display(overlay.file),
      matcher,
      scope: 'all',
      target: 'active',
    }).text;
  } catch (error) {
    return {
      finding: {
        rule: 'toggle-failed',
        severity: 'error',
        message: `failover cannot remove the standby entries from this kustomization: ${messageOf(error)}`,
        file: display(overlay.file),
        fix:
          FailoverError.is(error) && error.hint
            ? error.hint
            : 'write the standby entries as a block list, one `- ` item each',
      },
    };
  }
  const copy = await copyOverlayTree(overlay.dir);
  try {
    await writeFile(join(copy.overlay, basename(overlay.file)), text);
    return { objects: await renderer.render(copy.overlay) };
  } catch (error) {
    const reason = messageOf(error).replaceAll(copy.root, display(copy.sourceRoot));
    return {
      finding: {
        rule: 'active-render-failed',
        severity: 'error',
        message: `the overlay does not render once the standby entries are removed, so a failover would leave Argo CD unable to sync it: ${reason}`,
        file: display(overlay.file),
        fix: 'make the overlay render without its standby entries (a patch that only the standby entries make valid, a resource they add)',
      },
    };
  } finally {
    await copy.remove();
  }
}

/** Lints the overlay in `overlayDir`. Never throws for bad input: that becomes `problems`. */
export async function lintStandby(
  overlayDir: string,
  options: StandbyLintOptions,
): Promise<StandbyLintReport> {
  const root = options.displayRoot ?? process.cwd();
  const display = (file: string) => relative(root, file) || '.';
  const dir = resolve(overlayDir);
  const report: StandbyLintReport = {
    overlay: display(dir),
    shape: 'none',
    state: 'active',
    entries: [],
    rendered: false,
    objects: 0,
    findings: [],
    wouldStart: [],
    alwaysOn: [],
    problems: [],
  };
  if (!(await isDirectory(dir))) {
    report.problems.push({
      message: `overlay ${display(dir)} does not exist`,
      hint: 'pass --repo DIR (a local checkout of the GitOps repository; gitops.awsOverlay is the path inside it) or --overlay DIR',
    });
    return report;
  }
  const file = await kustomizationFileOf(dir);
  if (!file) {
    report.problems.push({
      message: `no kustomization.yaml in ${display(dir)}`,
      hint: 'point --overlay at the AWS overlay directory (the one Argo CD renders)',
    });
    return report;
  }
  report.kustomization = display(file);
  const text = await readFile(file, 'utf8');
  const matcher: StandbyMatcher = options.matcher;
  let entries: StandbyEntry[] = [];
  try {
    entries = findStandbyEntries(text, display(file), matcher);
  } catch (error) {
    report.problems.push({ message: messageOf(error), file: display(file) });
    return report;
  }
  report.entries = entries.map(({ key, shape, path, kinds }) => ({ key, shape, path, kinds: [...kinds] }));
  report.shape = shapeOf(entries);
  report.state = stateOf(entries, 'all');
  if (entries.length === 0) {
    report.findings.push({
      rule: 'not-in-standby',
      severity: 'error',
      message: `${display(file)} lists none of the standby entries (patches ${matcher.patchPaths.join(', ')}; components ${matcher.components.join(', ')}): the overlay is active`,
      file: display(file),
      fix: 'put the overlay back in standby (`failover to-gcp` does), or set gitops.standby in the config to the names this overlay uses',
    });
  }

  let renderer: Renderer;
  try {
    renderer = await chooseRenderer(options.renderer, options.findTool, options.kustomize);
  } catch (error) {
    if (!(error instanceof RendererUnavailable)) throw error;
    report.problems.push({
      message: `cannot render: ${error.message}`,
      hint: 'install it, or use --renderer auto',
    });
    return report;
  }
  report.renderer = renderer.name;
  if (renderer.note) report.rendererNote = renderer.note;

  let standby: KubeObject[];
  try {
    standby = await renderer.render(dir);
  } catch (error) {
    report.problems.push({
      message: `cannot render ${display(dir)} with ${renderer.name}: ${messageOf(error)}`,
      file: display(file),
      hint: 'fix the overlay so that it renders; Argo CD cannot sync it either',
    });
    return report;
  }
  report.rendered = true;
  report.objects = standby.length;

  const sources = await indexSources(await kustomizationClosure(dir));
  const objectFindings = checkStandbyRender(standby);

  const operations: PatchOperation[] = [];
  if (entries.length > 0) {
    const overlay: Overlay = { dir, file, text, data: (await readKustomizationData(dir))?.data ?? {} };
    for (const entry of entries) {
      operations.push(
        ...(entry.shape === 'component'
          ? await kustomizationOperations(resolve(dir, entry.path))
          : await standbyPatchOperations(overlay, entry.key, entry.index)),
      );
    }
    const active = await renderActive(overlay, matcher, renderer, display);
    if (active.finding) report.findings.push(active.finding);
    if (active.objects) {
      const activation = compareRenders(standby, active.objects);
      report.wouldStart = activation.wouldStart;
      objectFindings.push(...activation.findings);
      report.findings.push(...checkReplaceOperations(operations, active.objects, display));
    }
  }

  // A workload the standby patches leave out on purpose runs in standby by design: always on.
  const classified = classifyDeliberate(objectFindings, standby, operations, display);
  report.alwaysOn = classified.alwaysOn;
  for (const finding of classified.findings) {
    const position = finding.object ? sources.find(finding.object) : undefined;
    report.findings.push(
      position ? { ...finding, file: display(position.file), line: position.line } : finding,
    );
  }
  report.findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0),
  );
  return report;
}

/** 2 when nothing could be rendered, 1 when an error finding says standby is not dormant, else 0. */
export function standbyExitCode(report: StandbyLintReport): 0 | 1 | 2 {
  if (!report.rendered) return 2;
  return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}
