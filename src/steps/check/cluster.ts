/**
 * check.eks-cluster, check.gke-cluster: is the cluster able to carry traffic? With
 * `required: false` a failure is recorded as a warning and the run goes on (GKE during to-aws:
 * it is usually why we are here).
 */

import type { Json } from '../../engine/events.js';
import type { StepPlan } from '../../engine/plan.js';
import type { ReadPorts } from '../../providers/ports.js';
import type { ClusterHealth } from '../../providers/types.js';
import { z } from '../../util/zod.js';
import { defineStep, type PlanContext, type StepKind } from '../types.js';

const Input = z.strictObject({
  /** false: a failed check is a warning (recorded, reported), not a failure. */
  required: z.boolean().default(true),
});
type Input = z.infer<typeof Input>;

export function clusterCheck(
  kind: string,
  label: string,
  read: (ports: ReadPorts, signal: AbortSignal) => Promise<ClusterHealth>,
): StepKind<Input> {
  return defineStep({
    kind,
    description: `Check that the ${label} cluster can carry traffic (read-only).`,
    mutating: false,
    defaultTimeoutMs: 60_000,
    input: Input,
    reusePlan: () => true,
    async plan(ctx: PlanContext, input: Input): Promise<StepPlan> {
      const severity = input.required ? 'error' : 'warning';
      if (ctx.afterChanges) {
        return {
          summary: `will check the ${label} cluster${input.required ? '' : ' (not required)'}`,
          changes: [],
          converged: false,
        };
      }
      try {
        const health = await read(ctx.read, ctx.signal);
        for (const warning of health.warnings)
          ctx.emit({ level: 'warn', code: 'FO_CHECK_W4001', message: `${health.name}: ${warning}` });
        return {
          summary: `${health.name}: ${health.status}${health.usable ? '' : ` — ${health.problems.join('; ')}`}`,
          changes: [],
          converged: false,
          checks: [
            {
              name: `${label} cluster usable`,
              ok: health.usable,
              severity,
              detail: health.usable ? health.status : health.problems.join('; '),
            },
          ],
          outputs: {
            reachable: true,
            usable: health.usable,
            status: health.status,
            problems: health.problems,
            warnings: health.warnings,
            detail: health.detail as Json,
          },
          ...(health.warnings.length ? { warnings: health.warnings } : {}),
        };
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        const message = error instanceof Error ? error.message : String(error);
        return {
          summary: `${label} cluster unreachable: ${message}`,
          changes: [],
          converged: false,
          checks: [{ name: `${label} cluster reachable`, ok: false, severity, detail: message }],
          outputs: {
            reachable: false,
            usable: false,
            status: 'UNREACHABLE',
            problems: [message],
            warnings: [],
          },
        };
      }
    },
  });
}

export const eksClusterCheck = clusterCheck('check.eks-cluster', 'EKS', (ports, signal) =>
  ports.eks.describeCluster(signal),
);
export const gkeClusterCheck = clusterCheck('check.gke-cluster', 'GKE', (ports, signal) =>
  ports.gke.describeCluster(signal),
);
