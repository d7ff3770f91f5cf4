/**
 * The sandbox: every emulator started together on loopback, seeded with the write-up's state,
 * plus a config (and a .env with the sandbox's throwaway credentials) that points `failover` at
 * them. Used by `failover sandbox start`, `failover demo`, the end-to-end tests and the benchmarks.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AppEndpoints, rolloutFault, startAppEndpoints } from './apps/index.js';
import { type ArgoCdEmulator, startArgoCdEmulator } from './argocd/index.js';
import {
  EmulatorControl,
  type FaultKind,
  SERVICES,
  type ServiceName,
  SUPPORTED_FAULTS,
} from './common/control.js';
import { type RunningServer, readBody, startHttpServer } from './common/http-server.js';
import type { RequestLogEntry } from './common/request-log.js';
import { type DatadogEmulator, seedWriteupDatadog, startDatadogEmulator } from './datadog/index.js';
import { aliasTargetAddress, type DnsServer, startDnsServer } from './dns/index.js';
import { type EksEmulator, seedWriteupEks, startEksEmulator } from './eks/index.js';
import { createGitRemote } from './gitops-demo/index.js';
import { type GkeEmulator, seedWriteupGke, startGkeEmulator } from './gke/index.js';
import { type PrometheusEmulator, startPrometheusEmulator } from './prometheus/index.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type ThrottlingSettings,
} from './route53/index.js';
import { WRITEUP_DEFAULTS } from './route53/seed.js';
import { fleetApplicationFiles, sandboxConfigYaml } from './sandbox-files.js';

export type Side = 'gke' | 'aws';
export { SERVICES, type ServiceName } from './common/control.js';

/** Timings of the simulated world, in ms. The defaults make a round trip take a few seconds. */
export interface SandboxTimings {
  /** Route 53: Creating/Updating → Applied, Deleting → gone, PENDING → INSYNC. */
  propagationMs: number;
  /** Argo CD: how long a rollout takes from 0 to all replicas ready. */
  rolloutMs: number;
  /** Argo CD: how often apps are reconciled without a refresh. */
  reconcileMs: number;
  /** Argo CD: how long a sync operation stays Running after applying. Default 300. */
  syncMs?: number;
  /** Latency added to every emulator answer. */
  latencyMs: number;
  /** Argo CD: a rollout unfinished after this long is Degraded (ProgressDeadlineExceeded). Default 600 s. */
  progressDeadlineMs?: number;
}

export const DEFAULT_TIMINGS: SandboxTimings = {
  propagationMs: 1500,
  rolloutMs: 3000,
  reconcileMs: 1000,
  syncMs: 300,
  latencyMs: 5,
};

export interface SandboxOptions {
  /** Where config, .env, sandbox.json, the git remote and the journals go. */
  dir: string;
  /** Seed the git remote from this GitOps tree instead of the demo tree. */
  repoFrom?: string;
  awsOverlay?: string;
  gcpOverlay?: string;
  timings?: Partial<SandboxTimings>;
  /** Route 53 mode the config uses. */
  route53Mode?: 'traffic-flow' | 'record-sets';
  /** Traffic policy instances sharing the policy (one per hostname). Default 1. */
  instances?: number;
  /** Argo CD applications per side, all tracking the side's overlay, one namespace each. Default 1. */
  apps?: number;
  /** The Route 53 emulator's token buckets; `false` switches throttling off. Default: as documented. */
  route53Throttling?: ThrottlingSettings | false;
  /** Argo CD's builds kept here for other processes too (a render store, see kustomize.cacheDir). */
  renderCacheDir?: string;
  /**
   * Flags for every kustomize build, as argocd-cm `kustomize.buildOptions` sets them for Argo CD
   * (`--load-restrictor LoadRestrictionsNone`): the emulated Argo CD uses them, and the written
   * config gets them as `kustomize.buildOptions`.
   */
  kustomizeBuildOptions?: string;
}

