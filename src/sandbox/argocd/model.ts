/**
 * The Argo CD emulator's state machine: applications that track a git remote, a reconcile loop that
 * compares the rendered target state with the live state, sync operations (manual and automated),
 * and the live workloads rolling out over time. The HTTP layer (server.ts) only translates.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  isClusterScoped,
  type KustomizeTool,
  matchesLabelSelector,
} from '../../providers/kustomize/index.js';
import {
  clone,
  deepEqual,
  isMap,
  type KubeObject,
  splitApiVersion,
} from '../../providers/kustomize/types.js';
import type { ClusterProfile } from './clusters.js';
import {
  type CronJobHealthModel,
  type HealthStatus,
  type HealthStatusCode,
  isWorse,
  resourceHealth,
} from './health.js';
import { crashLoop, LiveCluster, type LiveEntry, objectKey, type RolloutFault } from './live.js';
import { ComparisonError, RepoService } from './repo.js';
import { clusterJson, INVALID_TASKS_MESSAGE, invalidTasks, registerCrds } from './served-kinds.js';
import { imagesOf, resourceTree } from './tree.js';

export interface AppSpec {
  name: string;
  labels?: Record<string, string>;
  /** The git remote: a local (bare) repository path or file:// URL. */
  repoURL: string;
  /** Branch (or tag, sha, HEAD) to track. */
  targetRevision: string;
  /** Directory inside the repository holding the kustomization. */
  path: string;
  /** spec.syncPolicy.automated; default false (manual sync), as in Argo CD. */
  autoSync?: boolean;
  /** automated.selfHeal: re-sync when the live state drifts at an already synced revision. */
  selfHeal?: boolean;
  /** automated.prune: delete live resources no longer in git when auto-syncing. */
  prune?: boolean;
  project?: string;
  destination?: { server?: string; name?: string; namespace?: string };
}

export interface ModelOptions {
  apps: AppSpec[];
  rolloutMs: number;
  reconcileIntervalMs: number;
  /** How long a sync operation stays Running after applying (kubectl apply and hooks). */
  syncDurationMs: number;
  progressDeadlineMs: number;
  /** The kustomize the repo-server runs (located when the emulator starts). */
  kustomize: KustomizeTool;
  cronJobHealth: CronJobHealthModel;
  /** Start with every app synced and rolled out at its branch head (a cluster that has been running). */
  startConverged: boolean;
  cacheDir: string;
  /** Destination clusters (what each serves, its nodes, its secret store); see clusters.ts. */
  clusters: ClusterProfile[];
  /** Injected pod faults for rollouts that start in an app (the sandbox's `fault apps …`). */
  rolloutFault?: (app: string, object: KubeObject) => RolloutFault | undefined;
}

/** An error the API answers with: HTTP status plus the gRPC code grpc-gateway puts in the body. */
export class ArgoApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ArgoApiError';
  }
}

export interface SyncRequest {
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  resources?: { group?: string; kind: string; name: string; namespace?: string }[];
}

interface RunningOperation {
  request: SyncRequest & { automated: boolean };
  json: Record<string, unknown>;
  terminating: boolean;
}

interface OperationState {
  operation: Record<string, unknown>;
  phase: 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';
  message: string;
  startedAt: string;
  finishedAt?: string;
  syncResult?: { resources: Record<string, unknown>[]; revision: string; source: Record<string, unknown> };
}

interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: Record<string, unknown>;
  initiatedBy: Record<string, unknown>;
}

interface AppRecord {
  spec: AppSpec;
  automated: boolean;
  createdAt: string;
  uid: string;
  live: LiveCluster;
  compared?: { revision: string; desired: KubeObject[] };
  comparisonError?: { message: string; at: string };
  /** Auto-sync skipped because the last attempt at this revision failed (Argo CD's SyncError condition). */
  syncError?: { message: string; at: string };
  /** The destination cluster. */
  cluster: ClusterProfile;
  reconciledAt?: string;
  operation?: RunningOperation;
  operationState?: OperationState;
  history: HistoryEntry[];
  /** The revision the last automated sync went to (Argo CD auto-syncs each revision once). */
  lastAutoSyncRevision?: string;
  stalled: boolean;
  /** When a sync last applied to the live state (the next controller passes still change it). */
  changedAt: number;
  health?: { status: HealthStatusCode; since: string };
  lock: Promise<unknown>;
  reconciling: boolean;
}

