/**
 * Datadog over the official client (@datadog/datadog-api-client): the v1 metrics query, the v1
 * monitor list by monitor tags, and v1 downtimes. Keys come from the environment variables the
 * config names; they are never part of an error, only the status and Datadog's own message.
 */
import type { v1 as V1 } from '@datadog/datadog-api-client';
// The package index also loads the v2 API (about 8,000 modules, three times the load time of what
// is used here): import the common part and the three v1 APIs alone.
import type * as DatadogCommon from '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js';
import type * as DowntimesModule from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/DowntimesApi.js';
import type * as MetricsModule from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js';
import type * as MonitorsModule from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MonitorsApi.js';
import type { MetricsConfig } from '../../config/schema.js';
import { FailoverError, invalidInput, stepFailed } from '../../engine/errors.js';
import { requireCommonJs } from '../../util/commonjs.js';
import type {
  Downtime,
  DowntimeRequest,
  MetricsReader,
  MetricsWriter,
  MetricValue,
  MonitorState,
} from './port.js';

// Through `require`, as the other CommonJS SDKs (../commonjs.ts): a third of this client's load time.
const client = requireCommonJs(
  '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js',
) as typeof DatadogCommon;
const { DowntimesApi } = requireCommonJs(
  '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/DowntimesApi.js',
) as typeof DowntimesModule;
const { MetricsApi } = requireCommonJs(
  '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MetricsApi.js',
) as typeof MetricsModule;
const { MonitorsApi } = requireCommonJs(
  '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/MonitorsApi.js',
) as typeof MonitorsModule;

type DatadogConfig = MetricsConfig['datadog'];

export interface DatadogOptions {
  config: DatadogConfig;
  env: NodeJS.ProcessEnv;
}

function keys(options: DatadogOptions): { apiKey: string; appKey: string } {
  const { apiKeyEnv, appKeyEnv } = options.config;
  const apiKey = options.env[apiKeyEnv];
  const appKey = options.env[appKeyEnv];
  const missing = [!apiKey && apiKeyEnv, !appKey && appKeyEnv].filter(Boolean);
  if (!apiKey || !appKey) {
    throw invalidInput('FO_METRICS_E7101', `Datadog keys missing: set ${missing.join(' and ')}`, {
      hint: 'the config names the environment variables (metrics.datadog.apiKeyEnv, appKeyEnv); export them',
    });
  }
  return { apiKey, appKey };
}

function configuration(options: DatadogOptions, signal: AbortSignal): DatadogCommon.Configuration {
  const { apiKey, appKey } = keys(options);
  const site = options.env[options.config.siteEnv] || options.config.site;
  const base = options.config.endpoint ?? (/^https?:\/\//.test(site) ? site : undefined);
  const conf = client.createConfiguration({
    authMethods: { apiKeyAuth: apiKey, appKeyAuth: appKey },
    httpConfig: { signal, compress: false },
    ...(base ? { baseServer: new client.BaseServerConfiguration(base.replace(/\/$/, ''), {}) } : {}),
  });
  if (!base) client.setServerVariables(conf, { site });
  return conf;
}

/** Datadog's answer, without the request (it carries the keys). */
function failure(what: string, error: unknown): Error {
  // Ours already (a missing key): it says what to fix.
  if (FailoverError.is(error)) return error;
  if (error instanceof client.ApiException) {
    const body = error.body as { errors?: unknown } | undefined;
    const reason = Array.isArray(body?.errors) ? body.errors.map(String).join('; ') : '';
    return stepFailed(
      'FO_METRICS_E7102',
      `Datadog ${what}: HTTP ${error.code}${reason ? ` ${reason}` : ''}`,
      {
        retryable: error.code === 429 || error.code >= 500,
        ...(error.code === 403 ? { hint: 'check the API and application keys (and the site)' } : {}),
      },
    );
  }
  if (error instanceof Error && error.name === 'AbortError') return error;
  return stepFailed(
    'FO_METRICS_E7103',
    `Datadog ${what}: ${error instanceof Error ? error.message : String(error)}`,
    { retryable: true },
  );
}

function latest(points: Array<[number, number]> | undefined): number | undefined {
  for (let i = (points?.length ?? 0) - 1; i >= 0; i--) {
    const value = points?.[i]?.[1];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

export function createDatadogReader(options: DatadogOptions): MetricsReader {
  return {
    provider: 'datadog',
    async query(query, windowMs, signal): Promise<MetricValue> {
      const to = Math.floor(Date.now() / 1000);
      const from = to - Math.max(60, Math.ceil(windowMs / 1000));
      let answer: V1.MetricsQueryResponse;
      try {
        answer = await new MetricsApi(configuration(options, signal)).queryMetrics({ from, to, query });
      } catch (error) {
        throw failure(`query "${query}"`, error);
      }
      if (answer.status === 'error') {
        throw stepFailed('FO_METRICS_E7104', `Datadog query "${query}": ${answer.error ?? 'error'}`);
      }
      const values = (answer.series ?? [])
        .map((s) => latest(s.pointlist))
        .filter((v): v is number => v !== undefined);
      // The worst series decides: a gate on an error rate must not average a failing pod away.
      return {
        value: values.length > 0 ? Math.max(...values) : undefined,
        series: answer.series?.length ?? 0,
      };
    },
    async monitors(tags, signal): Promise<MonitorState[]> {
      try {
        const list = await new MonitorsApi(configuration(options, signal)).listMonitors({
          monitorTags: tags.join(','),
        });
        return list.map((m) => ({
          id: m.id ?? 0,
          name: m.name ?? `monitor ${m.id}`,
          state: String(m.overallState),
        }));
      } catch (error) {
        throw failure(`monitors tagged ${tags.join(',')}`, error);
      }
    },
  };
}

export function createDatadogWriter(options: DatadogOptions): MetricsWriter {
  return {
    async scheduleDowntime(request: DowntimeRequest, signal): Promise<Downtime> {
      try {
        const created = await new DowntimesApi(configuration(options, signal)).createDowntime({
          body: {
            scope: request.scope,
            ...(request.monitorTags?.length ? { monitorTags: request.monitorTags } : {}),
            message: request.message,
            end: request.end,
          },
        });
        return {
          id: created.id ?? 0,
          scope: created.scope ?? request.scope,
          monitorTags: created.monitorTags ?? [],
          ...(created.active !== undefined ? { active: created.active } : {}),
        };
      } catch (error) {
        throw failure(`schedule downtime ${request.scope.join(',')}`, error);
      }
    },
    async cancelDowntime(id, signal): Promise<void> {
      try {
        await new DowntimesApi(configuration(options, signal)).cancelDowntime({ downtimeId: id });
      } catch (error) {
        // Already cancelled or expired: the goal holds.
        if (error instanceof client.ApiException && error.code === 404) return;
        throw failure(`cancel downtime ${id}`, error);
      }
    },
  };
}
