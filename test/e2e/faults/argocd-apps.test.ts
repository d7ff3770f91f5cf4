/**
 * Fault injection, Argo CD and the applications: API outages (short and lasting), rollouts that
 * never finish, crash-looping pods, endpoint errors, judged from outside (see fault-world.ts).
 *
 * | scenario                                                          | exit | end state                          |
 * |-------------------------------------------------------------------|------|------------------------------------|
 * | A1 Argo CD API answers 500 for a moment during the wait           | 0    | aws                                |
 * | A2 Argo CD API answers 500 until the wait ends (--timeout 1.5s)   | 1    | gcp (rolled back)                  |
 * | A3 one workload's rollout never finishes (--timeout 3s)           | 1    | gcp (rolled back)                  |
 * | A4 AWS pods crash-loop (--timeout 1.5s)                           | 1    | gcp (rolled back)                  |
 * | A5 AWS pods crash-loop, --no-rollback                             | 1    | half (AWS overlay active, traffic on GCP) → clear → resume → aws |
 * | A6 the AWS endpoint answers 503 twice during its check            | 0    | aws                                |
 */
import { describe, expect, it } from 'vitest';
import { startCli, type World } from '../failover-helpers.js';
import {
  commitSubjects,
  duplicates,
  expectTruthfulEpilogue,
  out,
  resume,
  run,
  runIdOf,
  SHORT_WAIT,
  settledWhere,
  useFaultWorld,
  whenStarted,
  whenSucceeded,
} from './fault-world.js';

let world: World;
useFaultWorld((started) => {
  world = started;
});

const TO_AWS = ['to-aws', '--yes', '--incident', 'INC-ARGO'];

describe('Argo CD and application faults', { timeout: 600_000 }, () => {
  it('A1 a short Argo CD outage during the wait is retried: fully on AWS', async () => {
    const running = startCli(world, TO_AWS, 480_000);
    await whenStarted(world, 'aws-running');
    world.sandbox.fault('argocd', 'server-error');
    await new Promise((r) => setTimeout(r, 1500));
    world.sandbox.clearFaults();
    const r = await running.exited;
    expect(r.code, out(r)).toBe(0);
    expect(world.sandbox.requests().some((q) => q.service === 'argocd' && q.status === 500)).toBe(true);
    expect((await settledWhere(world)).where).toBe('aws');
  });

  it('A2 an Argo CD outage that lasts past the wait: rolled back, fully on GCP', async () => {
    const running = startCli(world, [...TO_AWS, ...SHORT_WAIT], 480_000);
    await whenStarted(world, 'aws-running');
    world.sandbox.fault('argocd', 'server-error');
    const r = await running.exited;
    world.sandbox.clearFaults();
    expect(r.code, out(r)).toBe(1);
    expect(r.stdout).toMatch(/rolled back: .*activate-aws/);
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('gcp');
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
  });

  it('A3 a rollout that never finishes: rolled back at the deadline, fully on GCP', async () => {
    world.sandbox.fault('apps', 'rollout-stuck', { operation: 'admin-web' });
    // Long enough for admin-web to get 2 of its 3 pods ready on a loaded machine before the deadline.
    const r = await run(world, [...TO_AWS, '--timeout', '3s']);
    expect(r.code, out(r)).toBe(1);
    expect(out(r)).toMatch(/admin-web: 2\/3 ready/);
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('gcp');
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
  });

  it('A4 crash-looping AWS pods: rolled back at the deadline, fully on GCP', async () => {
    world.sandbox.fault('apps', 'crash-loop', { operation: 'admin-aws' });
    const r = await run(world, [...TO_AWS, ...SHORT_WAIT]);
    expect(r.code, out(r)).toBe(1);
    // Past the progress deadline Argo CD itself calls the app Degraded; the tool names what waits.
    expect(out(r)).toMatch(/0\/\d ready/);
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('gcp');
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
  });

  it('A5 crash-looping AWS pods with --no-rollback: a half state said truthfully, one resume ends on AWS', async () => {
    world.sandbox.fault('apps', 'crash-loop', { operation: 'admin-aws' });
    const r = await run(world, [...TO_AWS, ...SHORT_WAIT, '--no-rollback']);
    expect(r.code, out(r)).toBe(1);
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('half');
    expect(observed, out(r)).toMatchObject({
      awsOverlay: 'active',
      gkeCronJobs: 'suspended',
      lockHeld: false,
      route53: { gke: 255, aws: 0 },
    });
    expect(observed.argoAws.health).toBe('Degraded');
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
    // The cause is fixed (the pods stop crashing); one resume finishes the failover, with a wait
    // long enough for the rollout (the run's own 1.5 s was for the failure).
    world.sandbox.clearFaults();
    const again = await resume(world, runIdOf(r), ['--timeout', '2m']);
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(duplicates(await commitSubjects(world))).toEqual([]);
  });

  it('A6 the AWS endpoint answers 503 twice during its check: probed again, fully on AWS', async () => {
    const running = startCli(world, TO_AWS, 480_000);
    // After the wait, so that the faults hit the check of the AWS endpoint, not the standby probe.
    await whenSucceeded(world, ['aws-running']);
    world.sandbox.fault('apps', 'server-error', { operation: 'aws', count: 2 });
    const r = await running.exited;
    expect(r.code, out(r)).toBe(0);
    expect(
      world.sandbox.requests().filter((q) => q.service === 'apps' && q.status === 503).length,
    ).toBeGreaterThan(0);
    expect((await settledWhere(world)).where).toBe('aws');
  });
});
