/**
 * Builds the metrics reader and writer the config asks for. The Datadog client (thousands of
 * modules) is imported on the first Datadog call only.
 */
import type { Config } from '../../config/schema.js';
import { invalidInput } from '../../engine/errors.js';
import { deferred } from '../deferred.js';
import type { MetricsReader, MetricsWriter } from './port.js';
import { createPrometheusReader } from './prometheus.js';

function noMetrics(): never {
  throw invalidInput('FO_METRICS_E7001', 'no metrics section in the config', {
    hint: 'add `metrics:` (provider datadog or prometheus) to the config, or remove the metric gate',
  });
}

export function createMetricsReader(
  config: Config,
  env: NodeJS.ProcessEnv,
  provider?: 'datadog' | 'prometheus',
): MetricsReader {
  const metrics = config.metrics ?? noMetrics();
  if ((provider ?? metrics.provider) === 'prometheus') return createPrometheusReader(metrics.prometheus, env);
  const calls = deferred<Omit<MetricsReader, 'provider' | 'warm'>>(
    async () => (await import('./datadog.js')).createDatadogReader({ config: metrics.datadog, env }),
    { query: true, monitors: true },
  );
  return {
    provider: 'datadog',
    query: calls.query,
    monitors: calls.monitors,
    // The module stays loaded: the first call's own import then finds it. A failure shows there.
    warm: () => void import('./datadog.js').catch(() => undefined),
  };
}

export function createMetricsWriter(config: Config, env: NodeJS.ProcessEnv): MetricsWriter {
  const metrics = config.metrics ?? noMetrics();
  return deferred<MetricsWriter>(
    async () => (await import('./datadog.js')).createDatadogWriter({ config: metrics.datadog, env }),
    { scheduleDowntime: true, cancelDowntime: true },
  );
}
