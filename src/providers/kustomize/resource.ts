/**
 * Selecting objects as kustomize's `patches[].target` does (kind, name and namespace as anchored
 * regular expressions, label and annotation selectors). Not a renderer: the standby lint uses it to
 * tell which rendered objects a patch reaches, and the Argo CD emulator to filter applications.
 */
import { isMap, type KubeObject, KustomizeError, splitApiVersion } from './types.js';

export interface Resource {
  object: KubeObject;
  /** Earlier names, oldest first (without the current one): a target's name may match any of them. */
  previousNames: string[];
}

export function allNames(resource: Resource): string[] {
  return [...resource.previousNames, resource.object.metadata.name];
}

/** Selection as in `patches[].target`: every field optional, strings are anchored regular expressions. */
export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

function anchored(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (error) {
    throw new KustomizeError(`invalid regular expression in target: ${pattern}`, undefined, { cause: error });
  }
}

interface Requirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

/** Kubernetes label-selector syntax: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`. */
export function parseLabelSelector(selector: string): Requirement[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (current.trim()) parts.push(current);
  return parts.map((raw) => {
    const part = raw.trim();
    const set = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      return { key: set[1]!, op: set[2] === 'in' ? 'in' : 'notin', values };
    }
    const inequality = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(part);
    if (inequality) return { key: inequality[1]!, op: 'notin', values: [inequality[2]!] };
    const equality = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(part);
    if (equality) return { key: equality[1]!, op: 'in', values: [equality[2]!] };
    if (/^![^\s!=]+$/.test(part)) return { key: part.slice(1), op: '!exists', values: [] };
    if (/^[^\s!=()]+$/.test(part)) return { key: part, op: 'exists', values: [] };
    throw new KustomizeError(`invalid label selector: ${selector}`);
  });
}

export function matchesLabelSelector(labels: Record<string, unknown> | undefined, selector: string): boolean {
  const map = labels ?? {};
  return parseLabelSelector(selector).every((req) => {
    const has = Object.hasOwn(map, req.key);
    const value = has ? String(map[req.key]) : undefined;
    switch (req.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return value !== undefined && req.values.includes(value);
      case 'notin':
        return value === undefined || !req.values.includes(value);
    }
    return false;
  });
}

export function matchesSelector(resource: Resource, selector: Selector): boolean {
  const { object } = resource;
  const { group, version } = splitApiVersion(object.apiVersion);
  if (selector.group !== undefined && !anchored(selector.group).test(group)) return false;
  if (selector.version !== undefined && !anchored(selector.version).test(version)) return false;
  if (selector.kind !== undefined && !anchored(selector.kind).test(object.kind)) return false;
  if (
    selector.namespace !== undefined &&
    !anchored(selector.namespace).test(object.metadata.namespace ?? '')
  ) {
    return false;
  }
  if (selector.name !== undefined) {
    const pattern = anchored(selector.name);
    if (!allNames(resource).some((name) => pattern.test(name))) return false;
  }
  if (selector.labelSelector && !matchesLabelSelector(object.metadata.labels, selector.labelSelector))
    return false;
  if (
    selector.annotationSelector &&
    !matchesLabelSelector(object.metadata.annotations, selector.annotationSelector)
  ) {
    return false;
  }
  return true;
}

export function parseSelector(value: unknown, file: string): Selector {
  if (!isMap(value)) throw new KustomizeError('target must be a mapping', file);
  const selector: Selector = {};
  for (const [key, item] of Object.entries(value)) {
    if (
      !['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'].includes(key)
    ) {
      throw new KustomizeError(`unknown target field ${key}`, file);
    }
    if (typeof item !== 'string') throw new KustomizeError(`target.${key} must be a string`, file);
    selector[key as keyof Selector] = item;
  }
  return selector;
}
