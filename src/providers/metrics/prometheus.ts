/**
 * Prometheus over its HTTP API: `GET /api/v1/query` (an instant query) with the standard JSON
 * envelope. The optional bearer token comes from the environment variable the config names.
 */
import type { MetricsConfig } from '../../config/schema.js';
import { invalidInput, stepFailed } from '../../engine/errors.js';
import type { MetricsReader, MetricValue } from './port.js';

interface Envelope {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

/** The values of a vector, matrix (last sample) or scalar result. */
function values(data: Envelope['data']): number[] {
  if (!data) return [];
  const num = (v: unknown) => Number.parseFloat(String(v));
  if (data.resultType === 'scalar') return [num((data.result as [number, string])[1])];
  const series = data.result as { value?: [number, string]; values?: [number, string][] }[];
  return series
    .map((s) =>
      s.value ? num(s.value[1]) : s.values?.length ? num(s.values[s.values.length - 1]?.[1]) : Number.NaN,
    )
    .filter((v) => Number.isFinite(v));
}

export function createPrometheusReader(
  config: MetricsConfig['prometheus'],
  env: NodeJS.ProcessEnv,
): MetricsReader {
  return {
    provider: 'prometheus',
    async query(query, _windowMs, signal): Promise<MetricValue> {
      if (!config) {
        throw invalidInput(
          'FO_METRICS_E7201',
          'metrics.provider is prometheus but metrics.prometheus is not set',
          {
            hint: 'add metrics.prometheus.endpoint to the config',
          },
        );
      }
      const url = new URL(
        'api/v1/query',
        config.endpoint.endsWith('/') ? config.endpoint : `${config.endpoint}/`,
      );
      url.searchParams.set('query', query);
      const token = config.bearerTokenEnv ? env[config.bearerTokenEnv] : undefined;
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          signal,
        });
      } catch (error) {
        if (error instanceof Error && error.name === 'AbortError') throw error;
        throw stepFailed('FO_METRICS_E7202', `Prometheus query "${query}": ${(error as Error).message}`, {
          retryable: true,
        });
      }
      const text = await response.text();
      let body: Envelope | undefined;
      try {
        body = JSON.parse(text) as Envelope;
      } catch {
        body = undefined;
      }
      if (!response.ok || body?.status !== 'success') {
        throw stepFailed(
          'FO_METRICS_E7203',
          `Prometheus query "${query}": HTTP ${response.status}${body?.error ? ` ${body.errorType}: ${body.error}` : ''}`,
          { retryable: response.status >= 500 || response.status === 429 },
        );
      }
      const all = values(body.data);
      return { value: all.length > 0 ? Math.max(...all) : undefined, series: all.length };
    },
    async monitors(): Promise<never> {
      throw invalidInput('FO_METRICS_E7204', 'monitors are a Datadog feature; Prometheus has none to read', {
        hint: 'use provider datadog for monitors, or gate on a query',
      });
    },
  };
}
