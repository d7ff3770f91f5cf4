/**
 * Builds the ports over the real clients from the config, each adapter on first use (a runbook
 * that never touches Route 53 never builds its client). The adapters over a cloud SDK (GKE and
 * Anthos gRPC clients, the AWS SDKs, Datadog) are imported on the first call of one of their
 * methods: a run or a `status` that does not need one never loads it.
 */
import { createArgoCdReader, createArgoCdWriter } from './argocd/adapter.js';
import { deferred } from './deferred.js';
import { createDnsReader } from './dns/adapter.js';
import type { EksReader } from './eks/port.js';
import { createGitReader } from './git/adapter.js';
import { createGitWriter } from './git/writer.js';
import type { GkeReader } from './gke/port.js';
import { createHttpProber } from './http/adapter.js';
import { createMetricsReader, createMetricsWriter } from './metrics/index.js';
import type { AdapterOptions } from './options.js';
import type { Ports, ReadPorts, WritePorts } from './ports.js';
import type { Route53Reader, Route53Writer } from './route53/port.js';
import { shareClusterReads } from './shared-reads.js';

export type { AdapterOptions } from './options.js';

type Factories = { [K in keyof ReadPorts]: () => ReadPorts[K] };
type WriteFactories = { [K in keyof WritePorts]: () => WritePorts[K] };

/** Object whose properties are created on first access and then kept. */
function lazyObject<T extends object>(factories: { [K in keyof T]: () => T[K] }): T {
  const cache = new Map<PropertyKey, unknown>();
  const target = {} as T;
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(target, key, {
      enumerable: true,
      get() {
        if (!cache.has(key)) cache.set(key, factories[key]());
        return cache.get(key);
      },
    });
  }
  return target;
}

const CLUSTER_METHODS = { describeCluster: true } as const;

// Each adapter plugs in here: one line in `read` and, if it writes, one in `write`.
export function createPorts(
  options: AdapterOptions,
  overrides: { read?: Partial<Factories>; write?: Partial<WriteFactories> } = {},
): Ports {
  const read = lazyObject<ReadPorts>({
    route53: () =>
      deferred<Route53Reader>(
        async () => (await import('./route53/adapter.js')).createRoute53Reader(options),
        { describeWeights: true, planWeights: true, healthChecks: true, dnsTarget: true, policyFacts: true },
      ),
    eks: () =>
      shareClusterReads(
        deferred<EksReader>(
          async () => (await import('./eks/adapter.js')).createEksReader(options),
          CLUSTER_METHODS,
        ),
      ),
    gke: () =>
      shareClusterReads(
        deferred<GkeReader>(
          async () => (await import('./gke/adapter.js')).createGkeReader(options),
          CLUSTER_METHODS,
        ),
      ),
    anthosAws: () =>
      shareClusterReads(
        deferred<GkeReader>(
          async () => (await import('./anthos-aws/adapter.js')).createAnthosAwsReader(options),
          CLUSTER_METHODS,
        ),
      ),
    http: () => createHttpProber(),
    dns: () => createDnsReader(),
    git: () => createGitReader(options),
    argocd: () => createArgoCdReader(options),
    metrics: () => ({ reader: (provider) => createMetricsReader(options.config, options.env, provider) }),
    ...overrides.read,
  } as Factories);
  return {
    read,
    openWrite: () =>
      lazyObject<WritePorts>({
        route53: () =>
          deferred<Route53Writer>(
            async () => (await import('./route53/adapter.js')).createRoute53Writer(options),
            { applyWeights: true, restoreWeights: true },
          ),
        git: () => createGitWriter(options),
        argocd: () => createArgoCdWriter(options),
        metrics: () => createMetricsWriter(options.config, options.env),
        ...overrides.write,
      } as WriteFactories),
  };
}

export { lazyObject };
