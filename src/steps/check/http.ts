/**
 * check.http: probe endpoints. `probes: aws|gcp|public` takes the probes from the config; a list
 * gives them inline. `within` keeps probing until every probe passes or the time is up (after a
 * DNS change, answers move over gradually).
 */

import { Probe } from '../../config/schema.js';
import type { Json } from '../../engine/events.js';
import type { CheckResult, StepPlan } from '../../engine/plan.js';
import type { ProbeResult } from '../../providers/http/port.js';
import { Duration, toMs } from '../../util/duration.js';
import { z } from '../../util/zod.js';
import { defineStep, type PlanContext } from '../types.js';

const Input = z.strictObject({
  probes: z.union([z.enum(['aws', 'gcp', 'public']), z.array(Probe).min(1)]),
  required: z.boolean().default(true),
  /** Keep probing until all pass, up to this long. */
  within: Duration.optional(),
  /** Every answer must say (x-served-by) it came from this side. */
  expectServedBy: z.enum(['gke', 'aws']).optional(),
});
type Input = z.infer<typeof Input>;

function probesOf(ctx: PlanContext, input: Input): Probe[] {
  return typeof input.probes === 'string' ? ctx.config.probes[input.probes] : input.probes;
}

function toCheck(result: ProbeResult, input: Input): CheckResult {
  const servedOk = !input.expectServedBy || result.servedBy === input.expectServedBy;
  const ok = result.ok && servedOk;
  const detail = result.ok
    ? servedOk
      ? `${result.successes}/${result.wanted} ok, HTTP ${result.status}${result.servedBy ? ` from ${result.servedBy}` : ''}`
      : `served by ${result.servedBy ?? 'unknown'}, expected ${input.expectServedBy}`
    : (result.error ?? 'failed');
  return { name: `probe ${result.name}`, ok, severity: input.required ? 'error' : 'warning', detail };
}

export const httpCheck = defineStep({
  kind: 'check.http',
  description:
    'Probe HTTP endpoints (by address, with a Host header) until they answer as expected (read-only).',
  mutating: false,
  defaultTimeoutMs: 5 * 60_000,
  input: Input,
  // The plan's answer is "now"; with `within` the step's own turn waits for failing probes.
  reusePlan: (input, plan) => !input.within || (plan.checks ?? []).every((c) => c.ok),
  async plan(ctx, input): Promise<StepPlan> {
    const probes = probesOf(ctx, input);
    const label = typeof input.probes === 'string' ? `${input.probes} probes` : 'probes';
    if (probes.length === 0) {
      return {
        summary: `no ${label} configured`,
        changes: [],
        converged: false,
        checks: [
          {
            name: label,
            ok: !input.required,
            severity: input.required ? 'error' : 'warning',
            detail: `add probes.${String(input.probes)} to the config`,
          },
        ],
      };
    }
    if (ctx.afterChanges) {
      return {
        summary: `will probe ${probes.map((p) => p.url).join(', ')}${input.within ? ` for up to ${input.within}` : ''}`,
        changes: [],
        converged: false,
      };
    }
    // The plan (and so a dry-run or a rehearsal) reports what the probes answer now; waiting
    // `within` for them to come up belongs to the step's own turn, when the run acts on the answer.
    const deadline = Date.now() + (input.within && ctx.phase === 'apply' ? toMs(input.within) : 0);
    let results: ProbeResult[];
    for (;;) {
      results = await Promise.all(probes.map((p) => ctx.read.http.probe(p, ctx.signal)));
      const checks = results.map((r) => toCheck(r, input));
      if (checks.every((c) => c.ok) || Date.now() >= deadline) break;
      ctx.emit({
        level: 'info',
        code: 'FO_CHECK_I4002',
        message: `waiting for ${checks
          .filter((c) => !c.ok)
          .map((c) => c.name)
          .join(', ')}`,
      });
      await ctx.sleep(Math.min(2000, Math.max(0, deadline - Date.now())));
    }
    const checks = results.map((r) => toCheck(r, input));
    const passed = checks.filter((c) => c.ok).length;
    return {
      summary: `${passed}/${checks.length} ${label} answered as expected`,
      changes: [],
      converged: false,
      checks,
      outputs: { results: results as unknown as Json, ok: passed === checks.length },
    };
  },
});
