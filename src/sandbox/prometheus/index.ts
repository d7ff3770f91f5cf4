/**
 * The Prometheus emulator: the HTTP query API (`/api/v1/query`, GET or POST form) with the
 * standard JSON envelope, answering each side's error rate from the sandbox's state. See SPEC.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmulatorControl, type Knobs } from '../common/control.js';
import { type ErrorRates, sideOfQuery } from '../common/error-rates.js';
import { readBody, startHttpServer } from '../common/http-server.js';

export interface PrometheusEmulator {
  url: string;
  control: EmulatorControl;
  close(): Promise<void>;
}

function handler(errorRates: ErrorRates, control: EmulatorControl) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://prometheus');
    const reply = (status: number, body: object, operation: string) => {
      control.log.record({ service: 'prometheus', operation, mutating: false, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, errorType: string, message: string, operation: string) =>
      reply(status, { status: 'error', errorType, error: message }, operation);
    if (control.knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, control.knobs.latencyMs));
    if (url.pathname !== '/api/v1/query')
      return error(404, 'not_found', `no route ${url.pathname}`, req.method ?? 'GET');
    if (req.method !== 'GET' && req.method !== 'POST')
      return error(405, 'bad_data', 'method not allowed', 'Query');
    if (control.knobs.outage) return error(503, 'unavailable', 'Service Unavailable', 'Query');
    if (control.takeFault('Query', ['server-error', 'throttle']))
      return error(503, 'unavailable', 'query queue full', 'Query');
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    const query = params.get('query');
    if (!query)
      return error(
        400,
        'bad_data',
        'invalid parameter "query": unknown position: parse error: no expression found in input',
        'Query',
      );
    const time = params.has('time') ? Number(params.get('time')) : Date.now() / 1000;
    if (!Number.isFinite(time))
      return error(
        400,
        'bad_data',
        `invalid parameter "time": cannot parse "${params.get('time')}" to a valid timestamp`,
        'Query',
      );
    const side = sideOfQuery(query);
    const result = side
      ? [{ metric: { cloud: side, service: 'admin' }, value: [time, String(errorRates(side))] }]
      : [];
    return reply(200, { status: 'success', data: { resultType: 'vector', result } }, 'Query');
  };
}

export async function startPrometheusEmulator(options: {
  errorRates: ErrorRates;
  knobs?: Partial<Knobs>;
  port?: number;
}): Promise<PrometheusEmulator> {
  const control = new EmulatorControl('prometheus', options.knobs);
  const server = await startHttpServer(handler(options.errorRates, control), options.port);
  return { url: server.url, control, close: server.close };
}
