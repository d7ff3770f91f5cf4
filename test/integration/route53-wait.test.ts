/**
 * The Traffic Flow wait: only Applied and Failed end it. Creating, Updating, Deleting and any state
 * Route 53 may add later are waited out. Real @aws-sdk/client-route-53 against the emulator; the
 * emulator's `reportInstanceState` knob makes it answer a state it never reaches by itself.
 */
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { createRoute53Reader, createRoute53Writer } from '../../src/providers/route53/adapter.js';
import { isSettled } from '../../src/providers/route53/traffic-flow.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';
import { failure } from '../support/failure.js';
import { useRoute53Emulator } from '../support/route53-emulator.js';

let emu: Route53Emulator;
let scenarios = 0;

useRoute53Emulator((started) => {
  emu = started;
});

function scenario(settle = true): WriteupSeed {
  scenarios += 1;
  return seedWriteupScenario(emu.model, {
    zoneName: `w${scenarios}.example.net.`,
    policyName: `wait-w${scenarios}`,
    settle,
  });
}

function optionsFor(seed: WriteupSeed): AdapterOptions {
  const config = Config.parse({
    aws: { region: 'eu-west-1' },
    route53: {
      endpoint: emu.url,
      trafficFlow: {
        instances: seed.trafficPolicyInstanceIds,
        roles: { gcp: 'gke', aws: 'aws' },
        pollInterval: 0.02,
      },
      healthChecks: { gcp: seed.healthCheckIds.gke, aws: seed.healthCheckIds.aws },
      rateLimit: { perSecond: 1000, burst: 1000 },
    },
  });
  return {
    config,
    env: { AWS_MAX_ATTEMPTS: '2' },
    redactor: new Redactor(),
    runId: 'run-wait',
  };
}

function reads(): number {
  return emu.control.log.operations().filter((o) => o === 'GetTrafficPolicyInstance').length;
}

function mutating(): string[] {
  return emu.control.log.mutating().map((e) => e.operation);
}

describe('isSettled', () => {
  it('is true for Applied and Failed only', () => {
    expect(['Applied', 'Failed'].map(isSettled)).toEqual([true, true]);
    expect(['Creating', 'Updating', 'Deleting', 'Rebalancing', '', 'applied'].map(isSettled)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('waiting for a traffic policy instance', () => {
  it('Updating: the change is reported Applied only after the update propagated', async () => {
    const seed = scenario();
    const options = optionsFor(seed);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 10, aws: 245 });
    emu.control.knobs.propagationDelayMs = 250;
    emu.control.log.clear();
    const progress: string[] = [];
    const started = Date.now();
    await createRoute53Writer(options).applyWeights(plan, {
      comment: 'w',
      onProgress: (m) => progress.push(m),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const id = seed.trafficPolicyInstanceIds[0] as string;
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
      State: 'Applied',
      TrafficPolicyVersion: 2,
    });
    expect(progress.filter((m) => m.includes('(Updating,')).length).toBeGreaterThanOrEqual(1);
    expect(reads()).toBeGreaterThanOrEqual(3);
  });

  it('Creating: an instance still being created is waited out before it is changed', async () => {
    // Long enough that a loaded machine still finds the instance Creating when the apply starts.
    emu.control.knobs.propagationDelayMs = 1500;
    const seed = scenario(false);
    const id = seed.trafficPolicyInstanceIds[0] as string;
    expect(emu.model.getTrafficPolicyInstance(id).State).toBe('Creating');
    const options = optionsFor(seed);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const progress: string[] = [];
    await createRoute53Writer(options).applyWeights(plan, {
      comment: 'w',
      onProgress: (m) => progress.push(m),
    });
    // It updated only once the create had finished: the emulator would have answered
    // PriorRequestNotComplete to an update while Creating.
    expect(progress.some((m) => m.includes('(Creating,'))).toBe(true);
    expect(emu.control.log.entries.filter((e) => e.error === 'PriorRequestNotComplete')).toEqual([]);
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({ TrafficPolicyVersion: 2 });
  });

  it('Deleting: an instance being deleted is never taken as ready; its disappearance ends the run', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor(seed);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.knobs.propagationDelayMs = 200;
    emu.model.deleteTrafficPolicyInstance(id);
    expect(emu.model.getTrafficPolicyInstance(id).State).toBe('Deleting');
    emu.control.log.clear();
    const error = await failure(createRoute53Writer(options).applyWeights(plan, { comment: 'w' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3406' });
    expect(error.message).toContain(`traffic policy instance ${id} not found`);
    expect(reads()).toBeGreaterThanOrEqual(3);
    expect(mutating()).toEqual([]);
  });

  it('Deleting as the answer after an update (reported by the knob) is waited out too', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor(seed);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.log.clear();
    const progress: string[] = [];
    await createRoute53Writer(options).applyWeights(plan, {
      comment: 'w',
      onProgress: (m) => {
        progress.push(m);
        if (m.includes('updating to version')) emu.model.reportInstanceState(id, 'Deleting', 3);
      },
    });
    expect(progress.filter((m) => m.includes('(Deleting,'))).toHaveLength(1);
    expect(progress.at(-1)).toContain('Applied version 2');
    // The update's own read, then three Deleting answers, then Applied.
    expect(reads()).toBe(1 + 4);
  });

  it('an unknown state is still in progress, not done', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor(seed);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.log.clear();
    const progress: string[] = [];
    let afterUpdate = -1;
    await createRoute53Writer(options).applyWeights(plan, {
      comment: 'w',
      onProgress: (m) => {
        progress.push(m);
        if (m.includes('updating to version')) {
          afterUpdate = reads();
          emu.model.reportInstanceState(id, 'Rebalancing', 4);
        }
      },
    });
    expect(reads() - afterUpdate).toBe(5);
    expect(progress.some((m) => m.includes('(Rebalancing,'))).toBe(true);
    expect(progress.at(-1)).toContain('Applied version 2');
  });

  it('Failed after Updating: the error carries the instance Message', async () => {
    const seed = scenario();
    const options = optionsFor(seed);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.knobs.propagationDelayMs = 150;
    emu.control.injectFault('policy-instance-failed', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    const progress: string[] = [];
    const error = await failure(
      createRoute53Writer(options).applyWeights(plan, { comment: 'w', onProgress: (m) => progress.push(m) }),
    );
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const message = emu.model.getTrafficPolicyInstance(id).Message;
    expect(message).toMatch(/could not apply version 2/);
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3413' });
    expect(error.message).toContain(message);
    expect(error.details).toMatchObject({ instanceId: id, version: 2, message });
    expect(progress.some((m) => m.includes('(Updating,'))).toBe(true);
  });
});
