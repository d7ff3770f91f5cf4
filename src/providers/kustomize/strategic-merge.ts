/**
 * Strategic-merge patches, the simple part: maps merge recursively, `null` deletes a key, scalars and
 * plain lists are replaced, and lists of objects that kustomize treats as associative are merged
 * element by element on their key. The merge keys come from a short table of well-known Kubernetes
 * fields; otherwise, like kustomize's kyaml without a schema, a list whose elements all carry one
 * of `mountPath, devicePath, ip, type, topologyKey, name, containerPort` is merged on that key.
 * Directives: `$patch: delete` (a map or a list element) and `$patch: replace`; `$setElementOrder`
 * and `$retainKeys` are dropped (ordering follows the destination, new elements are appended).
 */
import { clone, isMap, type JsonMap } from './types.js';

/** Merge keys kustomize takes from the Kubernetes schema, by field name (and parent field). */
const SCHEMA_MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  // `ports` of a container merge on containerPort, of a Service on port.
};

const HEURISTIC_KEYS = ['mountPath', 'devicePath', 'ip', 'type', 'topologyKey', 'name', 'containerPort'];

function mergeKeyFor(
  field: string,
  parentField: string | undefined,
  dest: unknown[],
  patch: unknown[],
): string | undefined {
  if (field === 'ports') return parentField === 'spec' ? 'port' : 'containerPort';
  const known = SCHEMA_MERGE_KEYS[field];
  if (known) return known;
  const all = [...dest, ...patch];
  if (all.length === 0 || !all.every(isMap)) return undefined;
  return HEURISTIC_KEYS.find((key) => all.every((item) => isMap(item) && key in item));
}

function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isMap(value)) return value;
  const out: JsonMap = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (item === null) continue;
    out[key] = withoutDirectives(item);
  }
  return out;
}

function mergeList(
  dest: unknown[],
  patch: unknown[],
  field: string,
  parentField: string | undefined,
): unknown[] {
  const key = mergeKeyFor(field, parentField, dest, patch);
  if (!key) return patch.filter((item) => !(isMap(item) && item.$patch === 'delete')).map(withoutDirectives);
  // kustomize (kyaml) puts the patch's elements first, in patch order, then the untouched ones.
  const keyOf = (item: unknown) => (isMap(item) ? item[key] : undefined);
  const patchKeys = new Set(patch.map(keyOf));
  const result: unknown[] = [];
  for (const item of patch) {
    if (!isMap(item) || item.$patch === 'delete') continue;
    const existing = dest.find((candidate) => keyOf(candidate) === item[key]);
    result.push(
      existing === undefined ? withoutDirectives(item) : mergeValue(existing, item, undefined, field),
    );
  }
  for (const item of dest) if (!patchKeys.has(keyOf(item))) result.push(clone(item));
  return result;
}

function mergeValue(
  dest: unknown,
  patch: unknown,
  field: string | undefined,
  parentField: string | undefined,
): unknown {
  if (isMap(patch)) {
    if (patch.$patch === 'delete') return undefined;
    if (patch.$patch === 'replace' || !isMap(dest)) return withoutDirectives(patch);
    const out: JsonMap = { ...dest };
    for (const [key, value] of Object.entries(patch)) {
      if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
      if (value === null) {
        delete out[key];
        continue;
      }
      const merged = mergeValue(dest[key], value, key, field);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    }
    return out;
  }
  if (Array.isArray(patch)) {
    if (!Array.isArray(dest) || field === undefined) return withoutDirectives(patch);
    return mergeList(dest, patch, field, parentField);
  }
  return patch;
}

/** Returns `target` with the strategic-merge `patch` applied (neither argument is modified). */
export function applyStrategicMerge<T>(target: T, patch: JsonMap): T {
  return mergeValue(clone(target), patch, undefined, undefined) as T;
}
