/**
 * The built-in kustomize transformers the renderer models: namespace, namePrefix/nameSuffix,
 * commonLabels/labels, commonAnnotations, replicas, images; name references after renames; and the
 * legacy output order of `kustomize build`. Field lists follow kustomize's default field specs,
 * trimmed to the workload kinds (see SPEC.md for what is left out).
 */
import { allNames, type Resource, rename } from './resource.js';
import { isMap, type JsonMap, type KubeObject, splitApiVersion } from './types.js';

interface FieldSpec {
  path: string;
  kind?: string;
  group?: string;
  version?: string;
  create: boolean;
}

function specApplies(spec: FieldSpec, object: KubeObject): boolean {
  const { group, version } = splitApiVersion(object.apiVersion);
  return (
    (spec.kind === undefined || spec.kind === object.kind) &&
    (spec.group === undefined || spec.group === group) &&
    (spec.version === undefined || spec.version === version)
  );
}

/** Calls `visit` with every map found at `path` (segments ending in [] walk each list element). */
function visitPath(node: unknown, segments: string[], create: boolean, visit: (map: JsonMap) => void): void {
  if (!isMap(node)) return;
  if (segments.length === 0) {
    visit(node);
    return;
  }
  const [head, ...rest] = segments as [string, ...string[]];
  if (head.endsWith('[]')) {
    const list = node[head.slice(0, -2)];
    if (Array.isArray(list)) for (const item of list) visitPath(item, rest, create, visit);
    return;
  }
  if (!isMap(node[head])) {
    if (!create || node[head] !== undefined) return;
    node[head] = {};
  }
  visitPath(node[head], rest, create, visit);
}

function applyFieldSpecs(objects: KubeObject[], specs: FieldSpec[], visit: (map: JsonMap) => void): void {
  for (const object of objects) {
    for (const spec of specs) {
      if (specApplies(spec, object)) visitPath(object, spec.path.split('/'), spec.create, visit);
    }
  }
}

const WORKLOADS_WITH_SELECTOR = ['Deployment', 'ReplicaSet', 'DaemonSet'];

const TEMPLATE_LABEL_SPECS: FieldSpec[] = [
  { path: 'spec/template/metadata/labels', kind: 'ReplicationController', version: 'v1', create: true },
  ...WORKLOADS_WITH_SELECTOR.map((kind) => ({ path: 'spec/template/metadata/labels', kind, create: true })),
  { path: 'spec/template/metadata/labels', kind: 'StatefulSet', group: 'apps', create: true },
  { path: 'spec/template/metadata/labels', kind: 'Job', group: 'batch', create: true },
  { path: 'spec/jobTemplate/metadata/labels', kind: 'CronJob', group: 'batch', create: true },
  { path: 'spec/jobTemplate/spec/template/metadata/labels', kind: 'CronJob', group: 'batch', create: true },
];

const METADATA_LABELS: FieldSpec = { path: 'metadata/labels', create: true };

/** commonLabels, and labels with includeSelectors: true. */
const COMMON_LABEL_SPECS: FieldSpec[] = [
  METADATA_LABELS,
  { path: 'spec/selector', kind: 'Service', version: 'v1', create: true },
  { path: 'spec/selector', kind: 'ReplicationController', version: 'v1', create: true },
  ...WORKLOADS_WITH_SELECTOR.map((kind) => ({ path: 'spec/selector/matchLabels', kind, create: true })),
  { path: 'spec/selector/matchLabels', kind: 'StatefulSet', group: 'apps', create: true },
  { path: 'spec/volumeClaimTemplates[]/metadata/labels', kind: 'StatefulSet', group: 'apps', create: true },
  { path: 'spec/selector/matchLabels', kind: 'Job', group: 'batch', create: false },
  { path: 'spec/jobTemplate/spec/selector/matchLabels', kind: 'CronJob', group: 'batch', create: false },
  { path: 'spec/selector/matchLabels', kind: 'PodDisruptionBudget', group: 'policy', create: false },
  { path: 'spec/podSelector/matchLabels', kind: 'NetworkPolicy', group: 'networking.k8s.io', create: false },
  ...TEMPLATE_LABEL_SPECS,
];