/** sandbox.json: every endpoint and id, for scripts and tests. */
export interface SandboxInfo {
  dir: string;
  config: string;
  pid: number;
  control: { endpoint: string };
  route53: {
    endpoint: string;
    hostedZoneId: string;
    trafficPolicyId: string;
    trafficPolicyInstanceIds: string[];
    /** The same instances with their DNS names. */
    trafficPolicyInstances: { id: string; name: string }[];
    healthCheckIds: Record<Side, string>;
    /** The emulator's account bucket (false: throttling off). */
    throttling: { burst: number; perSecond: number } | false;
  };
  eks: { endpoint: string; cluster: string };
  gke: { endpoint: string; project: string; location: string; cluster: string };
  git: { remote: string; branch: string; awsOverlay: string; gcpOverlay: string; head: string };
  argocd: { endpoint: string; apps: { aws: string[]; gcp: string[] } };
  apps: { gcp: string; aws: string; public: string };
  datadog: { endpoint: string };
  prometheus: { endpoint: string };
  /** The authoritative DNS server of the hosted zones (UDP and TCP), and what each side answers. */
  dns: { host: string; port: number; addresses: { gcp: string; aws: string } };
  /** The emulators' configured delays, in seconds: their sum is a failover's critical path. */
  delays: { argocdSyncS: number; rolloutS: number; route53PropagationS: number };
}

/** Names of the apps of a side: `admin-aws`, then `admin-aws-2` … (one namespace each). */
export function fleetAppNames(side: 'aws' | 'gke', count: number): string[] {
  return Array.from({ length: Math.max(1, count) }, (_, i) =>
    i === 0 ? `admin-${side}` : `admin-${side}-${i + 1}`,
  );
}

export interface Sandbox {
  info: SandboxInfo;
  route53: Route53Emulator;
  eks: EksEmulator;
  gke: GkeEmulator;
  argocd: ArgoCdEmulator;
  apps: AppEndpoints;
  datadog: DatadogEmulator;
  prometheus: PrometheusEmulator;
  dns: DnsServer;
  /** Overrides a side's error rate (percent) in the metric emulators; undefined: follow the state. */
  setErrorRate(side: Side, percent: number | undefined): void;
  /**
   * A side's secret store: `failing` makes every ExternalSecret of its cluster fail to sync
   * (SecretSyncedError), `keys` only those reading these remote keys; `ok` (no argument) heals it.
   */
  setSecretStore(side: Side, state?: { failing?: boolean; keys?: string[] }): void;
  /** Installs or removes a CRD on a side's cluster ("group/version/Kind", e.g. external-secrets.io/v1beta1/ExternalSecret). */
  serveKind(side: Side, groupVersionKind: string, served: boolean): void;
  /** The Argo CD token the sandbox config's tokenEnv points at (also written to DIR/.env). */
  argocdToken: string;
  /** Environment the tool needs to talk to the sandbox (credentials; what DIR/.env holds). */
  env: Record<string, string>;
  outage(side: Side, on: boolean): void;
  outages(): Record<Side, boolean>;
  fault(service: ServiceName, kind: FaultKind, options?: { operation?: string; count?: number }): void;
  clearFaults(): void;
  /** Every request every emulator answered, in order. */
  requests(): RequestLogEntry[];
  clearRequests(): void;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const timings = { ...DEFAULT_TIMINGS, ...options.timings };
  const knobs = { latencyMs: timings.latencyMs, propagationDelayMs: timings.propagationMs };
  const awsOverlay = options.awsOverlay ?? 'overlays/aws';
  const gcpOverlay = options.gcpOverlay ?? 'overlays/gke';

