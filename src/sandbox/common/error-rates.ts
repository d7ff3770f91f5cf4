/**
 * What the metric emulators (Datadog, Prometheus) answer: each side's HTTP error rate in percent,
 * computed from the sandbox's state on every read, and which side a query is about.
 */
export type MetricSide = 'gcp' | 'aws';

/** The error rate of a side now, in percent (0–100). */
export type ErrorRates = (side: MetricSide) => number;

/**
 * The side a query names by tag or label: `cloud:aws` (Datadog), `cloud="aws"` (PromQL); `gke`
 * and `gcp` both mean GKE. A query that names no side has no data.
 */
export function sideOfQuery(query: string): MetricSide | undefined {
  const match = /\bcloud\s*(?::|=~?|==)\s*"?(aws|gcp|gke)\b/.exec(query);
  if (!match) return undefined;
  return match[1] === 'aws' ? 'aws' : 'gcp';
}
