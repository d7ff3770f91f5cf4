/**
 * check.portability: the overlay of a side, rendered as it will be once active (its standby
 * entries removed), holds nothing that side's cluster cannot serve (`failover lint portability`'s
 * catalogue). In standby nothing shows a GKE-only object on AWS; the first sync of the failover
 * would. Errors fail the check; what the cluster merely ignores is a warning.
 */

import { FailoverError } from '../../engine/errors.js';
import type { CheckResult, StepPlan } from '../../engine/plan.js';
import { checkObjects } from '../../lint/portability/index.js';
import {
  type LiveFinding,
  type ServedApis,
  servedByCluster,
  unservedObjects,
  unsyncedClusters,
} from '../../lint/portability/live.js';
import type { KubeObject } from '../../providers/kustomize/index.js';
import { type Role, SIDE_NAMES } from '../../providers/types.js';
import { z } from '../../util/zod.js';
import { defineStep, type PlanContext } from '../types.js';

interface LiveCheck {
  findings: LiveFinding[];
  /** Why the live check said nothing (no Argo CD in the config, unreadable, cache not synced). */
  skipped?: string;
  clusters: ServedApis[];
}

/**
 * The rendered kinds against what each destination cluster of the side's apps really serves, as
 * Argo CD reports it. Argo CD unreachable or not configured: the check from git alone stands.
 */
async function liveCheck(ctx: PlanContext, role: Role, objects: readonly KubeObject[]): Promise<LiveCheck> {
  if (!ctx.config.argocd) return { findings: [], clusters: [], skipped: 'no argocd section in the config' };
  const reader = ctx.read.argocd;
  if (!reader.clusterApis)
    return { findings: [], clusters: [], skipped: 'this Argo CD reader cannot list API resources' };
  let answers: Awaited<ReturnType<NonNullable<typeof reader.clusterApis>>>;
  try {
    answers = await reader.clusterApis(role, { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted || (FailoverError.is(error) && error.category === 'invalid-input')) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return {
      findings: [],
      clusters: [],
      skipped: `cannot read what the clusters serve from Argo CD: ${message}`,
    };
  }
  const clusters = servedByCluster(answers);
  const unsynced = unsyncedClusters(clusters);
  return {
    findings: unservedObjects(objects, clusters),
    clusters,
    ...(unsynced.length
      ? { skipped: `Argo CD has not cached the API resources of ${unsynced.join(', ')} yet` }
      : {}),
  };
}

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
  reusePlan: () => true,
  async plan(ctx, input): Promise<StepPlan> {
    const severity: 'error' | 'warning' = input.required ? 'error' : 'warning';
    const side = SIDE_NAMES[input.role];
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
    const name = (f: { object: { kind: string; name: string; namespace?: string } }) =>
      `${f.object.kind} ${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}`;
    const live = await liveCheck(ctx, input.role, rendered.objects);
    // An object the catalogue already names is not named twice; the cluster's answer confirms it.
    const named = new Set(errors.map(name));
    const unserved = live.findings.filter((f) => !named.has(name(f)));
    const checks: CheckResult[] =
      errors.length || unserved.length
        ? [
            ...errors.map(
              (f): CheckResult => ({
                name: `${name(f)} servable on ${side}`,
                ok: false,
                severity,
                detail: `${f.field}: ${f.message} (fix: ${f.fix.description}; \`failover lint portability --fix\`)`,
              }),
            ),
            ...unserved.map(
              (f): CheckResult => ({
                name: `${name(f)} servable on ${side}`,
                ok: false,
                severity,
                detail: `cluster ${f.cluster} does not serve ${f.object.apiVersion} ${f.object.kind} (Argo CD's API resources of the cluster); the sync would fail: ${f.message} (fix: install the CRD on ${f.cluster}, or drop the object in the overlay)`,
              }),
            ),
          ]
        : [
            {
              name: `${side} overlay portable`,
              ok: true,
              detail: `${rendered.objects.length} objects of ${rendered.dir} once active, none ${side} cannot serve${
                live.clusters.some((c) => c.apiVersions.size > 0)
                  ? `; every kind served by ${live.clusters.map((c) => c.cluster).join(', ')} (Argo CD)`
                  : ''
              }`,
            },
          ];
    const problems = errors.length + unserved.length;
    const warnings = [
      ...ignored.map((f) => `${name(f)}: ${f.field} is ignored on ${side} (${f.fix.description})`),
      ...(live.skipped && ctx.config.argocd
        ? [`live check of the served kinds skipped: ${live.skipped}`]
        : []),
    ];
    return {
      summary: `${side} overlay ${rendered.dir} at ${rendered.revision.slice(0, 8)} once active: ${
        problems ? `${problems} object(s) ${side} cannot serve` : 'portable'
      }${ignored.length ? `, ${ignored.length} field(s) ${side} ignores` : ''}`,
      changes: [],
      converged: false,
      checks,
      ...(warnings.length ? { warnings } : {}),
      outputs: { errors: problems, warnings: ignored.length, unserved: unserved.length },
    };
  },
});