  const started: { close(): Promise<void> }[] = [];
  try {
    const route53 = await startRoute53Emulator({
      knobs,
      ...(options.route53Throttling !== undefined ? { throttling: options.route53Throttling } : {}),
    });
    started.push(route53);
    const r53 = seedWriteupScenario(route53.model, { instances: options.instances ?? 1 });
    const dns = await startDnsServer({ route53 });
    started.push(dns);
    const eks = await startEksEmulator({ knobs: { latencyMs: timings.latencyMs } });
    started.push(eks);
    const eksSeed = seedWriteupEks(eks.model);
    const gke = await startGkeEmulator({ knobs: { latencyMs: timings.latencyMs } });
    started.push(gke);
    const gkeSeed = seedWriteupGke(gke.model);
    const appNames = {
      aws: fleetAppNames('aws', options.apps ?? 1),
      gke: fleetAppNames('gke', options.apps ?? 1),
    };
    const git = await createGitRemote({
      dir,
      ...(options.repoFrom ? { from: options.repoFrom } : {}),
      // A fleet's Application manifests live in git too (app of apps), so the tree shows them.
      ...((options.apps ?? 1) > 1
        ? { extraFiles: fleetApplicationFiles(appNames, awsOverlay, gcpOverlay) }
        : {}),
    });
    const argocdToken = `sandbox-${randomBytes(12).toString('hex')}`;
    const appSpec = (name: string, index: number, side: 'aws' | 'gke') => ({
      name,
      labels: { cloud: side === 'aws' ? 'aws' : 'gcp' },
      repoURL: git.remote,
      targetRevision: git.branch,
      path: side === 'aws' ? awsOverlay : gcpOverlay,
      autoSync: true,
      // Each side's cluster serves its own kinds; apps after the first get a namespace each.
      destination: {
        ...(side === 'aws'
          ? { name: 'aws-standby', server: 'https://aws-standby.cluster.invalid' }
          : { name: 'gke-primary', server: 'https://gke-primary.cluster.invalid' }),
        ...(index > 0 ? { namespace: `admin-${index + 1}` } : {}),
      },
    });
    // The apps' faults reach the pods through the Argo CD emulator's rollouts.
    const appsControl = new EmulatorControl('apps');
    const argocd = await startArgoCdEmulator({
      token: argocdToken,
      apps: [
        ...appNames.aws.map((name, i) => appSpec(name, i, 'aws')),
        ...appNames.gke.map((name, i) => appSpec(name, i, 'gke')),
      ],
      syncDurationMs: timings.syncMs ?? 300,
      rolloutMs: timings.rolloutMs,
      reconcileIntervalMs: timings.reconcileMs,
      knobs: { latencyMs: timings.latencyMs },
      startConverged: true,
      ...(timings.progressDeadlineMs ? { progressDeadlineMs: timings.progressDeadlineMs } : {}),
      ...(options.renderCacheDir || options.kustomizeBuildOptions
        ? {
            kustomize: {
              ...(options.renderCacheDir ? { cacheDir: options.renderCacheDir } : {}),
              ...(options.kustomizeBuildOptions ? { buildOptions: options.kustomizeBuildOptions } : {}),
            },
          }
        : {}),
      rolloutFault: (app, object) => rolloutFault(appsControl, app, object),
    });
    started.push(argocd);

    const down: Record<Side, boolean> = { gke: false, aws: false };
    const workloadsReady = (app: string) => {
      const deployments = argocd.model.workloads(app).filter((w) => w.kind === 'Deployment');
      return deployments.some((d) => (d.readyReplicas ?? 0) > 0);
    };
    const apps = await startAppEndpoints({
      control: appsControl,
      serving: (cloud) =>
        cloud === 'gcp' ? !down.gke && workloadsReady('admin-gke') : !down.aws && workloadsReady('admin-aws'),
      weights: () => {
        const split = route53.model.trafficSplit(r53.trafficPolicyInstanceIds[0]!) ?? [];
        const weight = (target: string) => split.find((s) => s.target === target)?.weight ?? 0;
        return { gcp: weight('gke'), aws: weight('aws') };
      },
    });
    started.push(apps);

    // What the metric emulators answer: a side that is down or has no ready workload fails every
    // request; a healthy one about 0.1 %. `failover sandbox errors` overrides a side.
    const errorOverride: Partial<Record<Side, number>> = {};
    const errorRate = (side: Side): number => {
      const forced = errorOverride[side];
      if (forced !== undefined) return forced;
      const serving = !down[side] && workloadsReady(side === 'gke' ? 'admin-gke' : 'admin-aws');
      return serving ? 0.1 + 0.02 * Math.sin(Date.now() / 7000) : 100;
    };
    const metricSide = (side: 'gcp' | 'aws') => errorRate(side === 'gcp' ? 'gke' : 'aws');
    const datadog = await startDatadogEmulator({
      errorRates: metricSide,
      knobs: { latencyMs: timings.latencyMs },
    });
    started.push(datadog);
    seedWriteupDatadog(datadog.model);
    const prometheus = await startPrometheusEmulator({
      errorRates: metricSide,
      knobs: { latencyMs: timings.latencyMs },
    });
    started.push(prometheus);
    const clusterOf = (side: Side) =>
      argocd.model.clusterProfile(side === 'gke' ? 'gke-primary' : 'aws-standby');
    const setSecretStore = (side: Side, state: { failing?: boolean; keys?: string[] } = {}) => {
      const store = clusterOf(side).secretStore;
      store.failing = state.failing === true;
      store.failingKeys = new Set(state.keys ?? []);
    };
    const serveKind = (side: Side, gvk: string, served: boolean) => {
      if (served) clusterOf(side).resources.add(gvk);
      else clusterOf(side).resources.delete(gvk);
    };
    const setErrorRate = (side: Side, percent: number | undefined) => {
      if (percent === undefined) delete errorOverride[side];
      else errorOverride[side] = percent;
    };

    const emulators: Record<ServiceName, { control: EmulatorControl }> = {
      route53,
      eks,
      gke,
      argocd,
      apps,
      datadog,
      prometheus,
    };
    const outage = (side: Side, on: boolean) => {
      down[side] = on;
      (side === 'gke' ? gke : eks).control.knobs.outage = on;
      route53.model.setHealthCheckHealthy(
        r53.healthCheckIds[side],
        !on,
        on ? `Failure: ${side} does not answer` : undefined,
      );
    };

    const control: RunningServer = await startHttpServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const body =
        req.method === 'POST' ? (JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>) : {};
      if (req.method === 'POST' && url.pathname === '/outage') {
        const side = body.side as Side;
        if (side !== 'gke' && side !== 'aws') return reply(400, { error: 'side must be gke or aws' });
        outage(side, body.on === true);
        return reply(200, { outages: { ...down } });
      }
      if (req.method === 'POST' && url.pathname === '/fault') {
        const service = body.service as ServiceName;
        if (!SERVICES.includes(service))
          return reply(400, { error: `service must be one of ${SERVICES.join(', ')}` });
        if (!SUPPORTED_FAULTS[service].includes(body.kind as FaultKind))
          return reply(400, {
            error: `${service} supports the faults ${SUPPORTED_FAULTS[service].join(', ')}`,
          });
        emulators[service].control.injectFault(body.kind as FaultKind, {
          ...(typeof body.operation === 'string' ? { operation: body.operation } : {}),
          ...(typeof body.count === 'number' ? { count: body.count } : {}),
        });
        return reply(200, { faults: emulators[service].control.listFaults() });
      }
      if (req.method === 'POST' && url.pathname === '/errors') {
        const side = body.side === 'gcp' ? 'gke' : (body.side as Side);
        if (side !== 'gke' && side !== 'aws') return reply(400, { error: 'side must be gcp or aws' });
        const percent = body.percent;
        if (percent !== 'auto' && !(typeof percent === 'number' && percent >= 0 && percent <= 100))
          return reply(400, { error: 'percent must be a number from 0 to 100, or auto' });
        setErrorRate(side, percent === 'auto' ? undefined : percent);
        return reply(200, { errors: { gcp: errorOverride.gke ?? 'auto', aws: errorOverride.aws ?? 'auto' } });
      }
      if (req.method === 'POST' && url.pathname === '/secret-store') {
        const side = body.side === 'gcp' ? 'gke' : (body.side as Side);
        if (side !== 'gke' && side !== 'aws') return reply(400, { error: 'side must be gcp or aws' });
        const keys = Array.isArray(body.keys) ? body.keys.map(String) : [];
        setSecretStore(side, { failing: body.failing === true && keys.length === 0, keys });
        const store = clusterOf(side).secretStore;
        return reply(200, { failing: store.failing, keys: [...store.failingKeys] });
      }
      if (req.method === 'POST' && url.pathname === '/clear') {
        for (const e of Object.values(emulators)) e.control.clearFaults();
        return reply(200, {});
      }
      if (req.method === 'GET' && url.pathname === '/requests') {
        const mutatingOnly = url.searchParams.get('mutating') === 'true';
        return reply(200, { requests: collect().filter((r) => !mutatingOnly || r.mutating) });
      }
      if (req.method === 'GET' && url.pathname === '/state') return reply(200, { outages: { ...down } });
      return reply(404, { error: `no route ${req.method} ${url.pathname}` });
    });
    started.push(control);

    const collect = () =>
      Object.values(emulators)
        .flatMap((e) => e.control.log.entries)
        .sort((a, b) => a.at.localeCompare(b.at));

    const configFile = join(dir, 'failover.config.yaml');
    const info: SandboxInfo = {
      dir,
      config: configFile,
      pid: process.pid,
      control: { endpoint: control.url },
      route53: {
        endpoint: route53.url,
        hostedZoneId: r53.hostedZoneId,
        trafficPolicyId: r53.trafficPolicyId,
        trafficPolicyInstanceIds: r53.trafficPolicyInstanceIds,
        trafficPolicyInstances: r53.trafficPolicyInstanceIds.map((id) => ({
          id,
          name: route53.model.getTrafficPolicyInstance(id).Name,
        })),
        healthCheckIds: r53.healthCheckIds,
        throttling: route53.rateLimit.current(),
      },
      eks: { endpoint: eks.url, cluster: eksSeed.cluster },
      gke: { endpoint: gke.endpoint, ...gkeSeed },
      git: { remote: git.remote, branch: git.branch, awsOverlay, gcpOverlay, head: git.head },
      argocd: { endpoint: argocd.url, apps: { aws: appNames.aws, gcp: appNames.gke } },
      apps: apps.urls,
      datadog: { endpoint: datadog.url },
      prometheus: { endpoint: prometheus.url },
      delays: {
        argocdSyncS: (timings.syncMs ?? 300) / 1000,
        rolloutS: timings.rolloutMs / 1000,
        route53PropagationS: timings.propagationMs / 1000,
      },
      dns: {
        host: dns.host,
        port: dns.port,
        addresses: {
          gcp: WRITEUP_DEFAULTS.gkeAddress,
          aws: aliasTargetAddress(WRITEUP_DEFAULTS.awsAlbDnsName),
        },
      },
    };
    const env = {
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      FAILOVER_SANDBOX_ARGOCD_TOKEN: argocdToken,
      FAILOVER_SANDBOX_DD_API_KEY: datadog.keys.apiKey,
      FAILOVER_SANDBOX_DD_APP_KEY: datadog.keys.appKey,
    };
    writeFileSync(
      configFile,
      sandboxConfigYaml(
        info,
        options.route53Mode ?? 'traffic-flow',
        r53.recordSet,
        options.kustomizeBuildOptions,
      ),
    );
    writeFileSync(
      join(dir, '.env'),
      `# Throwaway credentials of the sandbox in this folder; never real ones.\n${Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
      { mode: 0o600 },
    );
    writeFileSync(join(dir, 'sandbox.json'), `${JSON.stringify(info, null, 2)}\n`);

    return {
      info,
      route53,
      eks,
      gke,
      argocd,
      apps,
      datadog,
      prometheus,
      dns,
      setErrorRate,
      setSecretStore,
      serveKind,
      argocdToken,
      env,
      outage,
      outages: () => ({ ...down }),
      fault: (service, kind, opts) => {
        if (!SUPPORTED_FAULTS[service].includes(kind))
          throw new Error(`${service} supports the faults ${SUPPORTED_FAULTS[service].join(', ')}`);
        emulators[service].control.injectFault(kind, opts);
      },
      clearFaults: () => {
        for (const e of Object.values(emulators)) e.control.clearFaults();
      },
      requests: collect,
      clearRequests: () => {
        for (const e of Object.values(emulators)) e.control.log.clear();
      },
      close: async () => {
        await Promise.allSettled(started.reverse().map((s) => s.close()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.reverse().map((s) => s.close()));
    throw error;
  }
}
