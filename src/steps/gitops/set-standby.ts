/**
 * gitops.set-standby: puts an overlay in standby or makes it active by editing its kustomization
 * in the GitOps repository (commit + push; Argo CD does the rest). `scope: cronjobs` toggles only
 * the CronJob suspension: fencing GKE's CronJobs while AWS runs them. The plan shows the
 * kustomization diff, the commit message and, with kubectl on PATH, what starts and stops.
 * Rollback commits the opposite state, saying it is a rollback.
 */

import { type FailoverError, stepFailed, toFailoverError } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import type { Change, StepPlan } from '../../engine/plan.js';
import { FENCE_FILE } from '../../providers/git/kustomization-entries.js';
import { standbyAction, standbyCommitMessage } from '../../providers/git/message.js';
import type { CommitMeta, StandbyPlan, StandbyState } from '../../providers/git/port.js';
import { describeRender } from '../../providers/git/render.js';
import { SIDE_NAMES } from '../../providers/types.js';
import { z } from '../../util/zod.js';
import { type ApplyContext, defineStep, type PlanContext } from '../types.js';
import { waitOtherSideAtRest } from './rest-before-resume.js';

const Input = z.strictObject({
  /** Which overlay: `aws` (gitops.awsOverlay) or `gcp` (gitops.gcpOverlay). */
  role: z.enum(['aws', 'gcp']),
  state: z.enum(['active', 'standby']),
  /** `all` toggles every standby entry; `cronjobs` only the CronJob suspension. */
  scope: z.enum(['all', 'cronjobs']).default('all'),
});
type Input = z.infer<typeof Input>;

const Undo = z.object({
  role: z.enum(['aws', 'gcp']),
  scope: z.enum(['all', 'cronjobs']),
  previousState: z.enum(['active', 'standby', 'partial']),
  state: z.enum(['active', 'standby']),
});

function metaOf(ctx: PlanContext): CommitMeta {
  return {
    runId: ctx.run.id,
    operator: ctx.run.operator,
    ...(ctx.run.incident ? { incident: ctx.run.incident } : {}),
    ...(ctx.run.reason ? { reason: ctx.run.reason } : {}),
    ...(ctx.run.plan
      ? {
          plan: {
            hash: ctx.run.plan.hash,
            plannedBy: ctx.run.plan.plannedBy,
            approvedBy: ctx.run.plan.approvedBy,
          },
        }
      : {}),
  };
}

const opposite = (state: StandbyState): StandbyState => (state === 'active' ? 'standby' : 'active');

/** The plan behind each step plan, so apply() commits exactly what was planned a moment ago. */
const standbyPlans = new WeakMap<StepPlan, StandbyPlan>();

function toStepPlan(ctx: PlanContext, input: Input, plan: StandbyPlan): StepPlan {
  const action = standbyAction(input.role, input.state, input.scope);
  const file = plan.file ?? `${input.role} overlay`;
  const branch = ctx.config.gitops?.branch ?? 'main';
  const at = plan.baseRevision.slice(0, 12);
  if (plan.converged) {
    const now =
      input.scope === 'cronjobs'
        ? `${input.role} cronjobs ${input.state === 'standby' ? 'suspended' : 'running'}`
        : `${input.role} overlay ${input.state === 'active' ? 'active' : 'in standby'}`;
    if (ctx.afterChanges) {
      // An earlier step of this run may change the overlay first: decide when the step runs.
      return {
        summary: `${action} if needed (decided when the step runs; now ${now} at ${at})`,
        changes: [],
        converged: false,
      };
    }
    return {
      summary: `${now} already, at ${at} (nothing to commit)`,
      changes: [],
      converged: true,
      outputs: { commit: plan.baseRevision, changed: false, state: input.state },
    };
  }
  const entries = plan.entries ?? [];
  const changes: Change[] = [
    {
      action: 'update',
      resource: `git ${file}`,
      // The generated fence is routine (an overlay without a CronJob entry of its own), no warning.
      summary: entries.some((e) => e.startsWith(FENCE_FILE))
        ? `${input.state === 'active' ? 'remove' : 'add'} the generated ${FENCE_FILE} (the overlay lists no CronJob standby entry of its own; failback removes it again)`
        : `${input.state === 'active' ? 'remove' : 'restore'} ${entries.length ? entries.join(', ') : 'the standby entries'}`,
      diff: plan.diff,
    },
    {
      action: 'create',
      resource: `git commit on ${branch}`,
      summary: plan.commitMessage.split('\n')[0] ?? '',
      diff: plan.commitMessage,
    },
  ];
  if (plan.render) {
    changes.push({
      action: 'update',
      resource: `workloads of ${file.replace(/\/[^/]+$/, '')}`,
      summary: describeRender(plan.render),
    });
    if (plan.render.alwaysOn?.length)
      changes.push({
        action: 'none',
        resource: 'always on in standby',
        summary: plan.render.alwaysOn.join(', '),
      });
  }
  const stepPlan: StepPlan = {
    summary: `${action}: commit to ${branch} on top of ${at}`,
    changes,
    converged: false,
    ...(plan.warnings?.length ? { warnings: plan.warnings } : {}),
    outputs: { state: input.state, previousState: plan.current ?? 'partial' },
  };
  standbyPlans.set(stepPlan, plan);
  return stepPlan;
}

