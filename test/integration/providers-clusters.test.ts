/**
 * The EKS and GKE adapters and their check steps, through the real SDK clients against the
 * emulators on loopback.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { createEksReader } from '../../src/providers/eks/adapter.js';
import { createGkeReader } from '../../src/providers/gke/adapter.js';
import { type EksEmulator, seedWriteupEks, startEksEmulator } from '../../src/sandbox/eks/index.js';
import { type GkeEmulator, seedWriteupGke, startGkeEmulator } from '../../src/sandbox/gke/index.js';
import { eksClusterCheck, gkeClusterCheck } from '../../src/steps/check/cluster.js';
import type { PlanContext } from '../../src/steps/types.js';

let eks: EksEmulator;
let gke: GkeEmulator;
let config: Config;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  eks = await startEksEmulator();
  gke = await startGkeEmulator();
  seedWriteupEks(eks.model);
  const g = seedWriteupGke(gke.model);
  config = Config.parse({
    aws: { region: 'us-east-1' },
    eks: { cluster: 'standby-aws', endpoint: eks.url },
    gke: { project: g.project, location: g.location, cluster: g.cluster, endpoint: gke.endpoint },
  });
});

afterAll(async () => {
  await Promise.all([eks?.close(), gke?.close()]);
});

const options = () => ({ config, env: { AWS_MAX_ATTEMPTS: '2' }, redactor: new Redactor(), runId: 'r' });

function planContext(read: Partial<PlanContext['read']>): PlanContext {
  const controller = new AbortController();
  return {
    run: { id: 'r', operator: 'test', dryRun: false, runbook: 't', host: 'h' },
    config,
    read: read as PlanContext['read'],
    signal: controller.signal,
    afterChanges: false,
    phase: 'apply',
    emit: () => {},
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

describe('EKS adapter', () => {
  it('reports the seeded standby cluster as usable', async () => {
    const health = await createEksReader(options()).describeCluster();
    expect(health).toMatchObject({ status: 'ACTIVE', usable: true, problems: [] });
    expect(health.detail.nodeGroups).toEqual([{ name: 'general', status: 'ACTIVE', desired: 3 }]);
  });

  it('is not usable when the only node group has no capacity or the cluster has a health issue', async () => {
    eks.model.setNodegroupScaling('standby-aws', 'general', { minSize: 0, maxSize: 10, desiredSize: 0 });
    let health = await createEksReader(options()).describeCluster();
    expect(health.usable).toBe(false);
    expect(health.problems.join()).toContain('no capacity');
    eks.model.setNodegroupScaling('standby-aws', 'general', { minSize: 2, maxSize: 10, desiredSize: 3 });
    eks.model.addClusterHealthIssue('standby-aws', {
      code: 'AccessDenied',
      message: 'role missing',
      resourceIds: [],
    });
    health = await createEksReader(options()).describeCluster();
    expect(health.problems).toContain('health issue AccessDenied: role missing');
    eks.model.clearClusterHealthIssues('standby-aws');
  });

  it('names the cluster and the fix when the cluster does not exist', async () => {
    const reader = createEksReader({
      ...options(),
      config: { ...config, eks: { cluster: 'nope', endpoint: eks.url } },
    });
    await expect(reader.describeCluster()).rejects.toMatchObject({
      code: 'FO_AWS_E3003',
      category: 'invalid-input',
    });
    await expect(reader.describeCluster()).rejects.toThrow(/EKS cluster nope/);
  });

  it('check.eks-cluster fails on an outage when required, and only warns when not', async () => {
    eks.control.knobs.outage = true;
    try {
      const read = { eks: createEksReader(options()) };
      const required = await eksClusterCheck.plan(planContext(read), { required: true });
      expect(required.checks?.[0]).toMatchObject({ ok: false, severity: 'error' });
      expect(required.outputs?.reachable).toBe(false);
      const optional = await eksClusterCheck.plan(planContext(read), { required: false });
      expect(optional.checks?.[0]).toMatchObject({ ok: false, severity: 'warning' });
    } finally {
      eks.control.knobs.outage = false;
    }
  });
});

describe('GKE adapter', () => {
  it('reads RUNNING as usable and RECONCILING as usable with a warning', async () => {
    const reader = createGkeReader(options());
    expect(await reader.describeCluster()).toMatchObject({ status: 'RUNNING', usable: true, warnings: [] });
    const name = 'projects/karte-prod/locations/asia-northeast1/clusters/admin-gke';
    gke.model.setStatus(name, 'RECONCILING');
    const reconciling = await reader.describeCluster();
    expect(reconciling.usable).toBe(true);
    expect(reconciling.warnings[0]).toContain('RECONCILING');
    gke.model.setStatus(name, 'ERROR', 'control plane unhealthy');
    const broken = await reader.describeCluster();
    expect(broken.usable).toBe(false);
    expect(broken.problems[0]).toBe('cluster status ERROR: control plane unhealthy');
    gke.model.setStatus(name, 'RUNNING');
  });

  it('builds its client from the v1 half of protos.json alone (v1beta1 costs ~200 ms of CPU), and reads through it', async () => {
    const protos = createRequire(import.meta.url)('@google-cloud/container/build/protos/protos.json') as {
      nested: { google: { nested: { container: { nested: Record<string, unknown> } } } };
    };
    const reader = createGkeReader(options());
    const cluster = await reader.describeCluster();
    expect(cluster).toMatchObject({ status: 'RUNNING', usable: true });
    expect(cluster.detail.version).toEqual(expect.any(String));
    expect(cluster.detail.nodePools).toContainEqual({ name: expect.any(String), status: 'RUNNING' });
    expect(Object.keys(protos.nested.google.nested.container.nested)).toEqual(['v1']);
  });

  it('an outage makes check.gke-cluster report the cluster unreachable, fast', async () => {
    gke.control.knobs.outage = true;
    try {
      const plan = await gkeClusterCheck.plan(planContext({ gke: createGkeReader(options()) }), {
        required: false,
      });
      expect(plan.outputs).toMatchObject({ reachable: false, usable: false });
      expect(plan.checks?.[0]).toMatchObject({
        name: 'GKE cluster reachable',
        ok: false,
        severity: 'warning',
      });
    } finally {
      gke.control.knobs.outage = false;
    }
  });
});
