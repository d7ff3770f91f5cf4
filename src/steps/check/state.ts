/**
 * Read-only checks of the standby arrangement, for the nightly rehearsal: is everything where a
 * failover expects it to be today? Each fails with a message that says what drifted.
 */

import type { Json } from '../../engine/events.js';
import type { CheckResult, StepPlan } from '../../engine/plan.js';
import { SIDE_NAMES } from '../../providers/types.js';
import { z } from '../../util/zod.js';
import { judgeApp, syncedAsGitWants } from '../argocd/condition.js';
import { defineStep } from '../types.js';

const RoleInput = z.enum(['aws', 'gcp']);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** check.overlay: the overlay of a side is in the expected state, with exactly the configured standby entries. */
export const overlayCheck = defineStep({
  kind: 'check.overlay',
  description:
    'Check that an overlay is active or in standby, with exactly the configured standby entries (read-only).',
  mutating: false,
  defaultTimeoutMs: 2 * 60_000,
  input: z.strictObject({
    role: RoleInput,
    expect: z.enum(['active', 'standby']),
    required: z.boolean().default(true),
  }),
  reusePlan: () => true,
  async plan(ctx, input): Promise<StepPlan> {
    const severity = input.required ? 'error' : 'warning';
    try {
      const state = await ctx.read.git.overlayState(input.role, ctx.signal);
      const ok = state.state === input.expect;
      const detail =
        state.state === 'partial'
          ? `drifted: only ${state.entries.join(', ') || 'none'} of the standby entries are present`
          : `${state.state} at ${state.revision.slice(0, 8)}${state.entries.length ? ` (${state.entries.join(', ')})` : ''}${state.standbyElsewhere ? ' (no standby entry: every Deployment renders at 0 by something else, which failover cannot take away)' : ''}`;
      return {
        summary: `${SIDE_NAMES[input.role]} overlay ${state.path}: ${detail}`,
        changes: [],
        converged: false,
        checks: [{ name: `${SIDE_NAMES[input.role]} overlay ${input.expect}`, ok, severity, detail }],
        outputs: { state: state.state, revision: state.revision, entries: state.entries },
      };
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return {
        summary: `${SIDE_NAMES[input.role]} overlay unreadable`,
        changes: [],
        converged: false,
        checks: [
          {
            name: `${SIDE_NAMES[input.role]} overlay readable`,
            ok: false,
            severity,
            detail: describe(error),
          },
        ],
      };
    }
  },
});

/** check.argocd-apps: the apps of a side exist, the token works, and they are Synced in the expected shape. */
export const argocdAppsCheck = defineStep({
  kind: 'check.argocd-apps',
  description:
    'Check that the Argo CD apps of a side are readable, Synced, and running or dormant as expected (read-only).',
  mutating: false,
  defaultTimeoutMs: 2 * 60_000,
  input: z.strictObject({
    role: RoleInput,
    expect: z.enum(['running', 'standby', 'any']).default('any'),
    required: z.boolean().default(true),
  }),
  reusePlan: () => true,
  async plan(ctx, input): Promise<StepPlan> {
    const severity = input.required ? 'error' : 'warning';
    try {
      const apps = await ctx.read.argocd.apps(input.role, { signal: ctx.signal });
      const checks: CheckResult[] = apps.map((app) => {
        const deployments = app.workloads.filter((w) => w.kind === 'Deployment');
        const running = deployments.filter((d) => (d.desired ?? 0) > 0 && d.ready === d.desired);
        const problems: string[] = [];
        if (!syncedAsGitWants(app)) problems.push(`sync ${app.syncStatus}`);
        // As Argo CD rendered them: a workload the standby keeps on by design is not a problem.
        if (input.expect !== 'any') problems.push(...judgeApp(app, input.expect, undefined).resources);
        return {
          name: `Argo CD app ${app.name}`,
          ok: problems.length === 0,
          severity,
          detail: problems.length
            ? problems.join('; ')
            : `${app.syncStatus} at ${(app.revision ?? '').slice(0, 8)}, ${running.length}/${deployments.length} deployments running`,
        };
      });
      return {
        summary: `${apps.length} Argo CD app(s) on ${SIDE_NAMES[input.role]}`,
        changes: [],
        converged: false,
        checks: checks.length
          ? checks
          : [
              {
                name: `Argo CD apps of ${SIDE_NAMES[input.role]}`,
                ok: false,
                severity,
                detail: 'no app matches the config',
              },
            ],
        outputs: { apps: apps.map((a) => a.name) },
      };
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return {
        summary: `Argo CD apps of ${SIDE_NAMES[input.role]} unreadable`,
        changes: [],
        converged: false,
        checks: [
          {
            name: `Argo CD apps of ${SIDE_NAMES[input.role]} readable`,
            ok: false,
            severity,
            detail: describe(error),
          },
        ],
      };
    }
  },
});

