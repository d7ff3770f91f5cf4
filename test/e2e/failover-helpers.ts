/**
 * The failover end to end: the sandbox (every emulator and the git remote) runs in the test
 * process with short timings, the built CLI is spawned as an operator runs it, and outcomes are
 * read back from the emulators and the git remote, not only from what the tool prints.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { EngineEvent } from '../../src/engine/events.js';
import { type RunSummary, readJournal, summarize } from '../../src/engine/journal.js';
import { cacheDirFor, GitCache } from '../../src/providers/git/cache.js';
import { createGitRunner } from '../../src/providers/git/cli.js';
import { RunLock } from '../../src/providers/git/lock.js';
import type { WorkloadSummary } from '../../src/sandbox/argocd/model.js';
import type { RequestLogEntry } from '../../src/sandbox/common/request-log.js';
import { git, isolatedGitEnv, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { type Sandbox, type SandboxTimings, startSandbox } from '../../src/sandbox/sandbox.js';
import {
  type CliResult,
  failover,
  type RunningCli,
  sharedRenderStore,
  startFailover,
  tempDir,
} from './helpers.js';

/** Fast enough for many runs on a small machine, slow enough that waits really wait. */
export const FAST_TIMINGS: SandboxTimings = {
  propagationMs: 300,
  rolloutMs: 600,
  reconcileMs: 200,
  latencyMs: 0,
};

export const LOCK_REF = 'refs/failover/lock';
export const AWS_OVERLAY = 'overlays/aws/kustomization.yaml';
export const GCP_OVERLAY = 'overlays/gke/kustomization.yaml';
/** The entries of the aws overlay that keep it in warm standby. */
export const STANDBY_ENTRIES = ['cronjob-suspend.yml', 'replicas-zero.yml'] as const;

/** A sandbox plus what a test needs to drive the CLI against it and compare with the seed. */
export interface World {
  sandbox: Sandbox;
  dir: string;
  /** The child environment: CI, no colours, the sandbox's credentials, its config. */
  env: NodeJS.ProcessEnv;
  seed: { head: string; awsOverlay: string; gcpOverlay: string };
}

const worlds: Sandbox[] = [];

export async function startWorld(
  timings: SandboxTimings = FAST_TIMINGS,
  options: { repoFrom?: string } = {},
): Promise<World> {
  const dir = tempDir('failover-e2e-world-');
  const sandbox = await startSandbox({ dir, timings, ...options, ...sharedRenderStore() });
  worlds.push(sandbox);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    LANG: 'C.UTF-8',
    CI: '1',
    NO_COLOR: '1',
    FAILOVER_OPERATOR: 'e2e-operator',
    FAILOVER_CONFIG: sandbox.info.config,
    ...sandbox.env,
  };
  const world: World = {
    sandbox,
    dir,
    env,
    seed: { head: sandbox.info.git.head, awsOverlay: '', gcpOverlay: '' },
  };
  world.seed.awsOverlay = await remoteFile(world, AWS_OVERLAY, sandbox.info.git.head);
  world.seed.gcpOverlay = await remoteFile(world, GCP_OVERLAY, sandbox.info.git.head);
  const dotEnv = join(dir, '.env');
  const cluster = sandbox.info.eks.cluster;
  pristine.set(world, {
    dotEnv: existsSync(dotEnv) ? readFileSync(dotEnv, 'utf8') : undefined,
    nodegroups: sandbox.eks.model.nodegroupNames(cluster).map((name) => ({
      name,
      scaling: { ...sandbox.eks.model.getNodegroup(cluster, name)!.scalingConfig },
    })),
  });
  return world;
}

/** What resetWorld puts back beyond the remote and the emulators' switches, as the world started. */
const pristine = new WeakMap<
  World,
  {
    dotEnv: string | undefined;
    nodegroups: { name: string; scaling: { minSize: number; maxSize: number; desiredSize: number } }[];
  }
>();

/**
 * Takes the run lock in the world's remote as another operator on another machine would (its own
 * cache clone), held for 30 minutes from now.
 */
