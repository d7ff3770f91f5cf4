/**
 * route53.set-weights: moves traffic between GKE and AWS by changing the Route 53 weights, at
 * once or in stages (e.g. 10 → 50 → 100 percent on the target side) with a health gate between
 * stages. When a stage or a gate fails, the weights go back to the last good stage (or to where
 * they started) and the step fails saying so. Rollback points the instances back at the versions
 * they used before the step (Traffic Flow) or restores the previous records (record sets).
 */

import { Weight } from '../../config/schema.js';
import { FailoverError, stepFailed } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import type { Change, StepPlan } from '../../engine/plan.js';
import type { Weights, WeightTarget } from '../../providers/route53/port.js';
import {
  formatWeights,
  MAX_WEIGHT,
  percentOf,
  resolveWeights,
  weightsForTarget,
} from '../../providers/route53/weights.js';
import type { Role } from '../../providers/types.js';
import { Duration, formatMs, toMs } from '../../util/duration.js';
import { z } from '../../util/zod.js';
import { stageMetricGate } from '../check/metric-stage.js';
import { type ApplyContext, defineStep, type PlanContext } from '../types.js';
import { stageDnsGate } from '../verify/dns-check.js';

const Side = z.enum(['gcp', 'aws']);

const Gate = z.strictObject({
  /** Pause after a stage before checking (let caches and TTLs catch up). Default 0. */
  wait: Duration.optional(),
  /** Which configured probes to run; default the target side. */
  probes: z.enum(['aws', 'gcp', 'public']).optional(),
  /** Require the target side's Route 53 health check (route53.healthChecks.<side>); default: when configured. */
  healthChecks: z.boolean().optional(),
  /** Also run the target side's metric gate (config metrics.<side>); default: when configured. */
  metrics: z.boolean().optional(),
  /** Also sample the DNS answers: each side's share within verify.dns.tolerance of its weight; default: when the config has verify.dns. */
  dns: z.boolean().optional(),
  /** How long the DNS answers may take to follow a stage's weights before the gate fails. Default 30s. */
  dnsWithin: Duration.optional(),
});

const Input = z
  .strictObject({
    /** The side that receives traffic. */
    to: Side.optional(),
    /** Percent of traffic on the target side, increasing, ending at 100. Default [100]. */
    stages: z.array(z.number().gt(0).max(100)).min(1).optional(),
    /** Explicit weights (0–255 or "40%") instead of to/stages. */
    weights: z.strictObject({ gcp: Weight, aws: Weight }).optional(),
    /** Checked between stages. */
    gate: Gate.optional(),
  })
  .superRefine((input, ctx) => {
    if ((input.to === undefined) === (input.weights === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give either `to` (with optional `stages`) or `weights`',
        path: [],
      });
    }
    if (input.stages && input.weights) {
      ctx.addIssue({
        code: 'custom',
        message: '`stages` goes with `to`, not with `weights`',
        path: ['stages'],
      });
    }
    if (input.weights) {
      const weights = resolveWeights(input.weights);
      if (weights.gcp === 0 && weights.aws === 0) {
        ctx.addIssue({
          code: 'custom',
          message:
            'both weights are 0: Route 53 then splits traffic evenly, which is rarely meant (for an even split write "50%" and "50%")',
          path: ['weights'],
        });
      }
    }
    const stages = input.stages ?? [];
    // Compared as the weights Route 53 gets: a stage that rounds to nothing, to everything before
    // the last stage, or to the previous stage's weight would silently skip a health gate.
    const onTarget = (percent: number) => Math.round((MAX_WEIGHT * percent) / 100);
    stages.forEach((stage, index) => {
      const weight = onTarget(stage);
      if (index > 0 && stage <= (stages[index - 1] as number)) {
        ctx.addIssue({ code: 'custom', message: 'stages must increase', path: ['stages', index] });
      } else if (index > 0 && weight <= onTarget(stages[index - 1] as number)) {
        ctx.addIssue({
          code: 'custom',
          message: `stage ${stage}% gives the same weight (${weight} of ${MAX_WEIGHT}) as the stage before it`,
          path: ['stages', index],
        });
      }
      if (index < stages.length - 1 && (weight === 0 || weight === MAX_WEIGHT)) {
        ctx.addIssue({
          code: 'custom',
          message: `stage ${stage}% rounds to weight ${weight} of ${MAX_WEIGHT}, which moves ${weight === 0 ? 'no' : 'all'} traffic: use a share from 0.2% to 99.8%`,
          path: ['stages', index],
        });
      }
    });
    if (stages.length > 0 && stages.at(-1) !== 100) {
      ctx.addIssue({
        code: 'custom',
        message: 'the last stage must be 100 (all traffic on the target side)',
        path: ['stages', stages.length - 1],
      });
    }
  });
