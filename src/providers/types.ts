/** Types shared by several adapters. */
import type { Json } from '../engine/events.js';

/** The two sides of the failover. Config and runbooks say `gcp` and `aws`. */
export type Role = 'gcp' | 'aws';

/** How messages name each side's cluster. */
export const SIDE_NAMES: Readonly<Record<Role, string>> = { aws: 'AWS', gcp: 'GKE' };

/** A cluster as a check sees it, whatever the cloud. */
export interface ClusterHealth {
  /** e.g. `eks standby-aws`, `gke projects/p/locations/l/clusters/c`. */
  name: string;
  /** The provider's own status word: ACTIVE, RUNNING, RECONCILING, … */
  status: string;
  /** Ready to carry traffic. */
  usable: boolean;
  /** Reasons it is not usable (health issues, node groups without capacity, ERROR conditions). */
  problems: string[];
  /** Usable, but worth saying (RECONCILING, a DEGRADED node group among healthy ones). */
  warnings: string[];
  /** Provider-specific facts for status and reports (version, node groups, conditions). */
  detail: Record<string, Json>;
}
