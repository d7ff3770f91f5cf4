/**
 * route53.set-weights and check.route53-health over the real ports (Route 53 SDK adapter against
 * the emulator, the HTTP prober against a local server this test controls).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { type RunningServer, startHttpServer } from '../../src/sandbox/common/http-server.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';
import { createRegistry } from '../../src/steps/registry.js';
import { route53HealthCheck } from '../../src/steps/route53/health.js';
import { setWeightsStep } from '../../src/steps/route53/set-weights.js';
import { failure } from '../support/failure.js';
import { type StepHarness, stepContext } from '../support/step-context.js';

let emu: Route53Emulator;
let probeServer: RunningServer;
let scenarios = 0;
/** The instance the probe server looks at. */
let watched: string | undefined;
/** The AWS side answers 503 once it carries at least this share of traffic (percent). */
let awsBreaksAt = 101;

/** Stands in for the AWS ingress: healthy until the share of traffic it gets passes a threshold. */
function awsIngress(_req: IncomingMessage, res: ServerResponse): void {
  const split = watched ? emu.model.trafficSplit(watched) : undefined;
  const weight = (target: string) => split?.find((t) => t.target === target)?.weight ?? 0;
  const total = weight('gke') + weight('aws');
  const share = total === 0 ? 50 : (weight('aws') / total) * 100;
  const healthy = share < awsBreaksAt;
  res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain', 'x-served-by': 'aws' });
  res.end(healthy ? 'ok' : 'overloaded');
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  emu = await startRoute53Emulator({ rateLimit: false });
  probeServer = await startHttpServer(awsIngress);
});

afterEach(() => {
  emu.control.knobs.propagationDelayMs = 0;
  emu.control.clearFaults();
  emu.control.log.clear();
  awsBreaksAt = 101;
  watched = undefined;
});

afterAll(async () => {
  await Promise.all([emu?.close(), probeServer?.close()]);
});

function scenario(): WriteupSeed {
  scenarios += 1;
  const seed = seedWriteupScenario(emu.model, {
    zoneName: `s${scenarios}.example.com.`,
    policyName: `admin-s${scenarios}`,
  });
  watched = seed.trafficPolicyInstanceIds[0];
  return seed;
}

function configFor(seed: WriteupSeed): Config {
  return Config.parse({
    aws: { region: 'us-east-1' },
    route53: {
      endpoint: emu.url,
      trafficFlow: {
        instances: seed.trafficPolicyInstanceIds,
        roles: { gcp: 'gke', aws: 'aws' },
        pollInterval: 0.05,
      },
      healthChecks: { gcp: seed.healthCheckIds.gke, aws: seed.healthCheckIds.aws },
      // Above the default (5/s) so the fast polls of these tests are not paced.
      rateLimit: { perSecond: 50, burst: 50 },
    },
    probes: {
      aws: [{ name: 'aws ingress', url: `${probeServer.url}/healthz`, timeout: '1s', interval: '20ms' }],
    },
  });
}

function harness(seed: WriteupSeed, runId = 'run-7'): StepHarness {
  return stepContext(
    { config: configFor(seed), env: { AWS_MAX_ATTEMPTS: '3' } },
    { id: runId, incident: 'INC-42' },
  );
}

function instanceOf(seed: WriteupSeed) {
  return emu.model.getTrafficPolicyInstance(seed.trafficPolicyInstanceIds[0] as string);
}

function splitOf(seed: WriteupSeed): Record<string, number> {
  const split = emu.model.trafficSplit(seed.trafficPolicyInstanceIds[0] as string) ?? [];
  return Object.fromEntries(split.map((t) => [t.target, t.weight]));
}

function mutating(): string[] {
  return emu.control.log.mutating().map((e) => e.operation);
}

