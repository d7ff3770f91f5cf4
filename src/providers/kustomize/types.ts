/** Kubernetes objects as the renderers return them, plus small helpers shared by the renderer modules. */
import { parseAllDocuments } from 'yaml';

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
}

/** A kustomization that cannot be rendered, with the file at fault when known. */
export class KustomizeError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(file ? `${file}: ${message}` : message, options);
    this.name = 'KustomizeError';
  }
}

export type JsonMap = Record<string, unknown>;

export function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** `apps/v1` → group `apps`, version `v1`; `v1` → core group ''. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Parses a multi-document YAML stream into its non-empty documents. */
export function parseYamlDocuments(text: string, file?: string): unknown[] {
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new KustomizeError(`invalid YAML: ${error.message.split('\n')[0]}`, file);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Checks that a parsed document looks like a Kubernetes object and narrows its type. */
export function asKubeObject(value: unknown, file?: string): KubeObject {
  if (!isMap(value)) throw new KustomizeError('a resource must be a YAML mapping', file);
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    throw new KustomizeError('a resource needs apiVersion and kind', file);
  }
  if (!isMap(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
    throw new KustomizeError(`${kind} without metadata.name`, file);
  }
  return value as KubeObject;
}
