/**
 * The `argocd.wait` step kind, run as the engine runs it (plan, then apply when not converged),
 * with the real Argo CD adapter against the emulator over loopback and commits pushed to a real
 * git remote: a failover commit rolling out, the standby trap at the old revision, a rollout that
 * never finishes, the way back to standby, and an explicit sync for apps without auto-sync.
 * Every wait is bounded by a step timeout (an AbortSignal), as in a runbook.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSeq, isMap as isYamlMap, parseDocument } from 'yaml';
import { Config } from '../../src/config/schema.js';
import { FailoverError } from '../../src/engine/errors.js';
import type { StepPlan } from '../../src/engine/plan.js';
import { Redactor } from '../../src/engine/redact.js';
import { sleep } from '../../src/engine/retry.js';
import { createArgoCdReader, createArgoCdWriter } from '../../src/providers/argocd/adapter.js';
import type { ArgoCdReader } from '../../src/providers/argocd/port.js';
import { createGitReader } from '../../src/providers/git/adapter.js';
import type { ReadPorts, WritePorts } from '../../src/providers/ports.js';
import { type ArgoCdEmulator, demoApps, startArgoCdEmulator } from '../../src/sandbox/argocd/index.js';
import {
  createGitRemote,
  demoTreeDir,
  type GitRemote,
  git,
  pushChange,
} from '../../src/sandbox/gitops-demo/index.js';
import { argocdWaitStep } from '../../src/steps/argocd/wait.js';
import type { ApplyContext, StepMessage, StepResult } from '../../src/steps/types.js';

const TOKEN = 'argocd-wait-test-token-77aa01';
const ROLLOUT_MS = 600;
const KUSTOMIZATION = join('overlays', 'aws', 'kustomization.yaml');

let work: string;
let remote: GitRemote;
let emulator: ArgoCdEmulator;
let config: Config;
let standbyKustomization: string;
/** The app whose rollouts starting from now on crash-loop (the sandbox's `apps crash-loop` fault). */
let crashLoopApp: string | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'argocd-wait-test-'));
  remote = await createGitRemote({ dir: work });
  emulator = await startArgoCdEmulator({
    token: TOKEN,
    apps: demoApps(remote.remote),
    rolloutMs: ROLLOUT_MS,
    reconcileIntervalMs: 200,
    syncDurationMs: 100,
    rolloutFault: (app) =>
      app === crashLoopApp ? { kind: 'crash-loop', active: () => crashLoopApp === app } : undefined,
  });
  // The seeded overlay text, to restore the standby later.
  standbyKustomization = await readFile(join(demoTreeDir(), KUSTOMIZATION), 'utf8');
  config = Config.parse({
    argocd: {
      server: emulator.url,
      tokenEnv: 'WAIT_TEST_ARGOCD_TOKEN',
      awsApps: ['admin-aws'],
      pollInterval: 0.1,
    },
  });
});

afterAll(async () => {
  await emulator?.close();
  await rm(work, { recursive: true, force: true });
});

interface Run {
  plan: StepPlan;
  result?: StepResult;
  error?: FailoverError;
  messages: StepMessage[];
  elapsedMs: number;
}

