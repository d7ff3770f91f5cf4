/**
 * Argo CD emulator: applications that track the sandbox git remote, render their Kustomize path,
 * roll workloads out over time, and report sync and health as Argo CD does (traps included), over
 * Argo CD's REST API on 127.0.0.1. See SPEC.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KustomizeSettings, locateKustomize } from '../../providers/kustomize/index.js';
import { EmulatorControl, type Knobs } from '../common/control.js';
import { startHttpServer } from '../common/http-server.js';
import { type ClusterProfile, defaultClusters } from './clusters.js';
import type { CronJobHealthModel } from './health.js';
import { type AppSpec, ArgoCdModel, type ModelOptions } from './model.js';
import { type ArgoCdAccess, createArgoCdHandler } from './server.js';

export type { ClusterProfile, NodeSpec, SecretStoreState } from './clusters.js';
export { apiVersionsOf, defaultClusters, eksCluster, gkeCluster, inCluster } from './clusters.js';
export type { CronJobHealthModel, HealthStatus, HealthStatusCode } from './health.js';
export { resourceHealth } from './health.js';
export type { AppSpec, SyncRequest, WorkloadSummary } from './model.js';
export { ArgoApiError, ArgoCdModel } from './model.js';
export { ARGOCD_VERSION } from './server.js';

export interface ArgoCdEmulatorOptions {
  /** The bearer token clients must present (an Argo CD account token). */
  token: string;
  apps: AppSpec[];
  /** Time for a Deployment to reach its desired ready count. Default 4000 ms. */
  rolloutMs?: number;
  /** Background reconcile period (Argo CD's timeout.reconciliation). Default 3000 ms; 0 = refresh only. */
  reconcileIntervalMs?: number;
  /** How long a sync operation stays Running after applying. Default 300 ms. */
  syncDurationMs?: number;
  /** Rollouts unfinished after this long report ProgressDeadlineExceeded (Degraded). Default 600 s. */
  progressDeadlineMs?: number;
  /**
   * The kustomize the repo-server runs and its build options (argocd-cm `kustomize.path`,
   * `kustomize.buildOptions`). Default: `kustomize`, else `kubectl`, on PATH; with neither the
   * emulator does not start (FO_KUSTOMIZE_E4001). `cacheDir`: builds kept there for other
   * processes (by tree; the CLI's render store format).
   */
  kustomize?: KustomizeSettings;
  /** Default 'argocd-3.2' (a suspended CronJob is Healthy). */
  cronJobHealth?: CronJobHealthModel;
  /** Start with every app synced and rolled out at its branch head. Default true. */
  startConverged?: boolean;
  /**
   * Applications that exist but that the token's RBAC policy does not let it see: they answer
   * 403 "permission denied" exactly like a name that does not exist. Changeable with `hideApp`.
   */
  hiddenApps?: string[];
  /**
   * Destination clusters: what each serves, its nodes, its secret store. Default: `in-cluster`
   * (serves every kind the emulator knows), `gke-primary` and `aws-standby` (see clusters.ts).
   */
  clusters?: ClusterProfile[];
  port?: number;
  knobs?: Partial<Knobs>;
  /** Injected pod faults for rollouts that start (the sandbox wires `fault apps …` here). */
  rolloutFault?: ModelOptions['rolloutFault'];
}

export interface ArgoCdEmulator {
  /** Base URL, e.g. http://127.0.0.1:PORT (the API is under /api/v1). */
  url: string;
  control: EmulatorControl;
  /** Switches (stallRollout, setAutoSync, reconcileNow) and the live workloads. */
  model: ArgoCdModel;
  /** Hides an application from the token (as an RBAC policy without `get` on it would), or shows it again. */
  hideApp(name: string, hidden?: boolean): void;
  close(): Promise<void>;
}

export async function startArgoCdEmulator(options: ArgoCdEmulatorOptions): Promise<ArgoCdEmulator> {
  if (!options.token) throw new Error('startArgoCdEmulator: a token is required');
  const kustomize = await locateKustomize(options.kustomize);
  const cacheDir = await mkdtemp(join(tmpdir(), 'argocd-emulator-'));
  const control = new EmulatorControl('argocd', options.knobs);
  const model = new ArgoCdModel({
    apps: options.apps,
    rolloutMs: options.rolloutMs ?? 4000,
    reconcileIntervalMs: options.reconcileIntervalMs ?? 3000,
    syncDurationMs: options.syncDurationMs ?? 300,
    progressDeadlineMs: options.progressDeadlineMs ?? 600_000,
    kustomize,
    cronJobHealth: options.cronJobHealth ?? 'argocd-3.2',
    startConverged: options.startConverged ?? true,
    cacheDir,
    ...(options.kustomize?.cacheDir ? { renderStore: options.kustomize.cacheDir } : {}),
    clusters: options.clusters ?? defaultClusters(),
    ...(options.rolloutFault ? { rolloutFault: options.rolloutFault } : {}),
  });
  try {
    await model.start();
    const access: ArgoCdAccess = { hidden: new Set(options.hiddenApps ?? []) };
    const server = await startHttpServer(
      createArgoCdHandler(model, control, options.token, access),
      options.port ?? 0,
    );
    return {
      url: server.url,
      control,
      model,
      hideApp: (name, hidden = true) => {
        if (hidden) access.hidden.add(name);
        else access.hidden.delete(name);
      },
      close: async () => {
        await server.close();
        await model.close();
        await rm(cacheDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await model.close();
    await rm(cacheDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The sandbox's applications on the demo GitOps remote: `admin-aws` (the standby overlay) and
 * `admin-gke` (the active one), both auto-synced. `includeAwsOnly` adds `preview-proxy-aws`, the
 * component that runs only on AWS.
 */
export function demoApps(
  repoURL: string,
  options: { branch?: string; includeAwsOnly?: boolean } = {},
): AppSpec[] {
  const branch = options.branch ?? 'main';
  const apps: AppSpec[] = [
    {
      name: 'admin-aws',
      labels: { cloud: 'aws' },
      repoURL,
      targetRevision: branch,
      path: 'overlays/aws',
      autoSync: true,
      destination: { name: 'aws-standby', server: 'https://aws-standby.cluster.invalid', namespace: 'admin' },
    },
    {
      name: 'admin-gke',
      labels: { cloud: 'gcp' },
      repoURL,
      targetRevision: branch,
      path: 'overlays/gke',
      autoSync: true,
      destination: { name: 'gke-primary', server: 'https://gke-primary.cluster.invalid', namespace: 'admin' },
    },
  ];
  if (options.includeAwsOnly) {
    apps.push({
      name: 'preview-proxy-aws',
      labels: { cloud: 'aws', scope: 'aws-only' },
      repoURL,
      targetRevision: branch,
      path: 'aws-only/preview-proxy',
      autoSync: true,
      destination: { name: 'aws-standby', server: 'https://aws-standby.cluster.invalid', namespace: 'admin' },
    });
  }
  return apps;
}
