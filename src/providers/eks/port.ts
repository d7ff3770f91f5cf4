/** Port of the EKS adapter. */
import type { ClusterHealth } from '../types.js';

export interface EksReader {
  /** Cluster ACTIVE without health issues; node groups ACTIVE with desiredSize > 0. */
  describeCluster(signal?: AbortSignal): Promise<ClusterHealth>;
}
