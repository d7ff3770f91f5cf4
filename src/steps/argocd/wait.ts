/**
 * argocd.wait: refresh a side's Argo CD apps, optionally sync them, and wait until each reports the
 * wanted revision, Synced, no operation in flight, and its workloads really in the expected state
 * (ready replicas or scaled to zero, CronJobs active or suspended), read from the live manifests.
 * Synced + Healthy alone proves nothing: Argo CD calls the whole standby Healthy.
 *
 * Read-only kind: the only write is the optional sync, made through ctx.write in apply(). The wait
 * ends with the runbook's step timeout (ctx.signal); the error then names every app and resource
 * still not ready.
 */

import { FailoverError, invalidInput, stepFailed } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import type { Change, StepPlan } from '../../engine/plan.js';
import { describePodProblems } from '../../providers/argocd/pods.js';
import type { AppState, PodProblem } from '../../providers/argocd/port.js';
import { formatMs } from '../../util/duration.js';
import { z } from '../../util/zod.js';
import { type ApplyContext, defineStep, type PlanContext, type StepResult } from '../types.js';
import {
  type AppVerdict,
  alwaysOn,
  EXPECTATIONS,
  type Expectation,
  GOAL,
  type JudgeContext,
  judgeSide,
  SHA,
  sameRevision,
  shortRevision,
  syncedAsGitWants,
} from './condition.js';
import { type DesiredIndex, describeWorkload, desiredWorkloads, dormantAsRendered } from './desired.js';

const Input = z.strictObject({
  /** Which side's apps (argocd.awsApps / argocd.gcpApps). */
  role: z.enum(['aws', 'gcp']),
  expect: z.enum(EXPECTATIONS),
  /** The commit the apps must report as sync.revision, usually `${{ steps.activate-aws.outputs.commit }}`. */
  revision: z.string().min(1).optional(),
  /** Trigger a sync after the refresh (apps without auto-sync). Default: argocd.sync. */
  sync: z.boolean().optional(),
  /** Seconds between polls. Default: argocd.pollInterval. */
  pollInterval: z.number().positive().optional(),
});
type Input = z.infer<typeof Input>;

/** Longest pause between reads after transient Argo CD errors; reads go on until the step's deadline. */
const MAX_READ_BACKOFF_MS = 15_000;

/**
 * What the wait knows about git for one step run: the overlay rendered at each revision an app
 * reports, and whether that revision contains the pushed one. Without a gitops config (or when the
 * render fails) Argo CD's own target state says what each workload should be.
 */
class RenderedSide {
  private readonly renders = new Map<string, Promise<DesiredIndex | undefined>>();
  private readonly ancestry = new Map<string, Promise<boolean>>();
  private warned = false;

  constructor(
    private readonly ctx: PlanContext,
    private readonly role: 'aws' | 'gcp',
  ) {}

  private get git() {
    return this.ctx.config.gitops ? this.ctx.read.git : undefined;
  }

  /** The render at `revision` (undefined: the branch tip). */
  desired(revision: string | undefined): Promise<DesiredIndex | undefined> {
    const git = this.git;
    if (!git) return Promise.resolve(undefined);
    const key = revision ?? '';
    let rendered = this.renders.get(key);
    if (!rendered) {
      rendered = git
        .renderOverlay(this.role, revision, this.ctx.signal)
        .then((r) => desiredWorkloads(r.objects))
        .catch((error: unknown) => {
          if (this.ctx.signal.aborted) throw error;
          this.renders.delete(key);
          if (!this.warned) {
            this.warned = true;
            this.ctx.emit({
              level: 'warn',
              code: 'FO_ARGOCD_W4107',
              message: `cannot render the ${this.role} overlay${revision ? ` at ${shortRevision(revision)}` : ''}, judging by Argo CD's target state instead: ${error instanceof Error ? error.message : String(error)}`,
            });
          }
          return undefined;
        });
      this.renders.set(key, rendered);
    }
    return rendered;
  }

  /** `actual` is `wanted` or a descendant of it, from the local git cache. */
  contains(actual: string, wanted: string): Promise<boolean> {
    const git = this.git;
    if (!git || !SHA.test(actual)) return Promise.resolve(false);
    const key = `${actual}\0${wanted}`;
    let known = this.ancestry.get(key);
    if (!known) {
      known = git.contains(actual, wanted, this.ctx.signal).catch(() => {
        this.ancestry.delete(key);
        return false;
      });
      this.ancestry.set(key, known);
    }
    return known;
  }

