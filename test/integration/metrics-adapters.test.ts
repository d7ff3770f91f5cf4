/**
 * The metrics adapters over the real clients against the emulators on 127.0.0.1: the official
 * Datadog client (query, monitors, downtimes, 403 on wrong keys without leaking them) and
 * Prometheus's HTTP query API. Only endpoints and keys differ from production.
 */
import { client, v1 } from '@datadog/datadog-api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsConfig } from '../../src/config/schema.js';
import { FailoverError } from '../../src/engine/errors.js';
import { createDatadogReader, createDatadogWriter } from '../../src/providers/metrics/datadog.js';
import { createPrometheusReader } from '../../src/providers/metrics/prometheus.js';
import type { MetricSide } from '../../src/sandbox/common/error-rates.js';
import { type DatadogEmulator, startDatadogEmulator } from '../../src/sandbox/datadog/index.js';
import { type PrometheusEmulator, startPrometheusEmulator } from '../../src/sandbox/prometheus/index.js';

const rates: Record<MetricSide, number> = { gcp: 0.1, aws: 0.1 };
let dd: DatadogEmulator;
let prom: PrometheusEmulator;
const signal = () => AbortSignal.timeout(10_000);
const AWS_QUERY =
  'sum:trace.http.request.errors{service:billing,cloud:aws}.as_rate() / sum:trace.http.request.hits{service:billing,cloud:aws}.as_rate() * 100';

beforeAll(async () => {
  dd = await startDatadogEmulator({ errorRates: (side) => rates[side] });
  dd.model.addMonitor({
    name: 'billing 5xx on AWS',
    query: 'avg(last_5m):… > 2',
    tags: ['service:billing', 'cloud:aws'],
    side: 'aws',
    critical: 2,
  });
  dd.model.addMonitor({
    name: 'billing 5xx on GKE',
    query: 'x',
    tags: ['service:billing', 'cloud:gcp'],
    side: 'gcp',
    critical: 2,
  });
  prom = await startPrometheusEmulator({ errorRates: (side) => rates[side] });
});
afterAll(async () => {
  await dd?.close();
  await prom?.close();
});

function ddConfig(env: Record<string, string>) {
  const config = MetricsConfig.parse({
    datadog: { endpoint: dd.url, apiKeyEnv: 'BILLING_DD_API_KEY', appKeyEnv: 'BILLING_DD_APP_KEY' },
  });
  return { config: config.datadog, env };
}
const goodEnv = () => ({ BILLING_DD_API_KEY: dd.keys.apiKey, BILLING_DD_APP_KEY: dd.keys.appKey });

