/**
 * Metrics: read a query's current value and the state of monitors (gates), and schedule or cancel
 * a downtime (quiet alerts while a drill takes a side down). Datadog and Prometheus adapters.
 */

export interface MetricValue {
  /** The latest value across the series the query returned; undefined when there is no data. */
  value: number | undefined;
  /** How many series answered. */
  series: number;
}

export interface MonitorState {
  id: number;
  name: string;
  /** OK, Alert, Warn, No Data, … as the provider says. */
  state: string;
}

export interface MetricsReader {
  readonly provider: 'datadog' | 'prometheus';
  /** The query's value now (Datadog: last point of the window ending now). */
  query(query: string, windowMs: number, signal: AbortSignal): Promise<MetricValue>;
  /** Monitors carrying every tag given. Datadog only. */
  monitors(tags: string[], signal: AbortSignal): Promise<MonitorState[]>;
  /** Loads the client library now, in the background, so that the first read does not wait for it. */
  warm?(): void;
}

export interface Downtime {
  id: number;
  scope: string[];
  monitorTags: string[];
  /** Epoch seconds; absent while it runs. */
  canceled?: number;
  active?: boolean;
}

export interface DowntimeRequest {
  scope: string[];
  monitorTags?: string[];
  message: string;
  /** Epoch seconds; a safety end in case nothing cancels it. */
  end: number;
}

export interface MetricsWriter {
  scheduleDowntime(request: DowntimeRequest, signal: AbortSignal): Promise<Downtime>;
  cancelDowntime(id: number, signal: AbortSignal): Promise<void>;
}
