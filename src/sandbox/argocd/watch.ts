/**
 * ApplicationService.Watch as argocd-server serves it at `GET /api/v1/stream/applications`
 * (server/application/application.go Watch, behind argoproj/pkg grpc/http NewStreamForwarder):
 *
 * - `Accept: text/event-stream` gets server-sent events, each `data: {"result":{...}} \n\n` plus
 *   the gateway's "\n" delimiter, and a `:` comment line every 15 s as keepalive; any other
 *   Accept gets the same messages as newline-delimited JSON.
 * - Without `resourceVersion`, or with `name`, the stream opens with an ADDED event per matching
 *   app (sorted by name), then sends MODIFIED/DELETED as apps change.
 * - The forwarder drops a message identical to the last one sent for the same app.
 * - `name`, `selector` and `projects` filter; apps the token may not see are left out.
 *
 * The model computes an app's status when it is read, so the stream reads its apps every
 * WATCH_TICK_MS (longer for many apps) and sends those whose JSON changed: what the informer's
 * events amount to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const WATCH_TICK_MS = 200;
/** argoproj/pkg grpc/http keepalive interval. */
export const WATCH_KEEPALIVE_MS = 15_000;

type Application = Record<string, unknown>;

export interface WatchSource {
  /** The apps the query matches (name and selector applied), as ListApplications returns them. */
  list(query: { name?: string; selector?: string }): Application[];
  /** Apps the token may not see. */
  hidden(name: string): boolean;
  /** True while the emulated server is down: an open stream is cut. */
  down(): boolean;
}

function nameOf(app: Application): string {
  return String((app.metadata as { name?: unknown } | undefined)?.name ?? '');
}

function projectOf(app: Application): string {
  return String((app.spec as { project?: unknown } | undefined)?.project || 'default');
}

/** Serves one watch until the client goes away, the server stops or the emulated outage starts. */
export function serveWatch(source: WatchSource, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const name = url.searchParams.get('name') || undefined;
  const selector = url.searchParams.get('selector') || undefined;
  const projects = new Set(
    [...url.searchParams.getAll('projects'), ...url.searchParams.getAll('project')].filter(Boolean),
  );
  const resourceVersion = url.searchParams.get('resourceVersion') || undefined;
  const sse = req.headers.accept === 'text/event-stream';

  res.writeHead(200, {
    'content-type': sse ? 'text/event-stream' : 'application/json',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();

  const permitted = (app: Application) =>
    !source.hidden(nameOf(app)) && (projects.size === 0 || projects.has(projectOf(app)));
  const lastSent = new Map<string, string>();
  // `json` is the app's JSON already made for the comparison: the event wraps it as it is.
  const send = (type: 'ADDED' | 'MODIFIED' | 'DELETED', app: Application, json = JSON.stringify(app)) => {
    const data = `{"result":{"type":"${type}","application":${json}}}`;
    const key = nameOf(app);
    if (lastSent.get(key) === data) return;
    lastSent.set(key, data);
    res.write(sse ? `data: ${data} \n\n\n` : `${data}\n`);
  };

  // What the client knows of each app, to tell ADDED, MODIFIED and DELETED apart.
  const seen = new Map<string, string>();
  const current = () => source.list({ name, selector }).filter(permitted);
  const initial = current().sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  for (const app of initial) {
    const json = JSON.stringify(app);
    seen.set(nameOf(app), json);
    if (resourceVersion === undefined || name !== undefined) send('ADDED', app, json);
  }

  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const tick = () => {
    if (closed) return;
    if (source.down()) {
      res.destroy();
      return;
    }
    const started = performance.now();
    const now = new Map(current().map((app) => [nameOf(app), app]));
    for (const [key, app] of now) {
      const json = JSON.stringify(app);
      const before = seen.get(key);
      if (before === json) continue;
      seen.set(key, json);
      send(before === undefined ? 'ADDED' : 'MODIFIED', app, json);
    }
    for (const [key, json] of seen) {
      if (now.has(key)) continue;
      seen.delete(key);
      send('DELETED', JSON.parse(json) as Application, json);
    }
    // Reading hundreds of apps costs the emulator tens of milliseconds: a stream may take at
    // most a tenth of its time.
    timer = setTimeout(tick, Math.max(WATCH_TICK_MS, 10 * (performance.now() - started)));
  };
  timer = setTimeout(tick, WATCH_TICK_MS);
  const keepalive = sse ? setInterval(() => res.write(':\n'), WATCH_KEEPALIVE_MS) : undefined;
  res.on('close', () => {
    closed = true;
    clearTimeout(timer);
    if (keepalive) clearInterval(keepalive);
  });
}
