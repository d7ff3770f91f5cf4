/**
 * Pointing Traffic Flow instances back and waiting for them, against someone else's moves: an
 * instance moved to another version of the same policy during the wait, a Failed instance that
 * is already on the version to restore, an instance busy with someone else's update when the
 * restore starts. Real @aws-sdk/client-route-53 against the emulator; the outcome is read back
 * from the emulator's model.
 */
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import type { Json } from '../../src/engine/events.js';
import { Redactor } from '../../src/engine/redact.js';
import type { AdapterOptions } from '../../src/providers/index.js';
import { createRoute53Reader, createRoute53Writer } from '../../src/providers/route53/adapter.js';
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

function scenario(): WriteupSeed {
  scenarios += 1;
  return seedWriteupScenario(emu.model, {
    zoneName: `r${scenarios}.example.org.`,
    policyName: `restore-r${scenarios}`,
    ttl: 45,
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
      rateLimit: { perSecond: 1000, burst: 1000 },
    },
  });
  return { config, env: { AWS_MAX_ATTEMPTS: '2' }, redactor: new Redactor(), runId: 'run-restore' };
}

function mutating(): string[] {
  return emu.control.log.mutating().map((e) => e.operation);
}

/** Moves the instance to 100 % AWS (version 2); returns the undo that points it back at version 1. */
async function shifted(seed: WriteupSeed): Promise<{ id: string; undo: Json }> {
  const options = optionsFor(seed);
  const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
  const applied = await createRoute53Writer(options).applyWeights(plan, { comment: 'shift' });
  const id = seed.trafficPolicyInstanceIds[0] as string;
  expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({ State: 'Applied', TrafficPolicyVersion: 2 });
  return { id, undo: applied.undo };
}

describe('the Traffic Flow wait against other writers', () => {
  it('an instance moved to another version of the same policy during the wait is an error, not Applied', async () => {
    const seed = scenario();
    const options = optionsFor(seed);
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const plan = await createRoute53Reader(options).planWeights({ gcp: 26, aws: 229 });
    emu.control.knobs.propagationDelayMs = 60;
    const error = await failure(
      createRoute53Writer(options).applyWeights(plan, {
        comment: 'w',
        onProgress: (m) => {
          // The update has been sent and the wait for version 2 has begun.
          if (!m.includes('waiting for Route 53 to apply version 2')) return;
          // Someone else points the instance back at version 1 of the same policy meanwhile.
          emu.model.completePropagation();
          emu.model.updateTrafficPolicyInstance(id, {
            TTL: 45,
            TrafficPolicyId: seed.trafficPolicyId,
            TrafficPolicyVersion: 1,
          });
        },
      }),
    );
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3411' });
    expect(error.message).toBe(
      `traffic policy instance ${id} (${emu.model.getTrafficPolicyInstance(id).Name}) was moved to version 1 of policy ${seed.trafficPolicyId} while waiting for version 2`,
    );
    expect(error.hint).toMatch(/another change is in progress/);
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
      State: 'Applied',
      TrafficPolicyVersion: 1,
    });
  });

  it('progress names the version waited for and ends with Applied', async () => {
    const seed = scenario();
    const options = optionsFor(seed);
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const plan = await createRoute53Reader(options).planWeights({ gcp: 128, aws: 127 });
    emu.control.knobs.propagationDelayMs = 80;
    const progress: string[] = [];
    await createRoute53Writer(options).applyWeights(plan, {
      comment: 'w',
      onProgress: (m) => progress.push(m),
    });
    const name = emu.model.getTrafficPolicyInstance(id).Name;
    const label = `traffic policy instance ${id} (${name})`;
    expect(progress[0]).toBe(
      `created version 2 of traffic policy ${seed.trafficPolicyId} (gcp 128 (50.2%) / aws 127 (49.8%))`,
    );
    expect(progress[1]).toBe(`${label}: updating to version 2 of policy ${seed.trafficPolicyId}`);
    // The first wait report comes at once, with the state and the elapsed seconds.
    expect(progress[2]).toBe(`${label}: waiting for Route 53 to apply version 2 (Updating, 0s)`);
    // A report every 10 s, not every poll: one report for a wait well under 10 s.
    expect(progress.filter((m) => m.includes('waiting for Route 53'))).toHaveLength(1);
    expect(progress.at(-1)).toBe(`${label}: Applied version 2`);
  });
});

