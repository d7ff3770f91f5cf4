/**
 * The emulated clusters: what each serves and how Argo CD reports it (info.apiVersions), the sync
 * validation that fails a kind the destination does not serve with Argo CD's own message, the
 * scheduler's and the kubelet's reasons pods cannot start, and ExternalSecret health as the Lua
 * check shipped with Argo CD (resource_customizations/external-secrets.io/ExternalSecret) says.
 */
import { describe, expect, it } from 'vitest';
import { unservedObjects } from '../../src/lint/portability/live.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';
import { apiVersionsOf, eksCluster, gkeCluster } from '../../src/sandbox/argocd/clusters.js';
import { externalSecretHealth } from '../../src/sandbox/argocd/health-external-secret.js';
import { LiveCluster } from '../../src/sandbox/argocd/live.js';
import { externalSecretStatus, podBlocker } from '../../src/sandbox/argocd/pod-blockers.js';
import { invalidTasks, registerCrds } from '../../src/sandbox/argocd/served-kinds.js';

const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  extra: Partial<KubeObject> = {},
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'admin' },
  ...extra,
});

const backendConfig = obj('cloud.google.com/v1', 'BackendConfig', 'admin-web');
const deployment = (podSpec: Record<string, unknown>) =>
  obj('apps/v1', 'Deployment', 'admin-api', { spec: { replicas: 2, template: { spec: podSpec } } });

describe('served kinds', () => {
  it('info.apiVersions lists each group/version and group/version/Kind, core as v1, sorted', () => {
    const versions = apiVersionsOf(eksCluster());
    expect(versions).toContain('v1');
    expect(versions).toContain('v1/Pod');
    expect(versions).toContain('apps/v1/Deployment');
    expect(versions).toContain('elbv2.k8s.aws/v1beta1/TargetGroupBinding');
    expect(versions).toContain('external-secrets.io/v1beta1/ExternalSecret');
    expect(versions.some((v) => v.startsWith('cloud.google.com'))).toBe(false);
    expect(versions).toEqual([...versions].sort());
    expect(apiVersionsOf(gkeCluster())).toContain('cloud.google.com/v1/BackendConfig');
  });

  it('a sync of a kind EKS does not serve fails with Argo CD message; GKE serves it', () => {
    expect(invalidTasks(eksCluster(), [backendConfig, deployment({})])).toEqual([
      {
        group: 'cloud.google.com',
        version: 'v1',
        kind: 'BackendConfig',
        namespace: 'admin',
        name: 'admin-web',
        status: 'SyncFailed',
        syncPhase: 'Sync',
        message:
          'The Kubernetes API could not find cloud.google.com/BackendConfig for requested resource admin/admin-web. Make sure the "BackendConfig" CRD is installed on the destination cluster.',
      },
    ]);
    expect(invalidTasks(gkeCluster(), [backendConfig])).toEqual([]);
  });

  it('another served version of the kind gets the version message; a CRD carried by the sync makes it fine', () => {
    const old = obj('cloud.google.com/v1alpha1', 'BackendConfig', 'admin-web');
    expect(invalidTasks(gkeCluster(), [old])[0]?.message).toBe(
      'The Kubernetes API could not find version "v1alpha1" of cloud.google.com/BackendConfig for requested resource admin/admin-web. Version "v1" of cloud.google.com/BackendConfig is installed on the destination cluster.',
    );
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'backendconfigs.cloud.google.com' },
      spec: {
        group: 'cloud.google.com',
        names: { kind: 'BackendConfig' },
        versions: [{ name: 'v1', served: true }],
      },
    };
    const eks = eksCluster();
    expect(invalidTasks(eks, [crd, backendConfig])).toEqual([]);
    registerCrds(eks, [crd]);
    expect(invalidTasks(eks, [backendConfig])).toEqual([]);
  });

  it('the live check finds the same objects from info.apiVersions, in Argo CD wording', () => {
    const served = {
      cluster: 'aws-standby',
      apps: ['admin-aws'],
      apiVersions: new Set(apiVersionsOf(eksCluster())),
    };
    const es = obj('external-secrets.io/v1beta1', 'ExternalSecret', 'db-credentials');
    expect(unservedObjects([backendConfig, deployment({}), es], [served]).map((f) => f.object.kind)).toEqual([
      'BackendConfig',
    ]);
    const withoutEso = {
      ...served,
      apiVersions: new Set([...served.apiVersions].filter((v) => !v.startsWith('external-secrets.io'))),
    };
    expect(unservedObjects([es], [withoutEso])[0]?.message).toBe(
      'The Kubernetes API could not find external-secrets.io/ExternalSecret for requested resource admin/db-credentials. Make sure the "ExternalSecret" CRD is installed on the destination cluster.',
    );
    // Argo CD has not cached the cluster yet: nothing to compare with.
    expect(unservedObjects([es], [{ ...served, apiVersions: new Set() }])).toEqual([]);
  });
});

