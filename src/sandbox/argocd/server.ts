/**
 * The Argo CD REST API (the grpc-gateway in front of argocd-server) on loopback: bearer-token
 * auth, JSON bodies, errors as `{"error","code","message"}` with the gRPC code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorControl } from '../common/control.js';
import { readBody } from '../common/http-server.js';
import { ArgoApiError, type ArgoCdModel, type SyncRequest } from './model.js';
import { serveWatch } from './watch.js';

export const ARGOCD_VERSION = 'v3.2.0+sandbox';

const GRPC_CODE_NAMES: Record<number, string> = {
  3: 'InvalidArgument',
  5: 'NotFound',
  7: 'PermissionDenied',
  9: 'FailedPrecondition',
  12: 'Unimplemented',
  13: 'Internal',
  14: 'Unavailable',
  16: 'Unauthenticated',
};

interface Route {
  method: string;
  pattern: RegExp;
  operation: string;
  mutating: boolean;
  authenticated: boolean;
  /** The route names one application (params[0]): argocd-server's RBAC check comes first. */
  app?: boolean;
  handle: (params: string[], url: URL, req: IncomingMessage, body: string) => Promise<unknown> | unknown;
  /** A streaming route answers by itself, for as long as the client listens. */
  stream?: (url: URL, req: IncomingMessage, res: ServerResponse) => void;
}

/** Which applications the token may see. Everything else answers as argocd-server does for it. */
export interface ArgoCdAccess {
  /** Applications that exist but that this token's RBAC policy does not let it get. */
  hidden: Set<string>;
}

const PERMISSION_DENIED = 'permission denied';

function notFound(name: string): ArgoApiError {
  return new ArgoApiError(404, 5, `applications.argoproj.io "${name}" not found`);
}

/**
 * argocd-server's getAppEnforceRBAC (server/application/application.go, since 2.7): without a
 * project in the request, an application that does not exist and one the token may not see both
 * answer 403 "permission denied", so a caller cannot learn which names exist. With exactly one
 * project, an allowed caller gets 404 for a missing app (and for one in another project).
 */
function enforceAppAccess(model: ArgoCdModel, access: ArgoCdAccess, name: string, projects: string[]): void {
  if (projects.length > 1) {
    throw new ArgoApiError(
      400,
      3,
      'multiple projects specified - the get endpoint accepts either zero or one project',
    );
  }
  const project = projects[0] ?? '';
  const found = model.listApplications({ name })[0] as { spec?: { project?: string } } | undefined;
  if (!found || access.hidden.has(name)) {
    throw project ? notFound(name) : new ArgoApiError(403, 7, PERMISSION_DENIED);
  }
  const effective = found.spec?.project || 'default';
  if (project && project !== effective) throw notFound(name);
}

/** `project` (legacy, repeated) wins over `projects`, as getProjectsFromApplicationQuery does. */
function projectsOf(url: URL, body: string): string[] {
  const legacy = url.searchParams.getAll('project').filter(Boolean);
  if (legacy.length > 0) return legacy;
  const projects = url.searchParams.getAll('projects').filter(Boolean);
  if (projects.length > 0) return projects;
  if (!body.trim()) return [];
  try {
    const parsed = JSON.parse(body) as { project?: unknown };
    return typeof parsed.project === 'string' && parsed.project ? [parsed.project] : [];
  } catch {
    return [];
  }
}

/**
 * server/cluster/cluster.go Get: a cluster that does not exist answers like one the token may not
 * get (getClusterWith403IfNotExist), with the wrapping argocd-server adds to the message.
 */
function getCluster(model: ArgoCdModel, value: string, type: string): Record<string, unknown> {
  const byName = type === 'name' || type === 'name_escaped';
  const cluster = model.cluster(value, byName ? 'name' : 'server');
  if (!cluster) {
    throw new ArgoApiError(
      403,
      7,
      'error verifying access to update cluster: failed to get cluster with permissions check: permission denied',
    );
  }
  return cluster;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function grpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { error: message, code, message });
}

/** The token from `Authorization: Bearer …` or the `argocd.token` cookie, as argocd-server reads it. */
function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  for (const cookie of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = cookie.trim().split('=');
    if (name === 'argocd.token') return value.join('=');
  }
  return undefined;
}

