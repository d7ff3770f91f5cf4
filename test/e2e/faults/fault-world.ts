/**
 * The fault-injection suite's judge: one sandbox per file, reset between scenarios, and the end
 * state read from OUTSIDE the tool: the weights through the AWS SDK, the overlays through a clone
 * of the remote and `kubectl kustomize`, the lock through `git ls-remote`, the apps through the
 * Argo CD REST API. Every scenario must end fully on GCP as before, fully on AWS, or in a half
 * state that the exit code and the last lines state truthfully and that ONE `resume` converges.
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  GetTrafficPolicyCommand,
  GetTrafficPolicyInstanceCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { git } from '../../../src/sandbox/gitops-demo/index.js';
import {
  cli,
  LOCK_REF,
  resetWorld,
  startWorld,
  stopWorlds,
  type World,
  waitUntil,
} from '../failover-helpers.js';
import { assertBuilt, type CliResult, removeTempDirs, tempDir } from '../helpers.js';

/** Shorter than FAST_TIMINGS: the suite runs dozens of failovers; waits still really wait. */
export const FAULT_TIMINGS = {
  propagationMs: 200,
  rolloutMs: 400,
  syncMs: 150,
  // The tool asks Argo CD to refresh; a slow background loop spares the machine's CPU.
  reconcileMs: 1000,
  latencyMs: 0,
  // Twice a rollout: only a rollout that cannot finish passes it (Degraded).
  progressDeadlineMs: 800,
};

/**
 * How long a scenario lets the Argo CD wait run when it must time out whatever happens (an outage,
 * pods that never get ready): past the progress deadline, so Argo CD calls crash-looping pods
 * Degraded before the wait ends.
 */
export const SHORT_WAIT = ['--timeout', '1500ms'];

export type Where = 'gcp' | 'aws' | 'half';

/** What the outside world says, each fact from its own system. */
export interface Observed {
  /** Route 53 through the SDK: the weights of the version the instance is on, and its state. */
  route53: { state: string; gke: number; aws: number; version: number };
  /** The aws overlay rendered at the branch head: standby (0 replicas, CronJobs suspended) or active. */
  awsOverlay: 'standby' | 'active' | 'mixed';
  /** The gke overlay rendered at the branch head: its CronJobs. */
  gkeCronJobs: 'active' | 'suspended' | 'mixed';
  head: string;
  /** `git ls-remote` shows the lock ref. */
  lockHeld: boolean;
  /** The aws Argo CD app, through its REST API. */
  argoAws: { revision: string; sync: string; health: string };
}

export function classify(o: Observed): Where {
  const free = !o.lockHeld && o.route53.state === 'Applied';
  if (
    free &&
    o.route53.gke > 0 &&
    o.route53.aws === 0 &&
    o.awsOverlay === 'standby' &&
    o.gkeCronJobs === 'active'
  )
    return 'gcp';
  if (
    free &&
    o.route53.aws > 0 &&
    o.route53.gke === 0 &&
    o.awsOverlay === 'active' &&
    o.gkeCronJobs === 'suspended'
  )
    return 'aws';
  return 'half';
}

const clients = new Map<World, Route53Client>();

async function route53Of(world: World): Promise<Observed['route53']> {
  let sdk = clients.get(world);
  if (!sdk) {
    sdk = new Route53Client({
      region: 'us-east-1',
      endpoint: world.sandbox.info.route53.endpoint,
      credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    });
    clients.set(world, sdk);
  }
  const id = world.sandbox.info.route53.trafficPolicyInstanceIds[0]!;
  const { TrafficPolicyInstance: instance } = await sdk.send(new GetTrafficPolicyInstanceCommand({ Id: id }));
  const { TrafficPolicy: policy } = await sdk.send(
    new GetTrafficPolicyCommand({ Id: instance!.TrafficPolicyId!, Version: instance!.TrafficPolicyVersion! }),
  );
  const doc = JSON.parse(policy!.Document!) as {
    StartRule: string;
    Rules: Record<string, { Items?: { EndpointReference?: string; Weight?: string }[] }>;
  };
  const items = doc.Rules[doc.StartRule]?.Items ?? [];
  const weight = (ref: string) =>
    Number(items.find((i) => i.EndpointReference === ref)?.Weight ?? Number.NaN);
  return {
    state: instance!.State!,
    gke: weight('gke'),
    aws: weight('aws'),
    version: instance!.TrafficPolicyVersion!,
  };
}

