/**
 * Finds, in rendered objects, what the target cloud's cluster cannot serve or will ignore, as the
 * catalogue describes it. Each finding carries the field path and the patch that drops or
 * replaces the field (or deletes the object) in the overlay.
 */
import type { KubeObject } from '../../providers/kustomize/index.js';
import type { CatalogueEntry, Match } from './catalogue.js';
import type { FixPatch, JsonPatchOp, ObjectRef } from './types.js';

type Segment = string | number;

/** A finding before it is placed in an overlay and traced to its source. */
export interface Detection {
  entry: CatalogueEntry;
  severity: 'error' | 'warning';
  object: ObjectRef;
  path: Segment[];
  value: string;
  /** What was found, e.g. `annotation cloud.google.com/neg`. */
  what: string;
  fix: { description: string; patch: FixPatch };
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** `spec.template.spec.nodeSelector["cloud.google.com/gke-nodepool"]` */
export function formatField(path: readonly Segment[]): string {
  return path
    .map((s, i) =>
      typeof s === 'number'
        ? `[${s}]`
        : /^[A-Za-z_$][\w$-]*$/.test(s)
          ? `${i === 0 ? '' : '.'}${s}`
          : `[${JSON.stringify(s)}]`,
    )
    .join('');
}

/** RFC 6901 pointer of a path. */
export function pointer(path: readonly Segment[]): string {
  return path.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}

const keyMatches = (key: string, match: { keys: string[]; prefixes: string[] }) =>
  match.keys.includes(key) || match.prefixes.some((p) => key.startsWith(p));

/** Where the pod template of a workload kind is, with its metadata and spec. */
function podTemplates(object: KubeObject): Segment[][] {
  switch (object.kind) {
    case 'Pod':
      return [[]];
    case 'CronJob':
      return [['spec', 'jobTemplate', 'spec', 'template']];
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return [['spec', 'template']];
    case 'Rollout':
      // Argo Rollouts: a template of its own (one with spec.workloadRef has none, nothing is found).
      return groupOf(object.apiVersion) === 'argoproj.io' ? [['spec', 'template']] : [];
    default:
      return [];
  }
}

function at(object: unknown, path: readonly Segment[]): unknown {
  let node: unknown = object;
  for (const segment of path) {
    if (typeof segment === 'number') node = Array.isArray(node) ? node[segment] : undefined;
    else node = isRecord(node) ? node[segment] : undefined;
  }
  return node;
}

interface Context {
  object: KubeObject;
  ref: ObjectRef;
  out: Detection[];
  /** Names of objects of the render by API group, for `definedBy` metrics. */
  namesByGroup: Map<string, Set<string>>;
  /** API groups whose CRD is part of the render itself. */
  crdGroups: Set<string>;
  /** StorageClass objects of the render: name → provisioner. */
  storageClasses: Map<string, string>;
}

function push(
  ctx: Context,
  entry: CatalogueEntry,
  path: Segment[],
  value: string,
  what: string,
  fix: { description: string; patch: FixPatch },
  severity: 'error' | 'warning' = entry.severity,
): void {
  ctx.out.push({ entry, severity, object: ctx.ref, path, value, what, fix });
}

const remove = (path: Segment[], description: string) => ({
  description,
  patch: { type: 'json6902' as const, ops: [{ op: 'remove' as const, path: pointer(path) }] },
});
const replace = (path: Segment[], value: string, description: string) => ({
  description,
  patch: {
    type: 'json6902' as const,
    ops: [{ op: 'replace' as const, path: pointer(path), value } satisfies JsonPatchOp],
  },
});
const deleteObject = (ref: ObjectRef) => ({
  description: `delete ${ref.kind} ${ref.name} in the overlay`,
  patch: { type: 'delete' as const },
});

function checkKind(ctx: Context, entry: CatalogueEntry, match: Extract<Match, { type: 'kind' }>): void {
  const group = groupOf(ctx.object.apiVersion);
  if (!group || ctx.crdGroups.has(group)) return;
  if (!match.groups.includes(group) && !match.groupSuffixes.some((s) => group.endsWith(s))) return;
  push(
    ctx,
    entry,
    ['kind'],
    `${group}/${ctx.object.kind}`,
    `${ctx.object.kind} (${ctx.object.apiVersion})`,
    deleteObject(ctx.ref),
  );
}

function checkAnnotations(
  ctx: Context,
  entry: CatalogueEntry,
  match: Extract<Match, { type: 'annotation' }>,
): void {
  const places: Segment[][] = [['metadata'], ...podTemplates(ctx.object).map((t) => [...t, 'metadata'])];
  for (const place of places) {
    const annotations = at(ctx.object, [...place, 'annotations']);
    if (!isRecord(annotations)) continue;
    for (const key of Object.keys(annotations)) {
      if (!keyMatches(key, match)) continue;
      const path = [...place, 'annotations', key];
      push(ctx, entry, path, key, `annotation ${key}`, remove(path, `remove the annotation ${key}`));
    }
  }
}

function checkIngressClass(
  ctx: Context,
  entry: CatalogueEntry,
  match: Extract<Match, { type: 'ingressClass' }>,
): void {
  if (ctx.object.kind !== 'Ingress') return;
  const candidates: Segment[][] = [
    ['spec', 'ingressClassName'],
    ['metadata', 'annotations', 'kubernetes.io/ingress.class'],
  ];
  for (const path of candidates) {
    const value = at(ctx.object, path);
    if (typeof value !== 'string' || !match.names.includes(value)) continue;
    push(
      ctx,
      entry,
      path,
      value,
      `ingress class ${value}`,
      replace(path, match.replacement, `replace the ingress class ${value} with ${match.replacement}`),
    );
  }
}

function checkNodeLabels(
  ctx: Context,
  entry: CatalogueEntry,
  match: Extract<Match, { type: 'nodeLabel' }>,
): void {
  const foreign = (key: unknown): key is string => typeof key === 'string' && keyMatches(key, match);
  for (const template of podTemplates(ctx.object)) {
    const spec = [...template, 'spec'];
    const selector = at(ctx.object, [...spec, 'nodeSelector']);
    if (isRecord(selector)) {
      for (const [key, value] of Object.entries(selector)) {
        if (!foreign(key)) continue;
        const path = [...spec, 'nodeSelector', key];
        push(
          ctx,
          entry,
          path,
          key,
          `node selector ${key}=${String(value)}`,
          remove(path, `remove the node selector ${key}`),
        );
      }
    }
    const affinity = [...spec, 'affinity', 'nodeAffinity'];
    const required = [...affinity, 'requiredDuringSchedulingIgnoredDuringExecution'];
    const terms = asArray(at(ctx.object, [...required, 'nodeSelectorTerms']));
    // A term left with no expression matches no node at all: drop whole terms, or the requirement.
    const termGone = terms.map(
      (term) =>
        isRecord(term) &&
        asArray(term.matchFields).length === 0 &&
        asArray(term.matchExpressions).length > 0 &&
        asArray(term.matchExpressions).every((e) => isRecord(e) && foreign(e.key)),
    );
    terms.forEach((term, t) => {
      asArray(isRecord(term) ? term.matchExpressions : undefined).forEach((expression, e) => {
        if (!isRecord(expression) || !foreign(expression.key)) return;
        const termPath = [...required, 'nodeSelectorTerms', t];
        const path = [...termPath, 'matchExpressions', e, 'key'];
        const fixPath = termGone.every(Boolean)
          ? required
          : termGone[t]
            ? termPath
            : [...termPath, 'matchExpressions', e];
        push(
          ctx,
          entry,
          path,
          expression.key,
          `required node affinity on ${expression.key}`,
          remove(fixPath, `remove the node affinity on ${expression.key}`),
        );
      });
    });
    // Preferences are only preferences: the scheduler ignores a label no node has.
    asArray(at(ctx.object, [...affinity, 'preferredDuringSchedulingIgnoredDuringExecution'])).forEach(
      (p, i) => {
        const expressions = asArray(
          isRecord(p) && isRecord(p.preference) ? p.preference.matchExpressions : undefined,
        );
        const whole = expressions.every((e) => isRecord(e) && foreign(e.key));
        expressions.forEach((expression, e) => {
          if (!isRecord(expression) || !foreign(expression.key)) return;
          const prefPath = [...affinity, 'preferredDuringSchedulingIgnoredDuringExecution', i];
          const path = [...prefPath, 'preference', 'matchExpressions', e, 'key'];
          push(
            ctx,
            entry,
            path,
            expression.key,
            `preferred node affinity on ${expression.key} (ignored)`,
            remove(
              whole ? prefPath : [...prefPath, 'preference', 'matchExpressions', e],
              `remove the preference on ${expression.key}`,
            ),
            'warning',
          );
        });
      },
    );
  }
}

function checkStorageClass(
  ctx: Context,
  entry: CatalogueEntry,
  match: Extract<Match, { type: 'storageClass' }>,
): void {
  const paths: Segment[][] = [];
  if (ctx.object.kind === 'PersistentVolumeClaim') paths.push(['spec', 'storageClassName']);
  if (ctx.object.kind === 'StatefulSet') {
    asArray(at(ctx.object, ['spec', 'volumeClaimTemplates'])).forEach((_, i) => {
      paths.push(['spec', 'volumeClaimTemplates', i, 'spec', 'storageClassName']);
    });
  }
  for (const path of paths) {
    const value = at(ctx.object, path);
    if (typeof value !== 'string' || !match.names.includes(value)) continue;
    // The overlay defines a class of that name itself: then it exists wherever it is deployed.
    if (ctx.storageClasses.has(value)) continue;
    push(
      ctx,
      entry,
      path,
      value,
      `storage class ${value}`,
      replace(path, match.replacement, `replace the storage class ${value} with ${match.replacement}`),
    );
  }
}

function checkProvisioner(
  ctx: Context,
  entry: CatalogueEntry,
  match: Extract<Match, { type: 'provisioner' }>,
): void {
  if (ctx.object.kind !== 'StorageClass') return;
  const value = at(ctx.object, ['provisioner']);
  if (typeof value !== 'string' || !match.names.includes(value)) return;
  push(ctx, entry, ['provisioner'], value, `storage provisioner ${value}`, deleteObject(ctx.ref));
}

function checkExternalMetric(
  ctx: Context,
  entry: CatalogueEntry,
  match: Extract<Match, { type: 'externalMetric' }>,
): void {
  if (ctx.object.kind !== 'HorizontalPodAutoscaler') return;
  const pattern = match.pattern ? new RegExp(match.pattern) : undefined;
  const defined = match.definedBy ? ctx.namesByGroup.get(match.definedBy) : undefined;
  asArray(at(ctx.object, ['spec', 'metrics'])).forEach((metric, i) => {
    // A monitoring adapter serves custom metrics (Pods, Object) as well as external ones: the
    // Stackdriver adapter's names carry the Cloud Monitoring domain either way.
    for (const source of ['external', 'pods', 'object'] as const) {
      const name = at(metric, [source, 'metric', 'name']);
      if (typeof name !== 'string') continue;
      const found = pattern?.test(name) || (source === 'external' && defined?.has(name));
      if (!found) continue;
      push(
        ctx,
        entry,
        ['spec', 'metrics', i, source, 'metric', 'name'],
        name,
        `${source === 'external' ? 'external' : `${source === 'pods' ? 'Pods' : 'Object'} (custom)`} metric ${name}`,
        remove(
          ['spec', 'metrics', i],
          `remove the metric ${name} (an HPA with no metric left scales on CPU at 80%)`,
        ),
      );
    }
  });
}

function checkKedaTrigger(
  ctx: Context,
  entry: CatalogueEntry,
  match: Extract<Match, { type: 'kedaTrigger' }>,
): void {
  if (groupOf(ctx.object.apiVersion) !== 'keda.sh') return;
  const triggers = asArray(at(ctx.object, ['spec', 'triggers']));
  const all = triggers.every(
    (t) => isRecord(t) && typeof t.type === 'string' && match.types.includes(t.type),
  );
  triggers.forEach((trigger, i) => {
    const type = at(trigger, ['type']);
    if (typeof type !== 'string' || !match.types.includes(type)) return;
    const path = ['spec', 'triggers', i, 'type'];
    // A ScaledObject without triggers is invalid: drop the object when none would be left.
    push(
      ctx,
      entry,
      path,
      type,
      `KEDA trigger ${type}`,
      all ? deleteObject(ctx.ref) : remove(['spec', 'triggers', i], `remove the trigger ${type}`),
    );
  });
}

/** Every detection of `entries` in `objects`, in render order. */
export function detect(objects: readonly KubeObject[], entries: readonly CatalogueEntry[]): Detection[] {
  const namesByGroup = new Map<string, Set<string>>();
  const crdGroups = new Set<string>();
  const storageClasses = new Map<string, string>();
  for (const object of objects) {
    const group = groupOf(object.apiVersion);
    const set = namesByGroup.get(group) ?? new Set<string>();
    set.add(object.metadata.name);
    namesByGroup.set(group, set);
    if (object.kind === 'CustomResourceDefinition') {
      const crdGroup = at(object, ['spec', 'group']);
      if (typeof crdGroup === 'string') crdGroups.add(crdGroup);
    }
    if (object.kind === 'StorageClass' && typeof object.provisioner === 'string') {
      storageClasses.set(object.metadata.name, object.provisioner);
    }
  }
  const out: Detection[] = [];
  for (const object of objects) {
    const ctx: Context = { object, ref: refOf(object), out, namesByGroup, crdGroups, storageClasses };
    for (const entry of entries) {
      const match = entry.match;
      switch (match.type) {
        case 'kind':
          checkKind(ctx, entry, match);
          break;
        case 'annotation':
          checkAnnotations(ctx, entry, match);
          break;
        case 'ingressClass':
          checkIngressClass(ctx, entry, match);
          break;
        case 'nodeLabel':
          checkNodeLabels(ctx, entry, match);
          break;
        case 'storageClass':
          checkStorageClass(ctx, entry, match);
          break;
        case 'provisioner':
          checkProvisioner(ctx, entry, match);
          break;
        case 'externalMetric':
          checkExternalMetric(ctx, entry, match);
          break;
        case 'kedaTrigger':
          checkKedaTrigger(ctx, entry, match);
          break;
      }
    }
  }
  // An object that goes away needs no field fixed: keep its other findings, drop their patches' ops.
  return out;
}
