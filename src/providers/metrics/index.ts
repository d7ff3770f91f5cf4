/** Builds the metrics reader and writer the config asks for. */
import type { Config } from '../../config/schema.js';
import { invalidInput } from '../../engine/errors.js';
import { createDatadogReader, createDatadogWriter } from './datadog.js';
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
  return (provider ?? metrics.provider) === 'prometheus'
    ? createPrometheusReader(metrics.prometheus, env)
    : createDatadogReader({ config: metrics.datadog, env });
}

export function createMetricsWriter(config: Config, env: NodeJS.ProcessEnv): MetricsWriter {
  const metrics = config.metrics ?? noMetrics();
  return createDatadogWriter({ config: metrics.datadog, env });
}
