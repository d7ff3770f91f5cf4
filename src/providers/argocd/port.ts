/** Port of the Argo CD adapter. */
import type { Role } from '../types.js';

export interface WorkloadState {
  kind: 'Deployment' | 'StatefulSet' | 'CronJob' | string;
  name: string;
  namespace?: string;
  /** Deployments: spec.replicas; CronJobs: undefined. */
  desired?: number;
  ready?: number;
  /** CronJobs: spec.suspend. */
  suspended?: boolean;
  /** Argo CD's own health word for the resource (Healthy even at 0 replicas: do not trust it alone). */
  health?: string;
}

export interface AppState {
  name: string;
  syncStatus: string;
  revision?: string;
  health: string;
  /** Running | Succeeded | Failed | … of the last operation; undefined when none. */
  operationPhase?: string;
  /** An operation is pending or running. */
  operationInFlight: boolean;
  reconciledAt?: string;
  workloads: WorkloadState[];
}

export interface ArgoCdReader {
  /** The apps of a side (names or label selector from config), with their workloads. `refresh` asks Argo CD to reconcile first. */
  apps(role: Role, options?: { refresh?: boolean; signal?: AbortSignal }): Promise<AppState[]>;
}

export interface ArgoCdWriter {
  sync(appName: string, revision: string | undefined, signal?: AbortSignal): Promise<void>;
}