  /** The judge's context of each app: the render at its revision when that is (or contains) ours. */
  async contexts(apps: readonly AppState[], revision: string | undefined): Promise<JudgeContext[]> {
    return Promise.all(
      apps.map(async (app): Promise<JudgeContext> => {
        let contains = false;
        if (revision && app.revision && !sameRevision(app.revision, revision))
          contains = await this.contains(app.revision, revision);
        const at = revision === undefined || contains ? app.revision : revision;
        const desired = await this.desired(at);
        return { ...(desired ? { desired } : {}), ...(contains ? { contains } : {}) };
      }),
    );
  }
}

/** A render that contradicts the mode (a running wait on an all-dormant render): worth saying. */
function renderMismatch(expect: Expectation, desired: DesiredIndex | undefined): string | undefined {
  if (!desired || desired.workloads.length === 0) return undefined;
  if (expect === 'running' && desired.workloads.every(dormantAsRendered))
    return 'the render keeps every workload dormant: is the overlay really out of standby?';
  return undefined;
}

/** The revision to wait for; `deferred` while it is a placeholder for an earlier step's output. */
function wantedRevision(input: Input, afterChanges: boolean): { revision?: string; deferred: boolean } {
  if (input.revision === undefined) return { deferred: false };
  if (SHA.test(input.revision)) return { revision: input.revision, deferred: false };
  if (afterChanges) return { deferred: true };
  throw invalidInput('FO_ARGOCD_E4105', `revision "${input.revision}" is not a commit sha`, {
    hint: 'pass the pushed commit, e.g. revision: ${{ steps.activate-aws.outputs.commit }}; Argo CD reports sync.revision as a sha',
  });
}

function appOutputs(apps: AppState[]): Json[] {
  return apps.map((app) => {
    const workloads: Json[] = [];
    for (const w of app.workloads) {
      if (w.kind === 'CronJob')
        workloads.push({ kind: w.kind, name: w.name, suspended: w.suspended ?? null });
      else workloads.push({ kind: w.kind, name: w.name, desired: w.desired ?? null, ready: w.ready ?? null });
    }
    return {
      name: app.name,
      revision: app.revision ?? null,
      syncStatus: app.syncStatus,
      health: app.health,
      workloads,
    };
  });
}

function outputs(
  apps: AppState[],
  revision: string | undefined,
  syncedAfterMs: number,
  readyAfterMs: number,
): Record<string, Json> {
  const revisions = [...new Set(apps.map((a) => a.revision).filter((r): r is string => r !== undefined))];
  return {
    revision: revision ?? (revisions.length === 1 ? revisions[0]! : null),
    apps: appOutputs(apps),
    syncedAfterMs,
    readyAfterMs,
  };
}

/**
 * DaemonSets that run on no node once the side is up: 0 scheduled is "ready" to Argo CD, and no
 * render can tell that no node matches their placement. A standby patch that keeps one off by a
 * node selector and that gitops.standby does not name stays in the overlay after activation.
 */
function scheduledNowhere(apps: readonly AppState[], role: string): string[] {
  const idle = apps.flatMap((app) =>
    app.workloads.filter((w) => w.kind === 'DaemonSet' && !w.missing && (w.desired ?? 0) === 0),
  );
  if (idle.length === 0) return [];
  const names = idle.map(describeWorkload).join(', ');
  return [
    `${names} ${idle.length === 1 ? 'runs' : 'run'} on no node of the ${role} cluster: no node matches ${idle.length === 1 ? 'its' : 'their'} node selector, affinity or tolerations. If a standby patch keeps ${idle.length === 1 ? 'it' : 'them'} off that way, name it in gitops.standby.patchPaths so that activation removes it`,
  ];
}

function describeTargets(
  input: Input,
  revision: string | undefined,
  deferred: boolean,
  names: string[],
): string {
  const at = revision
    ? ` at ${shortRevision(revision)}`
    : deferred
      ? ' at the commit pushed earlier in the run'
      : '';
  return `wait until ${input.role} Argo CD apps ${names.join(', ')} are Synced${at} with ${GOAL[input.expect]}`;
}

/**
 * Reads woken by the watch stream come at least this far apart: a rollout changes its apps many
 * times a second, and each read costs a list call plus one per app not yet settled.
 */
