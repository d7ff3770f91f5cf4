/**
 * JSON patch (RFC 6902) as kustomize applies it, including its one deliberate deviation:
 * `replace` on a key that does not exist in an existing object ADDS the key instead of failing
 * (kustomize silently turns it into an add; an open kustomize issue). That is why the standby
 * patch `replace /spec/replicas 0` also works on an HPA-managed Deployment without spec.replicas,
 * and `replace /spec/suspend true` on a CronJob that never set suspend. A missing parent, a
 * missing array index, or `remove` of a missing key still fail, as in kustomize.
 */
import { clone, deepEqual, isMap, KustomizeError } from './types.js';

export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

const OPS = new Set(['add', 'replace', 'test', 'remove', 'move', 'copy']);

/** Validates a parsed patch document (a YAML or JSON list of operations). */
export function parseJsonPatch(doc: unknown, file?: string): JsonPatchOperation[] {
  if (!Array.isArray(doc)) throw new KustomizeError('a JSON patch must be a list of operations', file);
  return doc.map((entry, i) => {
    if (!isMap(entry) || typeof entry.op !== 'string' || !OPS.has(entry.op)) {
      throw new KustomizeError(`operation ${i}: op must be one of ${[...OPS].join(', ')}`, file);
    }
    if (typeof entry.path !== 'string')
      throw new KustomizeError(`operation ${i}: path must be a string`, file);
    if ((entry.op === 'move' || entry.op === 'copy') && typeof entry.from !== 'string') {
      throw new KustomizeError(`operation ${i}: ${entry.op} needs from`, file);
    }
    if ((entry.op === 'add' || entry.op === 'replace' || entry.op === 'test') && !('value' in entry)) {
      throw new KustomizeError(`operation ${i}: ${entry.op} needs value`, file);
    }
    return entry as JsonPatchOperation;
  });
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new KustomizeError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return Array.isArray(value) || isMap(value);
}

/** The container that holds the last token of `tokens`, or an error naming the missing path. */
function parentOf(doc: unknown, tokens: string[], op: string, pointer: string): Container {
  let node: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isMap(node)) node = node[token];
    else node = undefined;
    if (!isContainer(node)) {
      throw new KustomizeError(`${op} operation does not apply: doc is missing path: ${pointer}`);
    }
  }
  if (!isContainer(node))
    throw new KustomizeError(`${op} operation does not apply: doc is missing path: ${pointer}`);
  return node;
}

function arrayIndex(token: string, length: number, allowEnd: boolean, op: string, pointer: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new KustomizeError(`${op}: invalid array index in ${pointer}`);
  const index = Number(token);
  if (index > length || (!allowEnd && index >= length)) {
    throw new KustomizeError(`${op} operation does not apply: doc is missing key: ${pointer}`);
  }
  return index;
}

function get(doc: unknown, pointer: string, op: string): unknown {
  let node = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false, op, pointer)];
    else if (isMap(node) && token in node) node = node[token];
    else throw new KustomizeError(`${op} operation does not apply: doc is missing path: ${pointer}`);
  }
  return node;
}

function add(doc: unknown, pointer: string, value: unknown, op: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, op, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, op, pointer), 0, value);
  else parent[last] = value;
  return doc;
}

function remove(doc: unknown, pointer: string, op: string): unknown {
  const tokens = parsePointer(pointer);
  const parent = parentOf(doc, tokens, op, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false, op, pointer), 1);
  else if (last in parent) delete parent[last];
  else
    throw new KustomizeError(
      `error in remove for path: '${pointer}': Unable to remove nonexistent key: ${last}`,
    );
  return doc;
}

function replace(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, 'replace', pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false, 'replace', pointer)] = value;
  // The kustomize quirk: a missing key in an existing object is added, not reported.
  else parent[last] = value;
  return doc;
}

/** Applies the operations in order to a copy of `doc` and returns the result. */
export function applyJsonPatch<T>(doc: T, operations: readonly JsonPatchOperation[]): T {
  let result: unknown = clone(doc);
  for (const operation of operations) {
    switch (operation.op) {
      case 'add':
        result = add(result, operation.path, clone(operation.value), 'add');
        break;
      case 'replace':
        result = replace(result, operation.path, clone(operation.value));
        break;
      case 'remove':
        result = remove(result, operation.path, 'remove');
        break;
      case 'test':
        if (!deepEqual(get(result, operation.path, 'test'), operation.value)) {
          throw new KustomizeError(`testing value ${operation.path} failed: test failed`);
        }
        break;
      case 'copy':
        result = add(result, operation.path, clone(get(result, operation.from, 'copy')), 'copy');
        break;
      case 'move': {
        const value = get(result, operation.from, 'move');
        result = remove(result, operation.from, 'move');
        result = add(result, operation.path, value, 'move');
        break;
      }
    }
  }
  return result as T;
}
