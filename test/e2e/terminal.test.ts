/**
 * The operator at a real terminal (a pseudo-terminal through util-linux `script`): the summary
 * right above the typed confirmation, Enter alone and Ctrl-C at the prompt, a case-insensitive
 * answer, the recap with the next command, decision time kept out of the RTO, and the status
 * verdict before and after. One sandbox for the whole file; outcomes are read back from the
 * emulators, the git remote and the journal.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  commitsSinceSeed,
  journal,
  lockHeld,
  mutatingRequests,
  runIdIn,
  startCli,
  startWorld,
  stopWorlds,
  type World,
  weights,
} from './failover-helpers.js';
import { assertBuilt, FIXTURES, removeTempDirs } from './helpers.js';
import { onPty, scriptAvailable } from './pty.js';

let world: World;

beforeAll(async () => {
  assertBuilt();
  if (scriptAvailable) world = await startWorld();
}, 60_000);
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

const QUESTION = /Type aws to continue \(or no to stop\): $/;

describe.skipIf(!scriptAvailable)('at the terminal (util-linux script is needed)', () => {
  it('status says GKE carries everything before the failover (verdict gcp)', async () => {
    const json = await cli(world, ['status', '--output', 'json'], { timeoutMs: 240_000 });
    expect(JSON.parse(json.stdout), json.stderr).toMatchObject({ verdict: 'gcp' });
    expect(JSON.parse(json.stdout).verdictReason).toMatch(
      /^all traffic on GCP; AWS overlay standby, AWS apps at 0$/,
    );
  }, 300_000);

  it('Enter alone confirms nothing; Ctrl-C at the prompt then aborts: exit 3, nothing changed', async () => {
    world.sandbox.outage('gke', true);
    const r = await onPty(['to-aws', '--incident', 'INC-TTY'], {
      cwd: world.dir,
      env: world.env,
      steps: [
        { when: QUESTION, send: '\r' },
        { when: /Type aws, then Enter, to continue/, send: '\u0003' },
      ],
    });
    expect(r.code, r.screen).toBe(3);
    expect(r.screen).toMatch(/aborted at the confirmation \(Ctrl-C\)/);
    expect(r.screen).not.toMatch(/AbortError|this is a bug|\n\s+at /);
    expect(await commitsSinceSeed(world)).toEqual([]);
    expect(mutatingRequests(world)).toEqual([]);
    expect(await lockHeld(world)).toBe(false);
  }, 300_000);

  it('the summary sits right above the question; "AWS" confirms; the recap names what changed and what next', async () => {
    const r = await onPty(['to-aws', '--incident', 'INC-TTY'], {
      cwd: world.dir,
      env: world.env,
      // Typed after a pause a person would take: the decision time is reported apart from the RTO.
      steps: [{ when: QUESTION, send: 'AWS\r', delayMs: 1500 }],
    });
    expect(r.code, r.screen).toBe(0);
    const screen = r.screen;
    // The summary block ends right where the question begins.
    const summary =
      /Summary: your answer lets this happen\n([\s\S]*?)\nMove production traffic from GKE to AWS\?/.exec(
        screen,
      );
    expect(summary, screen).not.toBeNull();
    const block = summary![1]!;
    expect(block).toMatch(
      /traffic +gcp 100% \/ aws 0% → gcp 0% \/ aws 100% on 1 instance \(admin\.example\.com\.\)/,
    );
    expect(block).toMatch(/git +suspend gcp cronjobs: commit to main/);
    expect(block).toMatch(/activate aws overlay: commit to main/);
    expect(block).toMatch(/3 Deployments go from 0 replicas to running/);
    expect(block).toMatch(/apps +waits until Argo CD runs admin-aws at the pushed commit/);
    expect(block).toMatch(/lock +held by this run \(refs\/failover\/lock\)/);
    // The warning of the plan, again, where it cannot scroll away: GKE is down, fencing is git-only.
    expect(block).toMatch(/⚠ GKE is unreachable: its CronJobs are suspended in git/);
    // The run really happened, as the emulators tell.
    expect(weights(world)).toEqual({ gke: 0, aws: 255 });
    expect(await lockHeld(world)).toBe(false);
    // The recap, after the outcome line.
    const recap = /\nRecap\n([\s\S]*?)\n\s+journal:/.exec(screen);
    expect(recap, screen).not.toBeNull();
    expect(recap![1]).toMatch(/traffic +admin\.example\.com\.: gcp 100% \/ aws 0% → gcp 0% \/ aws 100%/);
    expect(recap![1]).toMatch(
      /commits +[0-9a-f]{7} suspend gcp cronjobs\n +[0-9a-f]{7} activate aws overlay/,
    );
    expect(recap![1]).toMatch(/running +admin-aws at [0-9a-f]{7}: Deployment admin-api 2\/2 ready/);
    expect(recap![1]).toMatch(/fencing +GKE CronJobs fenced \(suspended\) in git at [0-9a-f]{7}/);
    expect(recap![1]).toMatch(/dns +admin\.example\.com: 20\/20 answers → AWS, asked 127\.0\.0\.1:\d+/);
    expect(recap![1]).toMatch(/next +failover to-gcp --incident INC-TTY/);
    // Decision time: measured, outside the RTO, said on the outcome line and in the report.
    const runId = runIdIn(screen);
    const approve = journal(world, runId).find((e) => e.type === 'step.succeeded' && e.stepId === 'confirm');
    const decisionMs = approve?.type === 'step.succeeded' ? Number(approve.outputs.decisionMs) : 0;
    expect(decisionMs).toBeGreaterThanOrEqual(1500);
    expect(screen).toMatch(/to-aws: succeeded with warnings in [\d.ms]+ \(\+ [\d.ms]+ decision time\)/);
    const md = await cli(world, ['report', runId, '--format', 'md']);
    expect(md.stdout).toMatch(/^\| decision time \(not in RTO\) \| [\d.ms]+ \|$/m);
    process.stdout.write(
      `\n--- terminal capture (to-aws on a pty) ---\n${screen.slice(screen.indexOf('Summary:'))}\n`,
    );
  }, 300_000);

  it('status after the failover: verdict aws on the last line; --watch refreshes until Ctrl-C, which exits 0', async () => {
    const watching = startCli(world, ['status', '--watch', '2s'], 280_000);
    await watching.waitForStderr(/refreshing every 2s .*Ctrl-C stops/, 240_000);
    expect(watching.child.exitCode).toBeNull();
    watching.child.kill('SIGINT');
    const r = await watching.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^verdict: on AWS \(all traffic on AWS; AWS overlay active, AWS apps running\)$/m,
    );
  }, 300_000);

  const GATE = /\(c\/h\/r\): $/;

  it('a staged failback asks at each gate; Ctrl-C there: exit 3, lock given back, traffic held at the stage; one resume ends on GCP', async () => {
    world.sandbox.outage('gke', false);
    const r = await onPty(['to-gcp', '--stages', '10,50,100', '--pause-between-stages', '1s'], {
      cwd: world.dir,
      env: world.env,
      steps: [
        { when: /Type gcp to continue \(or no to stop\): $/, send: 'gcp\r' },
        { when: GATE, send: '\u0003' },
      ],
    });
    expect(r.code, r.screen).toBe(3);
    // What the operator saw at the gate: the gate's verdict and the live share, above the question.
    expect(r.screen).toMatch(
      /health gate passed\n +traffic now gcp 10\.2% \/ aws 89\.8% on 1 instance \(Route 53 weights read back\)\nStage 10% on GCP: continue to 50%, hold at 10%, or roll back to where the shift started\?\nType continue, hold, roll back \(c\/h\/r\): /,
    );
    expect(r.screen).toMatch(/failover resume \d{8}T\d{6}Z-[a-z0-9]{4}/);
    expect(r.screen).not.toMatch(/AbortError|this is a bug|\n\s+at /);
    // At a question nothing is in flight: the line says what Ctrl-C did there.
    expect(r.screen).toContain('SIGINT at the stage gate: stopping here; traffic stays at this stage');
    expect(r.screen).not.toContain('stopping after the current call');
    // Held where the stage left it, the lock given back: a half state, said truthfully.
    expect(weights(world)).toEqual({ gke: 26, aws: 229 });
    expect(await lockHeld(world)).toBe(false);
    // status calls it what it is: split, with the reason.
    const held = await cli(world, ['status', '--output', 'json'], { timeoutMs: 240_000 });
    expect(JSON.parse(held.stdout), held.stderr).toMatchObject({ verdict: 'split' });
    expect(JSON.parse(held.stdout).verdictReason).toBe(
      'traffic is split: gcp 10.2% / aws 89.8% on admin.example.com.',
    );
    const runId = runIdIn(r.screen);
    const resumed = await cli(world, ['resume', runId, '--yes'], { timeoutMs: 240_000 });
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(weights(world)).toEqual({ gke: 255, aws: 0 });
    expect(await lockHeld(world)).toBe(false);
  }, 300_000);

  it('"r" at a gate rolls the shift back to where it started: exit 3, all traffic on GKE, lock given back', async () => {
    const r = await onPty(['to-aws', '--stages', '50,100'], {
      cwd: world.dir,
      env: world.env,
      steps: [
        { when: QUESTION, send: 'aws\r' },
        { when: GATE, send: 'r\r' },
      ],
    });
    expect(r.code, r.screen).toBe(3);
    expect(r.screen).toMatch(/Stage 50% on AWS: continue to 100%/);
    expect(r.screen).toMatch(
      /the operator rolled the shift back at stage 50%: the weights are back where the shift started/,
    );
    expect(weights(world)).toEqual({ gke: 255, aws: 0 });
    expect(await lockHeld(world)).toBe(false);
  }, 300_000);

  it('on a terminal with a size, a run draws the live step tree and redraws it until the end', async () => {
    const runbook = join(FIXTURES, 'e2e', 'live-tree.yaml');
    const r = await onPty(['run', runbook, '--yes'], {
      cwd: world.dir,
      env: world.env,
      steps: [],
      size: { rows: 30, columns: 120 },
      timeoutMs: 60_000,
    });
    expect(r.code, r.screen).toBe(0);
    // The tree (render/tree.ts, loaded only for a terminal like this one): a row per step with its
    // state, the running step while it waits, then every step done.
    expect(r.screen).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] pause +wait/);
    expect(r.screen).toMatch(/✓ greet +echo/);
    expect(r.screen).toMatch(/✓ pause +wait [\d.]+m?s/);
    expect(r.screen).toMatch(/✓ farewell +echo/);
    // Not the plain lines of a run without a terminal.
    expect(r.screen).not.toMatch(/^▶ pause$/m);
  }, 120_000);
});
