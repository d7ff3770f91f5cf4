/** Port of the GKE adapter (and of Anthos clusters on AWS, which share the shape). */
import type { ClusterHealth } from '../types.js';

export interface GkeReader {
  /** RUNNING is usable; RECONCILING usable with a warning; anything else is not. */
  describeCluster(signal?: AbortSignal): Promise<ClusterHealth>;
}
