/**
 * How a run ends when the operator or the machine stops it: Ctrl-C at the typed confirmation
 * (on a real pseudo-terminal), the terminal closing under a run (SIGHUP), a second Ctrl-C while a
 * step runs, and one while the run's own
 * finally steps are giving the lock back. Each must leave the lock
 * released and say so, judged from the git remote and the journal, not only the output.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import {
  commitsSinceSeed,
  journal,
  lockHeld,
  mutatingRequests,
  runIdIn,
  startCli,
  stopWorlds,
  type World,
  waitUntil,
  withWorld,
} from './failover-helpers.js';
import { assertBuilt, BIN, type CliResult, execCommand, removeTempDirs } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

/**
 * The CLI on a pseudo-terminal (Python's pty module, no shell): `read_until(found)` collects what
 * the terminal shows into `out` until `found()`, the end of the output, or the 60 s deadline.
 */
const PTY_READER = `
import os, pty, re, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
deadline = time.time() + 60
def read_until(found):
    global out
    while time.time() < deadline and not found():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
`;

/** Runs `PTY_READER` + `script` with the CLI and `args`, with `vars` for the script. */
function onPty(world: World, args: string[], script: string, vars: NodeJS.ProcessEnv): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...world.env, ...vars, TERM: 'dumb' };
  delete env.CI;
  return execCommand('python3', ['-c', PTY_READER + script, process.execPath, BIN, ...args], {
    env,
    cwd: world.dir,
    timeoutMs: 90_000,
  });
}

/**
 * Runs the CLI on a pseudo-terminal, waits until the output matches `prompt`, then types `keys`;
 * returns everything the terminal showed and the exit code.
 */
