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
import { clone, type KubeObject, splitApiVersion } from '../../providers/kustomize/types.js';
import {
  type AppRecord,
  type AppSpec,
  nowIso,
  type OperationState,
  type RunningOperation,
  type SyncRequest,
} from './app-record.js';
import type { ClusterProfile } from './clusters.js';
import { type CronJobHealthModel, resourceHealth } from './health.js';
import { crashLoop, LiveCluster, objectKey, type RolloutFault } from './live.js';
import { ComparisonError, RepoService } from './repo.js';
import { clusterJson, INVALID_TASKS_MESSAGE, invalidTasks, registerCrds } from './served-kinds.js';
import { resourceTree } from './tree.js';
import {
  appHealth,
  applicationJson,
  managedResourcesJson,
  resourceViews,
  sourceJson,
  type WorkloadSummary,
  workloadSummaries,
} from './views.js';

export type { AppSpec, ResourceView, SyncRequest } from './app-record.js';
export type { WorkloadSummary } from './views.js';

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
  /** Where builds are kept for other processes, by tree (the emulator's kustomize.cacheDir). */
  renderStore?: string;
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

const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Apps with nothing in motion are ticked on every QUIET_TICK_EVERY-th tick only … */
const QUIET_TICK_EVERY = 20;
/** … once this long has passed since their last apply (observedGeneration catches up a pass later). */
const QUIET_AFTER_MS = 2000;

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
    this.repo = new RepoService(options.cacheDir, options.kustomize, options.renderStore);
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
    return workloadSummaries(this.app(name));
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
      .map((app) => applicationJson(app, this.options.cronJobHealth));
  }

  async getApplication(name: string, refresh?: 'normal' | 'hard'): Promise<Record<string, unknown>> {
    const app = this.app(name);
    // ?refresh blocks until the controller has reconciled the app.
    if (refresh) await this.track(this.reconcile(app, { hard: refresh === 'hard', autoSync: true }));
    return applicationJson(app, this.options.cronJobHealth);
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
    return applicationJson(app, this.options.cronJobHealth);
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
    return managedResourcesJson(this.app(name), this.options.cronJobHealth);
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
    const views = resourceViews(app, this.options.cronJobHealth);
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
        state.syncResult = { resources: invalid.map((t) => ({ ...t })), revision, source: sourceJson(app) };
        finish('Failed', INVALID_TASKS_MESSAGE);
        if (!this.closed) await this.reconcile(app, { hard: false, autoSync: false });
        return;
      }
      if (!request.dryRun) registerCrds(app.cluster, selected);
      const results = this.applyAll(app, selected, desired, request.prune === true, request.dryRun === true);
      state.message = 'one or more tasks are running';
      state.syncResult = { resources: results, revision, source: sourceJson(app) };
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
          source: sourceJson(app),
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
          source: sourceJson(app),
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
      syncResult: { resources: [], revision: compared.revision, source: sourceJson(app) },
    };
    app.history.push({
      id: 0,
      revision: compared.revision,
      deployedAt: at,
      deployStartedAt: at,
      source: sourceJson(app),
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

  private updateHealthTransition(app: AppRecord): void {
    const status = appHealth(resourceViews(app, this.options.cronJobHealth));
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
}
