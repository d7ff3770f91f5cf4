/**
 * The Argo CD REST API (argocd-server's grpc-gateway) over HTTP with a bearer token. Knows
 * transport, authentication and how errors read; nothing about what the tool does with the apps.
 * The token goes into the Authorization header and nowhere else: messages never contain it.
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { FailoverError, invalidInput, stepFailed } from '../../engine/errors.js';
import { abortError } from '../../engine/retry.js';
import type { z } from '../../util/zod.js';

export interface ArgoCdClientOptions {
  /** Base URL of argocd-server, e.g. https://argocd.example.com (the API is under /api/v1). */
  server: string;
  token: string;
  /** Name of the environment variable that held the token, for hints. */
  tokenEnv: string;
  /** Skip TLS certificate verification (a self-signed argocd-server, as `argocd --insecure`). */
  insecure?: boolean;
  /** Bound on one request; `?refresh=normal` waits for a reconcile, so this is generous. */
  requestTimeoutMs?: number;
}

export interface CallContext {
  signal?: AbortSignal;
  /** The application the call is about, named in not-found and permission errors. */
  app?: string;
}

interface RawAnswer {
  status: number;
  text: string;
  /** Where a redirect points. */
  location?: string;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * node:http/https, not the global fetch: the AWS SDK loads them anyway, while the first fetch of a
 * process compiles Node's bundled undici (about 50 ms of CPU, paid by every status and run).
 * Keep-alive comes from the global agents. Redirects are not followed: they come back as a status.
 * `insecure` turns certificate checks off (a self-signed argocd-server).
 */
function openRequest(
  url: URL,
  options: { method: string; headers: Record<string, string>; signal: AbortSignal },
  insecure: boolean,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return request(url, { ...options, ...(insecure ? { rejectUnauthorized: false } : {}) }, onResponse);
}

/** One request, its whole answer as text. */
function send(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
  insecure: boolean,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = openRequest(url, { method, headers, signal }, insecure, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          location: res.headers.location,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The error body grpc-gateway sends: {"error","code","message"} (code is the gRPC status code). */
interface GatewayError {
  code?: number;
  message: string;
}

function gatewayError(text: string): GatewayError {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const message =
      typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : '';
    return {
      code: typeof body.code === 'number' ? body.code : undefined,
      message: message || text.slice(0, 200),
    };
  } catch {
    return { message: text.slice(0, 200).trim() };
  }
}

const GRPC_FAILED_PRECONDITION = 9;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);

function networkCode(error: unknown): string | undefined {
  const direct = (error as { code?: unknown } | undefined)?.code;
  if (typeof direct === 'string') return direct;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

export class ArgoCdClient {
  readonly server: string;

  constructor(private readonly options: ArgoCdClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
  }

  /** GET, parsed leniently with `schema`. */
  async get<T>(path: string, schema: z.ZodType<T>, context: CallContext = {}): Promise<T> {
    return this.parse('GET', path, await this.call('GET', path, undefined, context), schema);
  }

  async post<T>(path: string, body: unknown, schema: z.ZodType<T>, context: CallContext = {}): Promise<T> {
    return this.parse('POST', path, await this.call('POST', path, body, context), schema);
  }

  /**
   * Opens a stream (GET, server-sent events) and hands each message's JSON to `onMessage` until
   * the server ends it or `signal` aborts. Resolves when the stream ends; rejects when it cannot be
   * opened or breaks, with the same errors as `get`.
   */
  stream(path: string, onMessage: (message: unknown) => void, signal: AbortSignal): Promise<void> {
    const url = new URL(path, `${this.server}/`);
    const where = `GET ${path.split('?')[0]}`;
    const headers = {
      authorization: `Bearer ${this.options.token}`,
      accept: 'text/event-stream',
      'user-agent': 'failover',
    };
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(abortError(signal));
      const req = openRequest(
        url,
        { method: 'GET', headers, signal },
        this.options.insecure === true,
        (res) => {
          res.setEncoding('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            let text = '';
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () => reject(this.httpError({ status, text }, where, undefined)));
            res.on('error', reject);
            return;
          }
          const sse = String(res.headers['content-type'] ?? '').includes('text/event-stream');
          let buffer = '';
          const deliver = (json: string) => {
            try {
              onMessage(JSON.parse(json));
            } catch {
              // A message cut by a proxy or not JSON tells nothing; the next one will.
            }
          };
          res.on('data', (chunk: string) => {
            buffer += chunk;
            for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
              const line = buffer.slice(0, end).trim();
              buffer = buffer.slice(end + 1);
              // SSE: `data:` lines carry the JSON (one per message here); `:` lines are keepalives.
              if (sse ? line.startsWith('data:') : line !== '') deliver(sse ? line.slice(5) : line);
            }
          });
          res.on('end', () => resolve());
          res.on('error', (error) => reject(signal.aborted ? abortError(signal) : error));
        },
      );
      req.on('error', (error) => reject(signal.aborted ? abortError(signal) : this.networkError(error)));
      req.end();
    });
  }

  /** True when an error is Argo CD saying another operation (sync) is already running. */
  static isOperationInProgress(error: unknown): boolean {
    return (
      FailoverError.is(error) &&
      error.details?.grpcCode === GRPC_FAILED_PRECONDITION &&
      /another operation is already in progress/i.test(String(error.details?.serverMessage ?? ''))
    );
  }

  private async call(method: string, path: string, body: unknown, context: CallContext): Promise<string> {
    const outer = context.signal;
    if (outer?.aborted) throw abortError(outer);
    const timeoutMs = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: 'application/json',
      'user-agent': 'failover',
    };
    const text = body === undefined ? undefined : JSON.stringify(body);
    if (text !== undefined) headers['content-type'] = 'application/json';
    const where = `${method} ${path.split('?')[0]}`;
    let answer: RawAnswer;
    try {
      const url = new URL(path, `${this.server}/`);
      answer = await send(method, url, headers, text, signal, this.options.insecure === true);
    } catch (error) {
      if (outer?.aborted) throw abortError(outer);
      if (timeout.aborted) {
        throw stepFailed(
          'FO_ARGOCD_E3508',
          `Argo CD at ${this.server} did not answer ${where} within ${timeoutMs / 1000}s`,
          {
            hint: 'check that argocd-server and the application controller are healthy',
            retryable: true,
          },
        );
      }
      throw this.networkError(error);
    }
    if (answer.status >= 200 && answer.status < 300) return answer.text;
    throw this.httpError(answer, where, context.app);
  }

  private networkError(error: unknown): FailoverError {
    const code = networkCode(error);
    const reason = code ?? this.scrub(error instanceof Error ? error.message : String(error));
    const tls = code !== undefined && /CERT|SSL|TLS/.test(code);
    return stepFailed('FO_ARGOCD_E3507', `cannot reach Argo CD at ${this.server}: ${reason}`, {
      hint: tls
        ? "argocd-server's certificate is not trusted: point NODE_EXTRA_CA_CERTS at its CA, or set argocd.insecure: true for a self-signed one"
        : 'check argocd.server in the config and the network path to it (VPN, port-forward, proxy)',
      retryable: code === undefined || NETWORK_CODES.has(code),
      details: { server: this.server, ...(code ? { errorCode: code } : {}) },
    });
  }

  private httpError(answer: RawAnswer, where: string, app: string | undefined): FailoverError {
    const { code, message } = gatewayError(answer.text);
    const said = this.scrub(message);
    const details = { server: this.server, httpStatus: answer.status, grpcCode: code, serverMessage: said };
    const env = this.options.tokenEnv;
    if (answer.status >= 300 && answer.status < 400) {
      // A login page, an ingress that moves http to https, or a path prefix: not argocd-server's API.
      const to = answer.location ? ` to ${this.scrub(answer.location)}` : '';
      return invalidInput(
        'FO_ARGOCD_E3513',
        `Argo CD at ${this.server} redirected ${where}${to} (${answer.status})`,
        {
          hint: 'set argocd.server to the address argocd-server itself answers on (often the redirect target), not a login page or proxy',
          details: { server: this.server, httpStatus: answer.status },
        },
      );
    }
    if (answer.status === 401) {
      return invalidInput(
        'FO_ARGOCD_E3502',
        `Argo CD token rejected by ${this.server} (${said || 'unauthenticated'})`,
        {
          hint: `set ${env} to a valid, unexpired Argo CD API token (argocd account generate-token --account <account>)`,
          details,
        },
      );
    }
    if (answer.status === 403 && app) {
      // Argo CD answers 403 "permission denied" both for an application that does not exist and
      // for one the token may not see, and never says which (argocd-server's getAppEnforceRBAC).
      return invalidInput(
        'FO_ARGOCD_E3504',
        `application ${app}: not found or not permitted for this token (Argo CD at ${this.server} answered ${where}: ${said || 'permission denied'})`,
        {
          hint:
            `check the name in argocd.awsApps / argocd.gcpApps against \`argocd app list\` run with the same token, ` +
            `and that the account behind ${env} has RBAC permission to get and sync it ` +
            '(p, role:…, applications, get|sync, <project>/<app>, allow)',
          details,
        },
      );
    }
    if (answer.status === 403) {
      return invalidInput(
        'FO_ARGOCD_E3503',
        `Argo CD at ${this.server} denied ${where} (${said || 'permission denied'})`,
        {
          hint: `give the account behind ${env} RBAC permission to get and sync the applications`,
          details,
        },
      );
    }
    if (answer.status === 404 && app) {
      return invalidInput('FO_ARGOCD_E3504', `application ${app}: not found on ${this.server}`, {
        hint: 'check argocd.awsApps / argocd.gcpApps in the config against `argocd app list`',
        details,
      });
    }
    const retryable = answer.status >= 500 || answer.status === 429;
    return stepFailed(
      'FO_ARGOCD_E3505',
      `Argo CD at ${this.server} answered ${answer.status} to ${where}: ${said}`,
      {
        retryable,
        ...(retryable
          ? { hint: 'Argo CD is unavailable or overloaded; the step retries, or run again later' }
          : {}),
        details,
      },
    );
  }

  private parse<T>(method: string, path: string, text: string, schema: z.ZodType<T>): T {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw stepFailed(
        'FO_ARGOCD_E3509',
        `Argo CD at ${this.server} answered ${method} ${path.split('?')[0]} with something that is not JSON`,
        {
          hint: 'check that argocd.server points at argocd-server itself (not a login page or proxy)',
        },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw stepFailed(
        'FO_ARGOCD_E3509',
        `Argo CD at ${this.server} answered ${method} ${path.split('?')[0]} in an unexpected shape (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`,
        { hint: 'check the Argo CD version: the tool expects the v1 REST API of Argo CD 2.x/3.x' },
      );
    }
    return parsed.data;
  }

  /** Servers do not echo tokens, but a message we pass on must never carry one. */
  private scrub(text: string): string {
    return this.options.token ? text.split(this.options.token).join('***') : text;
  }
}
