/**
 * Fault injection, git: pushes rejected by the remote (a server-side hook), the remote gone, and
 * pushes by other people at each phase, judged from outside (see fault-world.ts).
 *
 * | scenario                                                           | exit | end state                              |
 * |--------------------------------------------------------------------|------|----------------------------------------|
 * | G1 the remote rejects every push to main (protected branch)        | 1    | gcp, no commit, lock free              |
 * | G2 someone pushed just before the run                              | 0    | aws, their commit kept                 |
 * | G3 someone pushes during the Argo CD wait                          | 0    | aws (their commit contains ours)       |
 * | G4 someone pushes during the traffic shift                         | 0    | aws                                    |
 * | G5 the remote is unreachable when the run starts                   | 1    | gcp, nothing changed                   |
 * | G6 the remote rejects only the commit that activates AWS           | 1    | gcp (the fence rolled back)            |
 * | G7 the remote refuses to delete the lock at the end                | 1    | half (on AWS, lock held) → resume → aws |
 */
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pushChange } from '../../../src/sandbox/gitops-demo/index.js';
import { startCli, type World } from '../failover-helpers.js';
import {
  commitSubjects,
  duplicates,
  expectTruthfulEpilogue,
  out,
  resume,
  run,
  runIdOf,
  settledWhere,
  useFaultWorld,
  whenStarted,
} from './fault-world.js';

let world: World;
useFaultWorld((started) => {
  world = started;
});

const TO_AWS = ['to-aws', '--yes', '--incident', 'INC-GIT'];

/** A server-side pre-receive hook in the remote: refuses the pushes `refuse` (a shell test on $ref, $new, $subject). */
function hook(refuse: string): void {
  const file = join(world.sandbox.info.git.remote, 'hooks', 'pre-receive');
  writeFileSync(
    file,
    `#!/bin/sh\nwhile read old new ref; do\n  subject=""\n  case "$new" in 0000000000000000000000000000000000000000) ;; *) subject=$(git log -1 --format=%s "$new") ;; esac\n  if ${refuse}; then echo "refused by the fault suite: $ref" >&2; exit 1; fi\ndone\nexit 0\n`,
  );
  chmodSync(file, 0o755);
}

/** A colleague's unrelated commit on main. */
function colleaguePush(name: string): Promise<string> {
  return pushChange({
    remote: world.sandbox.info.git.remote,
    message: `docs: ${name}`,
    change: (dir) => writeFileSync(join(dir, `${name}.md`), `# ${name}\n`),
  });
}

describe('git faults and pushes by others', { timeout: 600_000 }, () => {
  it('G1 the remote rejects every push to main: exit 1, nothing changed, fully on GCP', async () => {
    hook('[ "$ref" = refs/heads/main ]');
    const r = await run(world, TO_AWS);
    expect(r.code, out(r)).toBe(1);
    expect(out(r)).toMatch(/refused by the fault suite|rejected/);
    expect((await settledWhere(world)).where).toBe('gcp');
    expect(await commitSubjects(world)).toEqual([]);
  });

  it('G2 a push by someone else just before the run: fully on AWS, their commit kept', async () => {
    await colleaguePush('before');
    const r = await run(world, TO_AWS);
    expect(r.code, out(r)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(await commitSubjects(world)).toEqual([
      'docs: before',
      'failover: suspend gcp cronjobs (INC-GIT)',
      'failover: activate aws overlay (INC-GIT)',
    ]);
  });

  it('G3 a push by someone else during the Argo CD wait: the newer head contains ours, fully on AWS', async () => {
    const running = startCli(world, TO_AWS, 480_000);
    await whenStarted(world, 'aws-running');
    await colleaguePush('during-wait');
    const r = await running.exited;
    expect(r.code, out(r)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect((await commitSubjects(world)).at(-1)).toBe('docs: during-wait');
  });

  it('G4 a push by someone else during the traffic shift: fully on AWS', async () => {
    const running = startCli(world, TO_AWS, 480_000);
    await whenStarted(world, 'shift');
    await colleaguePush('during-shift');
    const r = await running.exited;
    expect(r.code, out(r)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(duplicates(await commitSubjects(world))).toEqual([]);
  });

  it('G5 the remote unreachable when the run starts: exit 1, nothing changed, fully on GCP', async () => {
    const remote = world.sandbox.info.git.remote;
    renameSync(remote, `${remote}.away`);
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run(world, TO_AWS);
    } finally {
      renameSync(`${remote}.away`, remote);
    }
    expect(r.code, out(r)).toBe(1);
    expect(world.sandbox.requests().filter((q) => q.mutating)).toEqual([]);
    expect((await settledWhere(world)).where).toBe('gcp');
    expect(await commitSubjects(world)).toEqual([]);
  });

  it('G6 the remote rejects only the commit that activates AWS: the fence is rolled back, fully on GCP', async () => {
    hook('[ "$ref" = refs/heads/main ] && echo "$subject" | grep -q "activate aws overlay"');
    const r = await run(world, TO_AWS);
    expect(r.code, out(r)).toBe(1);
    expect(r.stdout).toMatch(/rolled back: fence-gke/);
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('gcp');
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
  });

  it('G7 the remote refuses to delete the lock at the end: on AWS with the lock held, said so; one resume frees it', async () => {
    const running = startCli(world, TO_AWS, 480_000);
    await whenStarted(world, 'shift');
    hook('[ "$ref" = refs/failover/lock ] && [ "$new" = 0000000000000000000000000000000000000000 ]');
    const r = await running.exited;
    expect(r.code, out(r)).toBe(1);
    const { where, observed } = await settledWhere(world);
    expect(where, out(r)).toBe('half');
    expect(observed, out(r)).toMatchObject({
      awsOverlay: 'active',
      lockHeld: true,
      route53: { aws: 255, gke: 0 },
    });
    expect(expectTruthfulEpilogue(r, observed), out(r)).toEqual([]);
    expect(r.stdout).toMatch(/run lock: held by this run/);
    rmSync(join(world.sandbox.info.git.remote, 'hooks', 'pre-receive'), { force: true });
    const again = await resume(world, runIdOf(r));
    expect(again.code, out(again)).toBe(0);
    expect((await settledWhere(world)).where).toBe('aws');
    expect(duplicates(await commitSubjects(world))).toEqual([]);
  });
});