/** Runs the step as the engine's attempt does: plan, then apply unless converged, within a timeout. */
async function runStep(
  input: Record<string, unknown>,
  {
    timeoutMs,
    signal,
    planOnly = false,
    dryRun = false,
    refreshes = [],
    withGit = false,
  }: {
    timeoutMs: number;
    signal?: AbortSignal;
    planOnly?: boolean;
    dryRun?: boolean;
    /** Receives the `refresh` option of every read of the apps. */
    refreshes?: (boolean | undefined)[];
    /** Judge against the overlay rendered from the git remote (gitops config and the git reader). */
    withGit?: boolean;
  },
): Promise<Run> {
  const stepConfig = withGit
    ? Config.parse({
        argocd: config.argocd,
        gitops: { repo: remote.remote, author: { name: 'Wait Test', email: 'wait@example.com' } },
        stateDir: join(work, 'state'),
      })
    : config;
  const adapterOptions = {
    config: stepConfig,
    env: { WAIT_TEST_ARGOCD_TOKEN: TOKEN },
    redactor: new Redactor(),
    runId: 'r',
  };
  const messages: StepMessage[] = [];
  const stepSignal = signal ?? AbortSignal.timeout(timeoutMs);
  const ctx: ApplyContext = {
    run: { id: 'r', operator: 'test', dryRun, runbook: 'to-aws', host: 'h' },
    config: stepConfig,
    read: {
      argocd: spyOnRefresh(createArgoCdReader(adapterOptions), refreshes),
      ...(withGit ? { git: createGitReader(adapterOptions) } : {}),
    } as ReadPorts,
    write: { argocd: createArgoCdWriter(adapterOptions) } as WritePorts,
    signal: stepSignal,
    afterChanges: false,
    phase: 'apply',
    emit: (message) => messages.push(message),
    sleep: (ms) => sleep(ms, stepSignal),
    confirm: async () => true,
    decide: async () => undefined,
  };
  const parsed = argocdWaitStep.input.parse(input);
  const started = Date.now();
  const plan = await argocdWaitStep.plan(ctx, parsed);
  if (plan.converged || planOnly) return { plan, messages, elapsedMs: Date.now() - started };
  try {
    const result = await argocdWaitStep.apply!(ctx, parsed, plan);
    return { plan, result, messages, elapsedMs: Date.now() - started };
  } catch (error) {
    if (!FailoverError.is(error)) throw error;
    return { plan, error, messages, elapsedMs: Date.now() - started };
  }
}

function spyOnRefresh(reader: ArgoCdReader, refreshes: (boolean | undefined)[]): ArgoCdReader {
  return {
    ...reader,
    apps: (role, options) => {
      refreshes.push(options?.refresh);
      return reader.apps(role, options);
    },
  };
}

/** Removes (active) or restores (standby) the write-up's standby patch entries in overlays/aws. */
async function setAwsStandby(standby: boolean, message: string): Promise<string> {
  return pushChange({
    remote: remote.remote,
    message,
    change: async (dir) => {
      const file = join(dir, KUSTOMIZATION);
      if (standby) return writeFile(file, standbyKustomization);
      const doc = parseDocument(await readFile(file, 'utf8'));
      const patches = doc.get('patches');
      if (isSeq(patches)) {
        patches.items = patches.items.filter((item) => {
          const path = isYamlMap(item) ? item.get('path') : undefined;
          return path !== 'cronjob-suspend.yml' && path !== 'replicas-zero.yml';
        });
        if (patches.items.length === 0) doc.delete('patches');
      }
      await writeFile(file, doc.toString());
    },
  });
}

function progress(run: Run): string[] {
  return run.messages.filter((m) => m.code === 'FO_ARGOCD_I4101').map((m) => m.message);
}

