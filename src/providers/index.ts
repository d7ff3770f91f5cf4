/**
 * Builds the ports over the real clients from the config, each adapter on first use (a runbook
 * that never touches Route 53 never builds its client). Imported only by commands that talk to the
 * outside world, so `--help` never loads a cloud SDK.
 */
import type { Config } from '../config/schema.js';
import type { Redactor } from '../engine/redact.js';
import { createAnthosAwsReader } from './anthos-aws/adapter.js';
import { createArgoCdReader, createArgoCdWriter } from './argocd/adapter.js';
import { createDnsReader } from './dns/adapter.js';
import { createEksReader } from './eks/adapter.js';
import { createGitReader, createGitWriter } from './git/adapter.js';
import { createGkeReader } from './gke/adapter.js';
import { createHttpProber } from './http/adapter.js';
import { createMetricsReader, createMetricsWriter } from './metrics/index.js';
import type { Ports, ReadPorts, WritePorts } from './ports.js';
import { createRoute53Reader, createRoute53Writer } from './route53/adapter.js';

export interface AdapterOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  runId: string;
}

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

// Each adapter plugs in here: one line in `read` and, if it writes, one in `write`.
export function createPorts(
  options: AdapterOptions,
  overrides: { read?: Partial<Factories>; write?: Partial<WriteFactories> } = {},
): Ports {
  const read = lazyObject<ReadPorts>({
    route53: () => createRoute53Reader(options),
    eks: () => createEksReader(options),
    gke: () => createGkeReader(options),
    anthosAws: () => createAnthosAwsReader(options),
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
        route53: () => createRoute53Writer(options),
        git: () => createGitWriter(options),
        argocd: () => createArgoCdWriter(options),
        metrics: () => createMetricsWriter(options.config, options.env),
        ...overrides.write,
      } as WriteFactories),
  };
}

export { lazyObject };
