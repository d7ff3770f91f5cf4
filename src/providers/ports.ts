/**
 * The narrow ports the steps use, split into a read side and a write side. Planning gets only
 * the read side; the write side exists only inside the apply context, which a dry-run never
 * creates. Each adapter folder (route53/, eks/, gke/, anthos-aws/, http/, git/, argocd/) defines
 * its own port types in port.ts and builds them over the real SDK or CLI in index.ts.
 */
import type { AnthosAwsReader } from './anthos-aws/port.js';
import type { ArgoCdReader, ArgoCdWriter } from './argocd/port.js';
import type { DnsReader } from './dns/port.js';
import type { EksReader } from './eks/port.js';
import type { GitReader, GitWriter } from './git/port.js';
import type { GkeReader } from './gke/port.js';
import type { HttpProber } from './http/port.js';
import type { MetricsReader, MetricsWriter } from './metrics/port.js';
import type { Route53Reader, Route53Writer } from './route53/port.js';

/** Read-only access to every external system. */
export interface ReadPorts {
  route53: Route53Reader;
  eks: EksReader;
  gke: GkeReader;
  /** Anthos clusters on AWS: optional, for an AWS side that is not EKS. */
  anthosAws: AnthosAwsReader;
  http: HttpProber;
  /** DNS queries to name servers (the DNS verification). */
  dns: DnsReader;
  git: GitReader;
  argocd: ArgoCdReader;
  /** Metric gates: the config's provider, or the one a step names. */
  metrics: { reader(provider?: 'datadog' | 'prometheus'): MetricsReader };
}

/** Mutating access. Only reachable through ApplyContext.write. */
export interface WritePorts {
  route53: Route53Writer;
  git: GitWriter;
  argocd: ArgoCdWriter;
  /** Datadog downtimes. */
  metrics: MetricsWriter;
}

export interface Ports {
  read: ReadPorts;
  /** Opens the write side. Called by the engine only when it applies, never in a dry-run. */
  openWrite(): WritePorts;
}
