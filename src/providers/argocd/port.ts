/** Port of the Argo CD adapter. */

import type { Role } from '../types.js';
import type { AppChanges } from './changes.js';

export interface WorkloadState {
  /** Deployment, StatefulSet, ReplicaSet, DaemonSet, CronJob, or an Argo Rollouts Rollout. */
  kind: string;
  name: string;
  namespace?: string;
  /**
   * Replicated kinds: the live spec.replicas; DaemonSets: status.desiredNumberScheduled;
   * CronJobs: undefined.
   */
  desired?: number;
  /** status.readyReplicas (DaemonSets: status.numberReady). */
  ready?: number;
  /** Pods on the current template: status.updatedReplicas (DaemonSets: updatedNumberScheduled). */
  updated?: number;
  /**
   * Deployments: the controller has seen the latest spec (status.observedGeneration ≥
   * metadata.generation). While false, the ready count describes the previous spec.
   */
  observed?: boolean;
  /** CronJobs: spec.suspend. */
  suspended?: boolean;
  /** In git but not (yet) in the cluster. */
  missing?: boolean;
  /** Argo CD's own health word for the resource (Healthy even at 0 replicas: do not trust it alone). */
  health?: string;
  /** What Argo CD would apply (its targetState): spec.replicas and spec.suspend as it rendered them. */
  target?: { replicas?: number; suspend?: boolean };
  /** Secrets the pod template needs to start (volumes, env, envFrom; not the optional ones). */
  secrets?: string[];
}

/** An ExternalSecret of the app (external-secrets.io), as its controller reports it. */
export interface ExternalSecretState {
  name: string;
  namespace?: string;
  /** The Secret it writes (spec.target.name, else its own name). */
  secret: string;
  /** In git, not in the cluster. */
  missing?: boolean;
  /** The Ready condition: true, false, or undefined while the controller has not reported. */
  ready?: boolean;
  /** The condition's reason (SecretSynced, SecretSyncedError…) and message. */
  reason?: string;
  message?: string;
  /** The target Secret exists (synced now or once before). */
  secretExists: boolean;
}

/** The last sync operation failed: its revision and each resource Argo CD could not sync, with why. */
export interface SyncFailure {
  phase: string;
  message: string;
  revision?: string;
  resources: { kind: string; name: string; namespace?: string; message: string }[];
}

export interface AppState {
  name: string;
  syncStatus: string;
  revision?: string;
  health: string;
  /** Running | Succeeded | Failed | … of the last operation; undefined when none. */
  operationPhase?: string;
  /** The last operation's message (why a sync failed). */
  operationMessage?: string;
  /** An operation is pending or running. */
  operationInFlight: boolean;
  /** spec.syncPolicy.automated is set: Argo CD syncs new revisions by itself. */
  autoSync?: boolean;
  reconciledAt?: string;
  workloads: WorkloadState[];
  /** The app's ExternalSecrets (none when it has none). */
  externalSecrets?: ExternalSecretState[];
  /** Set when the last operation Failed or Errored. */
  syncFailure?: SyncFailure;
  /** Resources Argo CD reports OutOfSync (`Kind namespace/name`, "(to prune)" when gone from git). */
  outOfSync?: string[];
  /**
   * Every resource Argo CD reports OutOfSync is gone from git and left to prune (auto-sync without
   * `prune`, Argo CD's default), and none is a workload (which would still run): what git wants is
   * live.
   */
  outOfSyncOnlyToPrune?: boolean;
  /**
   * Workloads git no longer has that Argo CD leaves running, to prune (`Kind namespace/name`), when
   * a prune is all the app lacks: it stays OutOfSync until someone prunes them, which failover's
   * syncs (never pruning) do not.
   */
  workloadsToPrune?: string[];
}

/** The API resources an app's destination cluster serves, as Argo CD reports them. */
export interface ClusterApis {
  app: string;
  /** The destination cluster's name (else its server). */
  cluster: string;
  /** info.apiVersions: each "group/version" and "group/version/Kind"; empty until Argo CD's cache has synced. */
  apiVersions: string[];
  /** info.connectionState.status: Successful, Failed, Unknown. */
  connection?: string;
}

/** A pod that does not start, as Argo CD's resource tree shows it. */
export interface PodProblem {
  app: string;
  /** namespace/name */
  pod: string;
  /** The kubelet's status reason: CrashLoopBackOff, ImagePullBackOff, … (Degraded when none). */
  reason: string;
  restarts?: number;
  /** Argo CD's health message (e.g. the back-off and the failing container). */
  message?: string;
}

export interface ArgoCdReader {
  /** The apps of a side (names or label selector from config), with their workloads. `refresh` asks Argo CD to reconcile first. */
  apps(role: Role, options?: { refresh?: boolean; signal?: AbortSignal }): Promise<AppState[]>;
  /** What the destination cluster of each app of a side serves (for the portability live check). */
  clusterApis?(role: Role, options?: { signal?: AbortSignal }): Promise<ClusterApis[]>;
  /** The pods of an app that fail to start (crash loops, image pulls), from its resource tree. */
  podProblems?(app: string, options?: { signal?: AbortSignal }): Promise<PodProblem[]>;
  /** Changes of a side's apps as Argo CD streams them, to wake a wait early (close it when done). */
  changes?(role: Role): AppChanges;
}

/** `started`: a sync operation began; `in-progress`: another operation was already running (wait for it). */
export type SyncOutcome = 'started' | 'in-progress';

export interface ArgoCdWriter {
  /** Syncs the app to `revision` (or to its target revision when undefined), never pruning. */
  sync(appName: string, revision: string | undefined, signal?: AbortSignal): Promise<SyncOutcome>;
}
