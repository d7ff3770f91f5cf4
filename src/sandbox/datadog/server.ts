/**
 * The Datadog API routes the official client uses for gates and drills: v1 metrics query, v1
 * monitor list, v1 downtimes. Keys are checked as Datadog does (403 `{"errors":["Forbidden"]}`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorControl } from '../common/control.js';
import { sideOfQuery } from '../common/error-rates.js';
import { readBody } from '../common/http-server.js';
import type { DatadogModel, DdDowntime, DdMonitor } from './model.js';

export interface DatadogKeys {
  apiKey: string;
  appKey: string;
}

interface Answer {
  status: number;
  body?: unknown;
}

const errors = (status: number, ...messages: string[]): Answer => ({ status, body: { errors: messages } });

/** Points every `step` seconds over [from, to], the last one now's value. */
function pointlist(from: number, to: number, value: (at: number) => number): [number, number][] {
  const step = Math.max(1, Math.ceil((to - from) / 30));
  const points: [number, number][] = [];
  for (let at = Math.floor(from / step) * step + step; at <= to; at += step)
    points.push([at * 1000, value(at)]);
  return points;
}

function queryMetrics(model: DatadogModel, params: URLSearchParams): Answer {
  const query = params.get('query');
  const from = Number(params.get('from'));
  const to = Number(params.get('to'));
  if (!query) return errors(400, "The parameter 'query' is required");
  if (!params.get('from') || !Number.isFinite(from)) return errors(400, "The parameter 'from' is required");
  if (!params.get('to') || !Number.isFinite(to)) return errors(400, "The parameter 'to' is required");
  if (from > to) return errors(400, "'from' must be before 'to'");
  const side = sideOfQuery(query);
  // The series follows the sandbox's state: every point is today's rate (the emulator keeps no history).
  const rate = side ? model.errorRates(side) : 0;
  const points = side ? pointlist(from, to, () => rate) : [];
  const metric = /[a-z_][a-z0-9_.]*(?=\{)/i.exec(query)?.[0] ?? 'query';
  const scope = /\{([^}]*)\}/.exec(query)?.[1] ?? '*';
  return {
    status: 200,
    body: {
      status: 'ok',
      res_type: 'time_series',
      resp_version: 1,
      query,
      from_date: from * 1000,
      to_date: to * 1000,
      group_by: [],
      message: '',
      series: side
        ? [
            {
              metric,
              display_name: metric,
              expression: query,
              scope,
              tag_set: scope === '*' ? [] : scope.split(','),
              aggr: /^(avg|sum|min|max):/.exec(query)?.[1] ?? null,
              query_index: 0,
              length: points.length,
              interval: points.length > 1 ? (points[1]![0] - points[0]![0]) / 1000 : 1,
              start: points[0]?.[0] ?? from * 1000,
              end: points.at(-1)?.[0] ?? to * 1000,
              pointlist: points,
              unit: null,
            },
          ]
        : [],
    },
  };
}

function monitorJson(model: DatadogModel, monitor: DdMonitor): object {
  return {
    id: monitor.id,
    name: monitor.name,
    type: 'query alert',
    query: monitor.query,
    message: `${monitor.name} @slack-oncall`,
    tags: monitor.tags,
    options: { thresholds: { critical: monitor.critical }, notify_no_data: false },
    overall_state: model.monitorState(monitor),
    overall_state_modified: monitor.created,
    created: monitor.created,
    modified: monitor.created,
    multi: false,
    priority: null,
    restricted_roles: null,
    creator: { email: 'sre@example.com', handle: 'sre@example.com', name: 'SRE' },
  };
}