const MIN_POLL_GAP_MS = 400;
/** …and further apart for many apps (200 apps: the poll interval), to keep the request rate of a fleet. */
const READ_GAP_PER_APP_MS = 10;

/** When the wait looks at the pods of apps still not ready: at the third poll, then every fifth. */
const POD_CHECK_FIRST = 2;
const POD_CHECK_EVERY = 5;

/**
 * Reads the pods of the apps still waited for and says once per change which fail to start. A
 * read that fails is no verdict: the wait goes on as before.
 */
async function checkPods(
  ctx: ApplyContext,
  verdicts: readonly AppVerdict[],
  failingPods: Map<string, PodProblem[]>,
): Promise<void> {
  const reader = ctx.read.argocd;
  if (!reader.podProblems) return;
  for (const verdict of verdicts.filter((v) => !v.done && v.atRevision)) {
    const problems = await reader.podProblems(verdict.app, { signal: ctx.signal }).catch(() => undefined);
    if (!problems) continue;
    const before = failingPods.get(verdict.app);
    failingPods.set(verdict.app, problems);
    const said = describePodProblems(problems);
    if (!problems.length || (before && describePodProblems(before) === said)) continue;
    ctx.emit({
      level: 'warn',
      code: 'FO_ARGOCD_W4111',
      message: `${verdict.app}: pods fail to start: ${said}`,
      data: { app: verdict.app, pods: problems.map((p) => ({ ...p })) as Json },
    });
  }
}

/** What to try when the wait runs out, by the most telling reason an app is still pending. */
function timeoutHint(
  pending: readonly AppVerdict[],
  expect: Expectation,
  revision: string | undefined,
  failingPods: ReadonlyMap<string, PodProblem[]>,
): string {
  const at = revision ? shortRevision(revision) : undefined;
  if (pending.some((v) => failingPods.get(v.app)?.length))
    return 'pods fail to start (named above): `kubectl logs --previous <pod>` and `kubectl describe pod <pod>` show why; a rollback keeps GKE serving meanwhile';
  if (pending.some((v) => !v.atRevision))
    return `Argo CD has not synced ${at ?? 'the apps'}: check that the commit is on the branch the apps track, that they auto-sync (or set sync: true in the step, argocd.sync in the config), and \`argocd app get <app>\``;
  const toPrune = pending.flatMap((v) => v.toPrune ?? []);
  if (toPrune.length) {
    const them = toPrune.length === 1 ? 'it' : 'them';
    const commands = pending
      .filter((v) => v.toPrune?.length)
      .map((v) => `\`argocd app sync ${v.app} --prune\``)
      .join(', ');
    return `Argo CD leaves ${toPrune.join(', ')} running though git no longer has ${them} (auto-sync without prune, its default), so the app stays OutOfSync: prune ${them} (${commands}, or delete ${them} with kubectl), then resume the run. failover never prunes, and a longer --timeout will not help`;
  }
  if (pending.some((v) => !v.synced))
    return `the apps are at ${at ? `${at} (or a later commit that contains it)` : 'their revision'} but not Synced: look at the sync status and the last operation (\`argocd app get <app>\`); with auto-sync off, set sync: true in the step`;
  // The apps are at the wanted commit or a later one, whose render contradicts the mode: a later
  // commit undid the change (a teammate's revert, say). No longer timeout brings the side up.
  const undone = pending.some((v) =>
    v.waitingFor.some((w) => /the render keeps (every workload dormant|nothing dormant)/.test(w)),
  );
  if (undone)
    return `the overlay at the apps' revision ${expect === 'running' ? 'keeps every workload dormant' : 'keeps nothing dormant'}: a commit after ${at ?? "the run's"} ${expect === 'running' ? 'put it back in standby' : 'took it out of standby again'} (a revert, or an edit of the standby entries); \`git log\` of the overlay names it. Agree on the state with whoever pushed it, then run again: a longer --timeout will not help`;
  return expect === 'running' || expect === 'cronjobs-running'
    ? 'look at the workloads named above (`kubectl describe deployment`, pod events: image pulls, capacity, crash loops); if rollouts are only slow, give them longer: --timeout 30m, on the run or on `failover resume`'
    : 'look at the workloads named above: something keeps them running (an HPA, a manual scale, a missing standby patch)';
}

