/**
 * One DNS verification: sample the name servers and judge the answers against the weights Route 53
 * holds now, asking again until they hold or the time is up (name servers converge within
 * seconds). Shared by the `verify.dns` step and the gate between the stages of a staged shift.
 */
import type { Json } from '../../engine/events.js';
import type { CheckResult } from '../../engine/plan.js';
import { formatMs } from '../../util/duration.js';
import type { PlanContext } from '../types.js';
import {
  countDnsAnswers,
  type DnsJudgement,
  type DnsSideCounts,
  dnsVerifyConfig,
  judgeDnsCounts,
} from './dns-sides.js';

/**
 * Answers sampled when the weights split traffic: with 400, one standard deviation of a 50 % share
 * is 2.5 points, so the default tolerance of 10 points is four of them.
 */
export const SPLIT_SAMPLES = 400;

type Weights = { gcp: number; aws: number };

/**
 * The weights the name servers answer by: Route 53 leaves out a side whose health check fails
 * (and answers a healthy zero-weight side when nothing else is healthy), unless every side fails.
 * A staged shift away from a failing GKE then expects every answer on AWS, as resolvers get.
 */
export function healthyWeights(weights: Weights, healthy: { gcp?: boolean; aws?: boolean }): Weights {
  const down = (['gcp', 'aws'] as const).filter((side) => healthy[side] === false);
  if (down.length !== 1) return weights;
  const up = down[0] === 'gcp' ? 'aws' : 'gcp';
  return { [down[0] as 'gcp' | 'aws']: 0, [up]: weights[up] > 0 ? weights[up] : 1 } as Weights;
}

async function servedWeights(ctx: Pick<PlanContext, 'read' | 'config' | 'signal'>, weights: Weights) {
  if (Object.keys(ctx.config.route53?.healthChecks ?? {}).length === 0) return weights;
  const healthy: { gcp?: boolean; aws?: boolean } = {};
  for (const state of await ctx.read.route53.healthChecks(ctx.signal))
    if (state.role === 'gcp' || state.role === 'aws') healthy[state.role] = state.healthy;
  return healthyWeights(weights, healthy);
}

export interface DnsCheck {
  counts: DnsSideCounts;
  judgement: DnsJudgement;
}

export async function checkDnsAnswers(
  ctx: Pick<PlanContext, 'read' | 'config' | 'signal' | 'emit' | 'sleep'>,
  options: { samples: number; tolerance: number; withinMs: number },
): Promise<DnsCheck> {
  const deadline = Date.now() + options.withinMs;
  for (;;) {
    const [target] = await ctx.read.route53.describeWeights(ctx.signal);
    const set = target?.weights ?? { gcp: 0, aws: 0 };
    const weights = await servedWeights(ctx, set);
    // A share is only measured well by many answers: a split gets at least SPLIT_SAMPLES.
    const split = set.gcp > 0 && set.aws > 0;
    const wanted = split ? Math.max(options.samples, SPLIT_SAMPLES) : options.samples;
    const counts = await countDnsAnswers(ctx.read, ctx.config, { samples: wanted, signal: ctx.signal });
    const judgement = judgeDnsCounts(counts, weights, options.tolerance);
    if (judgement.ok || Date.now() >= deadline) return { counts, judgement };
    ctx.emit({
      level: 'info',
      code: 'FO_DNS_I7510',
      message: `DNS answers do not follow the weights yet (${judgement.detail}); asking again`,
    });
    await ctx.sleep(Math.min(2000, Math.max(0, deadline - Date.now())));
  }
}

/** The figures a run keeps (journal, JSON, report): counts per side, the server, the expected share. */
export function dnsFigures(check: DnsCheck): Record<string, Json> {
  const { answers: _answers, ...figures } = check.counts;
  return { ...figures, expectedAws: check.judgement.expectedAws };
}

export function dnsCheckResult(check: DnsCheck, required: boolean): CheckResult {
  return {
    name: `DNS answers for ${check.counts.name.replace(/\.$/, '')}`,
    ok: check.judgement.ok,
    severity: required ? 'error' : 'warning',
    detail: check.judgement.detail,
  };
}

/** The line the step tree shows: `admin.example.com: 20/20 answers → AWS (20 queries to 127.0.0.1:5353 in 115ms)`. */
export function dnsCheckLine(check: DnsCheck, elapsed: string): string {
  const { counts } = check;
  return `${check.judgement.detail} (${counts.samples} queries to ${counts.server} in ${elapsed})`;
}

/** How long a stage's DNS check asks again before the gate fails (name servers converge within seconds). */
export const STAGE_DNS_WITHIN_MS = 30_000;

/**
 * The DNS part of the gate between the stages of a staged shift: each side's share of the
 * answers within `verify.dns.tolerance` of its weight, over at least SPLIT_SAMPLES answers. Runs
 * when the config has `verify: {dns: ...}` (or the gate asks for it). Returns why it failed, and
 * the figures the step keeps.
 */
export async function stageDnsGate(
  ctx: Pick<PlanContext, 'read' | 'config' | 'signal' | 'emit' | 'sleep'>,
  stage: string,
  options: { wanted: boolean | undefined; withinMs?: number },
): Promise<{ problems: string[]; figures?: Record<string, Json> }> {
  const { wanted } = options;
  if (wanted === false || (wanted === undefined && !ctx.config.verify?.dns)) return { problems: [] };
  const settings = dnsVerifyConfig(ctx.config);
  const check = await checkDnsAnswers(ctx, {
    samples: settings.samples,
    tolerance: settings.tolerance,
    withinMs: options.withinMs ?? STAGE_DNS_WITHIN_MS,
  });
  ctx.emit({
    level: check.judgement.ok ? 'info' : 'warn',
    code: 'FO_DNS_I7512',
    message: `stage ${stage}: ${dnsCheckLine(check, formatMs(check.counts.elapsedMs))}`,
  });
  return {
    problems: check.judgement.ok ? [] : [`DNS answers: ${check.judgement.detail}`],
    figures: { stage, ...dnsFigures(check) },
  };
}
