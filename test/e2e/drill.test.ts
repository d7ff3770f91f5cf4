/**
 * `failover drill` and `failover demo` end to end: the nightly rehearsal (read-only; exit 1 and a
 * named failing check for each kind of drift that would break a failover today), the game day (a
 * real round trip with per-phase timings) and the demo. The sandbox runs in this process; the
 * reports are parsed, not grepped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushChange } from '../../src/sandbox/gitops-demo/index.js';
import type { TrafficPolicyDocument } from '../../src/sandbox/route53/document.js';
import {
  AWS_OVERLAY,
  cli,
  commitsSinceSeed,
  endState,
  holdLockAsOtherOperator,
  limiter,
  lockHeld,
  mutatingRequests,
  pushWorkerOnGkeNodePool,
  startCli,
  stopWorlds,
  type World,
  weights,
  withWorld,
  worldPool,
} from './failover-helpers.js';
import { assertBuilt, cliEnv, failover, removeTempDirs, tempDir } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

// Every test here is a sandbox and one or two CLI processes: a few at a time on a small machine.
const slot = limiter(2);
/**
 * The rehearsals only read, after a drift the reset undoes (branch, lock, traffic policy version,
 * node group scaling, .env): two sandboxes serve them all, each reset before a case. The game day
 * and the demo keep worlds of their own (the game day counts Datadog downtimes from zero).
 */
const rehearsals = worldPool(2);
/** Waiting for a slot counts against a test's time. */
const TIMEOUT = 240_000;

interface JunitCase {
  '@_name': string;
  failure?: { '@_message': string; '#text'?: string };
  skipped?: unknown;
}
interface JunitSuite {
  '@_name': string;
  '@_failures': string;
  testcase: JunitCase[];
}
interface Junit {
  testsuites: { '@_failures': string; '@_tests': string; testsuite: JunitSuite[] };
}

function parseJunit(file: string): Junit {
  const xml = readFileSync(file, 'utf8');
  expect(XMLValidator.validate(xml)).toBe(true);
  return new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  }).parse(xml) as Junit;
}

/** `suite → [failing testcase names]`, and checks that every failures count adds up. */
function failingCases(junit: Junit): Record<string, string[]> {
  const bySuite: Record<string, string[]> = {};
  let total = 0;
  for (const suite of junit.testsuites.testsuite) {
    const failing = suite.testcase.filter((c) => c.failure).map((c) => c['@_name']);
    expect(Number(suite['@_failures']), suite['@_name']).toBe(failing.length);
    bySuite[suite['@_name']] = failing;
    total += failing.length;
  }
  expect(Number(junit.testsuites['@_failures'])).toBe(total);
  return bySuite;
}

async function rehearse(world: World, env?: NodeJS.ProcessEnv) {
  // A directory of its own per rehearsal: a report the run failed to write is never an earlier one.
  const out = tempDir('failover-drill-reports-');
  const reports = {
    junit: join(out, 'drill.xml'),
    md: join(out, 'drill.md'),
    json: join(out, 'drill.json'),
  };
  world.sandbox.clearRequests();
  const r = await cli(
    world,
    [
      'drill',
      '--mode',
      'rehearsal',
      '--report',
      `junit:${reports.junit}`,
      '--report',
      `md:${reports.md}`,
      '--report',
      `json:${reports.json}`,
    ],
    // Three plans in one process: on a busy machine that is more than the default minute.
    { timeoutMs: 120_000, ...(env ? { env } : {}) },
  );
  // A rehearsal only reads, whatever it finds.
  expect(mutatingRequests(world)).toEqual([]);
  return { ...r, reports, junit: parseJunit(reports.junit), md: readFileSync(reports.md, 'utf8') };
}

const REHEARSAL = 'drill-rehearsal (rehearsal)';

