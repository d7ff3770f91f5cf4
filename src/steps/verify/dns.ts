/**
 * verify.dns: after the weights move, ask the name servers N times what the public name answers
 * and require every answer to be the side that now holds all the weight (or, for a split, each
 * side's share within the tolerance of its weight). Proof from outside that traffic moved: what
 * resolvers are handed, not what the API says. Queries are reads, so a dry-run describes the step
 * and a rehearsal runs it.
 */

import type { Json } from '../../engine/events.js';
import type { StepPlan } from '../../engine/plan.js';
import { Duration, formatMs, toMs } from '../../util/duration.js';
import { z } from '../../util/zod.js';
import { defineStep } from '../types.js';
import { checkDnsAnswers, dnsCheckLine, dnsCheckResult, dnsFigures } from './dns-check.js';
import { dnsVerifyConfig } from './dns-sides.js';

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
    const withinMs = input.within && ctx.phase === 'apply' ? toMs(input.within) : 0;
    const check = await checkDnsAnswers(ctx, { samples, tolerance, withinMs });
    const line = dnsCheckLine(check, formatMs(check.counts.elapsedMs));
    const result = dnsCheckResult(check, input.required);
    // The step tree shows the counts the moment they are in (the summary is not shown when applying).
    if (ctx.phase === 'apply') ctx.emit({ level: 'info', code: 'FO_DNS_I7511', message: line });
    return {
      summary: line,
      changes: [],
      converged: false,
      checks: [result],
      outputs: {
        ok: check.judgement.ok,
        dns: dnsFigures(check),
        answers: check.counts.answers as unknown as Json,
        // The report lists a run's checks from here.
        checks: [result] as unknown as Json,
      },
    };
  },
});