type Input = z.infer<typeof Input>;

interface Stage {
  /** `10%`, or `weights` for explicit weights. */
  label: string;
  weights: Weights;
}

function stagesOf(input: Input): Stage[] {
  if (input.weights) return [{ label: 'weights', weights: resolveWeights(input.weights) }];
  const to = input.to as Role;
  return (input.stages ?? [100]).map((percent) => ({
    label: `${percent}%`,
    weights: weightsForTarget(to, percent),
  }));
}

/** The side that gains traffic: `to`, or the side explicit weights favour. */
function targetSide(input: Input): Role {
  if (input.to) return input.to;
  const weights = stagesOf(input)[0]?.weights ?? { gcp: 0, aws: 0 };
  return weights.aws > weights.gcp ? 'aws' : 'gcp';
}

/**
 * Stages still to go: on a re-run (resume) the stages at or below the share the target side
 * already has are skipped, never repeated backwards. The last stage always stays.
 */
function remainingStages(stages: Stage[], current: WeightTarget[], target: Role): Stage[] {
  if (current.length === 0) return stages;
  const share = Math.min(...current.map((t) => percentOf(t.weights)[target]));
  return stages.filter(
    (stage, index) => index === stages.length - 1 || percentOf(stage.weights)[target] > share,
  );
}

function resourceOf(target: WeightTarget): string {
  return target.kind === 'traffic-policy-instance'
    ? `route53 traffic policy instance ${target.id} (${target.name})`
    : `route53 weighted records ${target.id}`;
}

function describeStages(stages: Stage[]): string {
  return stages.map((s) => s.label).join(' → ');
}

function comment(ctx: PlanContext, text: string): string {
  return `failover run ${ctx.run.id}: ${text}${ctx.run.incident ? ` (incident ${ctx.run.incident})` : ''}`;
}

/** The answers at a gate on a terminal. */
const GATE_CHOICES = ['continue', 'hold', 'roll back'] as const;
/** A hold re-runs the gate after the pause between stages, or after this long without one. */
const HOLD_DEFAULT_MS = 15_000;
/** How long an operator may take at each gate before the step's own deadline. */
const DECISION_ALLOWANCE_MS = 30 * 60_000;

/** The pause before each gate (`gate.wait`, `--pause-between-stages`). */
function holdMs(input: Input): number {
  return input.gate?.wait === undefined ? 0 : toMs(input.gate.wait);
}

function holdDelayMs(input: Input): number {
  return holdMs(input) || HOLD_DEFAULT_MS;
}

/**
 * The share of traffic each side has now, read back from Route 53: `traffic now aws 10% / gcp 90%
 * on 1 instance`, or the range when instances differ. Undefined when it cannot be read (the gate
 * then says what it can).
 */
async function liveShare(ctx: ApplyContext, target: Role): Promise<string | undefined> {
  try {
    const targets = await ctx.read.route53.describeWeights(ctx.signal);
    if (targets.length === 0) return undefined;
    const other: Role = target === 'aws' ? 'gcp' : 'aws';
    const shares = targets.map((t) => percentOf(t.weights)[target]);
    const [low, high] = [Math.min(...shares), Math.max(...shares)];
    const range = (lo: number, hi: number) => (lo === hi ? `${lo}%` : `${lo}–${hi}%`);
    const count = `${targets.length} ${targets.length === 1 ? 'instance' : 'instances'}`;
    return `traffic now ${target} ${range(low, high)} / ${other} ${range(
      Math.round((100 - high) * 10) / 10,
      Math.round((100 - low) * 10) / 10,
    )} on ${count} (Route 53 weights read back)`;
  } catch {
    return undefined;
  }
}