export async function holdLockAsOtherOperator(
  world: World,
  holder: { runId: string; operator: string; host: string; purpose: string },
): Promise<void> {
  const remote = world.sandbox.info.git.remote;
  const cache = new GitCache(
    createGitRunner(isolatedGitEnv()),
    remote,
    cacheDirFor(join(world.dir, `lock-of-${holder.operator}`), remote),
  );
  const now = Date.now();
  await new RunLock(cache, LOCK_REF).acquire(
    {
      ...holder,
      startedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 30 * 60_000).toISOString(),
    },
    { breakStale: false },
  );
}

/**
 * Pushes, as a colleague would, a GKE node pool selector into the worker of the base the AWS
 * overlay takes: AWS's nodes never carry that label, so the failover's pods would stay Pending.
 */
export async function pushWorkerOnGkeNodePool(world: World): Promise<string> {
  return pushChange({
    remote: world.sandbox.info.git.remote,
    message: 'worker: run on the batch node pool',
    change: (dir) => {
      const file = join(dir, 'base', 'worker.yml');
      const text = readFileSync(file, 'utf8');
      const edited = text.replace(
        '    spec:\n      containers:\n        - name: worker\n',
        '    spec:\n      nodeSelector:\n        cloud.google.com/gke-nodepool: batch\n      containers:\n        - name: worker\n',
      );
      if (edited === text) throw new Error('base/worker.yml changed: cannot add the node selector');
      writeFileSync(file, edited);
    },
  });
}

/** Closes every sandbox still running (afterAll). */
export async function stopWorlds(): Promise<void> {
  await Promise.allSettled(worlds.splice(0).map((s) => s.close()));
}

/**
 * Runs `test` in a world of its own and closes the world's sandbox when it ends, pass or fail: an
 * idle sandbox still reconciles its Argo CD apps, and a small machine feels dozens of them.
 */
export async function withWorld<T>(
  test: (world: World) => Promise<T>,
  timings: SandboxTimings = FAST_TIMINGS,
): Promise<T> {
  const world = await startWorld(timings);
  try {
    return await test(world);
  } finally {
    const index = worlds.indexOf(world.sandbox);
    if (index >= 0) worlds.splice(index, 1);
    await world.sandbox.close();
  }
}

/**
 * Puts a world back where its seed had it, as an operator with admin rights would: faults, outages,
 * error rates and secret-store failures off, the branch at the seed commit, no lock, every Traffic
 * Flow instance on version 1 (GKE) and Applied, Argo CD rolled back (AWS at 0 with its CronJobs
 * suspended, GKE running), the EKS node groups' scaling and the .env file as they started, a fresh
 * state directory (journals, git cache) and an empty request log. Everything a case reads
 * afterwards is then as a fresh sandbox would have it (Datadog downtimes excepted: they accumulate).
 */
/** A state of the world to put it back to: the branch head, the policy version, the side that runs. */
export interface Restore {
  head: string;
  version: number;
  side: 'gcp' | 'aws';
}

export async function resetWorld(
  world: World,
  to: Restore = { head: world.seed.head, version: 1, side: 'gcp' },
): Promise<void> {
  const s = world.sandbox;
  s.clearFaults();
  const start = pristine.get(world);
  if (start?.dotEnv !== undefined) writeFileSync(join(world.dir, '.env'), start.dotEnv);
  for (const { name, scaling } of start?.nodegroups ?? [])
    s.eks.model.setNodegroupScaling(s.info.eks.cluster, name, scaling);
  for (const side of ['gke', 'aws'] as const) {
    s.outage(side, false);
    s.setErrorRate(side, undefined);
    s.setSecretStore(side);
  }
  for (const app of s.info.argocd.apps.aws) s.argocd.model.stallRollout(app, false);
  const remote = s.info.git.remote;
  for (const hook of ['pre-receive', 'update']) rmSync(join(remote, 'hooks', hook), { force: true });
  await git(['--git-dir', remote, 'update-ref', `refs/heads/${s.info.git.branch}`, to.head]);
  await git(['--git-dir', remote, 'update-ref', '-d', LOCK_REF]).catch(() => undefined);
  const model = s.route53.model;
  model.completePropagation();
  for (const id of s.info.route53.trafficPolicyInstanceIds) {
    const instance = model.getTrafficPolicyInstance(id);
    if (instance.TrafficPolicyVersion !== to.version || instance.State !== 'Applied')
      model.updateTrafficPolicyInstance(id, {
        TTL: instance.TTL,
        TrafficPolicyId: instance.TrafficPolicyId,
        TrafficPolicyVersion: to.version,
      });
  }
  model.completePropagation();
  await s.argocd.model.reconcileNow();
  // On GCP: AWS at 0 with its CronJobs suspended, GKE running. On AWS: AWS running, GKE fenced.
  const onAws = to.side === 'aws';
  await waitUntil(
    `the ${to.side} state rolled out again`,
    () =>
      s.info.argocd.apps.aws.every((app) =>
        s.argocd.model
          .workloads(app)
          .every((w) =>
            w.kind === 'CronJob'
              ? (w.suspend === true) !== onAws
              : onAws
                ? (w.replicas ?? 0) > 0 && w.readyReplicas === w.replicas
                : (w.readyReplicas ?? 0) === 0 && w.replicas === 0,
          ),
      ) &&
      s.info.argocd.apps.gcp.every((app) =>
        s.argocd.model
          .workloads(app)
          .every((w) => (w.kind === 'CronJob' ? (w.suspend === true) === onAws : (w.readyReplicas ?? 0) > 0)),
      ),
    30_000,
    25,
  );
  rmSync(join(world.dir, 'state'), { recursive: true, force: true });
  s.clearRequests();
}