function parseSyncRequest(text: string): SyncRequest {
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ArgoApiError(400, 3, 'invalid character in request body: not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ArgoApiError(400, 3, 'request body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const request: SyncRequest = {};
  if (fields.revision !== undefined && fields.revision !== '') request.revision = String(fields.revision);
  if (fields.prune !== undefined) request.prune = fields.prune === true;
  if (fields.dryRun !== undefined) request.dryRun = fields.dryRun === true;
  if (Array.isArray(fields.resources)) {
    request.resources = fields.resources.map((r) => {
      const resource = (r ?? {}) as Record<string, unknown>;
      return {
        group: typeof resource.group === 'string' ? resource.group : '',
        kind: String(resource.kind ?? ''),
        name: String(resource.name ?? ''),
        namespace: typeof resource.namespace === 'string' ? resource.namespace : undefined,
      };
    });
  }
  return request;
}

export function createArgoCdHandler(
  model: ArgoCdModel,
  control: EmulatorControl,
  token: string,
  access: ArgoCdAccess = { hidden: new Set() },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const app = '/api/v1/applications/([^/]+)';
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/api\/version$/,
      operation: 'Version',
      mutating: false,
      authenticated: false,
      handle: () => ({ Version: ARGOCD_VERSION }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/applications$/,
      operation: 'ListApplications',
      mutating: false,
      authenticated: true,
      // Applications the token may not get are left out of the list, without an error.
      handle: (_p, url) => ({
        metadata: {},
        items: model
          .listApplications({
            selector: url.searchParams.get('selector') ?? undefined,
            name: url.searchParams.get('name') ?? undefined,
          })
          .filter((a) => !access.hidden.has(String((a.metadata as { name?: unknown })?.name))),
      }),
    },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/stream\/applications$/,
      operation: 'WatchApplications',
      mutating: false,
      authenticated: true,
      handle: () => undefined,
      stream: (url, req, res) =>
        serveWatch(
          {
            list: (query) => model.listApplications(query),
            hidden: (name) => access.hidden.has(name),
            down: () => control.knobs.outage,
          },
          url,
          req,
          res,
        ),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${app}$`),
      operation: 'GetApplication',
      mutating: false,
      authenticated: true,
      app: true,
      handle: ([name], url) => {
        // Any refresh value asks for a refresh: `hard` is hard, everything else (even an empty or
        // unknown value) is normal, as argocd-server's Get reads it.
        const refresh = url.searchParams.get('refresh');
        if (refresh === null) return model.getApplication(name!);
        return model.getApplication(name!, refresh === 'hard' ? 'hard' : 'normal');
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${app}/sync$`),
      operation: 'SyncApplication',
      mutating: true,
      authenticated: true,
      app: true,
      handle: ([name], _url, _req, body) => model.sync(name!, parseSyncRequest(body)),
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^${app}/operation$`),
      operation: 'TerminateOperation',
      mutating: true,
      authenticated: true,
      app: true,
      handle: ([name]) => {
        model.terminateOperation(name!);
        return {};
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${app}/resource-tree$`),
      operation: 'ResourceTree',
      mutating: false,
      authenticated: true,
      app: true,
      handle: ([name]) => model.resourceTree(name!),
    },
    {
      // ClusterService.Get: `id.type` url/server (default) or name/name_escaped, as the UI asks.
      method: 'GET',
      pattern: /^\/api\/v1\/clusters\/([^/]+)$/,
      operation: 'GetCluster',
      mutating: false,
      authenticated: true,
      handle: ([value], url) => getCluster(model, value ?? '', url.searchParams.get('id.type') ?? ''),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${app}/managed-resources$`),
      operation: 'ManagedResources',
      mutating: false,
      authenticated: true,
      app: true,
      handle: ([name]) => model.managedResources(name!),
    },
  ];

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    let route: Route | undefined;
    let params: string[] = [];
    for (const candidate of routes) {
      const match = candidate.pattern.exec(url.pathname);
      if (match && candidate.method === method) {
        route = candidate;
        params = match.slice(1).map(decodeURIComponent);
        break;
      }
    }
    const operation = route?.operation ?? 'Unknown';
    const mutating = route?.mutating ?? method !== 'GET';
    const answer = (status: number, code: number, message: string) => {
      grpcError(res, status, code, message);
      control.log.record({
        service: 'argocd',
        operation,
        mutating,
        status,
        error: GRPC_CODE_NAMES[code] ?? String(code),
      });
    };

    await control.delay();
    if (control.knobs.outage) return answer(503, 14, 'emulated outage: argocd-server is unavailable');
    if (!route) {
      const pathKnown = routes.some((r) => r.pattern.test(url.pathname));
      return pathKnown ? answer(405, 12, 'Method Not Allowed') : answer(404, 5, 'Not Found');
    }
    if (route.authenticated) {
      const presented = tokenOf(req);
      if (!presented) return answer(401, 16, 'no session information');
      if (presented !== token) return answer(401, 16, 'invalid session: token signature is invalid');
    }
    if (control.takeFault(operation, ['server-error'])) {
      return answer(500, 13, 'emulated server error');
    }
    try {
      const text = method === 'POST' || method === 'PUT' ? await readBody(req) : '';
      if (route.app) enforceAppAccess(model, access, params[0] ?? '', projectsOf(url, text));
      if (route.stream) {
        control.log.record({ service: 'argocd', operation, mutating, status: 200 });
        return route.stream(url, req, res);
      }
      const body = await route.handle(params, url, req, text);
      sendJson(res, 200, body);
      control.log.record({ service: 'argocd', operation, mutating, status: 200 });
    } catch (error) {
      if (error instanceof ArgoApiError) return answer(error.httpStatus, error.grpcCode, error.message);
      throw error;
    }
  };
}
