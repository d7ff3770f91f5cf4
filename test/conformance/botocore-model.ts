/**
 * botocore's service models (installed with the AWS CLI) as an independent statement of the
 * Route 53 and EKS APIs: paths, methods, status codes, error shapes, required output members and
 * pagination tokens. Also which operations the tool sends, read from its own source, so a new
 * operation in a provider is covered without editing the suite.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface ModelMember {
  shape: string;
  location?: string;
  locationName?: string;
}

export interface ModelShape {
  type: string;
  members?: Record<string, ModelMember>;
  required?: string[];
  member?: { shape: string };
  error?: { httpStatusCode?: number; code?: string };
  exception?: boolean;
}

export interface ModelOperation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: Array<{ shape: string }>;
}

export interface ServiceModel {
  metadata: { protocol: string; apiVersion: string };
  operations: Record<string, ModelOperation>;
  shapes: Record<string, ModelShape>;
}

export interface Paginator {
  input_token: string | string[];
  output_token: string | string[];
  limit_key?: string;
  more_results?: string;
  result_key: string | string[];
}

export interface BotocoreService {
  model: ServiceModel;
  paginators: Record<string, Paginator>;
  waiters: Record<string, { operation: string }>;
}

/** botocore's data directory, or why it cannot be used. */
export function botocoreDataDir(): { dir: string } | { reason: string } {
  for (const python of ['python3', 'python']) {
    try {
      const out = execFileSync(
        python,
        ['-c', 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))'],
        { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] },
      ).trim();
      if (out && existsSync(out)) return { dir: out };
    } catch {
      // try the next interpreter
    }
  }
  return {
    reason: 'botocore (installed with the AWS CLI or moto) is not importable by python3 on this machine',
  };
}

function readJson(base: string): unknown {
  if (existsSync(`${base}.gz`)) return JSON.parse(gunzipSync(readFileSync(`${base}.gz`)).toString('utf8'));
  return JSON.parse(readFileSync(base, 'utf8'));
}

export function loadService(dataDir: string, service: string, version: string): BotocoreService {
  const dir = join(dataDir, service, version);
  const model = readJson(join(dir, 'service-2.json')) as ServiceModel;
  const paginators = existsSync(join(dir, 'paginators-1.json'))
    ? (readJson(join(dir, 'paginators-1.json')) as { pagination: Record<string, Paginator> }).pagination
    : {};
  const waiters = existsSync(join(dir, 'waiters-2.json'))
    ? (readJson(join(dir, 'waiters-2.json')) as { waiters: Record<string, { operation: string }> }).waiters
    : {};
  return { model, paginators, waiters };
}

/**
 * The operations a provider sends: every `new XCommand(` in its sources, and the operation behind
 * every `waitUntilX(` (from the model's waiters).
 */
export function toolOperations(sourceDir: string, service: BotocoreService): string[] {
  const found = new Set<string>();
  for (const file of readdirSync(sourceDir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(sourceDir, file), 'utf8');
    for (const match of text.matchAll(/new (\w+)Command\(/g)) found.add(match[1] as string);
    for (const match of text.matchAll(/\bwaitUntil(\w+)\(/g)) {
      const waiter = service.waiters[match[1] as string];
      if (waiter) found.add(waiter.operation);
    }
  }
  return [...found].sort();
}

/** Paths (`Out.A.B`) of members the model marks required but the parsed output lacks. */
export function missingRequired(
  model: ServiceModel,
  shapeName: string,
  value: unknown,
  path: string,
): string[] {
  const shape = model.shapes[shapeName];
  if (!shape || value === undefined || value === null) return [];
  if (shape.type === 'structure' && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const missing = (shape.required ?? [])
      .filter((name) => object[name] === undefined)
      .map((name) => `${path}.${name}`);
    for (const [name, member] of Object.entries(shape.members ?? {})) {
      missing.push(...missingRequired(model, member.shape, object[name], `${path}.${name}`));
    }
    return missing;
  }
  if (shape.type === 'list' && Array.isArray(value) && shape.member) {
    const member = shape.member.shape;
    return value.flatMap((item, i) => missingRequired(model, member, item, `${path}[${i}]`));
  }
  return [];
}

/** The request path of an operation with each `{Label}` (or `{Label+}`) filled in. */
export function requestPath(operation: ModelOperation, labels: Record<string, string>): string {
  return operation.http.requestUri.replace(/\{(\w+)\+?\}/g, (_m, name: string) => {
    const value = labels[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${operation.http.requestUri}`);
    return encodeURIComponent(value);
  });
}

/** The status the model gives an error shape (the protocol default 400 when it names none). */
export function errorStatus(model: ServiceModel, code: string): number | undefined {
  const shape = model.shapes[code];
  if (!shape) return undefined;
  return shape.error?.httpStatusCode ?? 400;
}

export function asList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}
