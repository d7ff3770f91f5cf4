/**
 * `failover lint portability`, in process: the catalogue is one checked data file; each kind of
 * trap is found where it is (field path, severity) for the right target cloud only; the fixes
 * merge per object into patches whose operations do not disturb each other.
 */
import { describe, expect, it } from 'vitest';
import { Catalogue, catalogue, entriesFor } from '../../src/lint/portability/catalogue.js';
import {
  checkObjects,
  fixText,
  type PortabilityFinding,
  patchEntries,
} from '../../src/lint/portability/index.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';

const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  rest: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'shop', ...((rest.metadata as object | undefined) ?? {}) },
  ...Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'metadata')),
});

const podSpec = (spec: Record<string, unknown>) => ({
  spec: {
    template: {
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'c', image: 'i' }], ...spec },
    },
  },
});

/** `rule severity field` of each finding. */
const summary = (objects: KubeObject[], target: 'aws' | 'gcp') =>
  checkObjects(objects, target, 'overlay').map((f) => `${f.rule} ${f.severity} ${f.field}`);

describe('the catalogue', () => {
  it('is one valid data file: unique ids, a documentation link and a fix for every entry, both clouds covered', () => {
    const { entries } = catalogue();
    expect(entries.length).toBeGreaterThanOrEqual(20);
    for (const entry of entries) {
      expect(entry.docs, entry.id).toMatch(/^https:\/\//);
      expect(entry.problem.length, entry.id).toBeGreaterThan(30);
    }
    expect(new Set(entries.map((e) => e.cloud))).toEqual(new Set(['aws', 'gcp']));
    // Linting for AWS applies the GKE entries, and the other way round.
    expect(entriesFor('aws').every((e) => e.cloud === 'gcp')).toBe(true);
    expect(entriesFor('gcp').every((e) => e.cloud === 'aws')).toBe(true);
  });

  it('refuses a malformed entry with the field at fault', () => {
    const good = catalogue().entries[0]!;
    const bad = (patch: Record<string, unknown>) =>
      Catalogue.safeParse({ entries: [{ ...good, ...patch }] }).error?.issues.map((i) => i.path.join('.'));
    expect(bad({ docs: 'not a link' })).toEqual(['entries.0.docs']);
    expect(bad({ severity: 'fatal' })).toEqual(['entries.0.severity']);
    expect(bad({ match: { type: 'colour', names: [] } })).toEqual(['entries.0.match.type']);
    expect(bad({ match: { type: 'externalMetric' } })).toEqual(['entries.0.match']);
    expect(Catalogue.safeParse({ entries: [good, good] }).success).toBe(false);
  });
});

describe('what AWS cannot serve (a GKE base)', () => {
  it.each([
    {
      name: 'GKE CRDs: BackendConfig, ManagedCertificate, a GMP PodMonitoring, a Config Connector resource',
      objects: [
        obj('cloud.google.com/v1', 'BackendConfig', 'web'),
        obj('networking.gke.io/v1', 'ManagedCertificate', 'web'),
        obj('monitoring.googleapis.com/v1', 'PodMonitoring', 'web'),
        obj('sql.cnrm.cloud.google.com/v1beta1', 'SQLInstance', 'db'),
      ],
      expected: [
        'gke-crd-cloud-google-com error kind',
        'gke-crd-networking-gke-io error kind',
        'gke-managed-prometheus error kind',
        'gke-config-connector error kind',
      ],
    },
    {
      name: 'a GKE kind whose CRD the overlay ships itself is served',
      objects: [
        obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'backendconfigs.cloud.google.com', {
          spec: { group: 'cloud.google.com' },
        }),
        obj('cloud.google.com/v1', 'BackendConfig', 'web'),
      ],
      expected: [],
    },
    {
      name: 'annotations: NEG and backend-config on a Service, Workload Identity, on a pod template too',
      objects: [
        obj('v1', 'Service', 'web', {
          metadata: {
            annotations: { 'cloud.google.com/neg': '{}', 'cloud.google.com/backend-config': '{}', team: 'a' },
          },
        }),
        obj('v1', 'ServiceAccount', 'web', {
          metadata: { annotations: { 'iam.gke.io/gcp-service-account': 'x' } },
        }),
        obj('apps/v1', 'Deployment', 'web', {
          spec: { template: { metadata: { annotations: { 'networking.gke.io/x': 'y' } }, spec: {} } },
        }),
      ],
      expected: [
        'gke-neg-annotation warning metadata.annotations["cloud.google.com/neg"]',
        'gke-backend-config-annotation warning metadata.annotations["cloud.google.com/backend-config"]',
        'gke-workload-identity warning metadata.annotations["iam.gke.io/gcp-service-account"]',
        'gke-load-balancer-annotations warning spec.template.metadata.annotations["networking.gke.io/x"]',
      ],
    },
    {
      name: 'the gce ingress class, by field and by annotation',
      objects: [
        obj('networking.k8s.io/v1', 'Ingress', 'a', { spec: { ingressClassName: 'gce' } }),
        obj('networking.k8s.io/v1', 'Ingress', 'b', {
          metadata: { annotations: { 'kubernetes.io/ingress.class': 'gce-internal' } },
        }),
        obj('networking.k8s.io/v1', 'Ingress', 'c', { spec: { ingressClassName: 'nginx' } }),
      ],
      expected: [
        'gke-ingress-class error spec.ingressClassName',
        'gke-ingress-class error metadata.annotations["kubernetes.io/ingress.class"]',
      ],
    },
    {
      name: 'node selectors and required affinity on GKE labels are errors; a preference is a warning',
      objects: [
        obj(
          'apps/v1',
          'Deployment',
          'web',
          podSpec({ nodeSelector: { 'cloud.google.com/gke-nodepool': 'p', 'kubernetes.io/os': 'linux' } }),
        ),
        obj(
          'apps/v1',
          'StatefulSet',
          'db',
          podSpec({
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: 'cloud.google.com/machine-family', operator: 'In', values: ['n2'] },
                      ],
                    },
                  ],
                },
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 1,
                    preference: {
                      matchExpressions: [{ key: 'cloud.google.com/gke-spot', operator: 'Exists' }],
                    },
                  },
                ],
              },
            },
          }),
        ),
      ],
      expected: [
        'gke-node-labels error spec.template.spec.nodeSelector["cloud.google.com/gke-nodepool"]',
        'gke-node-labels error spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key',
        'gke-node-labels warning spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].key',
      ],
    },
    {
      name: "an Argo Rollout's pod template on a GKE node pool; the Workload Identity node selector; a zone label",
      objects: [
        obj(
          'argoproj.io/v1alpha1',
          'Rollout',
          'api',
          podSpec({ nodeSelector: { 'cloud.google.com/gke-nodepool': 'pool-a' } }),
        ),
        obj(
          'apps/v1',
          'Deployment',
          'wi',
          podSpec({ nodeSelector: { 'iam.gke.io/gke-metadata-server-enabled': 'true' } }),
        ),
        obj(
          'batch/v1',
          'Job',
          'backfill',
          podSpec({
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: 'topology.gke.io/zone', operator: 'In', values: ['a'] }] },
                  ],
                },
              },
            },
          }),
        ),
        // A Rollout that refers to a Deployment's template has none of its own.
        obj('argoproj.io/v1alpha1', 'Rollout', 'ref', {
          spec: { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'wi' } },
        }),
      ],
      expected: [
        'gke-node-labels error spec.template.spec.nodeSelector["cloud.google.com/gke-nodepool"]',
        'gke-node-labels error spec.template.spec.nodeSelector["iam.gke.io/gke-metadata-server-enabled"]',
        'gke-node-labels error spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key',
      ],
    },
    {
      name: 'GKE storage classes in a claim and a claim template; a StorageClass on Persistent Disk',
      objects: [
        obj('v1', 'PersistentVolumeClaim', 'data', { spec: { storageClassName: 'premium-rwo' } }),
        obj('apps/v1', 'StatefulSet', 'db', {
          spec: {
            volumeClaimTemplates: [{ metadata: { name: 'x' }, spec: { storageClassName: 'standard-rwo' } }],
          },
        }),
        obj('storage.k8s.io/v1', 'StorageClass', 'fast', { provisioner: 'pd.csi.storage.gke.io' }),
        obj('v1', 'PersistentVolumeClaim', 'ok', { spec: { storageClassName: 'fast' } }),
      ],
      expected: [
        'gke-storage-classes error spec.storageClassName',
        'gke-storage-classes error spec.volumeClaimTemplates[0].spec.storageClassName',
        'gke-storage-provisioners error provisioner',
      ],
    },
    {
      name: 'a Stackdriver external metric of an HPA, and KEDA on Pub/Sub',
      objects: [
        obj('autoscaling/v2', 'HorizontalPodAutoscaler', 'web', {
          spec: {
            metrics: [
              { type: 'Resource', resource: { name: 'cpu' } },
              {
                type: 'External',
                external: { metric: { name: 'pubsub.googleapis.com|subscription|num_undelivered_messages' } },
              },
            ],
          },
        }),
        obj('keda.sh/v1alpha1', 'ScaledObject', 'worker', {
          spec: { triggers: [{ type: 'cpu' }, { type: 'gcp-pubsub' }] },
        }),
      ],
      expected: [
        'stackdriver-external-metric error spec.metrics[1].external.metric.name',
        'keda-gcp-scalers error spec.triggers[1].type',
      ],
    },
    {
      name: 'Cloud Monitoring metrics an HPA reads as Pods or Object metrics (the Stackdriver adapter serves those too)',
      objects: [
        obj('autoscaling/v2', 'HorizontalPodAutoscaler', 'queue', {
          spec: {
            metrics: [
              { type: 'Pods', pods: { metric: { name: 'prometheus.googleapis.com|queue_depth|gauge' } } },
              {
                type: 'Object',
                object: {
                  describedObject: { apiVersion: 'v1', kind: 'Service', name: 'web' },
                  metric: { name: 'custom.googleapis.com|http_requests' },
                },
              },
              { type: 'Pods', pods: { metric: { name: 'http_requests_per_second' } } },
            ],
          },
        }),
      ],
      expected: [
        'stackdriver-external-metric error spec.metrics[0].pods.metric.name',
        'stackdriver-external-metric error spec.metrics[1].object.metric.name',
      ],
    },
  ])('$name', ({ objects, expected }) => {
    expect(summary(objects, 'aws')).toEqual(expected);
    // The same objects are at home on GKE.
    expect(summary(objects, 'gcp')).toEqual([]);
  });
});