describe('route53.set-weights', () => {
  it('is registered, with check.route53-health', () => {
    const registry = createRegistry();
    expect(registry.get('route53.set-weights')).toBe(setWeightsStep);
    expect(registry.get('check.route53-health')).toBe(route53HealthCheck);
  });

  it('plans: the document diff, the stages, the current weights, and no mutating request', async () => {
    const seed = scenario();
    const { ctx, opened } = harness(seed);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 50, 100] });
    const plan = await setWeightsStep.plan(ctx, input);
    expect(plan.converged).toBe(false);
    expect(plan.summary).toBe('shift traffic to aws: 10% → 50% → 100% (gcp 0 (0%) / aws 255 (100%))');
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({
      action: 'update',
      resource: `route53 traffic policy instance ${seed.trafficPolicyInstanceIds[0]} (admin.${seed.zoneName})`,
      summary: 'gcp 255 (100%) / aws 0 (0%) → gcp 0 (0%) / aws 255 (100%) in stages 10% → 50% → 100%',
    });
    expect(plan.changes[0]?.diff).toContain('+          "Weight": "255",');
    expect(plan.outputs).toMatchObject({
      weights: { gcp: 255, aws: 0 },
      percent: { gcp: 100, aws: 0 },
      stages: ['10%', '50%', '100%'],
    });
    expect(mutating()).toEqual([]);
    expect(opened()).toBe(false);
  });

  it('applies a single stage, then rollback points the instance back at the previous version', async () => {
    const seed = scenario();
    const { ctx, messages } = harness(seed);
    const input = setWeightsStep.input.parse({ to: 'aws' });
    const plan = await setWeightsStep.plan(ctx, input);
    emu.control.knobs.propagationDelayMs = 100;
    const result = await setWeightsStep.apply?.(ctx, input, plan);
    expect(result?.outputs).toEqual({
      weights: { gcp: 0, aws: 255 },
      percent: { gcp: 0, aws: 100 },
      stagesApplied: ['100%'],
    });
    expect(instanceOf(seed)).toMatchObject({ State: 'Applied', TrafficPolicyVersion: 2 });
    expect(splitOf(seed)).toEqual({ gke: 0, aws: 255 });
    expect(emu.model.getTrafficPolicy(seed.trafficPolicyId, 2).Comment).toBe(
      'failover run run-7: shift traffic to aws, stage 100% (incident INC-42)',
    );
    expect(mutating()).toEqual(['CreateTrafficPolicyVersion', 'UpdateTrafficPolicyInstance']);
    expect(messages.map((m) => m.code)).toContain('FO_ROUTE53_I3401');
    // No gate after the last stage.
    expect(messages.map((m) => m.code)).not.toContain('FO_ROUTE53_I3405');

    emu.control.log.clear();
    await setWeightsStep.rollback?.(ctx, input, result?.undo);
    expect(instanceOf(seed)).toMatchObject({ State: 'Applied', TrafficPolicyVersion: 1 });
    expect(splitOf(seed)).toEqual({ gke: 255, aws: 0 });
    expect(mutating()).toEqual(['UpdateTrafficPolicyInstance']);
  });

  it('staged 10 → 50 → 100: the gate fails at 50, the weights go back to the 10% stage; a re-run resumes', async () => {
    const seed = scenario();
    const { ctx, messages } = harness(seed);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 50, 100], gate: { wait: '10ms' } });
    const plan = await setWeightsStep.plan(ctx, input);
    awsBreaksAt = 40; // the AWS ingress fails under half of the traffic
    const error = await failure(setWeightsStep.apply?.(ctx, input, plan) ?? Promise.resolve());
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3441', category: 'step-failed' });
    expect(error.message).toMatch(/^stage 50% failed \(health gate: probe aws ingress: status 503/);
    expect(error.message).toContain(
      'the weights are back at the 10% stage (gcp 229 (89.8%) / aws 26 (10.2%))',
    );
    expect(splitOf(seed)).toEqual({ gke: 229, aws: 26 });
    // 10% is version 2, 50% version 3; going back re-uses version 2.
    expect(instanceOf(seed)).toMatchObject({ State: 'Applied', TrafficPolicyVersion: 2 });
    expect(mutating()).toEqual([
      'CreateTrafficPolicyVersion',
      'UpdateTrafficPolicyInstance',
      'CreateTrafficPolicyVersion',
      'UpdateTrafficPolicyInstance',
      'UpdateTrafficPolicyInstance',
    ]);
    const codes = messages.map((m) => m.code);
    expect(codes.filter((c) => c === 'FO_ROUTE53_I3405')).toHaveLength(1); // the gate after 10% passed
    expect(codes).toContain('FO_ROUTE53_W3406');

    // Fixed: running again starts from 10% (already there) and goes on.
    awsBreaksAt = 101;
    emu.control.log.clear();
    const again = await setWeightsStep.plan(ctx, input);
    expect(again.outputs?.stages).toEqual(['50%', '100%']);
    const result = await setWeightsStep.apply?.(ctx, input, again);
    expect(result?.outputs?.stagesApplied).toEqual(['50%', '100%']);
    expect(splitOf(seed)).toEqual({ gke: 0, aws: 255 });
    expect(mutating().filter((o) => o === 'CreateTrafficPolicyVersion')).toHaveLength(2);
    // The undo is the state before this run of the step: the 10% stage.
    emu.control.log.clear();
    await setWeightsStep.rollback?.(ctx, input, result?.undo);
    expect(splitOf(seed)).toEqual({ gke: 229, aws: 26 });
    expect(mutating()).toEqual(['UpdateTrafficPolicyInstance']);
  });

  it('at a terminal: each stage reports the live share; hold runs the gate again and asks again; continue goes on', async () => {
    const seed = scenario();
    const h = harness(seed);
    h.answers.push('hold', 'continue', 'continue');
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 50, 100], gate: { wait: '10ms' } });
    const plan = await setWeightsStep.plan(h.ctx, input);
    const result = await setWeightsStep.apply?.(h.ctx, input, plan);
    expect(result?.outputs?.stagesApplied).toEqual(['10%', '50%', '100%']);
    expect(splitOf(seed)).toEqual({ gke: 0, aws: 255 });
    // Three questions: at 10% twice (hold, then continue), at 50% once; none after the last stage.
    expect(h.questions.map((q) => q.message)).toEqual([
      'Stage 10% on AWS: continue to 50%, hold at 10%, or roll back to where the shift started?',
      'Stage 10% on AWS: continue to 50%, hold at 10%, or roll back to where the shift started?',
      'Stage 50% on AWS: continue to 100%, hold at 50%, or roll back to where the shift started?',
    ]);
    expect(h.questions[0]?.choices).toEqual(['continue', 'hold', 'roll back']);
    expect(h.questions[0]?.details).toEqual([
      'health gate passed',
      'traffic now aws 10.2% / gcp 89.8% on 1 instance (Route 53 weights read back)',
    ]);
    // The live share per stage, read back from Route 53 (twice at 10%: before each question).
    const shares = h.messages.filter((m) => m.code === 'FO_ROUTE53_I3407').map((m) => m.message);
    expect(shares).toEqual([
      'stage 10%: traffic now aws 10.2% / gcp 89.8% on 1 instance (Route 53 weights read back)',
      'stage 10%: traffic now aws 10.2% / gcp 89.8% on 1 instance (Route 53 weights read back)',
      'stage 50%: traffic now aws 50.2% / gcp 49.8% on 1 instance (Route 53 weights read back)',
      'stage 100%: traffic now aws 100% / gcp 0% on 1 instance (Route 53 weights read back)',
    ]);
    expect(h.messages.filter((m) => m.code === 'FO_ROUTE53_I3409')).toHaveLength(1);
    // The gate ran three times: after 10% (twice) and after 50%.
    expect(h.messages.filter((m) => m.code === 'FO_ROUTE53_I3405')).toHaveLength(3);
  });

  it('at a terminal: roll back at a gate puts every instance back where the shift started, as an abort', async () => {
    const seed = scenario();
    const h = harness(seed);
    h.answers.push('continue', 'roll back');
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 50, 100], gate: { wait: '10ms' } });
    const plan = await setWeightsStep.plan(h.ctx, input);
    const error = await failure(setWeightsStep.apply?.(h.ctx, input, plan) ?? Promise.resolve());
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3443', category: 'aborted' });
    expect(error.message).toBe(
      'the operator rolled the shift back at stage 50%: the weights are back where the shift started',
    );
    // Not to the 10% stage: to the weights before the first stage.
    expect(splitOf(seed)).toEqual({ gke: 255, aws: 0 });
    expect(instanceOf(seed)).toMatchObject({ State: 'Applied', TrafficPolicyVersion: 1 });
  });

  it('at a terminal: the operator may continue past a failed gate, which is warned', async () => {
    const seed = scenario();
    const h = harness(seed);
    h.answers.push('continue', 'continue');
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 50, 100], gate: { wait: '10ms' } });
    const plan = await setWeightsStep.plan(h.ctx, input);
    awsBreaksAt = 40;
    try {
      const result = await setWeightsStep.apply?.(h.ctx, input, plan);
      expect(result?.outputs?.stagesApplied).toEqual(['10%', '50%', '100%']);
    } finally {
      awsBreaksAt = 101;
    }
    expect(h.questions[1]?.details?.[0]).toMatch(/^health gate FAILED: probe aws ingress: status 503/);
    const warned = h.messages.filter((m) => m.code === 'FO_ROUTE53_W3408').map((m) => m.message);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^stage 50%: the operator continues although the health gate failed/);
    expect(splitOf(seed)).toEqual({ gke: 0, aws: 255 });
  });

  it('the first stage failing returns to the starting weights', async () => {
    const seed = scenario();
    const { ctx } = harness(seed);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 100] });
    const plan = await setWeightsStep.plan(ctx, input);
    emu.control.knobs.propagationDelayMs = 50;
    emu.control.injectFault('policy-instance-failed', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    const error = await failure(setWeightsStep.apply?.(ctx, input, plan) ?? Promise.resolve());
    expect(error.code).toBe('FO_ROUTE53_E3441');
    expect(error.message).toContain('injected fault policy-instance-failed');
    expect(error.message).toContain('back at the starting weights (gcp 255 (100%) / aws 0 (0%))');
    expect(instanceOf(seed)).toMatchObject({ State: 'Applied', TrafficPolicyVersion: 1 });
  });

  it('a converged run changes nothing, and never opens the write side in plan', async () => {
    const seed = scenario();
    const { ctx, opened } = harness(seed);
    const input = setWeightsStep.input.parse({ weights: { gcp: 255, aws: '0%' } });
    const plan = await setWeightsStep.plan(ctx, input);
    expect(plan).toMatchObject({
      converged: true,
      changes: [],
      summary: 'traffic already at gcp 255 (100%) / aws 0 (0%)',
    });
    expect(opened()).toBe(false);
    // Even when apply is called (a race with another run), it checks first and changes nothing.
    const result = await setWeightsStep.apply?.(ctx, input, plan);
    expect(result?.outputs?.weights).toEqual({ gcp: 255, aws: 0 });
    expect(mutating()).toEqual([]);
  });

  it.each([
    [{ to: 'aws', stages: [50, 10, 100] }, 'stages.1', 'stages must increase'],
    [{ to: 'aws', stages: [10, 50] }, 'stages.1', 'the last stage must be 100'],
    [{ to: 'aws', weights: { gcp: 0, aws: 255 } }, '', 'either `to`'],
    [{ weights: { gcp: 0, aws: 255 }, stages: [100] }, 'stages', '`stages` goes with `to`'],
    [{ weights: { gcp: '120%', aws: 255 } }, 'weights.gcp', ''],
    [{ weights: { gcp: '100.5%', aws: 0 } }, 'weights.gcp', 'a percentage'],
    [{ weights: { gcp: 0, aws: '0%' } }, 'weights', 'both weights are 0'],
    [{ to: 'aws', stages: [0.1, 100] }, 'stages.0', 'rounds to weight 0 of 255'],
    [{ to: 'aws', stages: [10, 99.9, 100] }, 'stages.1', 'rounds to weight 255 of 255'],
    [{ to: 'aws', stages: [10, 10.1, 100] }, 'stages.1', 'same weight (26 of 255)'],
  ])('rejects %o at %s', (input, path, message) => {
    const parsed = setWeightsStep.input.safeParse(input);
    expect(parsed.success).toBe(false);
    const issue = parsed.error?.issues.find((i) => i.path.join('.') === path);
    expect(issue, JSON.stringify(parsed.error?.issues)).toBeDefined();
    expect(issue?.message).toContain(message);
  });
});