/** The operator chose to roll back at a gate: every instance back to where the shift started. */
async function rollBackByOperator(ctx: ApplyContext, stage: Stage, start: Json | undefined): Promise<never> {
  if (start !== undefined)
    await ctx.write.route53.restoreWeights(start, {
      comment: comment(ctx, `roll back the shift at stage ${stage.label} (operator's choice)`),
      signal: ctx.signal,
      onProgress: (message) => ctx.emit({ level: 'info', code: 'FO_ROUTE53_I3402', message }),
    });
  throw new FailoverError(
    'FO_ROUTE53_E3443',
    'aborted',
    `the operator rolled the shift back at stage ${stage.label}: the weights are back where the shift started`,
    {
      hint: 'the earlier steps stay as they are; run the opposite command to undo them, or `failover resume` to shift again',
    },
  );
}

/** Checks between stages; returns why the gate failed, or nothing when it passed. */
async function gate(
  ctx: ApplyContext,
  input: Input,
  stage: Stage,
  dnsStages: Json[],
  waitOverrideMs?: number,
): Promise<string[]> {
  const options = input.gate ?? {};
  const target = targetSide(input);
  const waitMs = waitOverrideMs ?? holdMs(input);
  if (waitMs > 0) {
    ctx.emit({
      level: 'info',
      code: 'FO_ROUTE53_I3403',
      message: `stage ${stage.label}: waiting ${formatMs(waitMs)} before the health gate`,
    });
    await ctx.sleep(waitMs);
  }
  const problems: string[] = [];
  const side = options.probes ?? target;
  const probes = ctx.config.probes[side];
  const results = await Promise.all(probes.map((probe) => ctx.read.http.probe(probe, ctx.signal)));
  for (const result of results) {
    if (!result.ok) problems.push(`probe ${result.name}: ${result.error ?? `HTTP ${result.status ?? '?'}`}`);
  }
  const configured = Object.keys(ctx.config.route53?.healthChecks ?? {});
  const useHealthChecks = options.healthChecks ?? configured.length > 0;
  let healthChecked = 0;
  if (useHealthChecks) {
    const states = (await ctx.read.route53.healthChecks(ctx.signal)).filter((s) => s.role === target);
    healthChecked = states.length;
    if (states.length === 0 && options.healthChecks === true) {
      problems.push(`no Route 53 health check configured for ${target} (route53.healthChecks.${target})`);
    }
    for (const state of states) {
      if (!state.healthy) problems.push(`health check ${state.id} (${state.role}): ${state.summary}`);
    }
  }
  problems.push(...(await stageMetricGate(ctx, target, options.metrics)));
  // What resolvers are handed at this stage: the split must show in the answers, not only in the
  // API. Not asked once the gate failed already: the weights go back without waiting for it.
  const dns =
    problems.length > 0
      ? { problems: [] }
      : await stageDnsGate(ctx, stage.label, {
          wanted: options.dns,
          ...(options.dnsWithin ? { withinMs: toMs(options.dnsWithin) } : {}),
        });
  if (dns.figures) dnsStages.push(dns.figures);
  problems.push(...dns.problems);
  if (probes.length === 0 && healthChecked === 0 && !dns.figures && problems.length === 0) {
    ctx.emit({
      level: 'warn',
      code: 'FO_ROUTE53_W3404',
      message: `stage ${stage.label}: the health gate has nothing to check (no ${side} probes, no ${target} health check)`,
    });
  } else if (problems.length === 0) {
    ctx.emit({
      level: 'info',
      code: 'FO_ROUTE53_I3405',
      message: `stage ${stage.label}: health gate passed (${results.length} probes, ${healthChecked} health checks${dns.figures ? ', DNS answers' : ''})`,
    });
  }
  return problems;
}

