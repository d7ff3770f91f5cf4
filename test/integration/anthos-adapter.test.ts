/**
 * The Anthos-clusters-on-AWS adapter and check.anthos-aws-cluster, through the real
 * AwsClustersClient (@google-cloud/gkemulticloud on google-gax 5, on this Node 20) against the
 * emulator on loopback.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { FailoverError } from '../../src/engine/errors.js';
import { Redactor } from '../../src/engine/redact.js';
import { anthosAwsApiEndpoint, createAnthosAwsReader } from '../../src/providers/anthos-aws/adapter.js';
import { type AdapterOptions, createPorts } from '../../src/providers/index.js';
import {
  type AnthosAwsEmulator,
  awsClusterName,
  seedWriteupAnthos,
  startAnthosAwsEmulator,
} from '../../src/sandbox/anthos-aws/index.js';
import { anthosAwsClusterCheck } from '../../src/steps/check/anthos.js';
import { createRegistry } from '../../src/steps/registry.js';
import type { PlanContext, StepMessage } from '../../src/steps/types.js';

let emu: AnthosAwsEmulator;
let config: Config;
let adminAws: string;
// Process warnings seen while the adapter ran (the client's deprecation warnings must not leak).
const processWarnings: Error[] = [];
const onWarning = (warning: Error) => processWarnings.push(warning);

beforeAll(async () => {
  process.on('warning', onWarning);
  emu = await startAnthosAwsEmulator();
  const seed = seedWriteupAnthos(emu.model);
  adminAws = awsClusterName(seed);
  config = Config.parse({
    anthosAws: {
      project: seed.project,
      location: seed.location,
      cluster: seed.cluster,
      endpoint: emu.endpoint,
    },
  });
});

afterEach(() => {
  emu.control.knobs.outage = false;
  emu.control.knobs.latencyMs = 0;
  emu.control.log.clear();
  emu.model.setState(adminAws, 'RUNNING');
  emu.model.clearErrors(adminAws);
  emu.model.setNodePoolState(adminAws, 'general', 'RUNNING');
});

afterAll(async () => {
  process.off('warning', onWarning);
  await emu?.close();
});

const options = (overrides: Partial<Config> = {}): AdapterOptions => ({
  config: { ...config, ...overrides },
  env: {},
  redactor: new Redactor(),
  runId: 'r',
});

function planContext(read: Partial<PlanContext['read']>, emitted: StepMessage[] = []): PlanContext {
  const controller = new AbortController();
  return {
    run: { id: 'r', operator: 'test', dryRun: false, runbook: 't', host: 'h' },
    config,
    read: read as PlanContext['read'],
    signal: controller.signal,
    afterChanges: false,
    phase: 'apply',
    emit: (message) => emitted.push(message),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

describe('Anthos-on-AWS adapter', () => {
  it('reads the seeded RUNNING cluster as usable, with its node pools, from two read-only calls', async () => {
    const health = await createAnthosAwsReader(options()).describeCluster();
    expect(health).toMatchObject({
      name: 'anthos-aws admin-aws (us-east4)',
      status: 'RUNNING',
      usable: true,
      problems: [],
      warnings: [],
    });
    expect(health.detail).toMatchObject({
      version: expect.stringMatching(/^1\.\d+/),
      awsRegion: 'us-east-1',
      reconciling: false,
      errors: [],
      nodePools: [{ name: 'general', state: 'RUNNING', minNodeCount: 2, maxNodeCount: 10 }],
    });
    expect(emu.control.log.entries.map((e) => [e.operation, e.mutating]).sort()).toEqual([
      ['GetAwsCluster', false],
      ['ListAwsNodePools', false],
    ]);
  });

  it('RECONCILING is usable with a warning; RUNNING with changes in flight warns too', async () => {
    const reader = createAnthosAwsReader(options());
    emu.model.setState(adminAws, 'RECONCILING');
    const reconciling = await reader.describeCluster();
    expect([reconciling.status, reconciling.usable]).toEqual(['RECONCILING', true]);
    expect(reconciling.warnings).toEqual(['cluster is RECONCILING (usable, but changes are in flight)']);
    emu.model.setState(adminAws, 'RUNNING', true);
    const inFlight = await reader.describeCluster();
    expect([inFlight.usable, inFlight.warnings]).toEqual([
      true,
      ['cluster has changes in flight (reconciling)'],
    ]);
  });

  it('any other state is not usable, and errors[] say why; on a usable cluster errors are warnings', async () => {
    const reader = createAnthosAwsReader(options());
    for (const state of ['PROVISIONING', 'STOPPING', 'ERROR', 'DEGRADED', 'STATE_UNSPECIFIED'] as const) {
      emu.model.setState(adminAws, state);
      const health = await reader.describeCluster();
      expect([health.status, health.usable, health.problems[0]]).toEqual([
        state,
        false,
        `cluster state ${state}`,
      ]);
    }
    emu.model.setState(adminAws, 'DEGRADED');
    emu.model.setErrors(adminAws, [{ message: 'KMS key is disabled.' }]);
    const degraded = await reader.describeCluster();
    expect(degraded.problems).toEqual(['cluster state DEGRADED', 'cluster error: KMS key is disabled.']);
    expect(degraded.detail.errors).toEqual(['KMS key is disabled.']);
    emu.model.setState(adminAws, 'RUNNING');
    const running = await reader.describeCluster();
    expect([running.usable, running.warnings]).toEqual([true, ['cluster error: KMS key is disabled.']]);
  });

  it('a cluster whose only node pool is not running cannot carry traffic; with another running pool it warns', async () => {
    const reader = createAnthosAwsReader(options());
    emu.model.setNodePoolState(adminAws, 'general', 'ERROR', [{ message: 'Instance profile missing.' }]);
    const broken = await reader.describeCluster();
    expect([broken.status, broken.usable]).toEqual(['RUNNING', false]);
    expect(broken.problems).toEqual(['node pool general is ERROR: Instance profile missing.']);

    const other = emu.model.createCluster({
      project: 'karte-prod',
      location: 'us-east4',
      name: 'two-pools',
      nodePools: [{ name: 'a' }, { name: 'b', state: 'PROVISIONING' }],
    });
    const twoPools = await createAnthosAwsReader(
      options({ anthosAws: { ...config.anthosAws!, cluster: other.name } }),
    ).describeCluster();
    expect([twoPools.usable, twoPools.warnings]).toEqual([true, ['node pool b is PROVISIONING']]);
  });

  it('an unknown cluster names the resource and the fix (Google region, not AWS region)', async () => {
    const reader = createAnthosAwsReader(
      options({ anthosAws: { ...config.anthosAws!, location: 'us-east-1' } }),
    );
    const error = await reader.describeCluster().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(FailoverError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: 'FO_GCP_E3303', category: 'invalid-input' });
    const failure = error as FailoverError;
    expect(failure.message).toContain('projects/karte-prod/locations/us-east-1/awsClusters/admin-aws');
    expect(failure.message).toContain('cluster not found');
    expect(failure.hint).toContain('not the AWS region');
    // The read fails at the first NOT_FOUND; the node-pool call may still be on its way: let it
    // land here, not in the next test's count.
    await vi.waitFor(() => expect(emu.control.log.entries).toHaveLength(2), { timeout: 5_000 });
  });

  it('without an anthosAws section the adapter says what to add (EKS stays the default)', async () => {
    const noAnthos: Partial<Config> = { anthosAws: undefined };
    expect(() => createAnthosAwsReader(options(noAnthos))).toThrow(/no `anthosAws` section/);
    // Optional in the ports too: building them does not touch it (nor load its SDK); only a read
    // does, and it fails with the same error, each time it is tried.
    const ports = createPorts(options(noAnthos));
    const reader = ports.read.anthosAws;
    for (let i = 0; i < 2; i++) {
      await expect(reader.describeCluster()).rejects.toMatchObject({
        code: 'FO_ANTHOS_E3251',
        message: expect.stringMatching(/no `anthosAws` section/),
      });
    }
    expect(Config.parse({}).anthosAws).toBeUndefined();
  });

  it('an outage fails fast (no client retries), and an abort cancels the call', async () => {
    emu.control.knobs.outage = true;
    const reader = createAnthosAwsReader(options());
    const started = performance.now();
    await expect(reader.describeCluster()).rejects.toMatchObject({
      code: 'FO_GCP_E3305',
      category: 'step-failed',
      retryable: true,
    });
    expect(performance.now() - started).toBeLessThan(3_000);
    // One attempt per call, not the client's UNAVAILABLE retries.
    expect(emu.control.log.entries).toHaveLength(2);

    emu.control.knobs.outage = false;
    emu.control.knobs.latencyMs = 5_000;
    const controller = new AbortController();
    const aborting = setTimeout(() => controller.abort(), 100);
    const abortStarted = performance.now();
    try {
      await expect(reader.describeCluster(controller.signal)).rejects.toMatchObject({ category: 'aborted' });
    } finally {
      clearTimeout(aborting);
    }
    expect(performance.now() - abortStarted).toBeLessThan(2_000);
  });

  it('uses the regional endpoint of the GKE Multi-Cloud API by default', () => {
    expect(anthosAwsApiEndpoint('us-east4')).toBe('us-east4-gkemulticloud.googleapis.com');
  });

  it('the client deprecation warnings never reach the process (the operator terminal)', () => {
    expect(processWarnings.filter((w) => /AwsClusters|AwsCluster|AwsNodePools/.test(w.message))).toEqual([]);
  });
});

describe('check.anthos-aws-cluster', () => {
  it('is registered, read-only, and takes {required}', () => {
    const kind = createRegistry().get('check.anthos-aws-cluster');
    expect(kind).toBe(anthosAwsClusterCheck);
    expect(kind?.mutating).toBe(false);
    expect(anthosAwsClusterCheck.input.parse({})).toEqual({ required: true });
    expect(() => anthosAwsClusterCheck.input.parse({ required: true, extra: 1 })).toThrow();
  });

  it('passes for the RUNNING cluster through the ports the engine builds', async () => {
    const ports = createPorts(options());
    const plan = await anthosAwsClusterCheck.plan(planContext(ports.read), { required: true });
    expect(plan.checks).toEqual([
      { name: 'Anthos on AWS cluster usable', ok: true, severity: 'error', detail: 'RUNNING' },
    ]);
    expect(plan.outputs).toMatchObject({ reachable: true, usable: true, status: 'RUNNING' });
    expect(plan.changes).toEqual([]);
  });

  it('fails on a DEGRADED cluster and relays warnings of a RECONCILING one', async () => {
    const read = { anthosAws: createAnthosAwsReader(options()) };
    emu.model.setState(adminAws, 'DEGRADED');
    emu.model.setErrors(adminAws, [{ message: 'Control plane replica unreachable.' }]);
    const degraded = await anthosAwsClusterCheck.plan(planContext(read), { required: true });
    expect(degraded.checks?.[0]).toMatchObject({
      ok: false,
      severity: 'error',
      detail: 'cluster state DEGRADED; cluster error: Control plane replica unreachable.',
    });
    emu.model.setState(adminAws, 'RECONCILING');
    emu.model.clearErrors(adminAws);
    const emitted: StepMessage[] = [];
    const reconciling = await anthosAwsClusterCheck.plan(planContext(read, emitted), { required: true });
    expect(reconciling.checks?.[0]).toMatchObject({ ok: true, detail: 'RECONCILING' });
    expect(emitted.map((m) => [m.level, m.code])).toEqual([['warn', 'FO_CHECK_W4001']]);
  });

  it('an outage makes it unreachable: an error when required, a warning when not', async () => {
    emu.control.knobs.outage = true;
    const read = { anthosAws: createAnthosAwsReader(options()) };
    const required = await anthosAwsClusterCheck.plan(planContext(read), { required: true });
    expect(required.checks?.[0]).toMatchObject({
      name: 'Anthos on AWS cluster reachable',
      ok: false,
      severity: 'error',
    });
    expect(required.outputs).toMatchObject({ reachable: false, usable: false, status: 'UNREACHABLE' });
    const optional = await anthosAwsClusterCheck.plan(planContext(read), { required: false });
    expect(optional.checks?.[0]).toMatchObject({ ok: false, severity: 'warning' });
  });
});
