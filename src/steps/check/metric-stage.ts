/**
 * The metric gate between the stages of a staged traffic shift: the target side's error rate and
 * monitors from the config, with the config's rhythm. Returns why it failed, or nothing.
 */
import type { Role } from '../../providers/types.js';
import { toMs } from '../../util/duration.js';
import type { ApplyContext } from '../types.js';
import { describeFailure, evaluate, runGate, sideSpec } from './metric-gate.js';

export async function stageMetricGate(
  ctx: ApplyContext,
  side: Role,
  wanted: boolean | undefined,
): Promise<string[]> {
  const metrics = ctx.config.metrics;
  if (wanted === false || (!metrics && wanted === undefined)) return [];
  if (!metrics) return ['the stage gate asks for metrics but the config has no metrics section'];
  const spec = sideSpec(metrics, side);
  if (spec.queries.length === 0 && !spec.monitorTags) {
    return wanted ? [`no metric gate configured for ${side} (metrics.${side}.errorRate or monitors)`] : [];
  }
  const intervalMs = toMs(metrics.interval);
  const reader = ctx.read.metrics.reader();
  const outcome = await runGate(
    () => evaluate(reader, { ...spec, windowMs: intervalMs }, ctx.signal),
    { intervalMs, failureThreshold: metrics.failureThreshold, evaluations: 1 },
    (ms) => ctx.sleep(ms),
  );
  return outcome.ok ? [] : [`metric gate: ${describeFailure(outcome.last)}`];
}
