/** Port of the GitOps adapter: the standby toggle in the overlays, and the run lock. */
import type { Json } from '../../engine/events.js';
import type { KubeObject } from '../kustomize/index.js';
import type { Role } from '../types.js';
import type { PlanApproval } from './approvals.js';

export type StandbyState = 'active' | 'standby';

/** Which standby entries to toggle: all of them, or only those that suspend CronJobs (fencing). */
export type StandbyScope = 'all' | 'cronjobs';

export interface OverlayState {
  role: Role;
  /** Path of the overlay in the repository. */
  path: string;
  /** `partial` when only some of the standby entries are present. */
  state: StandbyState | 'partial';
  /** Commit the state was read at. */
  revision: string;
  /** Standby entries present now (patch paths, component paths). */
  entries: string[];
  /** The CronJobs alone: suspended by a standby entry (fenced) or not. */
  cronJobs?: StandbyState;
  /** The AWS side: workloads that run in its standby render (`Kind namespace/name`), on purpose. */
  alwaysOn?: string[];
  /**
   * In standby without a standby entry in its kustomization: every Deployment renders at 0 by
   * something else (a parent overlay, an inline patch). `state` says standby; to-aws refuses (E3137).
   */
  standbyElsewhere?: boolean;
}

export interface StandbyPlan {
  role: Role;
  scope: StandbyScope;
  target: StandbyState;
  converged: boolean;
  /** Unified diff of the kustomization file. */
  diff: string;
  commitMessage: string;
  /** Read at this commit; the writer re-applies the edit if the remote moved. */
  baseRevision: string;
  /** With kubectl/kustomize available: what changes from dormant to running (or back). */
  render?: {
    deploymentsStarting: string[];
    cronJobsResuming: string[];
    deploymentsStopping: string[];
    cronJobsSuspending: string[];
    /**
     * StatefulSets, ReplicaSets, Rollouts (`Kind namespace/name`) that go from 0 replicas to running,
     * and DaemonSets whose placement the standby changes, once the standby entries are gone.
     */
    othersStarting?: string[];
    /** … and from running to 0 replicas. */
    othersStopping?: string[];
    /**
     * Deployments, StatefulSets… (`Kind namespace/name`) at 0 replicas in both renders: something
     * besides the toggled entries keeps them so.
     */
    workloadsStayingAtZero?: string[];
    /** The render after the edit has Deployments, and every one of them is at 0 replicas. */
    noDeploymentRuns?: boolean;
    /** Workloads (`Kind namespace/name`) that keep running in the standby render: always on. */
    alwaysOn?: string[];
  };
  data: Json;
  /** The state before the edit, as the scope sees it. */
  current?: StandbyState | 'partial';
  /** The kustomization file, relative to the repository root. */
  file?: string;
  /** Paths of the entries the edit removes (going active) or restores (going to standby). */
  entries?: string[];
  /** Worth telling the operator (entries re-inserted without their old place, render failed, …). */
  warnings?: string[];
}

export interface CommitMeta {
  runId: string;
  operator: string;
  incident?: string;
  reason?: string;
  /** Applying a saved plan: its hash, who made it and who approved it. */
  plan?: { hash: string; plannedBy: string; approvedBy: readonly string[] };
}

export interface LockInfo {
  runId: string;
  operator: string;
  host: string;
  startedAt: string;
  expiresAt: string;
  purpose: string;
  /** The holder's process id on `host`: a lock whose process is gone there is abandoned. */
  pid?: number;
}

export interface GitReader {
  overlayState(role: Role, signal?: AbortSignal): Promise<OverlayState>;
  planStandby(
    role: Role,
    target: StandbyState,
    scope: StandbyScope,
    meta: CommitMeta,
    signal?: AbortSignal,
  ): Promise<StandbyPlan>;
  /** The current lock, if any (expired locks included, marked by expiresAt). */
  readLock(signal?: AbortSignal): Promise<LockInfo | undefined>;
  /** The overlay rendered as it would be once active (its standby entries removed). */
  renderActive?(
    role: Role,
    signal?: AbortSignal,
  ): Promise<{ revision: string; dir: string; objects: KubeObject[] }>;
  /**
   * The repository at the branch tip, written to a temporary folder (what the standby lint reads);
   * `remove` deletes it.
   */
  checkout?(role: Role, signal?: AbortSignal): Promise<Checkout>;
  /** The overlay rendered at `revision` (default: the branch tip), as Argo CD would render it. */
  renderOverlay(role: Role, revision?: string, signal?: AbortSignal): Promise<RenderedOverlay>;
  /** Whether `descendant` is `ancestor` or has it in its history (fetching the branch when needed). */
  contains(descendant: string, ancestor: string, signal?: AbortSignal): Promise<boolean>;
  /** The branch tip and the overlay's tree there (a digest of all its files): facts of a saved plan. */
  overlayDigest?(role: Role, signal?: AbortSignal): Promise<OverlayDigest>;
  /** The approvals of a saved plan (by its hash) recorded in the remote. */
  approvals?(planHash: string, signal?: AbortSignal): Promise<PlanApproval[]>;
}

export interface Checkout {
  revision: string;
  /** The repository's files at `revision`. */
  root: string;
  /** The side's overlay directory in `root`. */
  overlayDir: string;
  remove(): Promise<void>;
}

export interface OverlayDigest {
  branch: string;
  revision: string;
  path: string;
  /** The git tree object of the overlay directory at `revision`. */
  tree: string;
}

export interface RenderedOverlay {
  role: Role;
  /** The overlay directory in the repository. */
  path: string;
  /** The commit rendered. */
  revision: string;
  objects: KubeObject[];
}

export interface GitWriter {
  /**
   * Commits and pushes the edit, re-applying it on a moved remote (bounded retries). `changed` is
   * false when the remote already was in the wanted state (then `commit` is its tip).
   */
  applyStandby(
    plan: StandbyPlan,
    meta: CommitMeta,
    signal?: AbortSignal,
  ): Promise<{ commit: string; attempts: number; changed: boolean }>;
  /** Atomic compare-and-swap push of the lock ref; throws category `locked` when held. */
  acquireLock(
    lock: LockInfo,
    options: { breakStale: boolean; signal?: AbortSignal },
  ): Promise<{ brokeLock?: LockInfo }>;
  releaseLock(runId: string, signal?: AbortSignal): Promise<boolean>;
  /** Records an approval of a saved plan; `created: false` when this approver had approved it already. */
  recordApproval?(
    approval: PlanApproval,
    signal?: AbortSignal,
  ): Promise<{ ref: string; created: boolean; existing?: PlanApproval }>;
}