function exec(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

interface Manifest {
  kind?: string;
  spec?: { replicas?: number; suspend?: boolean };
}

/**
 * The judge's clone of the remote, one per world, and what each commit's overlays render to: a
 * commit never changes, so `kubectl kustomize` runs once per head the suite sees.
 */
interface Judge {
  clone?: Promise<string>;
  renders: Map<string, Promise<{ awsOverlay: Observed['awsOverlay']; gkeCronJobs: Observed['gkeCronJobs'] }>>;
}

const judges = new Map<World, Judge>();

/** The branch head and the lock as `git ls-remote` shows them, in one call. */
async function refsOf(world: World): Promise<{ head: string; lockHeld: boolean }> {
  const { remote, branch } = world.sandbox.info.git;
  const out = (await git(['ls-remote', remote, `refs/heads/${branch}`, LOCK_REF])).stdout;
  const refs = new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t').reverse() as [string, string]),
  );
  const head = refs.get(`refs/heads/${branch}`);
  if (!head) throw new Error(`the remote has no branch ${branch}`);
  return { head, lockHeld: refs.has(LOCK_REF) };
}

/** `kubectl kustomize` of both overlays in the judge's clone, checked out at `head`. */
function overlaysAt(world: World, head: string): Promise<Pick<Observed, 'awsOverlay' | 'gkeCronJobs'>> {
  const judge: Judge = judges.get(world) ?? { renders: new Map() };
  judges.set(world, judge);
  const known = judge.renders.get(head);
  if (known) return known;
  const { remote, branch, awsOverlay, gcpOverlay } = world.sandbox.info.git;
  judge.clone ??= (async () => {
    const dir = join(tempDir('fault-judge-'), 'clone');
    await git(['clone', '--quiet', '--no-checkout', remote, dir]);
    return dir;
  })();
  const clone = judge.clone;
  const rendered = (async () => {
    const dir = await clone;
    const checkout = () => git(['-C', dir, 'checkout', '--quiet', '--force', '--detach', head]);
    // A head the clone has not fetched yet: fetch the branch (the head is on it or was on it).
    await checkout().catch(async () => {
      await git([
        '-C',
        dir,
        'fetch',
        '--quiet',
        '--force',
        'origin',
        `+${branch}:refs/remotes/origin/${branch}`,
      ]);
      await checkout();
    });
    const render = async (overlay: string) =>
      parseAllDocuments(await exec('kubectl', ['kustomize', overlay], dir))
        .map((d) => d.toJSON() as Manifest)
        .filter(Boolean);
    const [aws, gke] = await Promise.all([render(awsOverlay), render(gcpOverlay)]);
    return { awsOverlay: awsOverlayState(aws), gkeCronJobs: cronJobsState(gke) };
  })();
  // Renders of different heads share the clone's work tree: the next one starts after this one.
  judge.clone = rendered.then(
    () => clone,
    () => clone,
  );
  rendered.catch(() => judge.renders.delete(head));
  judge.renders.set(head, rendered);
  return rendered;
}

function awsOverlayState(objects: Manifest[]): Observed['awsOverlay'] {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const cronJobs = objects.filter((o) => o.kind === 'CronJob');
  const dormant =
    deployments.every((d) => d.spec?.replicas === 0) && cronJobs.every((c) => c.spec?.suspend === true);
  const running =
    deployments.every((d) => (d.spec?.replicas ?? 1) > 0) && cronJobs.every((c) => c.spec?.suspend !== true);
  return dormant ? 'standby' : running ? 'active' : 'mixed';
}

function cronJobsState(objects: Manifest[]): Observed['gkeCronJobs'] {
  const cronJobs = objects.filter((o) => o.kind === 'CronJob');
  if (cronJobs.every((c) => c.spec?.suspend === true)) return 'suspended';
  if (cronJobs.every((c) => c.spec?.suspend !== true)) return 'active';
  return 'mixed';
}