export interface ResourceView {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: 'Synced' | 'OutOfSync';
  health?: HealthStatus;
  requiresPruning?: boolean;
  target?: KubeObject;
  live?: LiveEntry;
}

/** What `model.workloads(app)` reports about each Deployment and CronJob in the live cluster. */
export interface WorkloadSummary {
  kind: string;
  name: string;
  namespace: string | undefined;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  suspend?: boolean;
  /** Why new pods cannot start: the scheduler's reason (Unschedulable) or the kubelet's. */
  blocked?: { reason: string; message: string };
}

const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Apps with nothing in motion are ticked on every QUIET_TICK_EVERY-th tick only … */
const QUIET_TICK_EVERY = 20;
/** … once this long has passed since their last apply (observedGeneration catches up a pass later). */
const QUIET_AFTER_MS = 2000;

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isSubset(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      desired.length === live.length &&
      desired.every((item, i) => isSubset(item, live[i]))
    );
  }
  if (isMap(desired)) {
    return isMap(live) && Object.entries(desired).every(([key, value]) => isSubset(value, live[key]));
  }
  // Argo CD normalizes numbers and strings the way the API server does; equal text is equal here.
  return (
    desired === live || (desired !== undefined && live !== undefined && String(desired) === String(live))
  );
}

export class ArgoCdModel {
  private readonly apps = new Map<string, AppRecord>();
  private readonly repo: RepoService;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly sleepers = new Set<AbortController>();
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;
  private ticks = 0;
  private readonly startedAt = nowIso();

  constructor(private readonly options: ModelOptions) {
    this.repo = new RepoService(options.cacheDir, options.kustomize);
    for (const spec of options.apps) {
      if (this.apps.has(spec.name)) throw new Error(`duplicate application ${spec.name}`);
      const cluster = this.destinationCluster(spec);
      this.apps.set(spec.name, {
        spec: { ...spec },
        cluster,
        automated: spec.autoSync === true,
        createdAt: nowIso(),
        uid: crypto.randomUUID(),
        live: new LiveCluster({
          rolloutMs: options.rolloutMs,
          progressDeadlineMs: options.progressDeadlineMs,
          ...(options.rolloutFault
            ? { rolloutFault: (object: KubeObject) => options.rolloutFault?.(spec.name, object) }
            : {}),
          loadBalancerHostname: (object) =>
            `k8s-${object.metadata.namespace ?? 'default'}-${object.metadata.name}.${spec.name}.lb.sandbox.invalid`,
          cluster,
        }),
        history: [],
        stalled: false,
        changedAt: 0,
        lock: Promise.resolve(),
        reconciling: false,
      });
    }
  }