const COMMON_ANNOTATION_SPECS: FieldSpec[] = [
  { path: 'metadata/annotations', create: true },
  ...TEMPLATE_LABEL_SPECS.map((spec) => ({ ...spec, path: spec.path.replace(/labels$/, 'annotations') })),
];

function stringValues(pairs: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(pairs).map(([k, v]) => [k, String(v)]));
}

export function addLabels(
  objects: KubeObject[],
  pairs: Record<string, unknown>,
  options: { includeSelectors: boolean; includeTemplates: boolean },
): void {
  const specs = options.includeSelectors
    ? COMMON_LABEL_SPECS
    : options.includeTemplates
      ? [...TEMPLATE_LABEL_SPECS, METADATA_LABELS]
      : [METADATA_LABELS];
  const values = stringValues(pairs);
  applyFieldSpecs(objects, specs, (map) => Object.assign(map, values));
}

export function addAnnotations(objects: KubeObject[], pairs: Record<string, unknown>): void {
  const values = stringValues(pairs);
  applyFieldSpecs(objects, COMMON_ANNOTATION_SPECS, (map) => Object.assign(map, values));
}

/** Kinds that have no namespace; kustomize knows these from the built-in schema. */
const CLUSTER_SCOPED = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

export function setNamespace(resources: Resource[], namespace: string): void {
  for (const { object } of resources) {
    // kustomize's namespace field specs include the name of Namespace objects themselves.
    if (object.kind === 'Namespace' && object.apiVersion === 'v1') object.metadata.name = namespace;
    else if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = namespace;
  }
}

const NOT_PREFIXED = new Set(['CustomResourceDefinition', 'APIService', 'Namespace']);

export function addNamePrefixSuffix(resources: Resource[], prefix: string, suffix: string): void {
  for (const resource of resources) {
    if (NOT_PREFIXED.has(resource.object.kind)) continue;
    rename(resource, `${prefix}${resource.object.metadata.name}${suffix}`);
  }
}

export function setReplicas(resources: Resource[], entries: { name: string; count: number }[]): void {
  const scalable = new Set(['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet']);
  for (const entry of entries) {
    for (const resource of resources) {
      if (!scalable.has(resource.object.kind) || !allNames(resource).includes(entry.name)) continue;
      const spec = isMap(resource.object.spec) ? resource.object.spec : {};
      spec.replicas = entry.count;
      resource.object.spec = spec;
    }
  }
}

export interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > rest.lastIndexOf('/');
  return {
    name: hasTag ? rest.slice(0, colon) : rest,
    tag: hasTag ? rest.slice(colon + 1) : undefined,
    digest,
  };
}

/** kustomize's images transformer walks every `containers` and `initContainers` list in any object. */
export function setImages(objects: KubeObject[], overrides: ImageOverride[]): void {
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (!isMap(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
        for (const container of value) {
          if (!isMap(container) || typeof container.image !== 'string') continue;
          const current = splitImage(container.image);
          const override = overrides.find((o) => o.name === current.name);
          if (!override) continue;
          const name = override.newName ?? current.name;
          if (override.digest) container.image = `${name}@${override.digest}`;
          else if (override.newTag) container.image = `${name}:${override.newTag}`;
          else
            container.image = `${name}${current.tag ? `:${current.tag}` : ''}${current.digest ? `@${current.digest}` : ''}`;
        }
      }
      walk(value);
    }
  };
  walk(objects);
}

// --- name references -------------------------------------------------------------------------

interface Referral {
  /** Kind of the referenced object. */
  kind: string | ((referrer: KubeObject) => string | undefined);
  /** Paths inside the referrer (segments ending in [] walk lists); the last segment holds the name. */
  paths: string[];
  referrers?: string[];
}

const POD_SPEC_PATHS = ['spec', 'spec/template/spec', 'spec/jobTemplate/spec/template/spec'];
const CONTAINER_LISTS = ['containers[]', 'initContainers[]'];

function inPodSpecs(paths: string[]): string[] {
  return POD_SPEC_PATHS.flatMap((podSpec) => paths.map((p) => `${podSpec}/${p}`));
}