describe.concurrent('drill --mode rehearsal', { timeout: TIMEOUT }, () => {
  // An idle sandbox still reconciles: the rehearsals' worlds stop before the game day starts.
  afterAll(() => rehearsals.close(), 60_000);

  /** One drift per case: how to cause it, and the rehearsal check that must name it. */
  const drifts: {
    name: string;
    check: string;
    detail: RegExp;
    drift: (world: World) => Promise<NodeJS.ProcessEnv | undefined>;
  }[] = [
    {
      name: 'the aws overlay half-toggled (replicas-zero removed, cronjob-suspend kept)',
      check: 'aws-overlay-standby',
      detail: /drifted: only cronjob-suspend\.yml of the standby entries are present/,
      drift: async (world) => {
        await pushChange({
          remote: world.sandbox.info.git.remote,
          message: 'someone scales AWS up by hand',
          change: (dir) => {
            const file = join(dir, AWS_OVERLAY);
            const text = readFileSync(file, 'utf8');
            const entry = '  - path: replicas-zero.yml\n    target:\n      kind: Deployment\n';
            expect(text).toContain(entry);
            writeFileSync(file, text.replace(entry, ''));
          },
        });
        return undefined;
      },
    },
    {
      name: 'the EKS node group scaled to 0',
      check: 'aws-cluster',
      detail: /node group general has no capacity \(desiredSize 0\)/,
      drift: async (world) => {
        const cluster = world.sandbox.info.eks.cluster;
        for (const nodegroup of world.sandbox.eks.model.nodegroupNames(cluster))
          world.sandbox.eks.model.setNodegroupScaling(cluster, nodegroup, { minSize: 0, desiredSize: 0 });
        return undefined;
      },
    },
    {
      name: 'the traffic policy no longer matches the config (endpoint aws renamed)',
      check: 'route53',
      detail: /role aws is endpoint "aws", but no item of weighted rule split refers to it/,
      drift: async (world) => {
        const model = world.sandbox.route53.model;
        const instanceId = world.sandbox.info.route53.trafficPolicyInstanceIds[0]!;
        const instance = model.getTrafficPolicyInstance(instanceId);
        const current = model.getTrafficPolicy(instance.TrafficPolicyId, instance.TrafficPolicyVersion);
        const doc = JSON.parse(current.Document) as TrafficPolicyDocument;
        doc.Endpoints = Object.fromEntries(
          Object.entries(doc.Endpoints ?? {}).map(([id, endpoint]) => [
            id === 'aws' ? 'aws-alb' : id,
            endpoint,
          ]),
        );
        for (const rule of Object.values(doc.Rules ?? {}))
          for (const item of 'Items' in rule ? (rule.Items ?? []) : [])
            if ('EndpointReference' in item && item.EndpointReference === 'aws')
              item.EndpointReference = 'aws-alb';
        const version = model.createTrafficPolicyVersion(instance.TrafficPolicyId, {
          Document: JSON.stringify(doc),
          Comment: 'someone renamed the ALB endpoint',
        });
        model.updateTrafficPolicyInstance(instanceId, {
          TTL: instance.TTL,
          TrafficPolicyId: version.Id,
          TrafficPolicyVersion: version.Version,
        });
        model.completePropagation();
        return undefined;
      },
    },
    {
      name: 'a GKE node pool selector in the base the AWS overlay takes',
      check: 'aws-overlay-portable',
      detail: /Deployment admin\/worker servable on AWS.*cloud\.google\.com\/gke-nodepool/,
      drift: async (world) => {
        await pushWorkerOnGkeNodePool(world);
        return undefined;
      },
    },
    {
      name: 'a standby CronJob patch narrowed to one name (the other CronJobs would run on both clouds)',
      check: 'aws-standby-dormant',
      detail:
        /CronJob admin\/nightly-report dormant in standby.*not suspended in standby: it would run on both clouds/,
      drift: async (world) => {
        await pushChange({
          remote: world.sandbox.info.git.remote,
          message: 'aws: suspend only the legacy export in standby',
          change: (dir) => {
            const file = join(dir, 'overlays', 'aws', 'kustomization.yaml');
            const text = readFileSync(file, 'utf8');
            const edited = text.replace(
              '      kind: CronJob\n',
              '      kind: CronJob\n      name: legacy-export\n',
            );
            if (edited === text)
              throw new Error('overlays/aws/kustomization.yaml changed: cannot narrow the patch');
            writeFileSync(file, edited);
          },
        });
        return undefined;
      },
    },
    {
      name: 'the Argo CD token missing',
      check: 'aws-apps-dormant',
      detail: /the Argo CD token is missing: environment variable FAILOVER_SANDBOX_ARGOCD_TOKEN is not set/,
      drift: async (world) => {
        // Gone from the environment and from the .env file beside the config.
        const dotEnv = join(world.dir, '.env');
        writeFileSync(
          dotEnv,
          readFileSync(dotEnv, 'utf8')
            .split('\n')
            .filter((line) => !line.startsWith('FAILOVER_SANDBOX_ARGOCD_TOKEN='))
            .join('\n'),
        );
        const env = { ...world.env };
        delete env.FAILOVER_SANDBOX_ARGOCD_TOKEN;
        return env;
      },
    },
    {
      name: 'the failover lock held by a run that died',
      check: 'lock-free',
      detail: /held by someone-else \(run 20260101T000000Z-dead, to-aws\) on a-laptop since /,
      drift: async (world) => {
        await holdLockAsOtherOperator(world, {
          runId: '20260101T000000Z-dead',
          operator: 'someone-else',
          host: 'a-laptop',
          purpose: 'to-aws',
        });
        return undefined;
      },
    },
  ];

  it.each(drifts)(
    '$name: exit 1, $check named in the output and the JUnit file',
    ({ check, detail, drift }) =>
      rehearsals.use(async (world) => {
        const env = await drift(world);
        const r = await rehearse(world, env);
        expect(r.code, r.stdout).toBe(1);
        expect(r.stdout).toMatch(/✗ a failover would fail today/);
        const named = r.stdout.split('\n').filter((line) => line.startsWith(`    ✗ ${check}: `));
        expect(named.length, r.stdout).toBeGreaterThan(0);
        expect(named.join('\n')).toMatch(detail);

        const failing = failingCases(r.junit);
        expect(failing[REHEARSAL], JSON.stringify(failing)).toContain(check);
        const testcase = r.junit.testsuites.testsuite
          .find((s) => s['@_name'] === REHEARSAL)!
          .testcase.find((c) => c['@_name'] === check)!;
        expect(testcase.failure!['@_message']).toMatch(detail);
        expect(r.md).toContain('- A failover would NOT work today: see the failed checks.');
        expect(r.md).toContain('| phase | time |');
      }),
  );

  // Declared last, it is served a world that a drift case used and the reset put back: the clean
  // verdict covers the reset too.
  it('a clean sandbox: exit 0, every report says a failover would work', () =>
    rehearsals.use(async (world) => {
      const r = await rehearse(world);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(/✓ drill-rehearsal: 13\/13 checks pass, 0 problem\(s\)/);
      expect(r.stdout).toMatch(/✓ a failover would work today/);
      expect(failingCases(r.junit)).toEqual({
        [REHEARSAL]: [],
        'to-aws (rehearsal)': [],
        'to-gcp (rehearsal)': [],
      });
      expect(r.md).toContain('- A failover would work today.');
      expect(r.md).toMatch(/\| phase \| time \|\n\|---\|---:\|\n\| total \([^)]+\) \| \S+ \|/);
      const json = readFileSync(r.reports.json, 'utf8');
      expect((JSON.parse(json) as { runs: { runbook: string }[] }).runs.map((run) => run.runbook)).toEqual([
        'drill-rehearsal',
        'to-aws',
        'to-gcp',
      ]);
      // The Argo CD token the checks used never reaches the output or a report.
      for (const text of [r.stdout, r.stderr, r.md, json, readFileSync(r.reports.junit, 'utf8')])
        expect(text).not.toContain(world.sandbox.argocdToken);
    }));
});

