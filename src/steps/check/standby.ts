/**
 * check.standby: the AWS overlay at the branch tip, judged as `failover lint standby` judges a
 * checkout: nothing runs in standby but what is exempt on purpose (a CronJob left unsuspended would
 * run on both clouds every night), and the toggle starts what it should. The status lists what runs
 * in standby; only the lint can tell a deliberate exemption from an accident.
 */

import type { CheckResult, StepPlan } from '../../engine/plan.js';
import { lintStandby, type StandbyFinding } from '../../lint/standby/index.js';
import { SIDE_NAMES } from '../../providers/types.js';
import { z } from '../../util/zod.js';
import { defineStep } from '../types.js';

function describeFinding(finding: StandbyFinding): string {
  const where = finding.file ? ` (${finding.file}${finding.line ? `:${finding.line}` : ''})` : '';
  return `${finding.message}${where}${finding.fix ? `; fix: ${finding.fix}` : ''}`;
}

export const standbyCheck = defineStep({
  kind: 'check.standby',
  description:
    'Check that an overlay in standby is really dormant, as `failover lint standby` judges it: nothing runs but what is exempt on purpose (read-only).',
  mutating: false,
  defaultTimeoutMs: 2 * 60_000,
  input: z.strictObject({
    // The gke overlay runs everything in normal times: only the aws overlay has a standby to lint.
    role: z.enum(['aws']).default('aws'),
    required: z.boolean().default(true),
  }),
  reusePlan: () => true,
  async plan(ctx, input): Promise<StepPlan> {
    const severity: 'error' | 'warning' = input.required ? 'error' : 'warning';
    const side = SIDE_NAMES[input.role];
    const checkout = ctx.read.git.checkout;
    if (!checkout) {
      return {
        summary: `${side} standby not linted (this git reader cannot check out the repository)`,
        changes: [],
        converged: false,
        checks: [{ name: `${side} standby dormant`, ok: false, severity: 'warning', detail: 'not linted' }],
      };
    }
    const copy = await checkout.call(ctx.read.git, input.role, ctx.signal);
    try {
      const report = await lintStandby(copy.overlayDir, {
        matcher: ctx.config.gitops?.standby ?? { patchPaths: [], components: [] },
        ...(ctx.config.kustomize ? { kustomize: ctx.config.kustomize } : {}),
        displayRoot: copy.root,
      });
      const errors = report.findings.filter((f) => f.severity === 'error');
      const warnings = report.findings.filter((f) => f.severity === 'warning').map(describeFinding);
      const checks: CheckResult[] = [
        ...report.problems.map(
          (p): CheckResult => ({
            name: `${side} standby linted`,
            ok: false,
            severity,
            detail: `${p.message}${p.hint ? ` (${p.hint})` : ''}`,
          }),
        ),
        ...errors.map(
          (f): CheckResult => ({
            name: f.object
              ? `${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name} dormant in standby`
              : `${side} standby (${f.rule})`,
            ok: false,
            severity,
            detail: describeFinding(f),
          }),
        ),
      ];
      if (checks.length === 0) {
        checks.push({
          name: `${side} standby dormant`,
          ok: true,
          detail: `${report.objects} objects of ${report.overlay}, nothing running${
            report.alwaysOn.length
              ? ` but ${report.alwaysOn.length} always-on workload(s) exempt on purpose`
              : ''
          }; \`failover lint standby\` agrees`,
        });
      }
      return {
        summary: `${side} standby at ${copy.revision.slice(0, 8)}: ${
          !report.rendered
            ? 'not linted'
            : errors.length
              ? `${errors.length} problem(s) \`failover lint standby\` reports`
              : 'dormant'
        }`,
        changes: [],
        converged: false,
        checks,
        ...(warnings.length ? { warnings } : {}),
        outputs: { errors: errors.length, warnings: warnings.length },
      };
    } finally {
      await copy.remove();
    }
  },
});