export const setWeightsStep = defineStep({
  kind: 'route53.set-weights',
  description:
    'Shift traffic between GKE and AWS by changing the Route 53 weights, optionally in stages with a health gate between them.',
  mutating: true,
  defaultTimeoutMs: 30 * 60_000,
  // Each gate adds its pause and time for the operator's decision to the step's deadline.
  timeoutFor: (input) => 30 * 60_000 + (stagesOf(input).length - 1) * (holdMs(input) + DECISION_ALLOWANCE_MS),
  input: Input,

  async plan(ctx, input): Promise<StepPlan> {
    const stages = stagesOf(input);
    const final = (stages.at(-1) as Stage).weights;
    const target = targetSide(input);
    const current = await ctx.read.route53.describeWeights(ctx.signal);
    const planned = await ctx.read.route53.planWeights(final, ctx.signal);
    const remaining = remainingStages(stages, current, target);
    const first = current[0];
    const changes: Change[] = planned.changes
      .filter((change) => !change.converged)
      .map((change) => ({
        action: 'update',
        resource: resourceOf(change.target),
        summary: `${formatWeights(change.target.weights)} → ${formatWeights(change.to)}${
          remaining.length > 1 ? ` in stages ${describeStages(remaining)}` : ''
        }`,
        diff: change.diff,
      }));
    const warnings: string[] = [];
    if (remaining.length > 1) {
      const side = input.gate?.probes ?? target;
      const hasHealthCheck = ctx.config.route53?.healthChecks[target] !== undefined;
      if (ctx.config.probes[side].length === 0 && !hasHealthCheck) {
        warnings.push(
          `the gate between stages has nothing to check: add probes.${side} or route53.healthChecks.${target}`,
        );
      }
    }
    const outputs: Record<string, Json> = first
      ? { weights: first.weights, percent: percentOf(first.weights) }
      : {};
    return {
      summary: planned.converged
        ? `traffic already at ${formatWeights(final)}`
        : input.to
          ? `shift traffic to ${input.to}: ${describeStages(remaining)} (${formatWeights(final)})`
          : `set weights to ${formatWeights(final)}`,
      changes,
      converged: planned.converged,
      outputs: {
        ...outputs,
        targets: current.map((t) => ({ id: t.id, name: t.name, state: t.state, weights: t.weights })),
        stages: remaining.map((s) => s.label),
        // Where the step leaves the traffic: the summary before the confirmation says "from X% to Y%".
        targetPercent: percentOf(final),
      },
      ...(warnings.length ? { warnings } : {}),
    };
  },

  async apply(ctx, input) {
    const stages = stagesOf(input);
    const target = targetSide(input);
    const current = await ctx.read.route53.describeWeights(ctx.signal);
    const remaining = remainingStages(stages, current, target);
    const applied: string[] = [];
    let before: Json | undefined;
    let lastGood = 'the starting weights';
    let decisionMs = 0;
    const dnsStages: Json[] = [];
    for (const [index, stage] of remaining.entries()) {
      const plan = await ctx.read.route53.planWeights(stage.weights, ctx.signal);
      before ??= plan.restore;
      // Where this stage started: the last good stage, or the starting weights.
      const restorePoint = plan.restore;
      const startWeights = plan.changes[0]?.target.weights;
      const backTo = `${lastGood}${startWeights ? ` (${formatWeights(startWeights)})` : ''}`;
      const fail = async (why: string, cause?: unknown): Promise<never> => {
        if (ctx.signal.aborted) throw cause ?? stepFailed('FO_ROUTE53_E3441', why);
        ctx.emit({
          level: 'warn',
          code: 'FO_ROUTE53_W3406',
          message: `stage ${stage.label} failed (${why}); returning the weights to ${backTo}`,
        });
        try {
          await ctx.write.route53.restoreWeights(restorePoint, {
            comment: comment(ctx, `return to ${lastGood} after stage ${stage.label} failed`),
            signal: ctx.signal,
            onProgress: (message) => ctx.emit({ level: 'info', code: 'FO_ROUTE53_I3402', message }),
          });
        } catch (restoreError) {
          const detail = restoreError instanceof Error ? restoreError.message : String(restoreError);
          throw stepFailed(
            'FO_ROUTE53_E3442',
            `stage ${stage.label} failed (${why}), and returning the weights to ${backTo} could not be confirmed: ${detail}`,
            {
              // The restore may still have taken effect: the run's last lines read the weights back.
              hint: 'the weights read back at the end of the run (or `failover status`) say where traffic goes now; set them by hand if needed',
              cause: restoreError,
            },
          );
        }
        throw stepFailed(
          'FO_ROUTE53_E3441',
          `stage ${stage.label} failed (${why}); the weights are back at ${backTo}`,
          {
            hint: 'fix what the gate reported, then run again: completed stages are skipped',
            cause,
            details: { stagesApplied: applied },
          },
        );
      };
      if (!plan.converged) {
        ctx.emit({
          level: 'info',
          code: 'FO_ROUTE53_I3401',
          message: `stage ${stage.label}: setting ${formatWeights(stage.weights)}`,
        });
        try {
          await ctx.write.route53.applyWeights(plan, {
            comment: comment(
              ctx,
              input.to
                ? `shift traffic to ${input.to}, stage ${stage.label}`
                : `set weights ${formatWeights(stage.weights)}`,
            ),
            signal: ctx.signal,
            onProgress: (message) => ctx.emit({ level: 'info', code: 'FO_ROUTE53_I3402', message }),
          });
        } catch (error) {
          await fail(error instanceof Error ? error.message : String(error), error);
        }
      }
      applied.push(stage.label);
      const next = remaining[index + 1];
      // The gate between stages: its checks decide alone (--yes, no terminal), or inform the
      // operator, who continues, holds here (the gate runs again) or rolls the shift back.
      for (let round = 1; ; round++) {
        const share = await liveShare(ctx, target);
        if (share)
          ctx.emit({ level: 'info', code: 'FO_ROUTE53_I3407', message: `stage ${stage.label}: ${share}` });
        if (!next) break;
        let problems: string[];
        let gateError: unknown;
        try {
          problems = await gate(ctx, input, stage, dnsStages, round > 1 ? holdDelayMs(input) : undefined);
        } catch (error) {
          gateError = error;
          problems = [`the gate could not check: ${error instanceof Error ? error.message : String(error)}`];
        }
        const asked = Date.now();
        const choice = await ctx.decide({
          message: `Stage ${stage.label} on ${target.toUpperCase()}: continue to ${next.label}, hold at ${stage.label}, or roll back to where the shift started?`,
          details: [
            problems.length === 0 ? 'health gate passed' : `health gate FAILED: ${problems.join('; ')}`,
            ...(share ? [share] : []),
          ],
          choices: GATE_CHOICES,
        });
        decisionMs += choice === undefined ? 0 : Date.now() - asked;
        if (choice === undefined) {
          if (problems.length > 0) await fail(`health gate: ${problems.join('; ')}`, gateError);
          break;
        }
        if (choice === 'continue') {
          if (problems.length > 0)
            ctx.emit({
              level: 'warn',
              code: 'FO_ROUTE53_W3408',
              message: `stage ${stage.label}: the operator continues although the health gate failed (${problems.join('; ')})`,
            });
          break;
        }
        if (choice === 'roll back') {
          await rollBackByOperator(ctx, stage, before);
        }
        ctx.emit({
          level: 'info',
          code: 'FO_ROUTE53_I3409',
          message: `stage ${stage.label}: holding; the gate runs again in ${formatMs(holdDelayMs(input))}`,
        });
      }
      lastGood = `the ${stage.label} stage`;
    }
    const final = (stages.at(-1) as Stage).weights;
    return {
      outputs: {
        weights: final,
        percent: percentOf(final),
        stagesApplied: applied,
        ...(dnsStages.length ? { dnsStages } : {}),
        // The time the operator spent at the gates: reports keep it out of the RTO.
        ...(decisionMs > 0 ? { decisionMs } : {}),
      },
      ...(before !== undefined ? { undo: before } : {}),
    };
  },

  async rollback(ctx, input, undo) {
    if (undo === undefined || undo === null) return;
    await ctx.write.route53.restoreWeights(undo, {
      comment: comment(ctx, `roll back ${input.to ? `the shift to ${input.to}` : 'the weights'}`),
      signal: ctx.signal,
      onProgress: (message) => ctx.emit({ level: 'info', code: 'FO_ROUTE53_I3402', message }),
    });
  },
});