function inContainers(paths: string[]): string[] {
  return inPodSpecs(CONTAINER_LISTS.flatMap((list) => paths.map((p) => `${list}/${p}`)));
}

const POD_OWNERS = [
  'Pod',
  'Deployment',
  'ReplicaSet',
  'DaemonSet',
  'StatefulSet',
  'Job',
  'CronJob',
  'ReplicationController',
];

const REFERRALS: Referral[] = [
  {
    kind: 'Service',
    referrers: ['Ingress'],
    paths: ['spec/rules[]/http/paths[]/backend/service/name', 'spec/defaultBackend/service/name'],
  },
  {
    kind: (referrer) => {
      const target =
        isMap(referrer.spec) && isMap(referrer.spec.scaleTargetRef) ? referrer.spec.scaleTargetRef : {};
      return typeof target.kind === 'string' ? target.kind : undefined;
    },
    referrers: ['HorizontalPodAutoscaler'],
    paths: ['spec/scaleTargetRef/name'],
  },
  {
    kind: 'ConfigMap',
    referrers: POD_OWNERS,
    paths: [
      ...inPodSpecs(['volumes[]/configMap/name', 'volumes[]/projected/sources[]/configMap/name']),
      ...inContainers(['envFrom[]/configMapRef/name', 'env[]/valueFrom/configMapKeyRef/name']),
    ],
  },
  {
    kind: 'Secret',
    referrers: POD_OWNERS,
    paths: [
      ...inPodSpecs([
        'volumes[]/secret/secretName',
        'volumes[]/projected/sources[]/secret/name',
        'imagePullSecrets[]/name',
      ]),
      ...inContainers(['envFrom[]/secretRef/name', 'env[]/valueFrom/secretKeyRef/name']),
    ],
  },
  { kind: 'ServiceAccount', referrers: POD_OWNERS, paths: inPodSpecs(['serviceAccountName']) },
  {
    kind: 'PersistentVolumeClaim',
    referrers: POD_OWNERS,
    paths: inPodSpecs(['volumes[]/persistentVolumeClaim/claimName']),
  },
];

/** Points references (Ingress → Service, HPA → Deployment, pods → ConfigMap/Secret...) at renamed objects. */
export function fixNameReferences(resources: Resource[]): void {
  for (const referrer of resources) {
    const object = referrer.object;
    for (const referral of REFERRALS) {
      if (referral.referrers && !referral.referrers.includes(object.kind)) continue;
      const kind = typeof referral.kind === 'string' ? referral.kind : referral.kind(object);
      if (!kind) continue;
      for (const path of referral.paths) {
        const segments = path.split('/');
        const field = segments.pop()!;
        visitPath(object, segments, false, (map) => {
          const value = map[field];
          if (typeof value !== 'string') return;
          const target = resources.find(
            (candidate) =>
              candidate.object.kind === kind &&
              (candidate.object.metadata.namespace ?? '') === (object.metadata.namespace ?? '') &&
              allNames(candidate).includes(value),
          );
          if (target) map[field] = target.object.metadata.name;
        });
      }
    }
  }
}

// --- output order ------------------------------------------------------------------------------

const ORDER_FIRST = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function kindRank(kind: string): number {
  const first = ORDER_FIRST.indexOf(kind);
  if (first >= 0) return first - ORDER_FIRST.length;
  const last = ORDER_LAST.indexOf(kind);
  return last >= 0 ? last + 1 : 0;
}

/** kustomize's gvk string: `group_version_kind`, with `~G` for the core group (sorts after letters). */
function gvkString(object: KubeObject): string {
  const { group, version } = splitApiVersion(object.apiVersion);
  return `${group || '~G'}_${version || '~V'}_${object.kind}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order of `kustomize build` by default ("legacy"): kinds by priority, then gvk, namespace, name. */
export function sortLegacy(objects: KubeObject[]): KubeObject[] {
  return [...objects].sort(
    (a, b) =>
      kindRank(a.kind) - kindRank(b.kind) ||
      compareText(gvkString(a), gvkString(b)) ||
      compareText(a.metadata.namespace ?? '~X', b.metadata.namespace ?? '~X') ||
      compareText(a.metadata.name, b.metadata.name),
  );
}