describe('restoring the weights', () => {
  it('a Failed instance already on the restore version is pointed at it again until Applied', async () => {
    const seed = scenario();
    const { id, undo } = await shifted(seed);
    // Someone pointed it back at version 1 and that update failed: Failed, on version 1.
    emu.control.injectFault('policy-instance-failed', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    emu.model.updateTrafficPolicyInstance(id, {
      TTL: 45,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    });
    emu.model.completePropagation();
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
      State: 'Failed',
      TrafficPolicyVersion: 1,
    });
    emu.control.clearFaults();
    emu.control.log.clear();

    await createRoute53Writer(optionsFor(seed)).restoreWeights(undo, { comment: 'restore' });
    expect(mutating()).toEqual(['UpdateTrafficPolicyInstance']);
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
      State: 'Applied',
      TrafficPolicyVersion: 1,
      TTL: 45,
    });
    const [target] = await createRoute53Reader(optionsFor(seed)).describeWeights();
    expect(target?.weights).toEqual({ gcp: 255, aws: 0 });
  });

  it('an Applied instance on the restore version and TTL is left alone', async () => {
    const seed = scenario();
    const { id, undo } = await shifted(seed);
    emu.model.updateTrafficPolicyInstance(id, {
      TTL: 45,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    });
    emu.model.completePropagation();
    emu.control.log.clear();
    await createRoute53Writer(optionsFor(seed)).restoreWeights(undo, { comment: 'restore' });
    expect(mutating()).toEqual([]);
  });

  it('an instance on the restore version with another TTL is pointed back with the TTL it had', async () => {
    const seed = scenario();
    const { id, undo } = await shifted(seed);
    emu.model.updateTrafficPolicyInstance(id, {
      TTL: 300,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    });
    emu.model.completePropagation();
    emu.control.log.clear();
    await createRoute53Writer(optionsFor(seed)).restoreWeights(undo, { comment: 'restore' });
    expect(mutating()).toEqual(['UpdateTrafficPolicyInstance']);
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({ TrafficPolicyVersion: 1, TTL: 45 });
  });

  it('an instance still Updating when the restore starts is waited out first, then pointed back', async () => {
    const seed = scenario();
    const { id, undo } = await shifted(seed);
    emu.control.knobs.propagationDelayMs = 120;
    // Someone else's update in flight: an update now would be refused (PriorRequestNotComplete).
    emu.model.updateTrafficPolicyInstance(id, {
      TTL: 45,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 2,
    });
    expect(emu.model.getTrafficPolicyInstance(id).State).toBe('Updating');
    emu.control.log.clear();
    const progress: string[] = [];
    await createRoute53Writer(optionsFor(seed)).restoreWeights(undo, {
      comment: 'restore',
      onProgress: (m) => progress.push(m),
    });
    expect(progress[0]).toMatch(/waiting for Route 53 to apply the pending change \(Updating, \d+s\)$/);
    expect(emu.control.log.entries.filter((e) => e.error === 'PriorRequestNotComplete')).toEqual([]);
    expect(mutating()).toEqual(['UpdateTrafficPolicyInstance']);
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
      State: 'Applied',
      TrafficPolicyVersion: 1,
    });
  });

  it('a restore whose update fails names the instance, the version and the way back', async () => {
    const seed = scenario();
    const { id, undo } = await shifted(seed);
    emu.control.injectFault('policy-instance-failed', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    const error = await failure(createRoute53Writer(optionsFor(seed)).restoreWeights(undo, { comment: 'r' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3413' });
    expect(error.message).toContain(`failed to apply version 1 of policy ${seed.trafficPolicyId}`);
    expect(error.hint).toContain(
      `aws route53 update-traffic-policy-instance --id ${id} --traffic-policy-id ${seed.trafficPolicyId} --traffic-policy-version 2 --ttl 45`,
    );
  });
});
