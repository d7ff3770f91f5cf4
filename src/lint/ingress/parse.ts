/**
 * Finds the Ingress objects in YAML text and reads their rules together with source positions.
 * Accepts networking.k8s.io/v1 and the legacy extensions/v1beta1 and networking.k8s.io/v1beta1
 * forms, `kind: List`, and the write-up's shorthand where `http:` holds the paths list directly.
 */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { pathShapeError, type RoutableIngress, type RoutablePath } from './matching.js';
import type { Finding, InputProblem, PathType } from './types.js';

type ApiFlavor = 'v1' | 'legacy';

const INGRESS_API_VERSIONS: Record<string, ApiFlavor> = {
  'networking.k8s.io/v1': 'v1',
  'networking.k8s.io/v1beta1': 'legacy',
  'extensions/v1beta1': 'legacy',
};

const PATH_TYPES: readonly PathType[] = ['Exact', 'Prefix', 'ImplementationSpecific'];

export interface ParsedPath extends RoutablePath {
  line: number;
  pathIndex: number;
  /** False when a controller rejects the entry; it is then left out of the routing models. */
  routable: boolean;
  /** Whether pathType was written (legacy Ingresses usually omit it). */
  pathTypeWritten: boolean;
}

export interface ParsedRule {
  index: number;
  host: string;
  line: number;
  hasHttp: boolean;
  /** Every entry of the paths list, routable or not, in source order (index = pathIndex). */
  entries: ParsedPath[];
  /** Routable entries only (what RoutableRule.paths wants). */
  paths: ParsedPath[];
  /** The YAML sequence holding the paths, for --fix. */
  pathsNode?: YAMLSeq;
}

export interface ParsedIngress extends RoutableIngress<ParsedPath> {
  file: string;
  line: number;
  /** `namespace/name`. */
  name: string;
  apiVersion: string;
  rules: ParsedRule[];
  /** The YAML sequence spec.rules, for --fix. */
  rulesNode?: YAMLSeq;
}

export interface ParsedFile {
  file: string;
  ingresses: ParsedIngress[];
  problems: InputProblem[];
  /** invalid-shape findings (the file was readable, but something in an Ingress is off). */
  findings: Finding[];
  /** At least one document could be examined. */
  checked: boolean;
  /** The parsed documents (their sequence nodes are what --fix reorders). */
  documents: Document.Parsed[];
}

interface Context {
  file: string;
  lineCounter: LineCounter;
  findings: Finding[];
  ingressName: string;
  nextPathId: number;
}

function lineOf(ctx: Pick<Context, 'lineCounter'>, node: Node | null | undefined, fallback = 1): number {
  const offset = node?.range?.[0];
  return offset === undefined ? fallback : ctx.lineCounter.linePos(offset).line;
}

function entryOf(map: YAMLMap, key: string): { key: Node; value: Node | undefined } | undefined {
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key) {
      return { key: pair.key, value: (pair.value as Node | null) ?? undefined };
    }
  }
  return undefined;
}

function fieldOf(map: YAMLMap, key: string): Node | undefined {
  return entryOf(map, key)?.value;
}