async function argoApp(world: World, name: string): Promise<Observed['argoAws']> {
  const res = await fetch(`${world.sandbox.info.argocd.endpoint}/api/v1/applications/${name}`, {
    headers: { authorization: `Bearer ${world.sandbox.argocdToken}` },
  });
  if (!res.ok) return { revision: '', sync: `HTTP ${res.status}`, health: 'Unknown' };
  const app = (await res.json()) as {
    status: { sync: { status: string; revision?: string }; health: { status: string } };
  };
  return {
    revision: app.status.sync.revision ?? '',
    sync: app.status.sync.status,
    health: app.status.health.status,
  };
}

export async function observe(world: World): Promise<Observed> {
  const [route53, refs, argoAws] = await Promise.all([
    route53Of(world),
    refsOf(world),
    argoApp(world, 'admin-aws'),
  ]);
  return { route53, ...(await overlaysAt(world, refs.head)), ...refs, argoAws };
}

/** Where the world is, and (for gcp and aws) Argo CD caught up with the head: the workloads follow git. */
export async function settledWhere(world: World): Promise<{ where: Where; observed: Observed }> {
  let observed = await observe(world);
  if (classify(observed) !== 'half') {
    let fresh = true;
    await waitUntil(
      'Argo CD synced at the branch head',
      async () => {
        // The first look is the observation above; later ones read the world again.
        if (!fresh) observed = await observe(world);
        fresh = false;
        return observed.argoAws.revision === observed.head && observed.argoAws.sync === 'Synced';
      },
      15_000,
      100,
    );
  }
  const where = classify(observed);
  if (where === 'aws') awsEnds.set(world, { head: observed.head, version: observed.route53.version });
  return { where, observed };
}

/** Commits since the seed, as `git log` on the remote lists them (oldest first). */
export async function commitSubjects(world: World): Promise<string[]> {
  const out = (
    await git([
      '--git-dir',
      world.sandbox.info.git.remote,
      'log',
      '--reverse',
      '--format=%s',
      `${world.seed.head}..main`,
    ])
  ).stdout;
  return out.split('\n').filter(Boolean);
}

/** No commit subject twice: a resume never repeats a change that is already in the remote. */
export function duplicates(subjects: string[]): string[] {
  return subjects.filter((s, i) => subjects.indexOf(s) !== i);
}

/** The last lines a run printed on stdout (its epilogue). */
export function lastLines(r: CliResult, n = 12): string {
  return r.stdout.trimEnd().split('\n').slice(-n).join('\n');
}

/**
 * The read-back lines say what the outside world says: the traffic split and the overlays as
 * observed, the lock as `git ls-remote` shows it.
 */
export function expectTruthfulEpilogue(r: CliResult, o: Observed): string[] {
  const text = r.stdout;
  const problems: string[] = [];
  if (!/state now \(read back\):/.test(text)) return ['no "state now (read back)" lines'];
  const total = o.route53.gke + o.route53.aws;
  const pct = (w: number) => (total === 0 ? 50 : Math.round((w / total) * 1000) / 10);
  const traffic = `traffic: gcp ${pct(o.route53.gke)}% / aws ${pct(o.route53.aws)}%`;
  if (!text.includes(traffic)) problems.push(`expected "${traffic}"`);
  const aws =
    o.awsOverlay === 'active'
      ? 'aws overlay active'
      : o.awsOverlay === 'standby'
        ? 'aws overlay standby'
        : 'aws overlay partly standby';
  if (!text.includes(aws)) problems.push(`expected "${aws}"`);
  const gke = o.gkeCronJobs === 'active' ? 'GKE CronJobs unsuspended' : 'GKE CronJobs suspended';
  if (!text.includes(gke)) problems.push(`expected "${gke}"`);
  if (!text.includes(`branch head ${o.head.slice(0, 7)}`))
    problems.push(`expected branch head ${o.head.slice(0, 7)}`);
  const lock = o.lockHeld ? 'run lock: held' : 'run lock: free';
  if (!text.includes(lock)) problems.push(`expected "${lock}"`);
  return problems;
}