describe('what GKE cannot serve (an AWS base)', () => {
  it('ALB kinds, annotations and class, IRSA, EKS node labels, EBS classes, CloudWatch metrics', () => {
    const objects = [
      obj('elbv2.k8s.aws/v1beta1', 'TargetGroupBinding', 'web'),
      obj('elbv2.k8s.aws/v1beta1', 'IngressClassParams', 'alb'),
      obj('networking.k8s.io/v1', 'Ingress', 'web', {
        metadata: { annotations: { 'alb.ingress.kubernetes.io/scheme': 'internet-facing' } },
        spec: { ingressClassName: 'alb' },
      }),
      obj('v1', 'ServiceAccount', 'web', {
        metadata: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/x' } },
      }),
      obj(
        'apps/v1',
        'Deployment',
        'web',
        podSpec({ nodeSelector: { 'eks.amazonaws.com/nodegroup': 'web' } }),
      ),
      obj('v1', 'PersistentVolumeClaim', 'data', { spec: { storageClassName: 'gp3' } }),
      obj('metrics.aws/v1alpha1', 'ExternalMetric', 'sqs-backlog'),
      obj('autoscaling/v2', 'HorizontalPodAutoscaler', 'worker', {
        spec: { metrics: [{ type: 'External', external: { metric: { name: 'sqs-backlog' } } }] },
      }),
    ];
    expect(summary(objects, 'gcp')).toEqual([
      'aws-load-balancer-controller-crds error kind',
      'aws-load-balancer-controller-crds error kind',
      'alb-annotations warning metadata.annotations["alb.ingress.kubernetes.io/scheme"]',
      'alb-ingress-class error spec.ingressClassName',
      'eks-pod-identity warning metadata.annotations["eks.amazonaws.com/role-arn"]',
      'eks-node-labels error spec.template.spec.nodeSelector["eks.amazonaws.com/nodegroup"]',
      'aws-storage-classes error spec.storageClassName',
      'aws-cloudwatch-adapter error kind',
      'cloudwatch-external-metric error spec.metrics[0].external.metric.name',
    ]);
    expect(summary(objects, 'aws')).toEqual([]);
  });
});

