/**
 * The state of both sides in one read: clusters, weights, health checks, overlays, Argo CD apps.
 * Used by `failover status`, by the `status.snapshot` step (the starting state of a run) and by
 * reports. A side that cannot be read is reported as such; it never hides the others.
 */
import type { Config } from '../../config/schema.js';
import { toFailoverError } from '../../engine/errors.js';
import type { AppState } from '../../providers/argocd/port.js';
import type { LockInfo, OverlayState } from '../../providers/git/port.js';
import type { ReadPorts } from '../../providers/ports.js';
import type { HealthCheckState, WeightTarget } from '../../providers/route53/port.js';
import type { ClusterHealth, Role } from '../../providers/types.js';

export type Section<T> = { ok: true; value: T } | { ok: false; error: string; code: string };

export interface StatusReport {
  at: string;
  clusters: Partial<Record<Role, Section<ClusterHealth>>>;
  weights?: Section<WeightTarget[]>;
  healthChecks?: Section<HealthCheckState[]>;
  overlays: Partial<Record<Role, Section<OverlayState>>>;
  apps: Partial<Record<Role, Section<AppState[]>>>;
  /** The run lock in the GitOps remote: null when free. */
  lock?: Section<LockInfo | null>;
}

async function section<T>(read: () => Promise<T>): Promise<Section<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (thrown) {
    const error = toFailoverError(thrown);
    return { ok: false, error: error.message, code: error.code };
  }
}

export async function collectStatus(
  read: ReadPorts,
  config: Config,
  signal?: AbortSignal,
): Promise<StatusReport> {
  const awsCluster = config.eks
    ? () => read.eks.describeCluster(signal)
    : config.anthosAws
      ? () => read.anthosAws.describeCluster(signal)
      : undefined;
  const [gcp, aws, weights, healthChecks, overlayAws, overlayGcp, appsAws, appsGcp, lock] = await Promise.all(
    [
      config.gke ? section(() => read.gke.describeCluster(signal)) : undefined,
      awsCluster ? section(awsCluster) : undefined,
      config.route53 ? section(() => read.route53.describeWeights(signal)) : undefined,
      config.route53 && Object.keys(config.route53.healthChecks).length > 0
        ? section(() => read.route53.healthChecks(signal))
        : undefined,
      config.gitops ? section(() => read.git.overlayState('aws', signal)) : undefined,
      config.gitops ? section(() => read.git.overlayState('gcp', signal)) : undefined,
      config.argocd ? section(() => read.argocd.apps('aws', { signal })) : undefined,
      config.argocd?.gcpApps ? section(() => read.argocd.apps('gcp', { signal })) : undefined,
      config.gitops ? section(async () => (await read.git.readLock(signal)) ?? null) : undefined,
    ],
  );
  const defined = <T>(entries: [Role, T | undefined][]) =>
    Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  return {
    at: new Date().toISOString(),
    clusters: defined([
      ['gcp', gcp],
      ['aws', aws],
    ]),
    ...(weights ? { weights } : {}),
    ...(healthChecks ? { healthChecks } : {}),
    overlays: defined([
      ['aws', overlayAws],
      ['gcp', overlayGcp],
    ]),
    apps: defined([
      ['aws', appsAws],
      ['gcp', appsGcp],
    ]),
    ...(lock ? { lock } : {}),
  };
}

/** Weights as percentages of the total (Route 53 answers evenly when all are 0). */
export function percentages(weights: Record<Role, number>): Record<Role, number> {
  const total = weights.gcp + weights.aws;
  if (total === 0) return { gcp: 50, aws: 50 };
  return {
    gcp: Math.round((weights.gcp / total) * 1000) / 10,
    aws: Math.round((weights.aws / total) * 1000) / 10,
  };
}
