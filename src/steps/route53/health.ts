/**
 * check.route53-health: the Route 53 health checks named in route53.healthChecks (role → id),
 * each healthy when a majority of the health checkers report Success.
 */

import type { Json } from '../../engine/events.js';
import type { CheckResult, StepPlan } from '../../engine/plan.js';
import { z } from '../../util/zod.js';
import { defineStep } from '../types.js';

const Input = z.strictObject({
  /** Roles (keys of route53.healthChecks) to check; default every configured one. */
  roles: z.array(z.string().min(1)).min(1).optional(),
  /** false: an unhealthy check is a warning, not a failure. */
  required: z.boolean().default(true),
});
type Input = z.infer<typeof Input>;

export const route53HealthCheck = defineStep({
  kind: 'check.route53-health',
  description: 'Check the Route 53 health checks of the configured roles (read-only).',
  mutating: false,
  defaultTimeoutMs: 60_000,
  input: Input,
  reusePlan: () => true,
  async plan(ctx, input: Input): Promise<StepPlan> {
    const severity = input.required ? 'error' : 'warning';
    const configured = ctx.config.route53?.healthChecks ?? {};
    const roles = input.roles ?? Object.keys(configured);
    if (roles.length === 0) {
      return {
        summary: 'no Route 53 health checks configured',
        changes: [],
        converged: false,
        checks: [
          {
            name: 'route53 health checks',
            ok: !input.required,
            severity,
            detail: 'add route53.healthChecks (role → health check id) to the config',
          },
        ],
      };
    }
    if (ctx.afterChanges) {
      return {
        summary: `will check Route 53 health checks: ${roles.join(', ')}`,
        changes: [],
        converged: false,
      };
    }
    let states: Awaited<ReturnType<typeof ctx.read.route53.healthChecks>>;
    try {
      states = await ctx.read.route53.healthChecks(ctx.signal);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      return {
        summary: `Route 53 health checks unreadable: ${message}`,
        changes: [],
        converged: false,
        checks: [{ name: 'route53 health checks readable', ok: false, severity, detail: message }],
        outputs: { healthy: false },
      };
    }
    const checks: CheckResult[] = roles.map((role) => {
      const state = states.find((s) => s.role === role);
      if (!state) {
        return {
          name: `route53 health check ${role}`,
          ok: false,
          severity,
          detail: `no health check configured for role ${role}: add route53.healthChecks.${role}`,
        };
      }
      return {
        name: `route53 health check ${role} (${state.id})`,
        ok: state.healthy,
        severity,
        detail: state.summary,
      };
    });
    const healthy = checks.filter((c) => c.ok).length;
    return {
      summary: `${healthy}/${checks.length} Route 53 health checks healthy`,
      changes: [],
      converged: false,
      checks,
      outputs: {
        healthy: healthy === checks.length,
        states: states.filter((s) => roles.includes(s.role)) as unknown as Json,
      },
    };
  },
});
