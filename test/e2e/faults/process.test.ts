/**
 * Fault injection, the process and its machine: Ctrl-C once and twice, SIGKILL at two phases then
 * `resume`, a journal that cannot be written mid-run, an unusable state directory, two operators
 * at once; judged from outside (see fault-world.ts).
 *
 * | scenario                                                    | exit   | end state                                      |
 * |-------------------------------------------------------------|--------|------------------------------------------------|
 * | P1 SIGINT once during the Argo CD wait                      | 3      | half (AWS overlay active, traffic on GCP, lock free) → resume → aws |
 * | P2 SIGINT twice during the Argo CD wait                     | 3      | half, lock free → resume → aws                  |
 * | P3 SIGKILL right after the commit that activates AWS        | killed | half, lock held → resume → aws                  |
 * | P4 SIGKILL right after the traffic shift                    | killed | half (on AWS, lock held) → resume → aws         |
 * | P5 the journal becomes unwritable during the wait           | 1      | half, lock free (finally ran) → resume → aws    |
 * | P6 the state directory cannot be created                    | 2      | gcp, nothing sent                               |
 * | P7 two operators run to-aws at once                         | 0 + 4  | aws, each commit once                           |
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutatingRequests, startCli, type World } from '../failover-helpers.js';
import { failover } from '../helpers.js';
import {
  commitSubjects,
  duplicates,
  expectTruthfulEpilogue,
  observe,
  out,
  resume,
  run,
  runIdOf,
  settledWhere,
  useFaultWorld,
  whenStarted,
  whenSucceeded,
} from './fault-world.js';

let world: World;
useFaultWorld((started) => {
  world = started;
});

const TO_AWS = ['to-aws', '--yes', '--incident', 'INC-PROC'];
const runIdOfFile = (file: string) => file.replace(/^.*\/|\.ndjson$/g, '');

/** Keeps the run in the Argo CD wait (one workload never finishes) until the faults are cleared. */
function holdInWait(): void {
  world.sandbox.fault('apps', 'rollout-stuck', { operation: 'admin-web' });
}

describe('process and machine faults', { timeout: 600_000 }, () => {
  it('P1 Ctrl-C once during the wait: exit 3, a half state said truthfully, one resume ends on AWS', async () => {
    holdInWait();
    const running = startCli(world, TO_AWS, 480_000);
    await whenStarted(world, 'aws-running');
    running.child.kill('SIGINT');
    const r = await running.exited;
    expect(r.code, out(r)).toBe(3);
    world.sandbox.clearFaults();
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('half');
    expect(observed, out(r)).toMatchObject({
      awsOverlay: 'active',
      lockHeld: false,
      route53: { gke: 255, aws: 0 },
    });
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
    const again = await resume(world, runIdOf(r));
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(duplicates(await commitSubjects(world))).toEqual([]);
  });

  it('P2 Ctrl-C twice during the wait: exit 3, lock given back, one resume ends on AWS', async () => {
    holdInWait();
    const running = startCli(world, TO_AWS, 480_000);
    await whenStarted(world, 'aws-running');
    running.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    running.child.kill('SIGINT');
    const r = await running.exited;
    expect(r.code, out(r)).toBe(3);
    // The second Ctrl-C ends the run at once and says the lock went back; on a loaded machine it may
    // land only after the first one's stop already ran the unlock step, which says so itself. (The
    // second Ctrl-C during the unlock is test/e2e/exit-paths.test.ts's.)
    expect(r.stderr).toMatch(/the run lock was released|unlock: run lock released/);
    world.sandbox.clearFaults();
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('half');
    expect(observed.lockHeld).toBe(false);
    const again = await resume(world, runIdOf(r));
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(duplicates(await commitSubjects(world))).toEqual([]);
  });

  it('P3 SIGKILL right after the commit that activates AWS: lock left held, one resume ends on AWS', async () => {
    const running = startCli(world, TO_AWS, 480_000);
    const file = await whenSucceeded(world, ['activate-aws']);
    running.child.kill('SIGKILL');
    await running.exited;
    const observed = await observe(world);
    expect(observed).toMatchObject({ awsOverlay: 'active', lockHeld: true, route53: { gke: 255, aws: 0 } });
    const again = await resume(world, runIdOfFile(file));
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(await commitSubjects(world)).toEqual([
      'failover: suspend gcp cronjobs (INC-PROC)',
      'failover: activate aws overlay (INC-PROC)',
    ]);
  });

  it('P4 SIGKILL right after the traffic shift: one resume ends on AWS without a second commit', async () => {
    const running = startCli(world, TO_AWS, 480_000);
    const file = await whenSucceeded(world, ['shift']);
    running.child.kill('SIGKILL');
    await running.exited;
    const observed = await observe(world);
    expect(observed.route53).toMatchObject({ aws: 255, gke: 0 });
    const again = await resume(world, runIdOfFile(file));
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(await commitSubjects(world)).toHaveLength(2);
  });

  it('P5 the journal becomes unwritable during the wait: exit 1, finally ran, truthful half state, one resume ends on AWS', async () => {
    holdInWait();
    const running = startCli(world, TO_AWS, 480_000);
    const file = await whenStarted(world, 'aws-running');
    // As a full disk or a revoked mount would: the journal can no longer be appended to.
    const saved = readFileSync(file, 'utf8');
    rmSync(file);
    mkdirSync(file);
    const r = await running.exited;
    expect(r.code, out(r)).toBe(1);
    world.sandbox.clearFaults();
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('half');
    expect(observed, out(r)).toMatchObject({ awsOverlay: 'active', lockHeld: false });
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
    // The disk is back; what was written before the failure is still there.
    rmSync(file, { recursive: true });
    writeFileSync(file, saved);
    const again = await resume(world, runIdOfFile(file));
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(duplicates(await commitSubjects(world))).toEqual([]);
  });

  it('P6 a state directory that cannot be created: exit 2 with the path, nothing sent, fully on GCP', async () => {
    const blocker = join(world.dir, 'not-a-dir');
    writeFileSync(blocker, 'a file where a directory should be\n');
    // The env override names the unusable directory; the sandbox's config stays as it is.
    const r = await failover(TO_AWS, {
      env: { ...world.env, FAILOVER_STATE_DIR: join(blocker, 'state') },
      cwd: world.dir,
      timeoutMs: 480_000,
    });
    expect(r.code, out(r)).toBe(2);
    expect(r.stderr).toContain(join(blocker, 'state'));
    expect(r.stderr).not.toMatch(/this is a bug|\n\s+at /);
    expect(mutatingRequests(world)).toEqual([]);
    expect((await settledWhere(world)).where).toBe('gcp');
    expect(await commitSubjects(world)).toEqual([]);
  });

  it('P7 two operators at once: one runs, the other is refused with exit 4, each commit once, fully on AWS', async () => {
    const [a, b] = await Promise.all([
      run(world, TO_AWS),
      run(world, [...TO_AWS.slice(0, 2), '--incident', 'INC-OTHER']),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes, `${out(a)}\n${out(b)}`).toEqual([0, 4]);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(await commitSubjects(world)).toHaveLength(2);
    expect(mutatingRequests(world).length).toBeGreaterThan(0);
  });
});