it.each([
  { to: 'aws', stages: [0.2, 99.8, 100] },
  { weights: { gcp: '100.0%', aws: '0%' } },
  { weights: { gcp: '50%', aws: '50%' } },
])('accepts %o', (input) => {
  expect(setWeightsStep.input.safeParse(input).success).toBe(true);
});

describe('check.route53-health', () => {
  it('one check per health check; unhealthy fails, or warns when not required', async () => {
    const seed = scenario();
    const { ctx } = harness(seed);
    let plan = await route53HealthCheck.plan(ctx, route53HealthCheck.input.parse({}));
    expect(plan.checks).toEqual([
      {
        name: `route53 health check gcp (${seed.healthCheckIds.gke})`,
        ok: true,
        severity: 'error',
        detail: '8/8 checkers report Success',
      },
      {
        name: `route53 health check aws (${seed.healthCheckIds.aws})`,
        ok: true,
        severity: 'error',
        detail: '8/8 checkers report Success',
      },
    ]);
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.aws, false);
    plan = await route53HealthCheck.plan(
      ctx,
      route53HealthCheck.input.parse({ roles: ['aws'], required: false }),
    );
    expect(plan.checks).toHaveLength(1);
    expect(plan.checks?.[0]).toMatchObject({ ok: false, severity: 'warning' });
    expect(plan.outputs?.healthy).toBe(false);
    plan = await route53HealthCheck.plan(ctx, route53HealthCheck.input.parse({ roles: ['gke'] }));
    expect(plan.checks?.[0]).toMatchObject({
      ok: false,
      detail: expect.stringContaining('route53.healthChecks.gke'),
    });
    expect(mutating()).toEqual([]);
  });
});