describe('why pods cannot start', () => {
  it('a node selector no node carries: Unschedulable with the scheduler message; one that fits: none', () => {
    const onGkePool = deployment({ nodeSelector: { 'cloud.google.com/gke-nodepool': 'default-pool' } });
    expect(podBlocker(onGkePool, eksCluster().nodes, [])).toEqual({
      reason: 'Unschedulable',
      message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    });
    expect(podBlocker(onGkePool, gkeCluster().nodes, [])).toBeUndefined();
    const affinity = deployment({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'cloud.google.com/gke-spot', operator: 'Exists' }] },
            ],
          },
        },
      },
    });
    expect(podBlocker(affinity, eksCluster().nodes, [])?.reason).toBe('Unschedulable');
  });

  it('a DaemonSet runs one pod per node its selector matches: none for a selector no node carries', () => {
    // A standby that keeps a node agent off with a nodeSelector (`failover/standby-never: "true"`).
    const live = new LiveCluster({
      rolloutMs: 0,
      progressDeadlineMs: 60_000,
      loadBalancerHostname: () => 'lb.invalid',
      cluster: eksCluster(),
    });
    const daemonSet = (nodeSelector: Record<string, string>): KubeObject =>
      obj('apps/v1', 'DaemonSet', 'log-agent', {
        spec: { selector: {}, template: { spec: { nodeSelector, containers: [{ name: 'agent' }] } } },
      });
    const scheduled = (manifest: KubeObject) => {
      live.apply(manifest, 0);
      live.settle(0);
      const status = live.find('DaemonSet', 'log-agent')!.object.status as Record<string, number>;
      return status.desiredNumberScheduled ?? 0;
    };
    expect(scheduled(daemonSet({ 'kubernetes.io/os': 'linux' }))).toBe(eksCluster().nodes.length);
    expect(scheduled(daemonSet({ 'failover/standby-never': 'true' }))).toBe(0);
  });

  it('a Secret an ExternalSecret never wrote: env → CreateContainerConfigError, volume → FailedMount', () => {
    const store = { failing: true, failingKeys: new Set<string>() };
    const es = obj('external-secrets.io/v1beta1', 'ExternalSecret', 'db', {
      spec: {
        target: { name: 'db-credentials' },
        data: [{ secretKey: 'url', remoteRef: { key: 'admin/db' } }],
      },
    });
    es.status = externalSecretStatus(es, store, Date.now());
    const env = deployment({
      containers: [{ name: 'api', envFrom: [{ secretRef: { name: 'db-credentials' } }] }],
    });
    expect(podBlocker(env, [], [es])).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'secret "db-credentials" not found',
      externalSecret: { namespace: 'admin', name: 'db' },
    });
    const volume = deployment({ volumes: [{ name: 'creds', secret: { secretName: 'db-credentials' } }] });
    expect(podBlocker(volume, [], [es])?.message).toBe(
      'MountVolume.SetUp failed for volume "creds" : secret "db-credentials" not found',
    );
    // Optional references do not block; a synced ExternalSecret does not either.
    expect(
      podBlocker(
        deployment({ volumes: [{ name: 'c', secret: { secretName: 'db-credentials', optional: true } }] }),
        [],
        [es],
      ),
    ).toBeUndefined();
    es.status = externalSecretStatus(es, { failing: false, failingKeys: new Set() }, Date.now());
    expect(podBlocker(env, [], [es])).toBeUndefined();
  });
});

describe('ExternalSecret health (the Lua check)', () => {
  it('Ready False → Degraded with its message, True → Healthy, none → Progressing "Waiting for ExternalSecret"', () => {
    const es = obj('external-secrets.io/v1beta1', 'ExternalSecret', 'db', {
      spec: { data: [{ remoteRef: { key: 'admin/db' } }] },
    });
    expect(externalSecretHealth(es)).toEqual({
      status: 'Progressing',
      message: 'Waiting for ExternalSecret',
    });
    es.status = externalSecretStatus(es, { failing: false, failingKeys: new Set(['admin/db']) }, Date.now());
    expect(externalSecretHealth(es)).toEqual({
      status: 'Degraded',
      message: 'could not get secret data from provider: key "admin/db" from ExternalSecret "db"',
    });
    expect((es.status as { conditions: { reason: string }[] }).conditions[0]?.reason).toBe(
      'SecretSyncedError',
    );
    es.status = externalSecretStatus(es, { failing: false, failingKeys: new Set() }, Date.now());
    expect(externalSecretHealth(es)).toEqual({ status: 'Healthy', message: 'Secret was synced' });
  });
});
