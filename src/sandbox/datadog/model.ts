/** The Datadog emulator's state: monitors (whose state follows the error rates) and downtimes. */
import type { ErrorRates, MetricSide } from '../common/error-rates.js';

export interface DdMonitor {
  id: number;
  name: string;
  query: string;
  tags: string[];
  side: MetricSide;
  /** Alert above this error rate (percent). */
  critical: number;
  created: string;
}

export interface DdDowntime {
  id: number;
  scope: string[];
  monitorTags: string[];
  message: string | null;
  start: number;
  end: number | null;
  canceled: number | null;
  created: number;
  modified: number;
}

export class DatadogModel {
  readonly monitors: DdMonitor[] = [];
  readonly downtimes: DdDowntime[] = [];
  private nextMonitorId = 1_000_001;
  private nextDowntimeId = 5_000_001;

  constructor(readonly errorRates: ErrorRates) {}

  addMonitor(monitor: Omit<DdMonitor, 'id' | 'created'>): DdMonitor {
    const created = { ...monitor, id: this.nextMonitorId++, created: new Date().toISOString() };
    this.monitors.push(created);
    return created;
  }

  /** OK below the critical threshold, Alert above it, as a metric monitor evaluates. */
  monitorState(monitor: DdMonitor): 'OK' | 'Alert' {
    return this.errorRates(monitor.side) > monitor.critical ? 'Alert' : 'OK';
  }

  createDowntime(input: {
    scope: string[];
    monitorTags: string[];
    message: string | null;
    start?: number;
    end?: number | null;
  }): DdDowntime {
    const now = Math.floor(Date.now() / 1000);
    const downtime: DdDowntime = {
      id: this.nextDowntimeId++,
      scope: input.scope,
      monitorTags: input.monitorTags,
      message: input.message,
      start: input.start ?? now,
      end: input.end ?? null,
      canceled: null,
      created: now,
      modified: now,
    };
    this.downtimes.push(downtime);
    return downtime;
  }

  /** Datadog keeps a cancelled downtime, with its `canceled` time and `active: false`. */
  cancelDowntime(id: number): DdDowntime | undefined {
    const downtime = this.downtimes.find((d) => d.id === id);
    if (!downtime || downtime.canceled !== null) return undefined;
    downtime.canceled = Math.floor(Date.now() / 1000);
    downtime.modified = downtime.canceled;
    return downtime;
  }

  isActive(downtime: DdDowntime, now = Math.floor(Date.now() / 1000)): boolean {
    return (
      downtime.canceled === null && downtime.start <= now && (downtime.end === null || downtime.end > now)
    );
  }
}