describe('argocd.wait', () => {
  let activated = '';

  it('plans a standby that already holds as converged, and a running wait as not converged', async () => {
    const [app] = await createArgoCdReader({
      config,
      env: { WAIT_TEST_ARGOCD_TOKEN: TOKEN },
      redactor: new Redactor(),
      runId: 'r',
    }).apps('aws', { refresh: true });
    const head = app!.revision!;
    const standby = await runStep({ role: 'aws', expect: 'standby', revision: head }, { timeoutMs: 5000 });
    expect(standby.plan.converged).toBe(true);
    expect(standby.plan.outputs).toMatchObject({ revision: head, syncedAfterMs: 0, readyAfterMs: 0 });
    const suspended = await runStep({ role: 'aws', expect: 'cronjobs-suspended' }, { timeoutMs: 5000 });
    expect(suspended.plan.converged).toBe(true);

    // The dry-run view: the apps and workloads to wait for, with their state now.
    const ctxPlan = await runStep(
      { role: 'aws', expect: 'running', revision: head },
      { timeoutMs: 5000, planOnly: true },
    );
    expect(ctxPlan.plan.converged).toBe(false);
    expect(ctxPlan.plan.summary).toContain('admin-aws');
    const current = ctxPlan.plan.changes.find((c) => c.action === 'none');
    expect(current?.summary).toContain('Deployment admin-web 0/0 ready');
    expect(current?.summary).toContain('CronJob nightly-report suspended');
  });

  it('does not take the Synced + Healthy standby for running (the trap): times out naming each workload', async () => {
    const [app] = await createArgoCdReader({
      config,
      env: { WAIT_TEST_ARGOCD_TOKEN: TOKEN },
      redactor: new Redactor(),
      runId: 'r',
    }).apps('aws');
    expect(app).toMatchObject({ syncStatus: 'Synced', health: 'Healthy' });

    const run = await runStep(
      { role: 'aws', expect: 'running', revision: app!.revision },
      { timeoutMs: 2000 },
    );
    expect(run.result).toBeUndefined();
    expect(run.error).toMatchObject({ code: 'FO_ARGOCD_E4103', category: 'step-failed' });
    const message = run.error!.message;
    for (const name of [
      'admin-aws',
      'Deployment admin/admin-web',
      'Deployment admin/admin-api',
      'Deployment admin/worker',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).toContain('scaled to 0');
    expect(message).toContain('CronJob admin/nightly-report: suspended');
    expect(run.elapsedMs).toBeGreaterThanOrEqual(1900);
    expect(run.elapsedMs).toBeLessThan(5000);
    // The same list is emitted the instant the step times out (the engine may report its own error).
    expect(run.messages.find((m) => m.code === 'FO_ARGOCD_E4103')?.message).toBe(message);
    // Progress is reported when something changes, not on every poll: nothing changed here.
    expect(progress(run)).toHaveLength(1);
  });

  it('waits for the pushed commit and for the workloads to really be ready', async () => {
    emulator.control.log.clear();
    activated = await setAwsStandby(false, 'Fail over to AWS');
    const run = await runStep({ role: 'aws', expect: 'running', revision: activated }, { timeoutMs: 20_000 });
    expect(run.error).toBeUndefined();

    // Done only once everything runs in the cluster, not when Argo CD said Synced.
    for (const workload of emulator.model.workloads('admin-aws')) {
      if (workload.kind === 'Deployment') {
        expect(workload.readyReplicas, workload.name).toBeGreaterThan(0);
        expect(workload.readyReplicas, workload.name).toBe(workload.replicas);
      } else {
        expect(workload.suspend, workload.name).toBe(false);
      }
    }
    const outputs = run.result!.outputs!;
    expect(outputs.revision).toBe(activated);
    const synced = outputs.syncedAfterMs as number;
    const ready = outputs.readyAfterMs as number;
    expect(synced).toBeGreaterThanOrEqual(0);
    // Synced comes first; the rollout takes ROLLOUT_MS after the sync (equal only if one slow poll saw both).
    expect(ready).toBeGreaterThanOrEqual(synced);
    expect(ready).toBeGreaterThanOrEqual(ROLLOUT_MS / 2);
    expect(outputs.apps).toEqual([
      expect.objectContaining({
        name: 'admin-aws',
        revision: activated,
        syncStatus: 'Synced',
        workloads: expect.arrayContaining([
          { kind: 'Deployment', name: 'admin-web', desired: 3, ready: 3 },
          { kind: 'CronJob', name: 'nightly-report', suspended: false },
        ]),
      }),
    ]);
    // Progress went through intermediate states and ended with everything ready.
    const lines = progress(run);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/4\/4 workloads as rendered$/);
    // Waiting never wrote anything: auto-sync did the sync.
    expect(emulator.control.log.mutating()).toEqual([]);
  });

  it('a dry-run reads the apps without asking Argo CD to refresh them; a real run refreshes', async () => {
    const dry: (boolean | undefined)[] = [];
    await runStep(
      { role: 'aws', expect: 'running', revision: activated },
      { timeoutMs: 5000, planOnly: true, dryRun: true, refreshes: dry },
    );
    expect(dry).toEqual([false]);
    const real: (boolean | undefined)[] = [];
    await runStep(
      { role: 'aws', expect: 'running', revision: activated },
      { timeoutMs: 5000, planOnly: true, refreshes: real },
    );
    expect(real).toEqual([true]);
  });

  it('plans as converged when the apps already run the revision', async () => {
    const run = await runStep({ role: 'aws', expect: 'running', revision: activated }, { timeoutMs: 5000 });
    expect(run.plan.converged).toBe(true);
    expect(run.plan.outputs).toMatchObject({ revision: activated });
    // An abbreviated sha names the same commit.
    const short = await runStep(
      { role: 'aws', expect: 'running', revision: activated.slice(0, 10) },
      { timeoutMs: 5000 },
    );
    expect(short.plan.converged).toBe(true);
  });

  it('times out on a rollout that never finishes, naming the stuck Deployment with ready/desired', async () => {
    emulator.model.stallRollout('admin-aws', true);
    try {
      const scaled = await pushChange({
        remote: remote.remote,
        message: 'Scale admin-web to 5',
        change: async (dir) => {
          const file = join(dir, 'base', 'admin-web.yml');
          await writeFile(file, (await readFile(file, 'utf8')).replace('replicas: 3', 'replicas: 5'));
        },
      });
      const run = await runStep({ role: 'aws', expect: 'running', revision: scaled }, { timeoutMs: 3500 });
      expect(run.error).toMatchObject({ code: 'FO_ARGOCD_E4103' });
      // Argo CD is at the revision; only the workload keeps the wait going.
      expect(run.error!.message).not.toContain('not ' + scaled.slice(0, 7));
      expect(run.error!.message).toContain('Deployment admin/admin-web: 4/5 ready, want 5');
      expect(run.error!.message).not.toContain('admin-api');
      expect(run.error!.hint).toMatch(/kubectl describe deployment/);
      expect(run.error!.details).toMatchObject({
        pending: { 'admin-aws': ['Deployment admin/admin-web: 4/5 ready, want 5'] },
      });
    } finally {
      emulator.model.stallRollout('admin-aws', false);
    }
  });

  it('names crash-looping pods, from the resource tree, while waiting and when it times out', async () => {
    crashLoopApp = 'admin-aws';
    try {
      const scaled = await pushChange({
        remote: remote.remote,
        message: 'Scale admin-api to 4',
        change: async (dir) => {
          const file = join(dir, 'base', 'admin-api.yml');
          await writeFile(file, (await readFile(file, 'utf8')).replace(/replicas: \d+/, 'replicas: 4'));
        },
      });
      const run = await runStep({ role: 'aws', expect: 'running', revision: scaled }, { timeoutMs: 4000 });
      expect(run.error).toMatchObject({ code: 'FO_ARGOCD_E4103' });
      const warned = run.messages.filter((m) => m.code === 'FO_ARGOCD_W4111');
      expect(warned.length).toBeGreaterThanOrEqual(1);
      expect(warned[0]!.message).toMatch(
        /^admin-aws: pods fail to start: CrashLoopBackOff: admin\/admin-api-\S+ \(\d+ restarts\)/,
      );
      expect(run.error!.message).toMatch(/admin-aws: .*pods failing: CrashLoopBackOff: admin\/admin-api-/);
      expect(run.error!.hint).toMatch(/kubectl logs --previous/);
    } finally {
      crashLoopApp = undefined;
    }
  });

  it('waits for standby after the patches are restored: Deployments at 0, CronJobs suspended', async () => {
    const restored = await setAwsStandby(true, 'Back to standby');
    const run = await runStep({ role: 'aws', expect: 'standby', revision: restored }, { timeoutMs: 20_000 });
    expect(run.error).toBeUndefined();
    for (const workload of emulator.model.workloads('admin-aws')) {
      if (workload.kind === 'Deployment') expect(workload.replicas, workload.name).toBe(0);
      else expect(workload.suspend, workload.name).toBe(true);
    }
    expect(run.result!.outputs!.revision).toBe(restored);
    expect(progress(run).at(-1)).toMatch(/4\/4 workloads as rendered$/);
  });

  it('with auto-sync off, waits in vain without sync and completes with sync: true', async () => {
    emulator.model.setAutoSync('admin-aws', false);
    try {
      const revision = await setAwsStandby(false, 'Fail over to AWS again');
      const idle = await runStep({ role: 'aws', expect: 'running', revision }, { timeoutMs: 2000 });
      expect(idle.error?.code).toBe('FO_ARGOCD_E4103');
      expect(idle.error!.message).toMatch(/sync status OutOfSync/);
      expect(idle.error!.hint).toMatch(/sync: true/);

      emulator.control.log.clear();
      const run = await runStep(
        { role: 'aws', expect: 'running', revision, sync: true },
        { timeoutMs: 20_000 },
      );
      expect(run.error).toBeUndefined();
      expect(run.result!.outputs!.revision).toBe(revision);
      const syncs = emulator.control.log.entries.filter((e) => e.operation === 'SyncApplication');
      expect(syncs).toEqual([expect.objectContaining({ status: 200, mutating: true })]);
      expect(
        run.messages.some((m) => m.code === 'FO_ARGOCD_I4106' && m.message.includes('sync started')),
      ).toBe(true);
      // The plan said it would sync.
      expect(run.plan.changes.some((c) => c.action === 'update' && c.summary.startsWith('sync to'))).toBe(
        true,
      );
    } finally {
      emulator.model.setAutoSync('admin-aws', true);
    }
  });

  it('reports an interrupt as aborted, still naming what was not ready', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new FailoverError('FO_TEST', 'aborted', 'interrupted')), 400);
    const run = await runStep(
      { role: 'aws', expect: 'standby' },
      { timeoutMs: 0, signal: controller.signal },
    );
    expect(run.error).toMatchObject({ code: 'FO_ARGOCD_E4104', category: 'aborted' });
    expect(run.error!.message).toContain('Deployment admin/admin-web');
  });

  it('judged against the render: a commit pushed on top of ours counts as ours, and an Argo CD outage is read through', async () => {
    // In standby first (earlier tests may have left it active).
    const standby = await setAwsStandby(true, 'Standby again').catch(async () =>
      (await git(['--git-dir', remote.remote, 'rev-parse', 'main'])).stdout.trim(),
    );
    const back = await runStep(
      { role: 'aws', expect: 'standby', revision: standby },
      { timeoutMs: 20_000, withGit: true },
    );
    expect(back.error).toBeUndefined();

    const ours = await setAwsStandby(false, 'Fail over to AWS (ours)');
    // Someone else pushes during the incident: Argo CD syncs the branch head, not our commit.
    const theirs = await pushChange({
      remote: remote.remote,
      message: 'Unrelated change by someone else',
      change: (dir) => writeFile(join(dir, 'NOTES.md'), 'on call notes\n'),
    });
    // And Argo CD is down for a while (a restart): more failed reads than the wait used to allow.
    emulator.control.knobs.outage = true;
    const outage = setTimeout(() => {
      emulator.control.knobs.outage = false;
    }, 2500);
    try {
      const run = await runStep(
        { role: 'aws', expect: 'running', revision: ours },
        { timeoutMs: 30_000, withGit: true },
      );
      expect(run.error).toBeUndefined();
      const failures = run.messages.filter((m) => m.code === 'FO_ARGOCD_W4102');
      expect(failures.length).toBeGreaterThanOrEqual(5);
      expect(failures[0]!.message).toMatch(/transient.*until the step times out/);
      expect(run.messages.some((m) => m.code === 'FO_ARGOCD_I4108')).toBe(true);
      expect(progress(run).at(-1)).toContain(`at ${theirs.slice(0, 7)}, which contains ${ours.slice(0, 7)}`);
      for (const workload of emulator.model.workloads('admin-aws')) {
        if (workload.kind === 'Deployment') expect(workload.readyReplicas, workload.name).toBeGreaterThan(0);
      }
    } finally {
      clearTimeout(outage);
      emulator.control.knobs.outage = false;
    }
  }, 90_000);

  it("is woken by Argo CD's watch stream: with a 30 s poll interval, each wait ends with its rollout", async () => {
    const head = await git(['--git-dir', remote.remote, 'show', `main:${KUSTOMIZATION}`]);
    // Start from whichever state the remote is in, so that both pushes change the overlay.
    const order = head.stdout === standbyKustomization ? [false, true] : [true, false];
    for (const standby of order) {
      const revision = await setAwsStandby(standby, standby ? 'Back to standby' : 'Fail over to AWS again');
      emulator.control.log.clear();
      const run = await runStep(
        { role: 'aws', expect: standby ? 'standby' : 'running', revision, pollInterval: 30 },
        { timeoutMs: 25_000 },
      );
      // Polling alone would read again only after 30 s, past the step's 25 s timeout: the
      // stream's change events woke the wait.
      expect(run.error?.message).toBeUndefined();
      expect(emulator.control.log.operations()).toContain('WatchApplications');
    }
  }, 60_000);

  it('rejects a revision that is not a commit sha', async () => {
    await expect(
      runStep({ role: 'aws', expect: 'running', revision: 'main' }, { timeoutMs: 1000 }),
    ).rejects.toMatchObject({ code: 'FO_ARGOCD_E4105', category: 'invalid-input' });
  });
});