/** The error for a wait cut short: every app and resource still not where it should be. */
function notReadyError(
  reason: unknown,
  verdicts: AppVerdict[],
  expect: Expectation,
  revision: string | undefined,
  elapsedMs: number,
  lastReadError?: string,
  failingPods: ReadonlyMap<string, PodProblem[]> = new Map(),
): FailoverError {
  const pending = verdicts.filter((v) => !v.done);
  const podsOf = (app: string) => {
    const problems = failingPods.get(app);
    return problems?.length ? `; pods failing: ${describePodProblems(problems)}` : '';
  };
  const list = verdicts.length
    ? pending.map((v) => `${v.app}: ${v.waitingFor.join('; ')}${podsOf(v.app)}`).join(' | ')
    : `no answer from Argo CD yet${lastReadError ? ` (last read failed: ${lastReadError})` : ''}`;
  const details = { pending: Object.fromEntries(pending.map((v) => [v.app, v.waitingFor])) };
  if (FailoverError.is(reason) && reason.category === 'aborted') {
    return new FailoverError('FO_ARGOCD_E4104', 'aborted', `interrupted while waiting for Argo CD: ${list}`, {
      cause: reason,
      details,
    });
  }
  return stepFailed(
    'FO_ARGOCD_E4103',
    `Argo CD apps not ${GOAL[expect]} after ${formatMs(elapsedMs)}: ${list}`,
    {
      hint: timeoutHint(pending, expect, revision, failingPods),
      retryable: true,
      cause: reason,
      details,
    },
  );
}

