/**
 * verify.dns: after the weights move, ask the name servers N times what the public name answers
 * and require every answer to be the side that now holds all the weight (or, for a split, each
 * side's share within the tolerance of its weight). Proof from outside that traffic moved: what
 * resolvers are handed, not what the API says. Queries are reads, so a dry-run describes the step
 * and a rehearsal runs it.
 */
import { z } from 'zod';
import type { Json } from '../../engine/events.js';
import type { StepPlan } from '../../engine/plan.js';
import { Duration, formatMs, toMs } from '../../util/duration.js';
import { defineStep } from '../types.js';
import { countDnsAnswers, type DnsSideCounts, dnsVerifyConfig, judgeDnsCounts } from './dns-sides.js';

/**
 * Answers sampled when the weights split traffic: with 400, one standard deviation of a 50 % share
 * is 2.5 points, so the default tolerance of 10 points is four of them.
 */
export const SPLIT_SAMPLES = 400;

const Input = z.strictObject({
  /** The side traffic moved to (for the summary; the expected shares come from the weights). */
  to: z.enum(['aws', 'gcp']),
  /** Default: verify.dns.samples. */
  samples: z.number().int().min(1).max(10_000).optional(),
  /** Default: verify.dns.tolerance. */
  tolerance: z.number().min(0).max(1).optional(),
  /** Sample again until the answers hold, up to this long (name servers converge within seconds). */
  within: Duration.optional(),
  required: z.boolean().default(true),
});

export const verifyDnsStep = defineStep({
  kind: 'verify.dns',
  description:
    'Ask the name servers N times what the name answers and require the answers to follow the weights (read-only).',
  mutating: false,
  defaultTimeoutMs: 5 * 60_000,
  input: Input,
  async plan(ctx, input): Promise<StepPlan> {
    const settings = dnsVerifyConfig(ctx.config);
    const samples = input.samples ?? settings.samples;
    const tolerance = input.tolerance ?? settings.tolerance;
    const where = settings.servers ? settings.servers.join(', ') : "the hosted zone's name servers";
    if (ctx.afterChanges) {
      return {
        summary: `will ask ${where} ${samples} times and expect the answers to follow the weights (to ${input.to})`,
        changes: [],
        converged: false,
      };
    }
    const deadline = Date.now() + (input.within && ctx.phase === 'apply' ? toMs(input.within) : 0);
    let counts: DnsSideCounts;
    let judgement: ReturnType<typeof judgeDnsCounts>;
    for (;;) {
      const [target] = await ctx.read.route53.describeWeights(ctx.signal);
      const weights = target?.weights ?? { gcp: 0, aws: 0 };
      // A share is only measured well by many answers: a split gets at least SPLIT_SAMPLES.
      const split = weights.gcp > 0 && weights.aws > 0;
      const wanted = split ? Math.max(samples, SPLIT_SAMPLES) : samples;
      counts = await countDnsAnswers(ctx.read, ctx.config, { samples: wanted, signal: ctx.signal });
      judgement = judgeDnsCounts(counts, weights, tolerance);
      if (judgement.ok || Date.now() >= deadline) break;
      ctx.emit({
        level: 'info',
        code: 'FO_DNS_I7510',
        message: `DNS answers do not follow the weights yet (${judgement.detail}); asking again`,
      });
      await ctx.sleep(Math.min(2000, Math.max(0, deadline - Date.now())));
    }
    const { answers, ...figures } = counts;
    return {
      summary: `${judgement.detail} (${counts.samples} queries in ${formatMs(counts.elapsedMs)})`,
      changes: [],
      converged: false,
      checks: [
        {
          name: `DNS answers for ${counts.name.replace(/\.$/, '')}`,
          ok: judgement.ok,
          severity: input.required ? 'error' : 'warning',
          detail: judgement.detail,
        },
      ],
      outputs: {
        ok: judgement.ok,
        dns: { ...figures, expectedAws: judgement.expectedAws } as Json,
        answers: answers as unknown as Json,
      },
    };
  },
});
