/**
 * Traffic Flow changes against instances that someone else points at another traffic policy (same
 * version number, so only the policy id tells), plus the finer points of pointing instances: the
 * progress lines, the run signal shared by many concurrent updates, an abort after the version is
 * created, a refused update among others, Failed answers without a message. Real
 * @aws-sdk/client-route-53 against the Route 53 emulator; outcomes read back from its model.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
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

const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

function scenario(instances = 1): WriteupSeed {
  scenarios += 1;
  return seedWriteupScenario(emu.model, {
    zoneName: `m${scenarios}.example.dev.`,
    policyName: `moves-m${scenarios}`,
    ttl: 90,
    instances,
  });
}

function optionsFor(instances: (string | { id: string })[]): AdapterOptions {
  const config = Config.parse({
    aws: { region: 'ca-central-1' },
    route53: {
      endpoint: emu.url,
      trafficFlow: { instances, roles: { gcp: 'gke', aws: 'aws' }, pollInterval: 0.02 },
      rateLimit: { perSecond: 1000, burst: 1000 },
    },
  });
  return { config, env: { AWS_MAX_ATTEMPTS: '1' }, redactor: new Redactor(), runId: 'run-moves' };
}

const mutating = () => emu.control.log.mutating().map((e) => e.operation);

/** Another policy with the seed's document, at `versions` versions (all the same document). */
function twinPolicy(seed: WriteupSeed, versions: number): string {
  const document = emu.model.getTrafficPolicy(seed.trafficPolicyId, 1).Document;
  const id = emu.model.createTrafficPolicy({ Name: `twin-${scenarios}-${versions}`, Document: document }).Id;
  for (let n = 2; n <= versions; n++) emu.model.createTrafficPolicyVersion(id, { Document: document });
  return id;
}

function pointAt(id: string, policyId: string, version: number, ttl = 90): void {
  emu.model.completePropagation();
  emu.model.updateTrafficPolicyInstance(id, {
    TTL: ttl,
    TrafficPolicyId: policyId,
    TrafficPolicyVersion: version,
  });
  emu.model.completePropagation();
}

const label = (seed: WriteupSeed, id: string, host = 'admin') =>
  `traffic policy instance ${id} (${host}.${seed.zoneName})`;

describe('an instance pointed at another policy with the same version number', () => {
  it('between the plan and the change: refused as changed since the plan', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor([{ id }]);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const twin = twinPolicy(seed, 1);
    pointAt(id, twin, 1);
    emu.control.log.clear();
    const error = await failure(createRoute53Writer(options).applyWeights(plan, { comment: 'c' }));
    expect(error.message).toBe(
      `${label(seed, id)} changed since the plan: it now uses version 1 of policy ${twin}, the plan was made from version 1 of ${seed.trafficPolicyId}`,
    );
    expect(mutating()).toEqual([]);
  });

  it('while the version is being created (ConcurrentModification): refused, naming the policy', async () => {
    const seed = scenario(2);
    const moved = seed.trafficPolicyInstanceIds[1] as string;
    const options = optionsFor(seed.trafficPolicyInstanceIds);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const twin = twinPolicy(seed, 1);
    const client = new Route53Client({ region: 'ca-central-1', endpoint: emu.url, maxAttempts: 1 });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'CreateTrafficPolicyVersionCommand') return next(args);
        pointAt(moved, twin, 1);
        throw Object.assign(new Error('Another request is modifying this traffic policy.'), {
          name: 'ConcurrentModification',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      },
      { step: 'initialize', name: 'concurrentWriter' },
    );
    const error = await failure(createRoute53Writer(options, client).applyWeights(plan, { comment: 'c' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3411' });
    expect(error.message).toBe(
      `${label(seed, moved, 'admin-2')} moved to version 1 of policy ${twin} while this run was changing it`,
    );
    client.destroy();
  });

  it('during the wait for Applied: an error, not Applied', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor([id]);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const twin = twinPolicy(seed, 2);
    emu.control.knobs.propagationDelayMs = 60;
    const error = await failure(
      createRoute53Writer(options).applyWeights(plan, {
        comment: 'c',
        onProgress: (m) => {
          if (m.includes('waiting for Route 53 to apply version 2')) pointAt(id, twin, 2);
        },
      }),
    );
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3411' });
    expect(error.message).toBe(
      `${label(seed, id)} was moved to version 2 of policy ${twin} while waiting for version 2`,
    );
  });

  it('when restoring: pointed back, though the version number and TTL match', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor([id]);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const applied = await createRoute53Writer(options).applyWeights(plan, { comment: 'c' });
    const twin = twinPolicy(seed, 1);
    pointAt(id, twin, 1);
    emu.control.log.clear();
    await createRoute53Writer(options).restoreWeights(applied.undo, { comment: 'back' });
    expect(mutating()).toEqual(['UpdateTrafficPolicyInstance']);
    expect(emu.model.getTrafficPolicyInstance(id)).toMatchObject({
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
      State: 'Applied',
    });
  });
});

