/**
 * Public data shapes of the standby lint (`failover lint standby`). Plain data, so the JSON output
 * is simply the report object.
 */
import type { KustomizeSettings } from '../../providers/kustomize/tool.js';

export type Severity = 'error' | 'warning' | 'info';

/** Stable identifiers of the checks; tests and scripts match on these, never on the message text. */
export type StandbyRule =
  /** The overlay's kustomization lists none of the configured standby entries. */
  | 'not-in-standby'
  /** A Deployment runs replicas in standby (or omits spec.replicas, so the API default of 1 applies). */
  | 'deployment-running'
  /** A CronJob is not suspended in standby. */
  | 'cronjob-active'
  /** A workload kind the standby patches do not cover runs in standby (StatefulSet, Job, Pod…). */
  | 'uncovered-kind'
  /** A DaemonSet runs a pod on every node; it cannot be scaled to 0. */
  | 'daemonset'
  /** An autoscaler (HPA, KEDA) that can bring a workload up in standby, or whose target is unknown. */
  | 'autoscaler'
  /** A custom resource with spec.replicas above 0. */
  | 'custom-replicas'
  /** Once active, a Deployment has no spec.replicas: it starts from the API default of 1. */
  | 'hpa-managed-replicas'
  /** A workload stays dormant after the standby entries are removed. */
  | 'stays-dormant'
  /** A standby patch uses `replace` on a path some of its targets lack (kustomize silently adds it). */
  | 'replace-missing-path'
  /** failover's own edit cannot remove the standby entries from the kustomization (the toggle would fail). */
  | 'toggle-failed'
  /** The overlay does not render once the standby entries are removed: the failover would break Argo CD. */
  | 'active-render-failed'
  /** Runs in standby on purpose (a negative selector term of a standby patch, or the always-on annotation). */
  | 'always-on';

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

export interface StandbyFinding {
  rule: StandbyRule;
  severity: Severity;
  message: string;
  object?: ObjectRef;
  /** Where to look: the object's source manifest, or the patch file for `replace` operations. */
  file?: string;
  line?: number;
  /** How to fix it. */
  fix?: string;
}

/** A workload that goes from dormant to running when the standby entries are removed. */
export interface StartingWorkload extends ObjectRef {
  /** `0 replicas`, `suspended`. */
  from: string;
  /** `3 replicas`, `1 replica (API default)`, `schedule "0 3 * * *"`. */
  to: string;
}

export interface StandbyEntryRef {
  key: string;
  shape: 'patch' | 'component' | 'replicas';
  path: string;
  kinds: string[];
}

/** Input that could not be read or rendered at all. */
export interface StandbyProblem {
  message: string;
  file?: string;
  line?: number;
  hint?: string;
}

export type RendererName = 'kubectl kustomize' | 'kustomize build';

export interface StandbyLintReport {
  /** The overlay directory, as displayed. */
  overlay: string;
  /** Its kustomization file, as displayed. */
  kustomization?: string;
  renderer?: RendererName;
  /** A remark on the renderer, shown with the report. */
  rendererNote?: string;
  shape: 'patches' | 'component' | 'replicas' | 'mixed' | 'none';
  /** The standby state as the configured entries say: standby, partial, or active (none listed). */
  state: 'standby' | 'partial' | 'active';
  entries: StandbyEntryRef[];
  /** The standby overlay rendered; false means nothing could be checked. */
  rendered: boolean;
  /** Objects in the standby render. */
  objects: number;
  findings: StandbyFinding[];
  /** What the toggle would start (from the render without the standby entries). */
  wouldStart: StartingWorkload[];
  /** Workloads that run in standby on purpose, with the reason. */
  alwaysOn: { object: ObjectRef; reason: string }[];
  problems: StandbyProblem[];
}

export interface StandbyLintOptions {
  /** Which entries mean standby (config `gitops.standby`). */
  matcher: { patchPaths: readonly string[]; components: readonly string[]; replicasField?: boolean };
  /** Renderer: `auto` (default) takes kustomize.path, else `kustomize`, else `kubectl` on PATH. */
  renderer?: 'auto' | 'kubectl' | 'kustomize';
  /** The config's `kustomize` section (binary, build options as Argo CD uses them). */
  kustomize?: KustomizeSettings;
  /** File names in the report are relative to this directory (default: the working directory). */
  displayRoot?: string;
  /** Where kubectl and kustomize are (default: looked up on PATH); tests use it to simulate neither. */
  findTool?: (name: 'kubectl' | 'kustomize') => Promise<string | undefined>;
}