function listMonitors(model: DatadogModel, params: URLSearchParams): Answer {
  const wanted = (params.get('monitor_tags') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const name = params.get('name');
  const list = model.monitors.filter(
    (m) =>
      wanted.every((t) => m.tags.includes(t)) && (!name || m.name.toLowerCase().includes(name.toLowerCase())),
  );
  return { status: 200, body: list.map((m) => monitorJson(model, m)) };
}

function downtimeJson(model: DatadogModel, d: DdDowntime): object {
  return {
    id: d.id,
    scope: d.scope,
    monitor_tags: d.monitorTags,
    monitor_id: null,
    message: d.message,
    start: d.start,
    end: d.end,
    canceled: d.canceled,
    active: model.isActive(d),
    disabled: d.canceled !== null,
    downtime_type: 2,
    creator_id: 1,
    updater_id: null,
    parent_id: null,
    child_id: null,
    recurrence: null,
    timezone: 'UTC',
    mute_first_recovery_notification: false,
  };
}

async function createDowntime(model: DatadogModel, req: IncomingMessage): Promise<Answer> {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(await readBody(req)) as Record<string, unknown>;
  } catch {
    return errors(400, 'Invalid JSON');
  }
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0);
  const scope = typeof body.scope === 'string' ? [body.scope] : body.scope;
  if (!strings(scope) || (scope as string[]).length === 0)
    return errors(400, "Invalid scope parameter: 'scope' is required");
  if (body.monitor_tags !== undefined && !strings(body.monitor_tags))
    return errors(400, 'Invalid monitor_tags parameter');
  const end = typeof body.end === 'number' ? body.end : null;
  const start = typeof body.start === 'number' ? body.start : undefined;
  if (end !== null && end <= (start ?? Date.now() / 1000))
    return errors(400, "Invalid 'end' parameter: must be in the future");
  const downtime = model.createDowntime({
    scope: scope as string[],
    monitorTags: (body.monitor_tags as string[] | undefined) ?? ['*'],
    message: typeof body.message === 'string' ? body.message : null,
    ...(start !== undefined ? { start } : {}),
    end,
  });
  return { status: 200, body: downtimeJson(model, downtime) };
}

interface Route {
  method: string;
  pattern: RegExp;
  operation: string;
  mutating: boolean;
  handle(
    model: DatadogModel,
    match: RegExpExecArray,
    params: URLSearchParams,
    req: IncomingMessage,
  ): Answer | Promise<Answer>;
}

const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/api\/v1\/validate$/,
    operation: 'Validate',
    mutating: false,
    handle: () => ({ status: 200, body: { valid: true } }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/query$/,
    operation: 'QueryMetrics',
    mutating: false,
    handle: (m, _x, p) => queryMetrics(m, p),
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/monitor$/,
    operation: 'ListMonitors',
    mutating: false,
    handle: (m, _x, p) => listMonitors(m, p),
  },
  {
    method: 'POST',
    pattern: /^\/api\/v1\/downtime$/,
    operation: 'CreateDowntime',
    mutating: true,
    handle: (m, _x, _p, req) => createDowntime(m, req),
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/downtime$/,
    operation: 'ListDowntimes',
    mutating: false,
    handle: (m, _x, p) => ({
      status: 200,
      body: m.downtimes
        .filter((d) => p.get('current_only') !== 'true' || m.isActive(d))
        .map((d) => downtimeJson(m, d)),
    }),
  },
  {
    method: 'GET',
    pattern: /^\/api\/v1\/downtime\/(\d+)$/,
    operation: 'GetDowntime',
    mutating: false,
    handle: (m, x) => {
      const d = m.downtimes.find((d) => d.id === Number(x[1]));
      return d ? { status: 200, body: downtimeJson(m, d) } : errors(404, 'Downtime not found');
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/api\/v1\/downtime\/(\d+)$/,
    operation: 'CancelDowntime',
    mutating: true,
    handle: (m, x) => (m.cancelDowntime(Number(x[1])) ? { status: 204 } : errors(404, 'Downtime not found')),
  },
];

export function createDatadogHandler(model: DatadogModel, control: EmulatorControl, keys: DatadogKeys) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://datadog');
    const route = ROUTES.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    const operation = route?.operation ?? `${req.method} ${url.pathname}`;
    const answer = await (async (): Promise<Answer> => {
      if (control.knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, control.knobs.latencyMs));
      if (control.knobs.outage) return errors(503, 'Service Unavailable');
      // Datadog checks the keys before it looks at the route.
      if (req.headers['dd-api-key'] !== keys.apiKey) return errors(403, 'Forbidden');
      if (route?.operation !== 'Validate' && req.headers['dd-application-key'] !== keys.appKey)
        return errors(403, 'Forbidden');
      if (!route) return errors(404, 'Not found');
      const fault = control.takeFault(route.operation, ['throttle', 'server-error']);
      if (fault === 'throttle')
        return errors(429, 'Rate limit of 100 requests in 10 seconds reached. Please try again later.');
      if (fault === 'server-error') return errors(500, 'Internal Server Error');
      return route.handle(model, route.pattern.exec(url.pathname) as RegExpExecArray, url.searchParams, req);
    })();
    control.log.record({
      service: 'datadog',
      operation,
      mutating: route?.mutating ?? false,
      status: answer.status,
      ...(answer.status >= 400 ? { error: String(answer.status) } : {}),
    });
    if (answer.body === undefined) {
      res.writeHead(answer.status);
      res.end();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  };
}