describe('fixes', () => {
  const findings = (objects: KubeObject[], target: 'aws' | 'gcp' = 'aws') =>
    checkObjects(objects, target, 'overlay') as PortabilityFinding[];

  it('a replaced class and storage class name the target’s own', () => {
    const [ingress, claim] = findings([
      obj('networking.k8s.io/v1', 'Ingress', 'a', { spec: { ingressClassName: 'gce' } }),
      obj('v1', 'PersistentVolumeClaim', 'data', { spec: { storageClassName: 'premium-rwo' } }),
    ]);
    expect(ingress?.fix.patch).toEqual({
      type: 'json6902',
      ops: [{ op: 'replace', path: '/spec/ingressClassName', value: 'alb' }],
    });
    expect(claim?.fix.patch).toEqual({
      type: 'json6902',
      ops: [{ op: 'replace', path: '/spec/storageClassName', value: 'gp3' }],
    });
  });

  it('node affinity: a term of GKE labels only goes as a whole, a mixed one loses the GKE expression, no term left drops the requirement', () => {
    const term = (...keys: string[]) => ({
      matchExpressions: keys.map((key) => ({ key, operator: 'Exists' })),
    });
    const deployment = (terms: unknown[]) =>
      obj(
        'apps/v1',
        'Deployment',
        'web',
        podSpec({
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
          },
        }),
      );
    const required =
      '/spec/template/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution';
    const ops = (terms: unknown[]) => patchEntries(findings([deployment(terms)])).map((e) => e.patch);
    expect(ops([term('cloud.google.com/gke-nodepool')])).toEqual([`- op: remove\n  path: ${required}\n`]);
    expect(ops([term('zone'), term('cloud.google.com/gke-spot')])).toEqual([
      `- op: remove\n  path: ${required}/nodeSelectorTerms/1\n`,
    ]);
    // Two removals in one list: the higher index first, so the lower one still points at its item.
    expect(ops([term('cloud.google.com/a', 'zone', 'cloud.google.com/b')])).toEqual([
      `- op: remove\n  path: ${required}/nodeSelectorTerms/0/matchExpressions/2\n- op: remove\n  path: ${required}/nodeSelectorTerms/0/matchExpressions/0\n`,
    ]);
  });

  it('KEDA: the trigger goes, or the whole ScaledObject when it has no other trigger', () => {
    const [some] = findings([
      obj('keda.sh/v1alpha1', 'ScaledObject', 'w', {
        spec: { triggers: [{ type: 'cpu' }, { type: 'gcp-pubsub' }] },
      }),
    ]);
    const [only] = findings([
      obj('keda.sh/v1alpha1', 'ScaledObject', 'w', { spec: { triggers: [{ type: 'gcp-pubsub' }] } }),
    ]);
    expect(some?.fix.patch).toEqual({ type: 'json6902', ops: [{ op: 'remove', path: '/spec/triggers/1' }] });
    expect(only?.fix.patch).toEqual({ type: 'delete' });
  });

  it('one entry per object: a deleted object needs no field patch; keys with a slash are escaped', () => {
    const entries = patchEntries(
      findings([
        obj('v1', 'Service', 'web', { metadata: { annotations: { 'cloud.google.com/neg': '{}' } } }),
        obj('keda.sh/v1alpha1', 'ScaledObject', 'w', {
          metadata: { annotations: { 'iam.gke.io/gcp-service-account': 'x' } },
          spec: { triggers: [{ type: 'gcp-pubsub' }] },
        }),
      ]),
    );
    expect(entries).toEqual([
      {
        target: { version: 'v1', kind: 'Service', name: 'web', namespace: 'shop' },
        patch: '- op: remove\n  path: /metadata/annotations/cloud.google.com~1neg\n',
      },
      {
        patch:
          '$patch: delete\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: w\n  namespace: shop\n',
      },
    ]);
  });

  it('the --fix text appends to a kustomization whose `patches:` comes last, and says where to add it otherwise', () => {
    const found = findings([obj('cloud.google.com/v1', 'BackendConfig', 'web')]);
    const last = fixText('k.yaml', 'resources:\n  - ../base\npatches:\n    - path: a.yaml\n', found);
    expect(last).toMatch(
      /^# failover lint portability --fix: append to k\.yaml\n {4}- patch: \|\n {8}\$patch: delete\n/,
    );
    const none = fixText('k.yaml', 'resources:\n  - ../base\n', found);
    expect(none).toMatch(/^# .*append to k\.yaml\npatches:\n {2}- patch: \|\n/);
    const middle = fixText('k.yaml', 'patches:\n  - path: a.yaml\nresources:\n  - ../base\n', found);
    expect(middle).toMatch(/^# .*add these entries to the `patches:` list of k\.yaml\n {2}- patch:/);
    expect(fixText('k.yaml', 'resources: []\n', [])).toBe('# k.yaml: nothing to fix\n');
  });
});