/**
 * A few worlds started once and lent out one case at a time, each reset before it is lent: cases
 * that run concurrently never share a sandbox, and a file starts `size` sandboxes instead of one per
 * case. `close` stops them (afterAll).
 */
export interface WorldPool {
  use<T>(test: (world: World) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function worldPool(size: number, timings: SandboxTimings = FAST_TIMINGS): WorldPool {
  const idle: World[] = [];
  const waiting: ((world: World) => void)[] = [];
  const started: Promise<World>[] = [];
  const used = new Set<World>();
  const lend = async (): Promise<World> => {
    const world = idle.shift();
    if (world) return world;
    if (started.length < size) {
      const starting = startWorld(timings);
      started.push(starting);
      return starting;
    }
    return new Promise<World>((r) => waiting.push(r));
  };
  return {
    async use(test) {
      const world = await lend();
      try {
        // A world nobody has used yet is the seed already.
        if (used.has(world)) await resetWorld(world);
        used.add(world);
        return await test(world);
      } finally {
        const next = waiting.shift();
        if (next) next(world);
        else idle.push(world);
      }
    },
    async close() {
      await Promise.allSettled(
        started.map(async (starting) => {
          const world = await starting;
          const index = worlds.indexOf(world.sandbox);
          if (index >= 0) worlds.splice(index, 1);
          await world.sandbox.close();
        }),
      );
    },
  };
}

/** `failover ARGS` against the world's sandbox, to completion. */
export function cli(
  world: World,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> {
  return failover(args, {
    env: options.env ?? world.env,
    cwd: world.dir,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

/** `failover ARGS` left running, for tests that kill it or race it. */
export function startCli(world: World, args: string[], timeoutMs = 60_000): RunningCli {
  return startFailover(args, { env: world.env, cwd: world.dir, timeoutMs });
}

// ── what the emulators and the remote say ─────────────────────────────────────────────────────

/** The weights the Traffic Flow instance serves now (the applied version). */
export function weights(world: World): { gke: number; aws: number } {
  const split = world.sandbox.route53.model.trafficSplit(
    world.sandbox.info.route53.trafficPolicyInstanceIds[0]!,
  );
  if (!split) throw new Error('the traffic policy instance serves no weighted split');
  const of = (target: string) => split.find((s) => s.target === target)?.weight ?? Number.NaN;
  return { gke: of('gke'), aws: of('aws') };
}

export function awsWorkloads(world: World): WorkloadSummary[] {
  return world.sandbox.argocd.model.workloads('admin-aws');
}

export async function remoteFile(world: World, path: string, ref = 'main'): Promise<string> {
  return (await git(['--git-dir', world.sandbox.info.git.remote, 'show', `${ref}:${path}`])).stdout;
}

export async function remoteHead(world: World): Promise<string> {
  return (await git(['--git-dir', world.sandbox.info.git.remote, 'rev-parse', 'main'])).stdout.trim();
}

/** Subjects of the commits on main after the seed, oldest first. */
export async function commitsSinceSeed(world: World): Promise<string[]> {
  const range = `${world.seed.head}..main`;
  const out = (
    await git(['--git-dir', world.sandbox.info.git.remote, 'log', '--reverse', '--format=%s', range])
  ).stdout;
  return out.split('\n').filter(Boolean);
}

/** Every ref the remote advertises (git ls-remote), name → sha. */
export async function remoteRefs(world: World): Promise<Record<string, string>> {
  const out = (await git(['ls-remote', world.sandbox.info.git.remote])).stdout;
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [sha, ref] = line.split('\t');
        return [ref!, sha!];
      }),
  );
}

export async function lockHeld(world: World): Promise<boolean> {
  return LOCK_REF in (await remoteRefs(world));
}

/** Standby entries still listed in an overlay text. */
export function standbyEntriesIn(overlay: string): string[] {
  return STANDBY_ENTRIES.filter((entry) => overlay.includes(`path: ${entry}`));
}

export function mutatingRequests(world: World): RequestLogEntry[] {
  return world.sandbox.requests().filter((r) => r.mutating);
}

// ── journal and runs ──────────────────────────────────────────────────────────────────────────

export function runsDir(world: World): string {
  return join(world.dir, 'state', 'runs');
}

export function journal(world: World, runId: string): EngineEvent[] {
  return parseEvents(readFileSync(join(runsDir(world), `${runId}.ndjson`), 'utf8'));
}

function parseEvents(text: string): EngineEvent[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as EngineEvent];
      } catch {
        return []; // the torn last line of a killed run
      }
    });
}