export const argocdWaitStep = defineStep<Input>({
  kind: 'argocd.wait',
  description:
    'Refresh (and optionally sync) a side’s Argo CD apps and wait until they run the wanted revision with their workloads really up (or really in standby).',
  mutating: false,
  defaultTimeoutMs: 15 * 60_000,
  input: Input,

  async plan(ctx: PlanContext, input: Input): Promise<StepPlan> {
    const { revision, deferred } = wantedRevision(input, ctx.afterChanges);
    const sync = input.sync ?? ctx.config.argocd?.sync ?? false;
    let apps: AppState[];
    try {
      // A refresh needs only read access in Argo CD, but it annotates the Application and starts a
      // reconcile (which may let auto-sync apply a pending commit sooner): a dry-run or rehearsal
      // reads the last reconciled state instead. Skipped too while earlier steps will still change git.
      const refresh = !ctx.afterChanges && !ctx.run.dryRun;
      apps = await ctx.read.argocd.apps(input.role, { refresh, signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted || (FailoverError.is(error) && error.category === 'invalid-input')) throw error;
      const message = error instanceof Error ? error.message : String(error);
      // In a real run a transient error is no verdict: the wait itself reads again, with backoff,
      // until its deadline. A dry-run or rehearsal has no wait to come, so there it is a failed check.
      if (!ctx.run.dryRun && FailoverError.is(error) && error.retryable) {
        return {
          summary: `cannot read the ${input.role} Argo CD apps right now (transient): ${message}; the wait reads again until its deadline`,
          changes: [],
          converged: false,
          warnings: [`Argo CD read failed (transient), read again by the wait: ${message}`],
        };
      }
      return {
        summary: `cannot read the ${input.role} Argo CD apps: ${message}`,
        changes: [],
        converged: false,
        checks: [{ name: 'Argo CD apps readable', ok: false, detail: message }],
      };
    }
    const side = new RenderedSide(ctx, input.role);
    // Planned before earlier steps push: the render at the tip says little about the revision to
    // come, so only a wait planned on today's state renders.
    const contexts: JudgeContext[] =
      ctx.afterChanges || deferred ? apps.map(() => ({})) : await side.contexts(apps, revision);
    const verdicts = judgeSide(apps, input.expect, revision, contexts);
    const converged = !ctx.afterChanges && !deferred && verdicts.every((v) => v.done);
    const names = apps.map((a) => a.name);
    const changes: Change[] = [];
    for (const [i, app] of apps.entries()) {
      const verdict = verdicts[i]!;
      if (sync && !converged && !(verdict.atRevision && syncedAsGitWants(app) && !deferred)) {
        const to = app.autoSync
          ? 'its tracked branch (auto-sync on)'
          : revision
            ? shortRevision(revision)
            : 'its target revision';
        changes.push({
          action: 'update',
          resource: `argocd app ${app.name}`,
          summary: `sync to ${to}, prune: false`,
        });
      }
      const workloads = app.workloads.map((w) =>
        w.kind === 'CronJob'
          ? `CronJob ${w.name} ${w.missing ? 'missing' : w.suspended ? 'suspended' : 'active'}`
          : `${w.kind} ${w.name} ${w.missing ? 'missing' : `${w.ready ?? 0}/${w.desired ?? 0} ready`}`,
      );
      changes.push({
        action: 'none',
        resource: `argocd app ${app.name}`,
        summary: `now ${app.syncStatus}/${app.health} at ${shortRevision(app.revision)}${workloads.length ? `: ${workloads.join(', ')}` : ''}`,
      });
    }
    const warnings: string[] = [];
    for (const app of apps) {
      if (app.workloads.length === 0)
        warnings.push(`${app.name} has no workload: nothing to wait for but the sync`);
    }
    const desired = contexts.find((c) => c.desired)?.desired;
    const mismatch = renderMismatch(input.expect, desired);
    if (mismatch) warnings.push(mismatch);
    // Standby is not "everything at 0": name what stays on by design, so nobody is surprised.
    if (input.expect === 'standby') {
      const on = desired ? alwaysOn(desired) : [];
      if (on.length)
        changes.push({ action: 'none', resource: 'always on in standby', summary: on.join(', ') });
    }
    return {
      summary: converged
        ? `${names.join(', ')} already Synced${revision ? ` at ${shortRevision(revision)}` : ''} with ${GOAL[input.expect]}`
        : describeTargets(input, revision, deferred, names),
      changes,
      converged,
      ...(converged ? { outputs: outputs(apps, revision, 0, 0) } : {}),
      ...(warnings.length ? { warnings } : {}),
    };
  },

  async apply(ctx: ApplyContext, input: Input): Promise<StepResult> {
    const { revision } = wantedRevision(input, false);
    const sync = input.sync ?? ctx.config.argocd?.sync ?? false;
    const pollMs = (input.pollInterval ?? ctx.config.argocd?.pollInterval ?? 2) * 1000;
    const started = Date.now();
    let syncedAt: number | undefined;
    let verdicts: AppVerdict[] = [];
    const lastProgress = new Map<string, string>();
    const syncStarted = new Set<string>();
    const side = new RenderedSide(ctx, input.role);
    let readFailures = 0;
    let lastReadError: string | undefined;
    // Pods that fail to start, per app, from Argo CD's resource tree (read now and then while waiting).
    const failingPods = new Map<string, PodProblem[]>();

    // The engine settles a timed-out step at once with its own error; say what is still missing
    // in the same instant, so the journal and terminal show it whichever error wins.
    let cutShortError: FailoverError | undefined;
    const cutShort = (reason: unknown): FailoverError => {
      cutShortError ??= notReadyError(
        reason,
        verdicts,
        input.expect,
        revision,
        Date.now() - started,
        lastReadError,
        failingPods,
      );
      return cutShortError;
    };
    const onAbort = () => {
      const error = cutShort(ctx.signal.reason);
      ctx.emit({ level: 'error', code: error.code, message: error.message, data: error.details as Json });
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    // Argo CD's watch stream wakes the wait as soon as an app moves; polls stay the backstop. Polls
    // no further apart than the minimum gap between woken reads gain nothing from it.
    const changes = pollMs > MIN_POLL_GAP_MS ? ctx.read.argocd.changes?.(input.role) : undefined;
    try {
      for (let poll = 0; ; poll += 1) {
        let apps: AppState[];
        try {
          // Refresh first, and again while an app has not seen the revision yet (the remote moved
          // after the controller looked); once it has, Argo CD watches the live state by itself.
          const refresh = poll === 0 || verdicts.some((v) => !v.atRevision);
          apps = await ctx.read.argocd.apps(input.role, { refresh, signal: ctx.signal });
          if (readFailures > 0) {
            ctx.emit({
              level: 'info',
              code: 'FO_ARGOCD_I4108',
              message: `Argo CD answers again after ${readFailures} failed read${readFailures === 1 ? '' : 's'}`,
            });
          }
          readFailures = 0;
          lastReadError = undefined;
        } catch (error) {
          if (ctx.signal.aborted) throw cutShort(ctx.signal.reason);
          // A restart or a blip of Argo CD is no reason to roll a failover back: transient errors
          // are read again, with backoff, until the step's own deadline (ctx.signal) ends the wait.
          if (!FailoverError.is(error) || !error.retryable) throw error;
          readFailures += 1;
          lastReadError = error.message;
          const backoffMs = Math.min(MAX_READ_BACKOFF_MS, pollMs * 2 ** Math.min(readFailures - 1, 10));
          ctx.emit({
            level: 'warn',
            code: 'FO_ARGOCD_W4102',
            message: `reading Argo CD failed (transient, ${readFailures} in a row), reading again in ${formatMs(backoffMs)} until the step times out: ${error.message}`,
            data: { failures: readFailures, backoffMs },
          });
          await ctx.sleep(backoffMs).catch(() => {
            throw cutShort(ctx.signal.reason);
          });
          continue;
        }

        const contexts = await side.contexts(apps, revision).catch((error: unknown) => {
          throw ctx.signal.aborted ? cutShort(ctx.signal.reason) : error;
        });
        verdicts = judgeSide(apps, input.expect, revision, contexts);
        const mismatch = renderMismatch(input.expect, contexts.find((c) => c.desired)?.desired);
        if (mismatch && poll === 0) ctx.emit({ level: 'warn', code: 'FO_ARGOCD_W4109', message: mismatch });
        if (syncedAt === undefined && verdicts.every((v) => v.synced)) syncedAt = Date.now();
        for (const verdict of verdicts) {
          if (lastProgress.get(verdict.app) === verdict.progress) continue;
          lastProgress.set(verdict.app, verdict.progress);
          ctx.emit({
            level: 'info',
            code: 'FO_ARGOCD_I4101',
            message: verdict.progress,
            data: { app: verdict.app, done: verdict.done, waitingFor: verdict.waitingFor },
          });
        }
        if (verdicts.every((v) => v.done)) {
          const now = Date.now();
          const warnings = input.expect === 'running' ? scheduledNowhere(apps, input.role) : [];
          return {
            outputs: outputs(apps, revision, (syncedAt ?? now) - started, now - started),
            ...(warnings.length ? { warnings } : {}),
          };
        }
        if (poll % POD_CHECK_EVERY === POD_CHECK_FIRST) await checkPods(ctx, verdicts, failingPods);

        // A failed sync of the wanted revision is final (auto-sync does not retry it; with sync on,
        // once our own attempt failed too): waiting longer only delays the rollback.
        const failed = verdicts.filter(
          (v) => v.syncFailed !== undefined && (!sync || syncStarted.has(v.app)),
        );
        if (failed.length > 0) {
          throw stepFailed(
            'FO_ARGOCD_E4110',
            `Argo CD could not sync the ${input.role} apps: ${failed.map((v) => v.syncFailed).join(' | ')}`,
            {
              hint: 'a kind the destination cluster does not serve needs its CRD installed there, or the object dropped in the overlay (`failover lint portability`); see `argocd app get <app>`',
              details: { failed: Object.fromEntries(failed.map((v) => [v.app, v.syncFailed ?? ''])) },
            },
          );
        }

        if (sync) {
          for (const [i, app] of apps.entries()) {
            const verdict = verdicts[i]!;
            const current = verdict.atRevision && syncedAsGitWants(app);
            if (current || app.operationInFlight || syncStarted.has(app.name)) continue;
            // With auto-sync on, Argo CD refuses a sync to anything but the branch it tracks.
            const to = app.autoSync ? undefined : revision;
            const outcome = await ctx.write.argocd.sync(app.name, to, ctx.signal).catch((error: unknown) => {
              throw ctx.signal.aborted ? cutShort(ctx.signal.reason) : error;
            });
            if (outcome === 'started') syncStarted.add(app.name);
            ctx.emit({
              level: 'info',
              code: 'FO_ARGOCD_I4106',
              message:
                outcome === 'started'
                  ? `${app.name}: sync started${to ? ` to ${shortRevision(to)}` : ''}`
                  : `${app.name}: another operation is in progress; waiting for it`,
              data: { app: app.name, outcome, revision: to ?? null },
            });
          }
        }
        const minGapMs = Math.min(pollMs, Math.max(MIN_POLL_GAP_MS, READ_GAP_PER_APP_MS * apps.length));
        const pause = changes ? changes.next(minGapMs, pollMs, ctx.signal) : ctx.sleep(pollMs);
        await pause.catch(() => {
          throw cutShort(ctx.signal.reason);
        });
      }
    } finally {
      changes?.close();
      ctx.signal.removeEventListener('abort', onAbort);
    }
  },
});
