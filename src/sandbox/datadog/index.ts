/** The Datadog emulator: the API routes of metric gates and drill downtimes on 127.0.0.1. See SPEC.md. */
import { randomBytes } from 'node:crypto';
import { EmulatorControl, type Knobs } from '../common/control.js';
import type { ErrorRates } from '../common/error-rates.js';
import { startHttpServer } from '../common/http-server.js';
import { DatadogModel } from './model.js';
import { createDatadogHandler, type DatadogKeys } from './server.js';

export * from './model.js';

export interface DatadogEmulator {
  url: string;
  control: EmulatorControl;
  model: DatadogModel;
  keys: DatadogKeys;
  close(): Promise<void>;
}

export async function startDatadogEmulator(options: {
  errorRates: ErrorRates;
  keys?: DatadogKeys;
  knobs?: Partial<Knobs>;
  port?: number;
}): Promise<DatadogEmulator> {
  const control = new EmulatorControl('datadog', options.knobs);
  const model = new DatadogModel(options.errorRates);
  // Shaped like real keys: 32 hex for the API key, 40 for the application key.
  const keys = options.keys ?? {
    apiKey: randomBytes(16).toString('hex'),
    appKey: randomBytes(20).toString('hex'),
  };
  const server = await startHttpServer(createDatadogHandler(model, control, keys), options.port);
  return { url: server.url, control, model, keys, close: server.close };
}

/** The write-up's monitors: one error-rate monitor per side, tagged service:admin and cloud:<side>. */
export function seedWriteupDatadog(model: DatadogModel): void {
  for (const side of ['gcp', 'aws'] as const) {
    model.addMonitor({
      name: `admin 5xx rate on ${side === 'gcp' ? 'GKE' : 'AWS'}`,
      query: `avg(last_5m):sum:trace.http.request.errors{service:admin,cloud:${side}}.as_rate() / sum:trace.http.request.hits{service:admin,cloud:${side}}.as_rate() * 100 > 5`,
      tags: ['service:admin', `cloud:${side}`, 'team:sre'],
      side,
      critical: 5,
    });
  }
}