/**
 * check.route53-policy: the weighted rule still matches the config (both directions can be
 * planned), and traffic is where it should be today.
 */
export const route53PolicyCheck = defineStep({
  kind: 'check.route53-policy',
  description:
    'Check that the traffic policy (or record sets) still match the config and where traffic goes now (read-only).',
  mutating: false,
  defaultTimeoutMs: 2 * 60_000,
  input: z.strictObject({ trafficOn: RoleInput.optional(), required: z.boolean().default(true) }),
  reusePlan: () => true,
  async plan(ctx, input): Promise<StepPlan> {
    const severity = input.required ? 'error' : 'warning';
    const checks: CheckResult[] = [];
    let outputs: Record<string, Json> = {};
    for (const to of ['aws', 'gcp'] as const) {
      try {
        await ctx.read.route53.planWeights(
          to === 'aws' ? { gcp: 0, aws: 255 } : { gcp: 255, aws: 0 },
          ctx.signal,
        );
        checks.push({ name: `weights can move to ${SIDE_NAMES[to]}`, ok: true, severity });
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        checks.push({
          name: `weights can move to ${SIDE_NAMES[to]}`,
          ok: false,
          severity,
          detail: describe(error),
        });
      }
    }
    try {
      const targets = await ctx.read.route53.describeWeights(ctx.signal);
      outputs = { targets: targets as unknown as Json };
      for (const target of targets) {
        const onSide = target.weights.aws > target.weights.gcp ? 'aws' : 'gcp';
        if (target.state !== 'Applied' && target.state !== 'INSYNC') {
          checks.push({
            name: `${target.name} settled`,
            ok: false,
            severity,
            detail: `state ${target.state}`,
          });
        }
        if (input.trafficOn) {
          checks.push({
            name: `${target.name} traffic on ${SIDE_NAMES[input.trafficOn]}`,
            ok: onSide === input.trafficOn,
            severity,
            detail: `weights gcp ${target.weights.gcp}, aws ${target.weights.aws}`,
          });
        }
      }
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      checks.push({ name: 'Route 53 weights readable', ok: false, severity, detail: describe(error) });
    }
    return {
      summary: `Route 53: ${checks.filter((c) => c.ok).length}/${checks.length} checks pass`,
      changes: [],
      converged: false,
      checks,
      outputs,
    };
  },
});

/** check.lock: nobody holds the failover lock (an expired lock is reported, and can be broken). */
export const lockCheck = defineStep({
  kind: 'check.lock',
  description: 'Check that no run holds the failover lock (read-only).',
  mutating: false,
  defaultTimeoutMs: 60_000,
  input: z.strictObject({ required: z.boolean().default(true) }),
  // No reusePlan: the run's own lock.acquire changes what it reads, yet counts as no change.
  async plan(ctx, input): Promise<StepPlan> {
    const severity = input.required ? 'error' : 'warning';
    try {
      const lock = await ctx.read.git.readLock(ctx.signal);
      if (!lock)
        return {
          summary: 'the lock is free',
          changes: [],
          converged: false,
          checks: [{ name: 'lock free', ok: true, severity }],
        };
      const expired = Date.parse(lock.expiresAt) < Date.now();
      const detail = `held by ${lock.operator} (run ${lock.runId}, ${lock.purpose}) on ${lock.host} since ${lock.startedAt}${expired ? ', expired: --break-lock takes it over' : `, until ${lock.expiresAt}`}`;
      return {
        summary: `the lock is ${detail}`,
        changes: [],
        converged: false,
        checks: [{ name: 'lock free', ok: false, severity, detail }],
        outputs: { holder: lock as unknown as Json },
      };
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return {
        summary: 'the lock is unreadable',
        changes: [],
        converged: false,
        checks: [{ name: 'lock readable', ok: false, severity, detail: describe(error) }],
      };
    }
  },
});