describe('plans and progress', () => {
  it('a fleet where only some instances already have the weights is not converged', async () => {
    const seed = scenario(2);
    const [done, todo] = seed.trafficPolicyInstanceIds as [string, string];
    const options = optionsFor(seed.trafficPolicyInstanceIds);
    const first = await createRoute53Reader(optionsFor([done])).planWeights({ gcp: 0, aws: 255 });
    await createRoute53Writer(optionsFor([done])).applyWeights(first, { comment: 'one' });
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    expect(plan.changes.map((c) => [c.target.id, c.converged])).toEqual([
      [done, true],
      [todo, false],
    ]);
    expect(plan.converged).toBe(false);
  });

  it('a restore with every instance already in place sends nothing and reports nothing', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor([id]);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.log.clear();
    const progress: string[] = [];
    await createRoute53Writer(options).restoreWeights(plan.restore, {
      comment: 'noop',
      onProgress: (m) => progress.push(m),
    });
    expect(progress).toEqual([]);
    expect(mutating()).toEqual([]);
  });

  it('a restore to two policies waits for "the pending changes", not one version', async () => {
    const first = scenario();
    const second = scenario();
    const ids = [...first.trafficPolicyInstanceIds, ...second.trafficPolicyInstanceIds];
    const options = optionsFor(ids);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const applied = await createRoute53Writer(options).applyWeights(plan, { comment: 'two' });
    emu.control.knobs.propagationDelayMs = 60;
    const progress: string[] = [];
    await createRoute53Writer(options).restoreWeights(applied.undo, {
      comment: 'back',
      onProgress: (m) => progress.push(m),
    });
    expect(progress[1]).toMatch(
      /^waiting for Route 53 to apply the pending changes on 2 of 2 traffic policy instances \(Updating, \d+s\)$/,
    );
  });

  it('many concurrent updates on one run signal: no listener-leak warning', async () => {
    const seed = scenario(14);
    const options = optionsFor(seed.trafficPolicyInstanceIds);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 128, aws: 127 });
    process.on('warning', onWarning);
    const controller = new AbortController();
    await createRoute53Writer(options).applyWeights(plan, { comment: 'many', signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    expect(emu.model.getTrafficPolicyInstance(seed.trafficPolicyInstanceIds[13] as string)).toMatchObject({
      TrafficPolicyVersion: 2,
    });
  });

  it('an abort once the version is created sends no update', async () => {
    const seed = scenario();
    const options = optionsFor(seed.trafficPolicyInstanceIds);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const controller = new AbortController();
    emu.control.log.clear();
    const error = await failure(
      createRoute53Writer(options).applyWeights(plan, {
        comment: 'abort',
        signal: controller.signal,
        onProgress: (m) => {
          if (m.startsWith('created version')) controller.abort();
        },
      }),
    );
    expect(error.message).toMatch(/interrupted/);
    expect(mutating()).toEqual(['CreateTrafficPolicyVersion']);
    expect(emu.model.getTrafficPolicyInstance(seed.trafficPolicyInstanceIds[0] as string)).toMatchObject({
      TrafficPolicyVersion: 1,
    });
  });

  it('a refused update is not waited for: only the accepted ones are polled', async () => {
    const seed = scenario(2);
    const ids = seed.trafficPolicyInstanceIds;
    const options = optionsFor(ids);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.control.injectFault('server-error', { operation: 'UpdateTrafficPolicyInstance', count: 1 });
    await failure(
      createRoute53Writer(options).applyWeights(plan, {
        comment: 'refused',
        onProgress: (m) => {
          // Both instances would answer Updating to their next three reads.
          if (m.startsWith('updating 2'))
            for (const id of ids) emu.model.reportInstanceState(id, 'Updating', 3);
        },
      }),
    );
    const refused = ids.find((id) => emu.model.getTrafficPolicyInstance(id).TrafficPolicyVersion === 1);
    expect(refused).toBeDefined();
    // Never read during the wait: it still has Updating answers left; the accepted one used all its own.
    expect(emu.model.getTrafficPolicyInstance(refused as string).State).toBe('Updating');
    const accepted = ids.find((id) => id !== refused) as string;
    expect(emu.model.getTrafficPolicyInstance(accepted)).toMatchObject({
      State: 'Applied',
      TrafficPolicyVersion: 2,
    });
  });
});

describe('Failed answers without a message', () => {
  it('at the change: "is Failed: no message"', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor([id]);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    emu.model.reportInstanceState(id, 'Failed', 1);
    const error = await failure(createRoute53Writer(options).applyWeights(plan, { comment: 'f' }));
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3409' });
    expect(error.message).toBe(`${label(seed, id)} is Failed: no message`);
  });

  it('after the update: the error says so and how to point the instance back', async () => {
    const seed = scenario();
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const options = optionsFor([id]);
    const plan = await createRoute53Reader(options).planWeights({ gcp: 0, aws: 255 });
    const error = await failure(
      createRoute53Writer(options).applyWeights(plan, {
        comment: 'f',
        onProgress: (m) => {
          if (m.includes('updating to version 2')) emu.model.reportInstanceState(id, 'Failed', 1);
        },
      }),
    );
    expect(error).toMatchObject({ code: 'FO_ROUTE53_E3413' });
    expect(error.message).toBe(
      `${label(seed, id)} failed to apply version 2 of policy ${seed.trafficPolicyId}: no message`,
    );
    expect(error.hint).toBe(
      'Route 53 keeps answering with the previously applied version. Fix the cause named above and run again, ' +
        `or point the instance back: aws route53 update-traffic-policy-instance --id ${id} --traffic-policy-id ${seed.trafficPolicyId} --traffic-policy-version 1 --ttl 90`,
    );
  });
});
