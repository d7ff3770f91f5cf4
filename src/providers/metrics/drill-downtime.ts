/**
 * The downtime a game day schedules for the side it takes down, so its monitors page nobody, and
 * cancels at the end whatever happened. A safety end (`maxMs`) ends it even if nothing cancels it.
 */
import type { Config } from '../../config/schema.js';
import { createMetricsWriter } from './index.js';
import type { Downtime } from './port.js';

export interface DrillDowntime {
  downtime: Downtime;
  /** e.g. `Datadog downtime 5000001 (scope cloud:gcp; monitors service:admin)`. */
  label: string;
  cancel(): Promise<void>;
}

/** Undefined when the config asks for no downtime on this side. */
export async function scheduleDrillDowntime(
  config: Config,
  env: NodeJS.ProcessEnv,
  side: 'gcp' | 'aws',
  options: { message: string; maxMs: number },
): Promise<DrillDowntime | undefined> {
  const wanted = config.metrics?.[side].downtime;
  if (!wanted) return undefined;
  const writer = createMetricsWriter(config, env);
  const downtime = await writer.scheduleDowntime(
    {
      scope: wanted.scope,
      ...(wanted.monitorTags ? { monitorTags: wanted.monitorTags } : {}),
      message: options.message,
      end: Math.ceil((Date.now() + options.maxMs) / 1000),
    },
    AbortSignal.timeout(30_000),
  );
  const label = `Datadog downtime ${downtime.id} (scope ${downtime.scope.join(',')}${
    downtime.monitorTags.length ? `; monitors ${downtime.monitorTags.join(',')}` : ''
  })`;
  return {
    downtime,
    label,
    cancel: () => writer.cancelDowntime(downtime.id, AbortSignal.timeout(30_000)),
  };
}
