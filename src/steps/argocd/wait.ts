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
import { z } from 'zod';
import { FailoverError, invalidInput, stepFailed } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import type { Change, StepPlan } from '../../engine/plan.js';
import type { AppState } from '../../providers/argocd/port.js';
import { formatMs } from '../../util/duration.js';
import { type ApplyContext, defineStep, type PlanContext, type StepResult } from '../types.js';
import {
  type AppVerdict,
  EXPECTATIONS,
  type Expectation,
  GOAL,
  judgeApp,
  SHA,
  shortRevision,
} from './condition.js';

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

/** Consecutive failed reads (Argo CD restarting, a network blip) tolerated while waiting. */
const MAX_READ_FAILURES = 5;

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
      else if (w.kind === 'Deployment')
        workloads.push({ kind: w.kind, name: w.name, desired: w.desired ?? null, ready: w.ready ?? null });
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

/** The error for a wait cut short: every app and resource still not where it should be. */
function notReadyError(
  reason: unknown,
  verdicts: AppVerdict[],
  expect: Expectation,
  revision: string | undefined,
  elapsedMs: number,
): FailoverError {
  const pending = verdicts.filter((v) => !v.done);
  const list = verdicts.length
    ? pending.map((v) => `${v.app}: ${v.waitingFor.join('; ')}`).join(' | ')
    : 'no answer from Argo CD yet';
  const details = { pending: Object.fromEntries(pending.map((v) => [v.app, v.waitingFor])) };
  if (FailoverError.is(reason) && reason.category === 'aborted') {
    return new FailoverError('FO_ARGOCD_E4104', 'aborted', `interrupted while waiting for Argo CD: ${list}`, {
      cause: reason,
      details,
    });
  }
  const notSynced = pending.some((v) => !v.synced);
  const hint = notSynced
    ? `Argo CD has not synced ${revision ? shortRevision(revision) : 'the apps'}: check that the commit is on the branch the apps track, that they auto-sync (or set sync: true in the step, argocd.sync in the config), and \`argocd app get <app>\``
    : expect === 'running' || expect === 'cronjobs-running'
      ? 'look at the workloads named above (`kubectl describe deployment`, pod events: image pulls, capacity, crash loops); raise the step timeout if rollouts are only slow'
      : 'look at the workloads named above: something keeps them running (an HPA, a manual scale, a missing standby patch)';
  return stepFailed(
    'FO_ARGOCD_E4103',
    `Argo CD apps not ${GOAL[expect]} after ${formatMs(elapsedMs)}: ${list}`,
    {
      hint,
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
      return {
        summary: `cannot read the ${input.role} Argo CD apps: ${message}`,
        changes: [],
        converged: false,
        checks: [{ name: 'Argo CD apps readable', ok: false, detail: message }],
      };
    }
    const verdicts = apps.map((app) => judgeApp(app, input.expect, revision));
    const converged = !ctx.afterChanges && !deferred && verdicts.every((v) => v.done);
    const names = apps.map((a) => a.name);
    const changes: Change[] = [];
    for (const [i, app] of apps.entries()) {
      const verdict = verdicts[i]!;
      if (sync && !converged && !(verdict.atRevision && app.syncStatus === 'Synced' && !deferred)) {
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
      const workloads = app.workloads
        .filter((w) => w.kind === 'Deployment' || w.kind === 'CronJob')
        .map((w) =>
          w.kind === 'CronJob'
            ? `CronJob ${w.name} ${w.missing ? 'missing' : w.suspended ? 'suspended' : 'active'}`
            : `Deployment ${w.name} ${w.missing ? 'missing' : `${w.ready ?? 0}/${w.desired ?? 0} ready`}`,
        );
      changes.push({
        action: 'none',
        resource: `argocd app ${app.name}`,
        summary: `now ${app.syncStatus}/${app.health} at ${shortRevision(app.revision)}${workloads.length ? `: ${workloads.join(', ')}` : ''}`,
      });
    }
    const warnings: string[] = [];
    for (const app of apps) {
      const unchecked = app.workloads.filter((w) => w.kind !== 'Deployment' && w.kind !== 'CronJob');
      if (unchecked.length)
        warnings.push(
          `${app.name}: ${unchecked.map((w) => `${w.kind} ${w.name}`).join(', ')} not checked (only Deployments and CronJobs are)`,
        );
      if (!app.workloads.some((w) => w.kind === 'Deployment' || w.kind === 'CronJob'))
        warnings.push(`${app.name} has no Deployment or CronJob: nothing to wait for but the sync`);
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
    let readFailures = 0;

    // The engine settles a timed-out step at once with its own error; say what is still missing
    // in the same instant, so the journal and terminal show it whichever error wins.
    let cutShortError: FailoverError | undefined;
    const cutShort = (reason: unknown): FailoverError => {
      cutShortError ??= notReadyError(reason, verdicts, input.expect, revision, Date.now() - started);
      return cutShortError;
    };
    const onAbort = () => {
      const error = cutShort(ctx.signal.reason);
      ctx.emit({ level: 'error', code: error.code, message: error.message, data: error.details as Json });
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (let poll = 0; ; poll += 1) {
        let apps: AppState[];
        try {
          // Refresh first, and again while an app has not seen the revision yet (the remote moved
          // after the controller looked); once it has, Argo CD watches the live state by itself.
          const refresh = poll === 0 || verdicts.some((v) => !v.atRevision);
          apps = await ctx.read.argocd.apps(input.role, { refresh, signal: ctx.signal });
          readFailures = 0;
        } catch (error) {
          if (ctx.signal.aborted) throw cutShort(ctx.signal.reason);
          readFailures += 1;
          if (!FailoverError.is(error) || !error.retryable || readFailures >= MAX_READ_FAILURES) throw error;
          ctx.emit({
            level: 'warn',
            code: 'FO_ARGOCD_W4102',
            message: `reading Argo CD failed (${readFailures}/${MAX_READ_FAILURES}), trying again: ${error.message}`,
          });
          await ctx.sleep(pollMs).catch(() => {
            throw cutShort(ctx.signal.reason);
          });
          continue;
        }

        verdicts = apps.map((app) => judgeApp(app, input.expect, revision));
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
          return { outputs: outputs(apps, revision, (syncedAt ?? now) - started, now - started) };
        }

        if (sync) {
          for (const [i, app] of apps.entries()) {
            const verdict = verdicts[i]!;
            const current = verdict.atRevision && app.syncStatus === 'Synced';
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
        await ctx.sleep(pollMs).catch(() => {
          throw cutShort(ctx.signal.reason);
        });
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  },
});
