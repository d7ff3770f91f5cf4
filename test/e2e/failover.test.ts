/**
 * The failover itself, end to end: `failover to-aws` / `to-gcp` / `resume` spawned as an operator
 * runs them, against the sandbox's emulators running in this process with short timings. Every
 * outcome is checked where it happens (Route 53 weights, Argo CD workloads, the git remote's
 * overlay and lock ref, the journal), not only in what the tool prints. Failures
 * and interrupted runs have files of their own (failover-failures, failover-resume).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../src/sandbox/gitops-demo/index.js';
import {
  AWS_OVERLAY,
  cli,
  endState,
  FAST_TIMINGS,
  failedOverState,
  finished,
  journal,
  listedOutcome,
  listedRuns,
  lockHeld,
  mutatingRequests,
  remoteHead,
  remoteRefs,
  runIdIn,
  SLOW,
  STANDBY_ENTRIES,
  standbyEntriesIn,
  startWorld,
  stopWorlds,
  succeededSteps,
  type World,
  withWorld,
} from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

describe('round trip: dry-run, to-aws during a GKE outage, dry-run, to-gcp', SLOW, () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });

  it('to-aws --dry-run shows every change and sends no mutating request', async () => {
    const r = await cli(world, ['to-aws', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const runId = runIdIn(r.stdout);
    const policy = world.sandbox.info.route53.trafficPolicyId;
    // The traffic policy document diff: the weighted rule's two weights swap.
    expect(r.stdout).toContain(`--- traffic policy ${policy} version 1`);
    expect(r.stdout).toContain(`+++ traffic policy ${policy} new version (gcp 0 (0%) / aws 255 (100%))`);
    expect(r.stdout).toMatch(/-\s+"Weight": "255",\n\s+\+\s+"Weight": "0",/);
    expect(r.stdout).toMatch(/-\s+"Weight": "0",\n\s+\+\s+"Weight": "255",/);
    // The kustomization diff: both standby entries go, the comments above them stay.
    expect(r.stdout).toContain(`--- a/${AWS_OVERLAY}`);
    expect(r.stdout).toContain(`+++ b/${AWS_OVERLAY}`);
    for (const entry of STANDBY_ENTRIES) expect(r.stdout).toMatch(new RegExp(`-  - path: ${entry}`));
    expect(r.stdout).toMatch(/^ {9}# to standby, restore them\.$/m);
    // The commit, with its trailers.
    expect(r.stdout).toContain('+ git commit on main: failover: activate aws overlay');
    expect(r.stdout).toContain(`Failover-Run: ${runId}`);
    expect(r.stdout).toContain('Failover-Operator: e2e-operator');
    // The apps it will wait for, and what "up" means.
    expect(r.stdout).toMatch(/wait until aws Argo CD apps admin-aws are Synced at the commit pushed earlier/);
    // The lock, fencing GKE's CronJobs (GKE is up here), the overlay, the weights.
    expect(r.stdout).toMatch(/✓ dry-run: nothing was changed; 4 step\(s\) would change something/);

    // Planning read a lot and changed nothing.
    expect(world.sandbox.requests().length).toBeGreaterThan(5);
    expect(mutatingRequests(world)).toEqual([]);
    expect(await remoteHead(world)).toBe(world.seed.head);
    expect(Object.keys(await remoteRefs(world)).sort()).toEqual(['HEAD', 'refs/heads/main']);
    expect(finished(journal(world, runId))).toMatchObject({ outcome: 'planned' });
    expect(await listedOutcome(world, runId)).toBe('planned');
  });

  it('to-aws --yes with GKE down: AWS up, all traffic on AWS, overlay active, lock released', async () => {
    world.sandbox.outage('gke', true);
    const r = await cli(world, ['to-aws', '--yes', '--incident', 'INC-42', '--reason', 'GKE outage (e2e)']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runId = runIdIn(r.stdout);
    // GKE is down: its CronJobs are fenced in git only, and the run says so first.
    expect(r.stdout).toMatch(/⚠ to-aws: succeeded with warnings/);

    const state = await endState(world);
    expect(state).toEqual(failedOverState(world, 'INC-42'));
    expect(standbyEntriesIn(state.awsOverlay)).toEqual([]);
    // The commit says who, why and which run.
    const body = (await git(['--git-dir', world.sandbox.info.git.remote, 'log', '-1', '--format=%B', 'main']))
      .stdout;
    expect(body).toContain(`Failover-Run: ${runId}`);
    expect(body).toContain('Failover-Operator: e2e-operator');
    expect(body).toContain('Failover-Incident: INC-42');
    expect(body).toContain('Failover-Reason: GKE outage (e2e)');

    const events = journal(world, runId);
    expect(finished(events)).toMatchObject({ outcome: 'succeeded' });
    // GKE was unreachable: the fence is a git commit all the same, before AWS's CronJobs resume...
    expect(succeededSteps(events).indexOf('fence-gke')).toBeLessThan(
      succeededSteps(events).indexOf('activate-aws'),
    );
    // ... and the operator is warned that GKE itself has not seen it yet.
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'step.message', stepId: 'fencing-pending', level: 'warn' }),
    );
    expect(r.stderr).toMatch(/GKE is unreachable: its CronJobs are suspended in git/);
    expect(await listedOutcome(world, runId)).toBe('succeeded');
  });

  it('to-gcp --dry-run while GKE is still down: exit 1 at once, naming the GKE checks', async () => {
    world.sandbox.clearRequests();
    const started = Date.now();
    const r = await cli(world, ['to-gcp', '--dry-run']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    // A dry-run reports what the probes answer now; it does not wait out their `within` (1m, 2m).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stdout).toMatch(/✗ the plan found \d+ problem\(s\): gke-cluster: GKE cluster reachable/);
    expect(r.stdout).toMatch(/gke-endpoints: probe gke ingress \(by address\) \(status 503, expected 200\)/);
    expect(mutatingRequests(world)).toEqual([]);
  });

  it('to-gcp --dry-run after the failover, GKE back: every change shown, nothing sent', async () => {
    world.sandbox.outage('gke', false);
    world.sandbox.clearRequests();
    const headBefore = await remoteHead(world);
    const r = await cli(world, ['to-gcp', '--dry-run']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const policy = world.sandbox.info.route53.trafficPolicyId;
    expect(r.stdout).toMatch(new RegExp(`--- traffic policy ${policy} version 2\\b`));
    expect(r.stdout).toContain(`+++ traffic policy ${policy} new version (gcp 255 (100%) / aws 0 (0%))`);
    expect(r.stdout).toMatch(/-\s+"Weight": "0",\n\s+\+\s+"Weight": "255",/);
    expect(r.stdout).toContain(`--- a/${AWS_OVERLAY}`);
    for (const entry of STANDBY_ENTRIES) expect(r.stdout).toMatch(new RegExp(`\\+  - path: ${entry}`));
    expect(r.stdout).toContain('+ git commit on main: failover: put aws overlay in standby');
    expect(r.stdout).toMatch(
      /wait until aws Argo CD apps admin-aws are Synced .*as the standby render says \(0 ready where it wants 0/,
    );

    expect(world.sandbox.requests().length).toBeGreaterThan(5);
    expect(mutatingRequests(world)).toEqual([]);
    expect(await remoteHead(world)).toBe(headBefore);
    expect(await lockHeld(world)).toBe(false);
  });

  it('to-gcp --yes: traffic back on GKE, AWS at 0 replicas, the overlay byte-identical to the seed', async () => {
    const r = await cli(world, ['to-gcp', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runId = runIdIn(r.stdout);
    const state = await endState(world);
    expect(state).toEqual({
      weights: { gke: 255, aws: 0 },
      awsDeployments: { 'admin-api': '0/0', 'admin-web': '0/0', worker: '0/0' },
      awsCronJobsSuspended: { 'nightly-report': true },
      awsOverlay: world.seed.awsOverlay,
      gcpOverlay: world.seed.gcpOverlay,
      commitsSinceSeed: [
        'failover: suspend gcp cronjobs (INC-42)',
        'failover: activate aws overlay (INC-42)',
        'failover: put aws overlay in standby',
        'failover: resume gcp cronjobs',
      ],
      instanceState: 'Applied',
      lockHeld: false,
    });
    expect(finished(journal(world, runId))).toMatchObject({ outcome: 'succeeded' });
    expect((await listedRuns(world)).map((run) => [run.runbook, run.dryRun, run.outcome])).toEqual([
      ['to-aws', true, 'planned'],
      ['to-aws', false, 'succeeded'],
      ['to-gcp', true, 'planned'],
      ['to-gcp', true, 'planned'],
      ['to-gcp', false, 'succeeded'],
    ]);
  });
});

describe('two runs at once', SLOW, () => {
  it('exactly one takes the lock; the other exits 4 and says who holds it since when', () =>
    // Slower rollouts keep the winner's lock held for seconds, so a slow start of the other
    // process on a busy machine still finds it taken.
    withWorld(
      async (world) => {
        world.sandbox.outage('gke', true);
        const [a, b] = await Promise.all([cli(world, ['to-aws', '--yes']), cli(world, ['to-aws', '--yes'])]);
        const codes = [a.code, b.code].sort();
        expect(codes, `${a.stdout}\n${b.stdout}`).toEqual([0, 4]);
        const loser = a.code === 4 ? a : b;
        const winner = a.code === 0 ? a : b;
        const winnerId = runIdIn(winner.stdout);
        expect(`${loser.stdout}${loser.stderr}`).toMatch(
          new RegExp(`locked by e2e-operator \\(run ${winnerId}\\) on \\S+ since \\d{4}-\\d\\d-\\d\\dT`),
        );
        expect(await endState(world)).toEqual(failedOverState(world));
        const outcomes = Object.fromEntries((await listedRuns(world)).map((run) => [run.runId, run.outcome]));
        expect(outcomes[winnerId]).toBe('succeeded');
        expect(outcomes[runIdIn(loser.stdout)]).toBe('failed');
      },
      { ...FAST_TIMINGS, rolloutMs: 3000 },
    ));
});

describe('the fence is live before AWS resumes', SLOW, () => {
  it("with GKE up, no CronJob is active on both clusters at any instant of to-aws (GKE's Argo CD slow to reconcile)", () =>
    // GKE's Argo CD reconciles only every 6 s on its own: the fence commit alone would leave GKE's
    // CronJobs active for seconds after AWS's resume. Sampled from the emulators, not the tool.
    withWorld(
      async (world) => {
        const active = (app: string) =>
          world.sandbox.argocd.model
            .workloads(app)
            .filter((w) => w.kind === 'CronJob' && w.suspend !== true)
            .map((w) => w.name);
        const overlaps = new Set<string>();
        let samples = 0;
        const sampler = setInterval(() => {
          samples += 1;
          const gke = new Set(active('admin-gke'));
          for (const name of active('admin-aws')) if (gke.has(name)) overlaps.add(name);
        }, 20);
        let r: Awaited<ReturnType<typeof cli>>;
        try {
          r = await cli(world, ['to-aws', '--yes', '--incident', 'INC-FENCE']);
        } finally {
          clearInterval(sampler);
        }
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
        expect(samples).toBeGreaterThan(20);
        expect([...overlaps]).toEqual([]);
        expect(active('admin-aws')).toEqual(['nightly-report']);
        expect(active('admin-gke')).toEqual([]);
        const steps = succeededSteps(journal(world, runIdIn(r.stdout)));
        expect(steps.indexOf('fence-gke')).toBeLessThan(steps.indexOf('fence-live'));
        expect(steps.indexOf('fence-live')).toBeLessThan(steps.indexOf('activate-aws'));
        // The recap shows GKE's app with its CronJob suspended in the cluster.
        expect(r.stdout).toMatch(/admin-gke.*CronJob nightly-report suspended/);
      },
      { ...FAST_TIMINGS, reconcileMs: 6000 },
    ));
});
