/**
 * check.anthos-aws-cluster: can the Anthos cluster on AWS carry traffic? For an AWS side that runs
 * Anthos clusters on AWS instead of EKS (the default). Input `{required}` as for the other cluster
 * checks. Its API is a Google Cloud service even though the cluster is on AWS, so during a GCP
 * incident `required: false` plus direct endpoint probes may be the safer runbook.
 */
import { clusterCheck } from './cluster.js';

export const anthosAwsClusterCheck = clusterCheck(
  'check.anthos-aws-cluster',
  'Anthos on AWS',
  (ports, signal) => ports.anthosAws.describeCluster(signal),
);