async function commit(
  ctx: ApplyContext,
  plan: StandbyPlan,
  code: string,
): Promise<{ commit: string; attempts: number; changed: boolean }> {
  const result = await ctx.write.git.applyStandby(plan, metaOf(ctx), ctx.signal);
  ctx.emit({
    level: 'info',
    code,
    message: result.changed
      ? `pushed ${result.commit.slice(0, 12)} "${plan.commitMessage.split('\n')[0]}"${result.attempts > 1 ? ` after ${result.attempts} attempts (the branch moved)` : ''}`
      : `nothing to commit: the remote already was in the wanted state at ${result.commit.slice(0, 12)}`,
    data: { commit: result.commit, attempts: result.attempts, changed: result.changed },
  });
  return result;
}

/**
 * A fencing that cannot be done says what that means, in its first words: which CronJobs stay
 * active beside the other cloud's, why, and how to fence them by hand.
 */
async function fencingError(ctx: PlanContext, input: Input, thrown: unknown): Promise<FailoverError> {
  const error = toFailoverError(thrown);
  if (input.scope !== 'cronjobs' || input.state !== 'standby' || ctx.signal.aborted) return error;
  let names: string[] = [];
  try {
    const rendered = await ctx.read.git.renderOverlay(input.role, undefined, ctx.signal);
    names = rendered.objects
      .filter((o) => o.kind === 'CronJob' && (o.spec as { suspend?: unknown } | undefined)?.suspend !== true)
      .map((o) => o.metadata.name);
  } catch {
    // The names are a courtesy; the failure is reported either way.
  }
  const overlay = input.role === 'aws' ? ctx.config.gitops?.awsOverlay : ctx.config.gitops?.gcpOverlay;
  const side = SIDE_NAMES[input.role];
  return stepFailed(
    'FO_GITOPS_E4110',
    `${side} CronJobs NOT fenced: ${names.length ? names.join(', ') : 'its CronJobs'} may run on both clouds (${error.message})`,
    {
      hint: `fence them by hand: add a patch to ${overlay ?? `the ${input.role} overlay`}/kustomization.yaml that sets /spec/suspend to true for kind CronJob and push it${names.length ? `, or \`kubectl -n <namespace> patch cronjob ${names[0]} -p '{"spec":{"suspend":true}}'\` for each (Argo CD self-heal may undo that)` : ''}; \`failover to-gcp\` fails back`,
      cause: error,
      details: { cronJobs: names },
    },
  );
}

export const setStandbyStep = defineStep({
  kind: 'gitops.set-standby',
  description:
    'Make an overlay active or put it in standby by editing its kustomization in the GitOps repository (commit and push).',
  mutating: true,
  defaultTimeoutMs: 5 * 60_000,
  input: Input,

  async plan(ctx, input) {
    let plan: StandbyPlan;
    try {
      plan = await ctx.read.git.planStandby(input.role, input.state, input.scope, metaOf(ctx), ctx.signal);
    } catch (error) {
      throw await fencingError(ctx, input, error);
    }
    return toStepPlan(ctx, input, plan);
  },

  async apply(ctx, input, stepPlan) {
    let plan: StandbyPlan;
    let result: { commit: string; attempts: number; changed: boolean };
    try {
      plan =
        standbyPlans.get(stepPlan) ??
        (await ctx.read.git.planStandby(input.role, input.state, input.scope, metaOf(ctx), ctx.signal));
      result = await commit(ctx, plan, 'FO_GITOPS_I4101');
    } catch (error) {
      throw await fencingError(ctx, input, error);
    }
    const undo: z.infer<typeof Undo> = {
      role: input.role,
      scope: input.scope,
      previousState: plan.current ?? opposite(input.state),
      state: input.state,
    };
    return {
      outputs: {
        commit: result.commit,
        changed: result.changed,
        attempts: result.attempts,
        state: input.state,
      },
      ...(result.changed ? { undo: undo as unknown as Json } : {}),
    };
  },

  async rollback(ctx, _input, undo) {
    const parsed = Undo.safeParse(undo);
    if (!parsed.success) return;
    const { role, scope, state } = parsed.data;
    // Back to where it was: the opposite of what the step did (a partial overlay becomes whole).
    const target = parsed.data.previousState === 'partial' ? opposite(state) : parsed.data.previousState;
    const meta = metaOf(ctx);
    const plan = await ctx.read.git.planStandby(role, target, scope, meta, ctx.signal);
    if (plan.converged) return;
    // Resuming this side's CronJobs: only once the other side's cluster has suspended them again.
    if (target === 'active') await waitOtherSideAtRest(ctx, role, plan.render?.cronJobsResuming);
    await commit(
      ctx,
      { ...plan, commitMessage: standbyCommitMessage(role, target, scope, meta, { rollback: true }) },
      'FO_GITOPS_I4102',
    );
  },
});
