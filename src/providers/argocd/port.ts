/** Port of the Argo CD adapter. */
import type { Role } from '../types.js';

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
}

export interface ArgoCdReader {
  /** The apps of a side (names or label selector from config), with their workloads. `refresh` asks Argo CD to reconcile first. */
  apps(role: Role, options?: { refresh?: boolean; signal?: AbortSignal }): Promise<AppState[]>;
}

/** `started`: a sync operation began; `in-progress`: another operation was already running (wait for it). */
export type SyncOutcome = 'started' | 'in-progress';

export interface ArgoCdWriter {
  /** Syncs the app to `revision` (or to its target revision when undefined), never pruning. */
  sync(appName: string, revision: string | undefined, signal?: AbortSignal): Promise<SyncOutcome>;
}
