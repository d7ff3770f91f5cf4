import type { Json } from '../../engine/events.js';
import { z } from '../../util/zod.js';
import { defineStep } from '../types.js';
import { collectStatus } from './collect.js';

/** Records the state of both sides at the start of a run (journal, report, comparisons). */
export const snapshotStep = defineStep({
  kind: 'status.snapshot',
  description: 'Record clusters, weights, health checks, overlays and Argo CD apps (read-only).',
  mutating: false,
  input: z.strictObject({}),
  reusePlan: () => true,
  async plan(ctx) {
    const report = await collectStatus(ctx.read, ctx.config, ctx.signal);
    const unreadable = [
      ...Object.entries(report.clusters)
        .filter(([, s]) => !s.ok)
        .map(([role]) => `${role} cluster`),
      ...(report.weights && !report.weights.ok ? ['route53 weights'] : []),
    ];
    return {
      summary: unreadable.length
        ? `state recorded; unreadable: ${unreadable.join(', ')}`
        : 'state of both sides recorded',
      changes: [],
      converged: false,
      outputs: { snapshot: report as unknown as Json },
    };
  },
});