  /** Loads every app (and, with startConverged, deploys it) and starts the controller loops. */
  async start(): Promise<void> {
    await Promise.all(
      [...this.apps.values()].map(async (app) => {
        await this.reconcile(app, { hard: false, autoSync: !this.options.startConverged });
        if (this.options.startConverged && app.compared) this.deployConverged(app, app.compared);
      }),
    );
    const tickMs = Math.min(250, Math.max(10, Math.floor(this.options.rolloutMs / 10)));
    this.timers.push(setInterval(() => this.tick(), tickMs));
    if (this.options.reconcileIntervalMs > 0) {
      this.timers.push(setInterval(() => this.reconcileAllInBackground(), this.options.reconcileIntervalMs));
    }
    for (const timer of this.timers) timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const sleeper of this.sleepers) sleeper.abort();
    await Promise.allSettled([...this.inflight]);
  }

  // --- switches for tests and the sandbox --------------------------------------------------------

  /** A rollout that never finishes: ready replicas stop one below the desired count. */
  stallRollout(name: string, stalled = true): void {
    this.app(name).stalled = stalled;
  }

  /** Turns spec.syncPolicy.automated on or off. */
  setAutoSync(name: string, enabled: boolean): void {
    this.app(name).automated = enabled;
  }

  /** Runs a reconcile (compare, and auto-sync where enabled) of one app or all, now. */
  async reconcileNow(name?: string): Promise<void> {
    const apps = name ? [this.app(name)] : [...this.apps.values()];
    await Promise.all(apps.map((app) => this.track(this.reconcile(app, { hard: false, autoSync: true }))));
  }

  /** Live objects of the app's destination cluster (copies). */
  liveObjects(name: string): KubeObject[] {
    return this.app(name)
      .live.list()
      .map((entry) => clone(entry.object));
  }

  /** Deployments and CronJobs as they run now. */
  workloads(name: string): WorkloadSummary[] {
    return this.app(name)
      .live.list()
      .filter((e) => ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'].includes(e.object.kind))
      .map((entry) => {
        const { object } = entry;
        const spec = (object.spec ?? {}) as Record<string, unknown>;
        const status = (object.status ?? {}) as Record<string, unknown>;
        const summary: WorkloadSummary = {
          kind: object.kind,
          name: object.metadata.name,
          namespace: object.metadata.namespace,
        };
        if (object.kind === 'DaemonSet') {
          summary.replicas = Number(status.desiredNumberScheduled ?? 0);
          summary.readyReplicas = Number(status.numberReady ?? 0);
          summary.availableReplicas = Number(status.numberAvailable ?? 0);
          summary.updatedReplicas = Number(status.updatedNumberScheduled ?? 0);
        } else if (object.kind === 'Deployment' || object.kind === 'StatefulSet') {
          summary.replicas = Number(spec.replicas ?? 1);
          summary.readyReplicas = Number(status.readyReplicas ?? 0);
          summary.availableReplicas = Number(status.availableReplicas ?? 0);
          summary.updatedReplicas = Number(status.updatedReplicas ?? 0);
        }
        if (entry.blocked) summary.blocked = { reason: entry.blocked.reason, message: entry.blocked.message };
        if (object.kind === 'CronJob') {
          summary.suspend = spec.suspend === true;
        }
        return summary;
      });
  }

  /**
   * A destination cluster by name or server, to change what it serves (`resources`), its nodes or
   * its secret store (`secretStore.failing`, `secretStore.failingKeys`) while the emulator runs.
   */
  clusterProfile(nameOrServer: string): ClusterProfile {
    const found = this.options.clusters.find((c) => c.name === nameOrServer || c.server === nameOrServer);
    if (!found) throw new Error(`no destination cluster ${nameOrServer}`);
    return found;
  }

  /** argocd-server's Cluster for `GET /api/v1/clusters/{id.value}` (id.type server or name). */
  cluster(value: string, type: 'server' | 'name'): Record<string, unknown> | undefined {
    const profile = this.options.clusters.find((c) => (type === 'name' ? c.name : c.server) === value);
    if (!profile) return undefined;
    const count = [...this.apps.values()].filter((a) => a.cluster === profile).length;
    return clusterJson(profile, count, this.startedAt);
  }

  appNames(): string[] {
    return [...this.apps.keys()];
  }

  // --- API operations ----------------------------------------------------------------------------

  listApplications(query: { selector?: string; name?: string } = {}): Record<string, unknown>[] {
    return [...this.apps.values()]
      .filter((app) => !query.name || app.spec.name === query.name)
      .filter((app) => !query.selector || matchesLabelSelector(app.spec.labels, query.selector))
      .map((app) => this.toApplication(app));
  }

  async getApplication(name: string, refresh?: 'normal' | 'hard'): Promise<Record<string, unknown>> {
    const app = this.app(name);
    // ?refresh blocks until the controller has reconciled the app.
    if (refresh) await this.track(this.reconcile(app, { hard: refresh === 'hard', autoSync: true }));
    return this.toApplication(app);
  }

  sync(name: string, request: SyncRequest): Record<string, unknown> {
    const app = this.app(name);
    if (app.operation) throw new ArgoApiError(400, 9, 'another operation is already in progress');
    if (
      app.automated &&
      request.revision &&
      request.revision !== app.spec.targetRevision &&
      request.revision !== app.compared?.revision
    ) {
      throw new ArgoApiError(
        400,
        9,
        `Cannot sync to ${request.revision}: auto-sync currently set to ${app.spec.targetRevision}`,
      );
    }
    this.startOperation(app, { ...request, automated: false });
    return this.toApplication(app);
  }

  terminateOperation(name: string): void {
    const app = this.app(name);
    if (!app.operation || !app.operationState) {
      // argocd-server answers InvalidArgument here (not FailedPrecondition).
      throw new ArgoApiError(400, 3, 'Unable to terminate operation. No operation is in progress');
    }
    app.operation.terminating = true;
    app.operationState.phase = 'Terminating';
  }

  resourceTree(name: string): Record<string, unknown> {
    const app = this.app(name);
    return resourceTree(
      app.live.list(),
      (object) => resourceHealth(object, this.options.cronJobHealth),
      (entry) => crashLoop(entry, Date.now(), this.options.rolloutMs),
    );
  }

  managedResources(name: string): Record<string, unknown> {
    const app = this.app(name);
    return {
      items: this.resourceViews(app).map((view) => {
        const liveJson = view.live ? JSON.stringify(view.live.object) : 'null';
        return {
          group: view.group,
          version: view.version,
          kind: view.kind,
          namespace: view.namespace,
          name: view.name,
          targetState: view.target ? JSON.stringify(view.target) : 'null',
          liveState: liveJson,
          normalizedLiveState: liveJson,
          predictedLiveState: view.target ? JSON.stringify(view.target) : 'null',
          hook: false,
          modified: view.status === 'OutOfSync',
          resourceVersion: view.live?.object.metadata.resourceVersion ?? '',
        };
      }),
    };
  }

  // --- the controller ----------------------------------------------------------------------------

  private app(name: string): AppRecord {
    const app = this.apps.get(name);
    if (!app) throw new ArgoApiError(404, 5, `applications.argoproj.io "${name}" not found`);
    return app;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    const done = () => this.inflight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** Runs `fn` after everything queued on the app before it: one reconcile or apply at a time. */
  private withLock<T>(app: AppRecord, fn: () => Promise<T>): Promise<T> {
    const run = app.lock.then(fn, fn);
    app.lock = run.catch(() => undefined);
    return run;
  }

  private async sleep(ms: number): Promise<void> {
    if (this.closed || ms <= 0) return;
    const controller = new AbortController();
    this.sleepers.add(controller);
    try {
      await delay(ms, undefined, { signal: controller.signal, ref: false });
    } catch {
      // aborted by close()
    } finally {
      this.sleepers.delete(controller);
    }
  }

  private tick(): void {
    const now = Date.now();
    this.ticks += 1;
    const sweep = this.ticks % QUIET_TICK_EVERY === 0;
    for (const app of this.apps.values()) {
      // A fleet has hundreds of apps: one with nothing rolling out and no recent apply is looked
      // at only on every QUIET_TICK_EVERY-th tick (its state does not change between them).
      if (!sweep && !app.live.inMotion() && now - app.changedAt > QUIET_AFTER_MS) continue;
      app.live.tick(now, app.stalled);
      this.updateHealthTransition(app);
    }
  }

  private reconcileAllInBackground(): void {
    for (const app of this.apps.values()) {
      if (app.reconciling || this.closed) continue;
      void this.track(this.reconcile(app, { hard: false, autoSync: true })).catch(() => undefined);
    }
  }

  /** Resolves the tracked revision, renders it, records the comparison, and auto-syncs if due. */
  private reconcile(app: AppRecord, options: { hard: boolean; autoSync: boolean }): Promise<void> {
    return this.withLock(app, async () => {
      if (this.closed) return;
      app.reconciling = true;
      try {
        const { repoURL, targetRevision, path } = app.spec;
        if (options.hard) this.repo.invalidate(repoURL);
        const revision = await this.repo.resolve(repoURL, targetRevision);
        const desired = this.prepare(app, await this.repo.render(repoURL, revision, path));
        app.compared = { revision, desired };
        app.comparisonError = undefined;
      } catch (error) {
        if (this.closed) return;
        const message = error instanceof Error ? error.message : String(error);
        app.comparisonError = {
          message: error instanceof ComparisonError ? message : `rpc error: code = Unknown desc = ${message}`,
          at: nowIso(),
        };
      } finally {
        app.reconciling = false;
      }
      app.reconciledAt = nowIso();
      this.updateHealthTransition(app);
      if (options.autoSync) this.maybeAutoSync(app);
    });
  }

  /** Argo CD's automated sync policy. */
  private maybeAutoSync(app: AppRecord): void {
    if (!app.automated || app.operation || app.comparisonError || !app.compared) return;
    const views = this.resourceViews(app);
    const outOfSync = views.filter((v) => v.status === 'OutOfSync');
    if (outOfSync.length === 0) return;
    // "Skipping sync attempt: need to prune extra resources only but automated prune is disabled"
    if (!app.spec.prune && outOfSync.every((v) => v.requiresPruning)) return;
    // Each revision is auto-synced once; drift at that revision only re-syncs with selfHeal. A
    // failed attempt is never retried at the same revision (controller/appcontroller.go autoSync).
    if (app.lastAutoSyncRevision === app.compared.revision) {
      const phase = app.operationState?.phase;
      if (phase === 'Failed' || phase === 'Error') {
        app.syncError ??= {
          message: `Failed last sync attempt to [${app.compared.revision}]: ${app.operationState?.message ?? ''}`,
          at: nowIso(),
        };
        return;
      }
      if (!app.spec.selfHeal) return;
    }
    app.syncError = undefined;
    app.lastAutoSyncRevision = app.compared.revision;
    this.startOperation(app, {
      revision: app.compared.revision,
      prune: app.spec.prune === true,
      automated: true,
    });
  }

  private startOperation(app: AppRecord, request: SyncRequest & { automated: boolean }): void {
    const operationJson: Record<string, unknown> = {
      sync: {
        revision: request.revision ?? app.spec.targetRevision,
        prune: request.prune === true,
        dryRun: request.dryRun === true,
        syncStrategy: { hook: {} },
        ...(request.resources ? { resources: request.resources } : {}),
      },
      initiatedBy: request.automated ? { automated: true } : { username: 'admin' },
      retry: {},
    };
    app.operation = { request, json: operationJson, terminating: false };
    app.operationState = {
      operation: operationJson,
      phase: 'Running',
      message: 'waiting for the sync to start',
      startedAt: nowIso(),
    };
    void this.track(this.runOperation(app, app.operation));
  }

  private async runOperation(app: AppRecord, operation: RunningOperation): Promise<void> {
    const state = app.operationState!;
    const finish = (phase: OperationState['phase'], message: string) => {
      state.phase = phase;
      state.message = message;
      state.finishedAt = nowIso();
      app.operation = undefined;
    };
    try {
      const { request } = operation;
      const { repoURL, path } = app.spec;
      const { revision, desired } = await this.withLock(app, async () => {
        const revision = await this.repo.resolve(repoURL, request.revision ?? app.spec.targetRevision);
        return { revision, desired: this.prepare(app, await this.repo.render(repoURL, revision, path)) };
      });
      if (this.closed) return;
      if (operation.terminating) return finish('Failed', 'Operation terminated');
      const selected = request.resources
        ? desired.filter((object) =>
            request.resources!.some(
              (r) =>
                r.kind === object.kind &&
                r.name === object.metadata.name &&
                (r.group ?? '') === splitApiVersion(object.apiVersion).group &&
                (!r.namespace || r.namespace === object.metadata.namespace),
            ),
          )
        : desired;
      // Validation before anything is applied: a kind the destination does not serve fails the
      // whole operation, with Argo CD's message per resource.
      const invalid = invalidTasks(app.cluster, selected);
      if (invalid.length > 0) {
        state.syncResult = { resources: invalid.map((t) => ({ ...t })), revision, source: this.source(app) };
        finish('Failed', INVALID_TASKS_MESSAGE);
        if (!this.closed) await this.reconcile(app, { hard: false, autoSync: false });
        return;
      }
      if (!request.dryRun) registerCrds(app.cluster, selected);
      const results = this.applyAll(app, selected, desired, request.prune === true, request.dryRun === true);
      state.message = 'one or more tasks are running';
      state.syncResult = { resources: results, revision, source: this.source(app) };
      await this.sleep(this.options.syncDurationMs);
      if (this.closed) return;
      if (operation.terminating) return finish('Failed', 'Operation terminated');
      finish(
        'Succeeded',
        request.dryRun ? 'successfully synced (dry run)' : 'successfully synced (all tasks run)',
      );
      if (!request.dryRun) {
        app.history.push({
          id: app.history.length,
          revision,
          deployedAt: state.finishedAt!,
          deployStartedAt: state.startedAt,
          source: this.source(app),
          initiatedBy: operation.json.initiatedBy as Record<string, unknown>,
        });
      }
    } catch (error) {
      if (this.closed) return;
      finish('Error', error instanceof Error ? error.message : String(error));
    }
    // Argo CD refreshes the app once an operation completed.
    if (!this.closed) await this.reconcile(app, { hard: false, autoSync: false });
  }

  /** kubectl apply of the selected manifests (and deletion of extra resources when pruning). */
  private applyAll(
    app: AppRecord,
    selected: KubeObject[],
    desired: KubeObject[],
    prune: boolean,
    dryRun: boolean,
  ): Record<string, unknown>[] {
    const now = Date.now();
    const results: Record<string, unknown>[] = [];
    const describe = (object: KubeObject) => {
      const { group, version } = splitApiVersion(object.apiVersion);
      return {
        group,
        version,
        kind: object.kind,
        namespace: object.metadata.namespace ?? '',
        name: object.metadata.name,
      };
    };
    for (const object of selected) {
      const outcome = dryRun ? 'configured (dry run)' : app.live.apply(object, now);
      const resource = `${object.kind.toLowerCase()}${splitApiVersion(object.apiVersion).group ? `.${splitApiVersion(object.apiVersion).group}` : ''}/${object.metadata.name}`;
      results.push({
        ...describe(object),
        status: 'Synced',
        message: `${resource} ${outcome}`,
        hookPhase: 'Running',
        syncPhase: 'Sync',
      });
    }
    const wanted = new Set(desired.map(objectKey));
    for (const entry of app.live.list()) {
      const key = objectKey(entry.object);
      if (wanted.has(key)) continue;
      if (prune) {
        if (!dryRun) app.live.delete(key);
        results.push({ ...describe(entry.object), status: 'Pruned', message: 'pruned', syncPhase: 'Sync' });
      } else {
        results.push({
          ...describe(entry.object),
          status: 'PruneSkipped',
          message: 'ignored (requires pruning)',
          syncPhase: 'Sync',
        });
      }
    }
    if (!dryRun) {
      app.changedAt = now;
      app.live.tick(now, app.stalled);
    }
    return results;
  }

  /** The state at startup: applied, fully rolled out, and recorded as an automated sync. */
  private deployConverged(app: AppRecord, compared: { revision: string; desired: KubeObject[] }): void {
    const now = Date.now();
    const at = nowIso();
    const operation = {
      sync: { revision: compared.revision, prune: false, dryRun: false, syncStrategy: { hook: {} } },
      initiatedBy: { automated: true },
      retry: {},
    };
    // A render the destination cannot serve never synced: the app starts with that failed sync.
    const invalid = invalidTasks(app.cluster, compared.desired);
    if (invalid.length > 0) {
      app.operationState = {
        operation,
        phase: 'Failed',
        message: INVALID_TASKS_MESSAGE,
        startedAt: at,
        finishedAt: at,
        syncResult: {
          resources: invalid.map((t) => ({ ...t })),
          revision: compared.revision,
          source: this.source(app),
        },
      };
      app.lastAutoSyncRevision = compared.revision;
      this.updateHealthTransition(app);
      return;
    }
    registerCrds(app.cluster, compared.desired);
    for (const object of compared.desired) app.live.apply(object, now);
    app.live.settle(now);
    app.changedAt = now;
    app.operationState = {
      operation,
      phase: 'Succeeded',
      message: 'successfully synced (all tasks run)',
      startedAt: at,
      finishedAt: at,
      syncResult: { resources: [], revision: compared.revision, source: this.source(app) },
    };
    app.history.push({
      id: 0,
      revision: compared.revision,
      deployedAt: at,
      deployStartedAt: at,
      source: this.source(app),
      initiatedBy: { automated: true },
    });
    app.lastAutoSyncRevision = compared.revision;
    this.updateHealthTransition(app);
  }

  /** Target manifests as Argo CD applies them: default namespace and the tracking annotation. */
  private prepare(app: AppRecord, objects: KubeObject[]): KubeObject[] {
    const namespace = app.spec.destination?.namespace;
    return objects.map((original) => {
      const object = clone(original);
      if (!object.metadata.namespace && namespace && !isClusterScoped(object.kind)) {
        object.metadata.namespace = namespace;
      }
      const { group } = splitApiVersion(object.apiVersion);
      object.metadata.annotations = {
        ...object.metadata.annotations,
        [TRACKING_ANNOTATION]: `${app.spec.name}:${group}/${object.kind}:${object.metadata.namespace ?? ''}/${object.metadata.name}`,
      };
      return object;
    });
  }

  private resourceViews(app: AppRecord): ResourceView[] {
    const views: ResourceView[] = [];
    const desired = app.compared?.desired ?? [];
    const wanted = new Set<string>();
    for (const target of desired) {
      const key = objectKey(target);
      wanted.add(key);
      const live = app.live.get(key);
      const { group, version } = splitApiVersion(target.apiVersion);
      // Three-way, like Argo CD with client-side apply: every field of the target must be live, and
      // the last applied manifest must be this one (otherwise a field removed from git would not count).
      const synced =
        live !== undefined && deepEqual(live.applied, target) && isSubset(withoutStatus(target), live.object);
      views.push({
        group,
        version,
        kind: target.kind,
        namespace: target.metadata.namespace ?? '',
        name: target.metadata.name,
        status: synced ? 'Synced' : 'OutOfSync',
        health: live ? resourceHealth(live.object, this.options.cronJobHealth) : { status: 'Missing' },
        target,
        live,
      });
    }
    for (const live of app.live.list()) {
      if (wanted.has(objectKey(live.object))) continue;
      const { group, version } = splitApiVersion(live.object.apiVersion);
      views.push({
        group,
        version,
        kind: live.object.kind,
        namespace: live.object.metadata.namespace ?? '',
        name: live.object.metadata.name,
        status: 'OutOfSync',
        requiresPruning: true,
        health: resourceHealth(live.object, this.options.cronJobHealth),
        live,
      });
    }
    return views;
  }

  private appHealth(views: ResourceView[]): HealthStatusCode {
    let worst: HealthStatusCode = 'Healthy';
    for (const view of views) {
      if (view.health && isWorse(worst, view.health.status)) worst = view.health.status;
    }
    return worst;
  }

  private updateHealthTransition(app: AppRecord): void {
    const status = this.appHealth(this.resourceViews(app));
    if (app.health?.status !== status) app.health = { status, since: nowIso() };
  }

  /** The cluster an app's destination names (by name, else server; none: in-cluster). */
  private destinationCluster(spec: AppSpec): ClusterProfile {
    const { name, server } = spec.destination ?? {};
    const clusters = this.options.clusters;
    const found = name
      ? clusters.find((c) => c.name === name)
      : clusters.find((c) => c.server === (server ?? 'https://kubernetes.default.svc'));
    if (found) return found;
    const fallback = clusters.find((c) => c.server === 'https://kubernetes.default.svc') ?? clusters[0];
    if (!fallback) throw new Error(`application ${spec.name}: no destination cluster`);
    return fallback;
  }

  private source(app: AppRecord): Record<string, unknown> {
    return { repoURL: app.spec.repoURL, path: app.spec.path, targetRevision: app.spec.targetRevision };
  }

  private destination(app: AppRecord): Record<string, unknown> {
    const destination = app.spec.destination ?? {};
    return {
      ...(destination.name
        ? { name: destination.name }
        : { server: destination.server ?? 'https://kubernetes.default.svc' }),
      ...(destination.server && destination.name ? { server: destination.server } : {}),
      ...(destination.namespace ? { namespace: destination.namespace } : {}),
    };
  }

  private toApplication(app: AppRecord): Record<string, unknown> {
    const views = this.resourceViews(app);
    const outOfSync = views.some((v) => v.status === 'OutOfSync');
    const syncStatus = app.comparisonError || !app.compared ? 'Unknown' : outOfSync ? 'OutOfSync' : 'Synced';
    const healthStatus = this.appHealth(views);
    const spec = app.spec;
    const syncPolicy = app.automated
      ? { automated: { prune: spec.prune === true, selfHeal: spec.selfHeal === true } }
      : {};
    const status: Record<string, unknown> = {
      resources: views.map((view) => ({
        group: view.group,
        version: view.version,
        kind: view.kind,
        namespace: view.namespace,
        name: view.name,
        status: view.status,
        ...(view.health ? { health: view.health } : {}),
        ...(view.requiresPruning ? { requiresPruning: true } : {}),
      })),
      sync: {
        status: syncStatus,
        comparedTo: { source: this.source(app), destination: this.destination(app) },
        ...(app.compared ? { revision: app.compared.revision } : {}),
      },
      health: { status: healthStatus, ...(app.health ? { lastTransitionTime: app.health.since } : {}) },
      history: app.history,
      reconciledAt: app.reconciledAt,
      sourceType: 'Kustomize',
      summary: { images: [...new Set(app.live.list().flatMap((e) => imagesOf(e.object)))].sort() },
      controllerNamespace: 'argocd',
    };
    if (app.operationState) status.operationState = app.operationState;
    const conditions: Record<string, unknown>[] = [];
    if (app.comparisonError) {
      conditions.push({
        type: 'ComparisonError',
        message: app.comparisonError.message,
        lastTransitionTime: app.comparisonError.at,
      });
    }
    if (app.syncError) {
      conditions.push({
        type: 'SyncError',
        message: app.syncError.message,
        lastTransitionTime: app.syncError.at,
      });
    }
    if (conditions.length > 0) status.conditions = conditions;
    const application: Record<string, unknown> = {
      metadata: {
        name: spec.name,
        namespace: 'argocd',
        uid: app.uid,
        creationTimestamp: app.createdAt,
        labels: spec.labels ?? {},
      },
      spec: {
        project: spec.project ?? 'default',
        source: this.source(app),
        destination: this.destination(app),
        syncPolicy,
      },
      status,
    };
    if (app.operation) application.operation = app.operation.json;
    return structuredClone(application);
  }
}

function withoutStatus(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = object;
  return rest as KubeObject;
}