describe('Datadog adapter (official client) against the emulator', () => {
  it('reads the latest value of a side and follows its error rate', async () => {
    const reader = createDatadogReader(ddConfig(goodEnv()));
    rates.aws = 0.1;
    const healthy = await reader.query(AWS_QUERY, 30_000, signal());
    expect(healthy.series).toBe(1);
    expect(healthy.value).toBeCloseTo(0.1, 5);
    rates.aws = 42;
    expect((await reader.query(AWS_QUERY, 30_000, signal())).value).toBe(42);
    rates.aws = 0.1;
    // A query about no side has no series: no data, not zero.
    expect(await reader.query('sum:trace.http.request.hits{service:billing}', 30_000, signal())).toEqual({
      value: undefined,
      series: 0,
    });
    expect(dd.control.log.operations()).toContain('QueryMetrics');
  });

  it('lists monitors by monitor tags, with states that follow the side', async () => {
    const reader = createDatadogReader(ddConfig(goodEnv()));
    rates.aws = 10;
    const monitors = await reader.monitors(['service:billing', 'cloud:aws'], signal());
    expect(monitors.map((m) => [m.name, m.state])).toEqual([['billing 5xx on AWS', 'Alert']]);
    rates.aws = 0.1;
    expect((await reader.monitors(['service:billing'], signal())).map((m) => m.state)).toEqual(['OK', 'OK']);
  });

  it('answers 403 to wrong keys, and the error names the status, never a key', async () => {
    const wrongApp = 'f'.repeat(40);
    for (const env of [
      { BILLING_DD_API_KEY: 'e'.repeat(32), BILLING_DD_APP_KEY: dd.keys.appKey },
      { BILLING_DD_API_KEY: dd.keys.apiKey, BILLING_DD_APP_KEY: wrongApp },
    ]) {
      const error = await createDatadogReader(ddConfig(env))
        .query(AWS_QUERY, 1000, signal())
        .catch((e: unknown) => e);
      expect(FailoverError.is(error)).toBe(true);
      const text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause ?? '')}`;
      expect(text).toContain('HTTP 403 Forbidden');
      expect(text).not.toContain(env.BILLING_DD_API_KEY);
      expect(text).not.toContain(env.BILLING_DD_APP_KEY);
    }
    // Datadog's own body, as the real API answers it.
    const raw = await fetch(`${dd.url}/api/v1/query?from=1&to=2&query=x`, {
      headers: { 'DD-API-KEY': 'nope' },
    });
    expect(raw.status).toBe(403);
    expect(await raw.json()).toEqual({ errors: ['Forbidden'] });
  });

  it('says which variable to set when a key is missing', async () => {
    const error = await createDatadogReader(ddConfig({ BILLING_DD_API_KEY: dd.keys.apiKey }))
      .query(AWS_QUERY, 1000, signal())
      .catch((e: unknown) => e as FailoverError);
    expect((error as FailoverError).category).toBe('invalid-input');
    expect((error as Error).message).toContain('BILLING_DD_APP_KEY');
  });

  it('schedules and cancels a downtime; Datadog keeps it, cancelled', async () => {
    const writer = createDatadogWriter(ddConfig(goodEnv()));
    const end = Math.floor(Date.now() / 1000) + 3600;
    const downtime = await writer.scheduleDowntime(
      { scope: ['cloud:gcp', 'env:prod'], monitorTags: ['service:billing'], message: 'drill', end },
      signal(),
    );
    expect(downtime).toMatchObject({
      scope: ['cloud:gcp', 'env:prod'],
      monitorTags: ['service:billing'],
      active: true,
    });
    await writer.cancelDowntime(downtime.id, signal());
    // Cancelling again converges (404 is "already gone").
    await writer.cancelDowntime(downtime.id, signal());
    // Read back through the official client, as an operator's script would.
    const api = new v1.DowntimesApi(
      client.createConfiguration({
        authMethods: { apiKeyAuth: dd.keys.apiKey, appKeyAuth: dd.keys.appKey },
        baseServer: new client.BaseServerConfiguration(dd.url, {}),
      }),
    );
    const stored = await api.getDowntime({ downtimeId: downtime.id });
    expect(stored.canceled).toBeGreaterThan(0);
    expect(stored.active).toBe(false);
    expect(stored.end).toBe(end);
    expect(dd.control.log.mutating().map((e) => [e.operation, e.status])).toEqual([
      ['CreateDowntime', 200],
      ['CancelDowntime', 204],
      ['CancelDowntime', 404],
    ]);
  });
});

describe('Prometheus adapter against the emulator', () => {
  const reader = () =>
    createPrometheusReader(
      MetricsConfig.parse({ provider: 'prometheus', prometheus: { endpoint: prom.url } }).prometheus,
      {},
    );
  const query =
    '100 * sum(rate(http_requests_total{cloud="aws",code=~"5.."}[1m])) / sum(rate(http_requests_total{cloud="aws"}[1m]))';

  it('reads an instant vector from the standard envelope', async () => {
    rates.aws = 12.5;
    expect(await reader().query(query, 0, signal())).toEqual({ value: 12.5, series: 1 });
    rates.aws = 0.1;
    expect((await reader().query(query, 0, signal())).value).toBeCloseTo(0.1, 5);
    expect(await reader().query('up{job="none"}', 0, signal())).toEqual({ value: undefined, series: 0 });
  });

  it("turns Prometheus's error envelope into a clear error", async () => {
    const raw = await fetch(`${prom.url}/api/v1/query`);
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ status: 'error', errorType: 'bad_data' });
    prom.control.knobs.outage = true;
    try {
      await expect(reader().query(query, 0, signal())).rejects.toThrow(/HTTP 503 unavailable/);
    } finally {
      prom.control.knobs.outage = false;
    }
  });
});