function textOf(node: Node | undefined): string | undefined {
  if (!isScalar(node)) return undefined;
  const value = node.value;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

function shape(
  ctx: Context,
  severity: 'error' | 'warning',
  line: number,
  host: string,
  message: string,
): void {
  ctx.findings.push({
    kind: 'invalid-shape',
    severity,
    file: ctx.file,
    line,
    host: host === '' ? '*' : host,
    message,
    rules: [],
    ingress: ctx.ingressName,
  });
}

/** `service:port` of a backend in either API form, or an error message. */
function readBackend(
  ctx: Context,
  node: Node | undefined,
  flavor: ApiFlavor,
  host: string,
): { backend?: string; error?: string } {
  if (!isMap(node)) return { error: 'backend is missing or not a mapping' };
  const service = fieldOf(node, 'service');
  const resource = fieldOf(node, 'resource');
  const legacyName = textOf(fieldOf(node, 'serviceName'));
  if (isMap(service)) {
    if (flavor === 'legacy') {
      shape(
        ctx,
        'warning',
        lineOf(ctx, node),
        host,
        'backend.service is the networking.k8s.io/v1 form; this Ingress uses a v1beta1 apiVersion (serviceName/servicePort)',
      );
    }
    const name = textOf(fieldOf(service, 'name'));
    const port = fieldOf(service, 'port');
    const portText = isMap(port)
      ? (textOf(fieldOf(port, 'number')) ?? textOf(fieldOf(port, 'name')))
      : undefined;
    if (!name || !portText) return { error: 'backend.service needs name and port.number (or port.name)' };
    return { backend: `${name}:${portText}` };
  }
  if (legacyName !== undefined) {
    if (flavor === 'v1') {
      shape(
        ctx,
        'warning',
        lineOf(ctx, node),
        host,
        'serviceName/servicePort is the legacy v1beta1 form; networking.k8s.io/v1 expects backend.service.name and backend.service.port',
      );
    }
    const port = textOf(fieldOf(node, 'servicePort'));
    if (!port) return { error: 'backend has serviceName but no servicePort' };
    return { backend: `${legacyName}:${port}` };
  }
  if (isMap(resource)) {
    const kind = textOf(fieldOf(resource, 'kind')) ?? '?';
    const name = textOf(fieldOf(resource, 'name')) ?? '?';
    return { backend: `resource:${kind}/${name}` };
  }
  return { error: 'backend names no service (service.name/port or serviceName/servicePort)' };
}

function readPath(
  ctx: Context,
  node: unknown,
  flavor: ApiFlavor,
  host: string,
  ruleIndex: number,
  pathIndex: number,
): ParsedPath {
  const line = lineOf(ctx, node as Node);
  const entry: ParsedPath = {
    id: ctx.nextPathId++,
    host,
    ruleIndex,
    pathIndex,
    line,
    path: '',
    pathType: 'ImplementationSpecific',
    pathTypeWritten: false,
    backend: '',
    routable: false,
  };
  if (!isMap(node)) {
    shape(ctx, 'error', line, host, 'a paths entry is not a mapping (expected path, pathType, backend)');
    return entry;
  }
  const pathNode = fieldOf(node, 'path');
  const pathText = pathNode === undefined ? '' : textOf(pathNode);
  if (pathText === undefined) {
    shape(ctx, 'error', line, host, 'path is not a string');
    return entry;
  }
  entry.path = pathText;
  const pathTypeText = textOf(fieldOf(node, 'pathType'));
  if (pathTypeText === undefined) {
    if (flavor === 'v1') {
      shape(
        ctx,
        'warning',
        line,
        host,
        `path "${pathText}" has no pathType, which networking.k8s.io/v1 requires; both controllers then treat it as ImplementationSpecific`,
      );
    }
  } else if ((PATH_TYPES as readonly string[]).includes(pathTypeText)) {
    entry.pathType = pathTypeText as PathType;
    entry.pathTypeWritten = true;
  } else {
    shape(
      ctx,
      'error',
      line,
      host,
      `unknown pathType "${pathTypeText}" (expected Exact, Prefix or ImplementationSpecific)`,
    );
    return entry;
  }
  const backend = readBackend(ctx, fieldOf(node, 'backend'), flavor, host);
  if (backend.error) {
    shape(ctx, 'error', line, host, `path "${pathText}": ${backend.error}`);
    return entry;
  }
  entry.backend = backend.backend ?? '';
  const shapeError = pathShapeError(entry.path, entry.pathType);
  if (shapeError) {
    shape(ctx, 'error', line, host, `${shapeError}; this path is left out of the comparison`);
    return entry;
  }
  entry.routable = true;
  return entry;
}

function readRule(ctx: Context, node: unknown, flavor: ApiFlavor, index: number): ParsedRule {
  const line = lineOf(ctx, node as Node);
  const rule: ParsedRule = { index, host: '', line, hasHttp: false, entries: [], paths: [] };
  if (!isMap(node)) {
    shape(ctx, 'error', line, '', 'a spec.rules entry is not a mapping');
    return rule;
  }
  const hostText = textOf(fieldOf(node, 'host'));
  rule.host = hostText ?? '';
  const http = fieldOf(node, 'http');
  if (http === undefined) return rule;
  let paths: Node | undefined;
  if (isSeq(http)) {
    // The write-up writes `http: - path: ...`; the API server would reject it.
    shape(
      ctx,
      'warning',
      lineOf(ctx, http),
      rule.host,
      '`http:` holds the list of paths directly: Kubernetes expects `http: paths: [...]`; read as if it were http.paths',
    );
    paths = http;
  } else if (isMap(http)) {
    paths = fieldOf(http, 'paths');
  } else {
    shape(ctx, 'error', lineOf(ctx, http, line), rule.host, '`http` must be a mapping with `paths`');
    return rule;
  }
  if (!isSeq(paths)) {
    shape(ctx, 'error', lineOf(ctx, paths ?? http, line), rule.host, '`http.paths` must be a list');
    return rule;
  }
  rule.hasHttp = true;
  rule.pathsNode = paths;
  paths.items.forEach((item, pathIndex) => {
    const entry = readPath(ctx, item, flavor, rule.host, index, pathIndex);
    rule.entries.push(entry);
    if (entry.routable) rule.paths.push(entry);
  });
  return rule;
}

function readIngress(ctx: Context, map: YAMLMap, apiVersion: string, flavor: ApiFlavor): ParsedIngress {
  const metadata = fieldOf(map, 'metadata');
  const name = (isMap(metadata) && textOf(fieldOf(metadata, 'name'))) || '(unnamed)';
  const namespace = (isMap(metadata) && textOf(fieldOf(metadata, 'namespace'))) || 'default';
  ctx.ingressName = `${namespace}/${name}`;
  const ingress: ParsedIngress = {
    file: ctx.file,
    line: lineOf(ctx, map),
    name: ctx.ingressName,
    apiVersion,
    rules: [],
  };
  const spec = fieldOf(map, 'spec');
  if (!isMap(spec)) {
    shape(ctx, 'error', ingress.line, '', 'Ingress has no spec mapping');
    return ingress;
  }
  const defaultKey = flavor === 'v1' ? 'defaultBackend' : 'backend';
  const otherKey = flavor === 'v1' ? 'backend' : 'defaultBackend';
  let defaultNode = entryOf(spec, defaultKey);
  const otherNode = entryOf(spec, otherKey);
  if (!defaultNode && otherNode) {
    shape(
      ctx,
      'warning',
      lineOf(ctx, otherNode.key),
      '',
      `spec.${otherKey} is not the default-backend field of ${apiVersion} (spec.${defaultKey}); read as the default backend`,
    );
    defaultNode = otherNode;
  }
  if (defaultNode) {
    const backend = readBackend(ctx, defaultNode.value, flavor, '');
    if (backend.error)
      shape(ctx, 'error', lineOf(ctx, defaultNode.key), '', `default backend: ${backend.error}`);
    else ingress.defaultBackend = backend.backend;
  }
  const rules = fieldOf(spec, 'rules');
  if (rules === undefined) return ingress;
  if (!isSeq(rules)) {
    shape(ctx, 'error', lineOf(ctx, rules), '', 'spec.rules must be a list');
    return ingress;
  }
  ingress.rulesNode = rules;
  rules.items.forEach((item, index) => {
    ingress.rules.push(readRule(ctx, item, flavor, index));
  });
  return ingress;
}

function kubernetesObjects(
  ctx: Context,
  node: Node,
  problems: InputProblem[],
  where: string,
): { map: YAMLMap; apiVersion: string; kind: string }[] {
  if (
    !isMap(node) ||
    textOf(fieldOf(node, 'apiVersion')) === undefined ||
    textOf(fieldOf(node, 'kind')) === undefined
  ) {
    problems.push({
      file: ctx.file,
      line: lineOf(ctx, node),
      message: `${where} is not a Kubernetes object (no apiVersion and kind); skipped`,
    });
    return [];
  }
  const apiVersion = textOf(fieldOf(node, 'apiVersion')) ?? '';
  const kind = textOf(fieldOf(node, 'kind')) ?? '';
  if (kind !== 'List') return [{ map: node, apiVersion, kind }];
  const items = fieldOf(node, 'items');
  if (!isSeq(items)) return [];
  return items.items.flatMap((item, i) =>
    kubernetesObjects(ctx, item as Node, problems, `${where}, items[${i}]`),
  );
}

/** Parses every document of one file; bad documents become problems, the rest is still read. */
export function parseIngressFile(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  const result: ParsedFile = {
    file,
    ingresses: [],
    problems: [],
    findings: [],
    checked: false,
    documents: [],
  };
  const ctx: Context = { file, lineCounter, findings: result.findings, ingressName: '', nextPathId: 0 };
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
    }) as Document.Parsed[];
  } catch (error) {
    result.problems.push({ file, message: `cannot parse YAML: ${(error as Error).message}` });
    return result;
  }
  result.documents = documents;
  if (documents.length === 0) result.checked = true;
  documents.forEach((doc, docIndex) => {
    const where = documents.length > 1 ? `document ${docIndex + 1}` : 'the document';
    const firstError = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
    if (firstError) {
      // Errors found at the very end (an unterminated quote) point past the last line.
      const offset = Math.min(firstError.pos[0], Math.max(0, text.trimEnd().length - 1));
      result.problems.push({
        file,
        line: lineCounter.linePos(offset).line,
        message: `YAML syntax error in ${where}: ${firstError.message.split('\n')[0]}; ${where} is skipped`,
      });
      return;
    }
    result.checked = true;
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    for (const object of kubernetesObjects(ctx, doc.contents as Node, result.problems, where)) {
      if (object.kind !== 'Ingress') continue;
      const flavor = INGRESS_API_VERSIONS[object.apiVersion];
      if (!flavor) {
        result.problems.push({
          file,
          line: lineOf(ctx, fieldOf(object.map, 'apiVersion')),
          message: `unknown Ingress apiVersion "${object.apiVersion}" (expected networking.k8s.io/v1, networking.k8s.io/v1beta1 or extensions/v1beta1); skipped`,
        });
        continue;
      }
      result.ingresses.push(readIngress(ctx, object.map, object.apiVersion, flavor));
    }
  });
  return result;
}
