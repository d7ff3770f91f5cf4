/**
 * check.portability: the overlay of a side, rendered as it will be once active (its standby
 * entries removed), holds nothing that side's cluster cannot serve (`failover lint portability`'s
 * catalogue). In standby nothing shows a GKE-only object on AWS; the first sync of the failover
 * would. Errors fail the check; what the cluster merely ignores is a warning.
 */
import { z } from 'zod';
import type { CheckResult, StepPlan } from '../../engine/plan.js';
import { checkObjects } from '../../lint/portability/index.js';
import type { Role } from '../../providers/types.js';
import { defineStep } from '../types.js';

const SIDE: Record<Role, string> = { aws: 'AWS', gcp: 'GKE' };

export const portabilityCheck = defineStep({
  kind: 'check.portability',
  description:
    'Check that an overlay, rendered as it will be once active, holds nothing its cloud cannot serve (read-only).',
  mutating: false,
  defaultTimeoutMs: 2 * 60_000,
  input: z.strictObject({
    role: z.enum(['aws', 'gcp']).default('aws'),
    required: z.boolean().default(true),
  }),
  async plan(ctx, input): Promise<StepPlan> {
    const severity = input.required ? 'error' : 'warning';
    const side = SIDE[input.role];
    const renderActive = ctx.read.git.renderActive;
    if (!renderActive) {
      return {
        summary: `${side} overlay not rendered (this git reader cannot render)`,
        changes: [],
        converged: false,
        checks: [
          { name: `${side} overlay portable`, ok: false, severity: 'warning', detail: 'not rendered' },
        ],
      };
    }
    let rendered: Awaited<ReturnType<typeof renderActive>>;
    try {
      rendered = await renderActive.call(ctx.read.git, input.role, ctx.signal);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      return {
        summary: `${side} overlay cannot be rendered as active`,
        changes: [],
        converged: false,
        checks: [{ name: `${side} overlay renders once active`, ok: false, severity, detail }],
      };
    }
    const findings = checkObjects(rendered.objects, input.role, rendered.dir);
    const errors = findings.filter((f) => f.severity === 'error');
    const ignored = findings.filter((f) => f.severity === 'warning');
    const name = (f: (typeof findings)[number]) =>
      `${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}`;
    const checks: CheckResult[] = errors.length
      ? errors.map((f) => ({
          name: `${name(f)} servable on ${side}`,
          ok: false,
          severity,
          detail: `${f.field}: ${f.message} (fix: ${f.fix.description}; \`failover lint portability --fix\`)`,
        }))
      : [
          {
            name: `${side} overlay portable`,
            ok: true,
            detail: `${rendered.objects.length} objects of ${rendered.dir} once active, none ${side} cannot serve`,
          },
        ];
    return {
      summary: `${side} overlay ${rendered.dir} at ${rendered.revision.slice(0, 8)} once active: ${
        errors.length ? `${errors.length} object(s) ${side} cannot serve` : 'portable'
      }${ignored.length ? `, ${ignored.length} field(s) ${side} ignores` : ''}`,
      changes: [],
      converged: false,
      checks,
      ...(ignored.length
        ? {
            warnings: ignored.map(
              (f) => `${name(f)}: ${f.field} is ignored on ${side} (${f.fix.description})`,
            ),
          }
        : {}),
      outputs: { errors: errors.length, warnings: ignored.length },
    };
  },
});