function answerOnPty(world: World, args: string[], prompt: RegExp, keys: string): Promise<CliResult> {
  const script = `
asked = lambda: re.search(os.environ['PROMPT'].encode(), out)
read_until(asked)
if asked():
    time.sleep(0.3)
    os.write(fd, os.environ['KEYS'].encode())
    read_until(lambda: False)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
  return onPty(world, args, script, { PROMPT: prompt.source, KEYS: keys });
}

/**
 * Runs the CLI on a pseudo-terminal until its output matches `moment`, then closes the terminal
 * (as a closed window or a dropped SSH session does): the kernel sends SIGHUP, and every later
 * write to the terminal fails. Returns what the terminal showed before and the exit code.
 */
function hangUpOnPty(world: World, args: string[], moment: RegExp): Promise<CliResult> {
  const script = `
read_until(lambda: re.search(os.environ['MOMENT'].encode(), out))
os.close(fd)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.stdout.write('\\nended by signal %d\\n' % os.WTERMSIG(status) if os.WIFSIGNALED(status) else '\\nexit code %d\\n' % os.WEXITSTATUS(status))
`;
  return onPty(world, args, script, { MOMENT: moment.source });
}

const last = (events: EngineEvent[]) => events.at(-1);

describe('exit paths', () => {
  it('Ctrl-C at the typed confirmation: exit 3, one line, lock released, nothing changed', async () => {
    await withWorld(async (world) => {
      const r = await answerOnPty(
        world,
        ['to-aws', '--incident', 'INC-PTY'],
        /Type .*to-aws.* to continue|to continue \(or no to stop\)/,
        '\u0003',
      );
      const screen = r.stdout;
      expect(r.code, screen).toBe(3);
      expect(screen).not.toMatch(/AbortError|this is a bug|\n\s+at /);
      expect(screen.match(/aborted at the confirmation \(Ctrl-C\)/g)).toHaveLength(1);
      expect(await lockHeld(world)).toBe(false);
      expect(await commitsSinceSeed(world)).toEqual([]);
      expect(mutatingRequests(world)).toEqual([]);
      const events = journal(world, runIdIn(screen));
      expect(events.some((e) => e.type === 'step.succeeded' && e.stepId === 'unlock')).toBe(true);
    });
  }, 150_000);

  it('the terminal closes during the run (SIGHUP): it stops as at Ctrl-C, gives the lock back, ends by SIGHUP', async () => {
    await withWorld(
      async (world) => {
        const r = await hangUpOnPty(world, ['to-aws', '--yes', '--incident', 'INC-HANGUP'], /▶ aws-running/);
        // Nothing reads the terminal any more: how it ended, the remote and the journal tell. Once
        // its cleanup is done it ends by the hang-up itself (signal 1), as a supervisor expects.
        expect(r.stdout).toMatch(/\nended by signal 1\n$/);
        expect(await lockHeld(world)).toBe(false);
        const events = journal(world, runIdIn(r.stdout));
        const end = last(events);
        expect(end?.type).toBe('run.finished');
        if (end?.type === 'run.finished') expect(end.outcome).toBe('interrupted');
        expect(events.some((e) => e.type === 'step.succeeded' && e.stepId === 'unlock')).toBe(true);
      },
      { propagationMs: 300, rolloutMs: 20_000, reconcileMs: 200, latencyMs: 0 },
    );
  }, 150_000);

  it('a second Ctrl-C exits at once but gives the lock back and records how the run ended', async () => {
    await withWorld(
      async (world) => {
        const running = startCli(world, ['to-aws', '--yes', '--incident', 'INC-TWICE']);
        // Past the lock, inside the Argo CD wait (slow rollouts keep it there).
        // (The step's start line, not its name in the plan printed before the run.)
        await running.waitForStderr(/^▶ aws-running/m, 60_000);
        await waitUntil('the lock is held', () => lockHeld(world), 20_000);
        // The first Ctrl-C stops the run, which then reads Route 53 back before it exits: slowed
        // down, that read-back outlasts the moment the second Ctrl-C comes. (Without it, a run
        // that stops at once could end before the second signal came.)
        world.sandbox.route53.control.knobs.latencyMs = 400;
        running.child.kill('SIGINT');
        await running.waitForStderr(/^SIGINT: stopping after the current call/m, 10_000);
        running.child.kill('SIGINT');
        const r = await running.exited;
        expect(r.code, r.stderr).toBe(3);
        expect(r.stderr).toMatch(/second SIGINT: exiting; giving the run lock back first/);
        expect(r.stderr).toMatch(/the run lock was released/);
        // Its last lines say where things stand, read back from the systems: still all on GKE
        // (the shift never ran), the lock free.
        expect(r.stderr).toMatch(
          /state now \(read back\):\n {4}traffic: gcp 100% \/ aws 0% \(Route 53 [^)]*Applied\)/,
        );
        expect(r.stderr).toMatch(/ {4}git: aws overlay .*\(branch head [0-9a-f]{7}\)/);
        expect(r.stderr).toMatch(/ {4}run lock: free\n/);
        expect(r.stderr).toMatch(/resume: failover resume \d{8}T\d{6}Z-[a-z0-9]{4}\s*$/);
        expect(await lockHeld(world)).toBe(false);
        const events = journal(world, runIdIn(r.stderr));
        const end = last(events);
        expect(end?.type).toBe('run.finished');
        if (end?.type === 'run.finished') {
          expect(end.outcome).toBe('interrupted');
          // The release is on record: in the second Ctrl-C's own end, or, when the first one's
          // finally steps had already given the lock back before it came, as the unlock step.
          const releasedAtExit = /the run lock was released/.test(end.error?.message ?? '');
          const unlocked = events.some((e) => e.type === 'step.succeeded' && e.stepId === 'unlock');
          expect(releasedAtExit || unlocked).toBe(true);
        }
      },
      { propagationMs: 300, rolloutMs: 20_000, reconcileMs: 200, latencyMs: 0 },
    );
  }, 150_000);

  it('a second Ctrl-C while the finally steps give the lock back: its own ending, not cut off by the run', async () => {
    await withWorld(
      async (world) => {
        // The remote takes 1.5 s to accept the lock's deletion, so the run's own unlock is still
        // under way when the second Ctrl-C comes, and ends first.
        const hook = join(world.sandbox.info.git.remote, 'hooks', 'pre-receive');
        writeFileSync(
          hook,
          '#!/bin/sh\nwhile read old new ref; do\n  case "$ref" in refs/failover/lock) [ "$new" = 0000000000000000000000000000000000000000 ] && sleep 1.5 ;; esac\ndone\nexit 0\n',
        );
        chmodSync(hook, 0o755);
        const running = startCli(world, ['to-aws', '--yes', '--incident', 'INC-UNLOCKING']);
        await running.waitForStderr(/^▶ (activate-aws|aws-running)/m, 60_000);
        await waitUntil('the lock is held', () => lockHeld(world), 20_000);
        running.child.kill('SIGINT');
        await running.waitForStderr(/^▶ unlock/m, 30_000);
        running.child.kill('SIGINT');
        const r = await running.exited;
        expect(r.code, r.stderr).toBe(3);
        expect(r.stderr).toMatch(/second SIGINT: exiting; giving the run lock back first/);
        expect(r.stderr).toMatch(/exited at a second SIGINT: the run lock was released/);
        expect(r.stderr).toMatch(/state now \(read back\):\n {4}traffic: gcp 100% \/ aws 0%/);
        expect(r.stderr).toMatch(/ {4}run lock: free\n/);
        expect(r.stderr).toMatch(/resume: failover resume \d{8}T\d{6}Z-[a-z0-9]{4}\s*$/);
        expect(await lockHeld(world)).toBe(false);
        // The second Ctrl-C's end is the journal's last line, whatever the run recorded meanwhile.
        const end = last(journal(world, runIdIn(r.stderr)));
        expect(end?.type).toBe('run.finished');
        if (end?.type === 'run.finished') {
          expect(end.outcome).toBe('interrupted');
          expect(end.error?.message).toMatch(/exited at a second SIGINT: the run lock was released/);
        }
      },
      { propagationMs: 300, rolloutMs: 20_000, reconcileMs: 200, latencyMs: 0 },
    );
  }, 150_000);
});