/** The run as `failover runs` summarises it, read in-process (no CLI start). */
export function summaryOf(world: World, runId: string): RunSummary | undefined {
  const file = join(runsDir(world), `${runId}.ndjson`);
  return summarize(file, readJournal(file));
}

/** `failover --output json runs`: what an operator sees afterwards. */
export async function listedRuns(world: World): Promise<RunSummary[]> {
  const r = await cli(world, ['--output', 'json', 'runs']);
  if (r.code !== 0) throw new Error(`failover runs exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as RunSummary[];
}

// ── the state after a failover ────────────────────────────────────────────────────────────────

/** Everything that tells where production stands, read from the emulators and the remote. */
export interface EndState {
  weights: { gke: number; aws: number };
  /** ready/desired of each AWS Deployment. */
  awsDeployments: Record<string, string>;
  /** suspend of each AWS CronJob. */
  awsCronJobsSuspended: Record<string, boolean>;
  awsOverlay: string;
  gcpOverlay: string;
  commitsSinceSeed: string[];
  instanceState: string;
  lockHeld: boolean;
}

export async function endState(world: World): Promise<EndState> {
  const workloads = awsWorkloads(world);
  const instanceId = world.sandbox.info.route53.trafficPolicyInstanceIds[0]!;
  return {
    weights: weights(world),
    awsDeployments: Object.fromEntries(
      workloads
        .filter((w) => w.kind === 'Deployment')
        .map((w) => [w.name, `${w.readyReplicas}/${w.replicas}`]),
    ),
    awsCronJobsSuspended: Object.fromEntries(
      workloads.filter((w) => w.kind === 'CronJob').map((w) => [w.name, w.suspend === true]),
    ),
    awsOverlay: await remoteFile(world, AWS_OVERLAY),
    gcpOverlay: await remoteFile(world, GCP_OVERLAY),
    commitsSinceSeed: await commitsSinceSeed(world),
    instanceState: world.sandbox.route53.model.getTrafficPolicyInstance(instanceId).State,
    lockHeld: await lockHeld(world),
  };
}

/** The gcp overlay with GKE's CronJobs fenced: the commented-out toggle entry listed. */
export function fencedGcpOverlay(world: World): string {
  const fenced = world.seed.gcpOverlay.replace(
    '  # - path: cronjob-suspend.yml\n  #   target:\n  #     kind: CronJob',
    '  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob',
  );
  if (fenced === world.seed.gcpOverlay) throw new Error('the seed gcp overlay has no fencing toggle');
  return fenced;
}

/**
 * Where an uninterrupted `to-aws` leaves the world (`incident`: the one its commits name): every
 * AWS workload up, all traffic on AWS, the aws overlay without its standby entries, GKE's CronJobs
 * fenced in git (even with GKE down: the fence is a commit), two commits, no lock.
 */
export function failedOverState(world: World, incident?: string): EndState {
  const suffix = incident ? ` (${incident})` : '';
  return {
    weights: { gke: 0, aws: 255 },
    awsDeployments: { 'admin-api': '2/2', 'admin-web': '3/3', worker: '2/2' },
    awsCronJobsSuspended: { 'nightly-report': false },
    // The tool removes the `patches:` block and nothing else: comments and layout stay.
    awsOverlay: world.seed.awsOverlay.slice(0, world.seed.awsOverlay.indexOf('patches:')),
    gcpOverlay: fencedGcpOverlay(world),
    commitsSinceSeed: [`failover: suspend gcp cronjobs${suffix}`, `failover: activate aws overlay${suffix}`],
    instanceState: 'Applied',
    lockHeld: false,
  };
}

// ── processes and timing ──────────────────────────────────────────────────────────────────────

/**
 * Follows the journal of the one run in the world's state directory and SIGKILLs the CLI as soon
 * as every step in `after` has a step.succeeded event in it. Resolves with the run id and the
 * events that were in the journal when the kill was sent. Rejects if the run ends first.
 */
export function killAfterSucceeded(
  world: World,
  running: RunningCli,
  after: readonly string[],
  timeoutMs = 60_000,
): Promise<{ runId: string; atKill: EngineEvent[] }> {
  const dir = runsDir(world);
  const waitingFor = new Set(after);
  return new Promise((resolvePromise, reject) => {
    let file: string | undefined;
    let fd: number | undefined;
    let offset = 0;
    let pending = '';
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(timer);
      if (fd !== undefined) closeSync(fd);
      if (error) return reject(error);
      const text = readFileSync(file!, 'utf8');
      resolvePromise({ runId: file!.replace(/^.*\/|\.ndjson$/g, ''), atKill: parseEvents(text) });
    };
    // Reads only what was appended since the last look: cheap enough to poll every few ms.
    const look = () => {
      if (settled) return;
      if (!file) {
        const name = existsSync(dir) ? readdirSync(dir).find((n) => n.endsWith('.ndjson')) : undefined;
        if (!name) return;
        file = join(dir, name);
        fd = openSync(file, 'r');
      }
      const size = fstatSync(fd!).size;
      if (size <= offset) return;
      const chunk = Buffer.alloc(size - offset);
      readSync(fd!, chunk, 0, chunk.length, offset);
      offset = size;
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"type":"step.succeeded"')) {
          waitingFor.delete((JSON.parse(line) as { stepId: string }).stepId);
          if (waitingFor.size === 0) {
            running.child.kill('SIGKILL');
            return finish();
          }
        }
        if (line.includes('"type":"run.finished"')) {
          return finish(
            new Error(`the run finished before ${after.join(', ')} succeeded:\n${running.stderr()}`),
          );
        }
      }
    };
    const poll = setInterval(look, 3);
    const timer = setTimeout(
      () =>
        finish(new Error(`${after.join(', ')} did not succeed within ${timeoutMs}ms:\n${running.stderr()}`)),
      timeoutMs,
    );
    void running.exited.then((r) => {
      look();
      finish(
        new Error(
          `the CLI exited (${r.code}) before ${after.join(', ')} succeeded:\n${r.stdout}\n${r.stderr}`,
        ),
      );
    });
  });
}

/** Polls `probe` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** At most `n` of the given tasks at once: the machine is small and each run is a node process. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next in line.
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    else active += 1;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

/** The run id in a CLI's output (`(run 20261126T…-abcd)`). */
export { runIdIn } from './helpers.js';

// ── shared by the failover test files ─────────────────────────────────────────────────────────

/** Each CLI run takes seconds here, several when the machine is busy. */
export const SLOW = { timeout: 90_000 };

export const types = (events: EngineEvent[]) => events.map((e) => e.type);
export const finished = (events: EngineEvent[]) => events.findLast((e) => e.type === 'run.finished');
export const succeededSteps = (events: EngineEvent[]) =>
  events.flatMap((e) => (e.type === 'step.succeeded' ? [e.stepId] : []));

/** The outcome `failover runs` lists for a run. */
export async function listedOutcome(world: World, runId: string): Promise<string | undefined> {
  return (await listedRuns(world)).find((r) => r.runId === runId)?.outcome;
}