/** The run id in a CLI's output. */
export function runIdOf(r: CliResult): string {
  const m = /\(run (\d{8}T\d{6}Z-[a-z0-9]{4})\)|run[ "]+(\d{8}T\d{6}Z-[a-z0-9]{4})|"runId":\s*"([^"]+)"/.exec(
    `${r.stdout}\n${r.stderr}`,
  );
  const id = m?.[1] ?? m?.[2] ?? m?.[3];
  if (!id) throw new Error(`no run id in the output:\n${r.stdout}\n${r.stderr}`);
  return id;
}

/** A CLI run with room for a loaded machine (a to-aws takes seconds when idle, a minute under load). */
export function run(world: World, args: string[]): Promise<CliResult> {
  return cli(world, args, { timeoutMs: 480_000 });
}

/** `failover resume RUN` once. */
export function resume(world: World, runId: string, extra: string[] = []): Promise<CliResult> {
  return run(world, ['resume', runId, '--yes', ...extra]);
}

/** Where a full to-aws of this world last ended, as settledWhere saw it. */
const awsEnds = new Map<World, { head: string; version: number }>();

/**
 * Starts a scenario fully on AWS as `failover to-aws` (args `toAws`) leaves it: restores where an
 * earlier to-aws of this file ended with the same commits, as an operator with admin rights
 * would; runs it when there is none (e.g. the scenario runs alone).
 */
export async function startOnAws(world: World, toAws: string[]): Promise<void> {
  const incident = toAws[toAws.indexOf('--incident') + 1];
  const end = awsEnds.get(world);
  if (end) {
    const subjects = (
      await git([
        '--git-dir',
        world.sandbox.info.git.remote,
        'log',
        '--reverse',
        '--format=%s',
        `${world.seed.head}..${end.head}`,
      ])
    ).stdout;
    if (
      subjects ===
      `failover: suspend gcp cronjobs (${incident})\nfailover: activate aws overlay (${incident})\n`
    ) {
      await resetWorld(world, { ...end, side: 'aws' });
      return;
    }
  }
  const r = await run(world, toAws);
  if (r.code !== 0) throw new Error(`to-aws exited ${r.code}:\n${out(r)}`);
}

/** Resolves when the step has started (a step.started event in the run's journal). */
export async function whenStarted(world: World, step: string, timeoutMs = 480_000): Promise<string> {
  return whenJournal(
    world,
    new RegExp(`"type":"step\\.started"[^\\n]*"stepId":"${step}"`),
    `${step} started`,
    timeoutMs,
  );
}

/** Follows the journal of the world's one run until a line matches: reads only what was appended. */
async function whenJournal(world: World, pattern: RegExp, what: string, timeoutMs: number): Promise<string> {
  const dir = join(world.dir, 'state', 'runs');
  let file: string | undefined;
  let fd: number | undefined;
  let offset = 0;
  let pending = '';
  const decoder = new StringDecoder('utf8');
  try {
    await waitUntil(
      what,
      () => {
        if (fd === undefined) {
          const name = existsSync(dir) ? readdirSync(dir).find((n) => n.endsWith('.ndjson')) : undefined;
          if (!name) return false;
          file = join(dir, name);
          fd = openSync(file, 'r');
        }
        const size = fstatSync(fd).size;
        if (size <= offset) return false;
        const chunk = Buffer.alloc(size - offset);
        offset += readSync(fd, chunk, 0, chunk.length, offset);
        const lines = (pending + decoder.write(chunk)).split('\n');
        pending = lines.pop() ?? '';
        return lines.some((line) => pattern.test(line));
      },
      timeoutMs,
      15,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return file!;
}

/** Resolves when every step named has a step.succeeded event in the run's journal. */
export async function whenSucceeded(
  world: World,
  steps: readonly string[],
  timeoutMs = 480_000,
): Promise<string> {
  let file = '';
  for (const step of steps)
    file = await whenJournal(
      world,
      new RegExp(`"type":"step\\.succeeded"[^\\n]*"stepId":"${step}"`),
      `${step} succeeded`,
      timeoutMs,
    );
  return file;
}

/**
 * One sandbox for a whole test file, reset before each scenario: registers the file's hooks and
 * hands the world to `use` once it is up.
 */
export function useFaultWorld(use: (world: World) => void): void {
  let world: World | undefined;
  beforeAll(async () => {
    assertBuilt();
    world = await startWorld(FAULT_TIMINGS);
    use(world);
  }, 240_000);
  afterAll(async () => {
    await stopWorlds();
    removeTempDirs();
  }, 60_000);
  beforeEach(async () => {
    if (world) await resetWorld(world);
  }, 120_000);
}

/** Both streams of a run, for assertion messages. */
export const out = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
