/**
 * What the Argo CD emulator keeps per application (spec, live cluster, comparison, operation,
 * history) and the views computed from it: shared by the controller (model.ts) and the API
 * answers (views.ts).
 */
import type { KubeObject } from '../../providers/kustomize/types.js';
import type { ClusterProfile } from './clusters.js';
import type { HealthStatus, HealthStatusCode } from './health.js';
import type { LiveCluster, LiveEntry } from './live.js';

export interface AppSpec {
  name: string;
  labels?: Record<string, string>;
  /** The git remote: a local (bare) repository path or file:// URL. */
  repoURL: string;
  /** Branch (or tag, sha, HEAD) to track. */
  targetRevision: string;
  /** Directory inside the repository holding the kustomization. */
  path: string;
  /** spec.syncPolicy.automated; default false (manual sync), as in Argo CD. */
  autoSync?: boolean;
  /** automated.selfHeal: re-sync when the live state drifts at an already synced revision. */
  selfHeal?: boolean;
  /** automated.prune: delete live resources no longer in git when auto-syncing. */
  prune?: boolean;
  project?: string;
  destination?: { server?: string; name?: string; namespace?: string };
}

export interface SyncRequest {
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  resources?: { group?: string; kind: string; name: string; namespace?: string }[];
}

export interface RunningOperation {
  request: SyncRequest & { automated: boolean };
  json: Record<string, unknown>;
  terminating: boolean;
}

export interface OperationState {
  operation: Record<string, unknown>;
  phase: 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';
  message: string;
  startedAt: string;
  finishedAt?: string;
  syncResult?: { resources: Record<string, unknown>[]; revision: string; source: Record<string, unknown> };
}

export interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: Record<string, unknown>;
  initiatedBy: Record<string, unknown>;
}

export interface AppRecord {
  spec: AppSpec;
  automated: boolean;
  createdAt: string;
  uid: string;
  live: LiveCluster;
  compared?: { revision: string; desired: KubeObject[] };
  comparisonError?: { message: string; at: string };
  /** Auto-sync skipped because the last attempt at this revision failed (Argo CD's SyncError condition). */
  syncError?: { message: string; at: string };
  /** The destination cluster. */
  cluster: ClusterProfile;
  reconciledAt?: string;
  operation?: RunningOperation;
  operationState?: OperationState;
  history: HistoryEntry[];
  /** The revision the last automated sync went to (Argo CD auto-syncs each revision once). */
  lastAutoSyncRevision?: string;
  stalled: boolean;
  /** When a sync last applied to the live state (the next controller passes still change it). */
  changedAt: number;
  health?: { status: HealthStatusCode; since: string };
  lock: Promise<unknown>;
  reconciling: boolean;
}

export interface ResourceView {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: 'Synced' | 'OutOfSync';
  health?: HealthStatus;
  requiresPruning?: boolean;
  target?: KubeObject;
  live?: LiveEntry;
}

/** Argo CD's timestamps: RFC 3339 to the second. */
export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
