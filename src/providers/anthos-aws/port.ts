/**
 * Port of the Anthos-clusters-on-AWS adapter. The shape is the GKE port's: a check reads either
 * through the same `describeCluster`.
 */
import type { GkeReader } from '../gke/port.js';

/** RUNNING is usable; RECONCILING usable with a warning; anything else, or no running node pool, is not. */
export type AnthosAwsReader = GkeReader;