describe.concurrent('drill --mode game-day and the demo', { timeout: TIMEOUT }, () => {
  it('game day: to-aws, hold, to-gcp; exit 0; the report has both runs with per-phase timings', () =>
    slot(() =>
      withWorld(async (world) => {
        const report = join(world.dir, 'game-day.md');
        const r = await cli(
          world,
          ['drill', '--mode', 'game-day', '--hold', '1s', '--yes', '--report', `md:${report}`],
          { timeoutMs: 180_000 },
        );
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/✓ to-aws: succeeded/);
        expect(r.stdout).toMatch(/✓ to-gcp: succeeded/);

        const md = readFileSync(report, 'utf8');
        expect(md).toMatch(/^# failover drill: game day$/m);
        expect(md).toContain('- hold on AWS: 1s');
        const sections = md.split(/^## /m).slice(1);
        expect(sections.map((s) => s.split('\n')[0])).toEqual(['to-aws: succeeded', 'to-gcp: succeeded']);
        for (const section of sections) {
          const phases = [...section.matchAll(/^\| ([^|]+?) \| (\d+(?:\.\d+)?(?:ms|s|m\d*s?)) \|$/gm)].map(
            (m) => m[1],
          );
          expect(phases).toEqual([
            'checks',
            'git push',
            'Argo CD synced',
            'workloads ready',
            'DNS applied',
            'verification',
            'total (RTO)',
          ]);
        }
        // A real round trip, and back where it started (GKE was up: its CronJobs were fenced and
        // resumed, so its overlay went through two commits too).
        const state = await endState(world);
        expect(state).toMatchObject({
          weights: { gke: 255, aws: 0 },
          awsDeployments: { 'admin-api': '0/0', 'admin-web': '0/0', worker: '0/0' },
          awsCronJobsSuspended: { 'nightly-report': true },
          awsOverlay: world.seed.awsOverlay,
          gcpOverlay: world.seed.gcpOverlay,
          lockHeld: false,
        });
        const incident = /- incident (GAMEDAY-\S+)/.exec(md)?.[1];
        for (const section of sections)
          expect(section).toMatch(new RegExp(`^- incident: ${incident}, reason: `, 'm'));
        expect(state.commitsSinceSeed).toEqual([
          `failover: suspend gcp cronjobs (${incident})`,
          `failover: activate aws overlay (${incident})`,
          // AWS back in standby (and seen so) before GKE's CronJobs run again.
          `failover: put aws overlay in standby (${incident})`,
          `failover: resume gcp cronjobs (${incident})`,
        ]);
        // GKE's monitors were muted for the drill (the sandbox config scopes it) and unmuted at its end.
        expect(
          world.sandbox.datadog.model.downtimes.map((d) => ({
            scope: d.scope,
            cancelled: d.canceled !== null,
          })),
        ).toEqual([{ scope: ['cloud:gcp'], cancelled: true }]);
        expect(md).toMatch(
          /^- Datadog downtime \d+ \(scope cloud:gcp; monitors service:admin\): cancelled$/m,
        );
      }),
    ));

  // The signal goes as soon as to-aws prints its result: while to-aws still winds down (its own
  // handler is attached), in the instant between its end and the hold, or during the hold. Each
  // must skip to the failback; none may kill the process and leave production on AWS.
  it('SIGTERM from the end of to-aws on skips to the failback: the game day never leaves production on AWS', () =>
    slot(() =>
      withWorld(async (world) => {
        const report = join(world.dir, 'held.md');
        const running = startCli(
          world,
          ['drill', '--mode', 'game-day', '--hold', '10m', '--yes', '--report', `md:${report}`],
          180_000,
        );
        await running.waitForStdout(/^[✓⚠] to-aws: succeeded/m, 120_000);
        expect(weights(world)).toEqual({ gke: 0, aws: 255 });
        running.child.kill('SIGTERM');
        const r = await running.exited;
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/✓ to-gcp: succeeded/);
        expect(weights(world)).toEqual({ gke: 255, aws: 0 });
        expect(await lockHeld(world)).toBe(false);
        expect(readFileSync(report, 'utf8')).toMatch(/^- hold cut short \(SIGTERM\): failing back now$/m);
      }),
    ));

  it('while production is failed over: a game day is refused before anything changes (exit 1); the rehearsal rehearses the failback only', () =>
    slot(() =>
      withWorld(async (world) => {
        const there = await cli(world, ['to-aws', '--yes', '--incident', 'INC-REAL'], { timeoutMs: 120_000 });
        expect(there.code, there.stderr).toBe(0);
        const commits = await commitsSinceSeed(world);
        const r = await cli(world, ['drill', '--mode', 'game-day', '--hold', '1s', '--yes'], {
          timeoutMs: 120_000,
        });
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/game day refused: the system is not on GCP now \(verdict: on AWS/);
        expect(r.stderr).toMatch(/finish the failover that is under way first/);
        // The real incident's failover stands: traffic on AWS, no new commit, no downtime, lock free.
        expect(weights(world)).toEqual({ gke: 0, aws: 255 });
        expect(await commitsSinceSeed(world)).toEqual(commits);
        expect(world.sandbox.datadog.model.downtimes).toEqual([]);
        expect(await lockHeld(world)).toBe(false);

        // Readiness to fail over is moot on AWS: no checks of normal operation (all would fail,
        // with advice to mark every workload always-on), only the failback's plan.
        const rehearsal = await cli(world, ['drill'], { timeoutMs: 120_000 });
        expect(rehearsal.code, `${rehearsal.stdout}\n${rehearsal.stderr}`).toBe(0);
        expect(rehearsal.stdout).toMatch(/^✓ to-gcp: \d+\/\d+ checks pass, 0 problem\(s\)$/m);
        expect(rehearsal.stdout).not.toMatch(/drill-rehearsal:|to-aws:|always-on/);
        expect(rehearsal.stdout).toMatch(
          /\n✓ on AWS now \(failed over\): only the failback was rehearsed, and it would work today\n?$/,
        );
        expect(await commitsSinceSeed(world)).toEqual(commits);
      }),
    ));

  it('failover demo exits 0 and prints where its report is', () =>
    slot(async () => {
      const dir = tempDir('failover-e2e-demo-');
      const r = await failover(['demo', '--dir', dir], {
        env: { ...cliEnv(dir), NO_COLOR: '1' },
        timeoutMs: 180_000,
      });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/✓ demo finished in \S+: \d+ mutating requests reached the emulators/);
      const report = /report: +(\S+)/.exec(r.stdout)?.[1];
      expect(report).toBe(join(dir, 'report.md'));
      expect(existsSync(report!)).toBe(true);
      const md = readFileSync(report!, 'utf8');
      // The demo's GKE is down: its CronJobs are fenced in git only, which the run says first.
      expect(md).toMatch(/^## to-aws: succeeded with warnings$/m);
      expect(md).toMatch(/^> ⚠️ \*\*GKE is unreachable: its CronJobs are suspended in git/m);
      expect(md).toMatch(/^## to-gcp: succeeded$/m);
    }));
});
