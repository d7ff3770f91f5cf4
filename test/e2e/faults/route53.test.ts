/**
 * Fault injection, Route 53: throttling, server errors and a failed policy instance at each phase
 * that touches Route 53, judged from outside (see fault-world.ts for the rule).
 *
 * | scenario                                                        | exit | end state                            |
 * |-----------------------------------------------------------------|------|--------------------------------------|
 * | R1 throttling (3×) of UpdateTrafficPolicyInstance at the shift  | 0    | aws                                  |
 * | R2 server errors (2×) of CreateTrafficPolicyVersion at the shift| 0    | aws                                  |
 * | R3 the policy instance ends Failed at the shift                 | 1    | half (AWS up, traffic on GCP) → resume → aws |
 * | R4 every Route 53 call fails from the start (preflight)         | 1    | gcp, no mutating request, no commit  |
 * | R5 to-gcp: the policy instance ends Failed at the shift back    | 1    | aws (nothing else moved) → resume → gcp |
 */
import { describe, expect, it } from 'vitest';
import { mutatingRequests, type World } from '../failover-helpers.js';
import {
  commitSubjects,
  duplicates,
  expectTruthfulEpilogue,
  out,
  resume,
  run,
  runIdOf,
  settledWhere,
  startOnAws,
  useFaultWorld,
} from './fault-world.js';

let world: World;
useFaultWorld((started) => {
  world = started;
});

const TO_AWS = ['to-aws', '--yes', '--incident', 'INC-R53'];

describe('Route 53 faults', { timeout: 600_000 }, () => {
  it('R1 throttling of UpdateTrafficPolicyInstance at the shift is retried: fully on AWS', async () => {
    world.sandbox.fault('route53', 'throttle', { operation: 'UpdateTrafficPolicyInstance', count: 3 });
    const r = await run(world, TO_AWS);
    expect(r.code, out(r)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    // The throttled calls really happened and were answered 400.
    expect(
      world.sandbox
        .requests()
        .filter((q) => q.operation === 'UpdateTrafficPolicyInstance' && q.status === 400),
    ).toHaveLength(3);
    // And the operator is told: the outcome counts the retries per call.
    expect(r.stdout).toMatch(
      /retried by the cloud clients \d+×: .*Route 53 UpdateTrafficPolicyInstance ×3 \(Throttling\)/,
    );
  });

  it('R2 server errors of CreateTrafficPolicyVersion at the shift are retried: fully on AWS', async () => {
    world.sandbox.fault('route53', 'server-error', { operation: 'CreateTrafficPolicyVersion', count: 2 });
    const r = await run(world, TO_AWS);
    expect(r.code, out(r)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
  });

  it('R3 a Failed policy instance at the shift: half state said truthfully, one resume ends on AWS', async () => {
    world.sandbox.fault('route53', 'policy-instance-failed', { count: 1 });
    const r = await run(world, TO_AWS);
    expect(r.code, out(r)).toBe(1);
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('half');
    // AWS runs, traffic stayed on GKE, the lock is free.
    expect(observed, out(r)).toMatchObject({
      awsOverlay: 'active',
      gkeCronJobs: 'suspended',
      lockHeld: false,
      route53: { gke: 255, aws: 0, state: 'Applied' },
    });
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
    expect(r.stdout).toMatch(/resume: failover resume /);

    const again = await resume(world, runIdOf(r));
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(duplicates(await commitSubjects(world))).toEqual([]);
  });

  it('R4 every Route 53 call failing from the start: exit 1, nothing changed, fully on GCP', async () => {
    world.sandbox.fault('route53', 'server-error');
    const r = await run(world, TO_AWS);
    expect(r.code, out(r)).toBe(1);
    world.sandbox.clearFaults();
    expect((await settledWhere(world)).where).toBe('gcp');
    expect(await commitSubjects(world)).toEqual([]);
    expect(mutatingRequests(world).filter((q) => q.service !== 'git')).toEqual([]);
    expect(r.stdout).toMatch(/no step ran|state now/);
  });

  it('R5 to-gcp with a Failed policy instance at the shift back: still fully on AWS, said so; one resume ends on GCP', async () => {
    await startOnAws(world, TO_AWS);
    world.sandbox.fault('route53', 'policy-instance-failed', { count: 1 });
    const r = await run(world, ['to-gcp', '--yes']);
    expect(r.code, out(r)).toBe(1);
    // Traffic goes back first: when that fails nothing else moved, so AWS still carries everything.
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('aws');
    expect(observed.route53).toMatchObject({ aws: 255, gke: 0, state: 'Applied' });
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
    const again = await resume(world, runIdOf(r));
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('gcp');
    expect(duplicates(await commitSubjects(world))).toEqual([]);
  });
});
