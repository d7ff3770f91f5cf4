/**
 * `failover lint runbook` and `failover lint config`: schema problems with their places, then the
 * semantic rules, table-driven; bad input never stops the other files; the shipped runbooks lint
 * clean.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { main } from '../../src/cli/main.js';
import {
  formatLintReport,
  type LintReport,
  lintConfigText,
  lintExitCode,
  lintRunbookFiles,
  lintRunbookText,
} from '../../src/lint/runbook/index.js';
import { createRegistry } from '../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../src/steps/types.js';
import { shippedRunbook } from '../../src/util/package-root.js';

/** A mutating kind without a rollback, to exercise the rollback rule beyond the shipped kinds. */
const irreversible = defineStep({
  kind: 'test.irreversible',
  description: 'changes something and cannot undo it',
  mutating: true,
  input: z.strictObject({}),
  plan: async () => ({ summary: '', changes: [], converged: false }),
  apply: async () => ({}),
});
const registry = createRegistry([irreversible as StepKind<never>]);

const work = mkdtempSync(join(tmpdir(), 'failover-lint-runbook-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

/** `rule severity line` for each finding, in file order. */
const summary = (report: LintReport) => report.findings.map((f) => `${f.rule} ${f.severity} ${f.line}`);

const WAIT_AWS = `  - id: wait
    uses: argocd.wait
    with: { role: aws, expect: running }
`;
const SHIFT_AWS = `  - id: shift
    uses: route53.set-weights
    with: { to: aws }
`;

interface Case {
  name: string;
  text: string;
  expected: string[];
}

const RUNBOOK_CASES: Case[] = [
  {
    name: 'traffic to AWS after the wait: clean',
    text: `name: ok\nsteps:\n${WAIT_AWS}${SHIFT_AWS}`,
    expected: [],
  },
  {
    name: 'traffic to AWS with no wait at all',
    text: `name: x\nsteps:\n${SHIFT_AWS}`,
    expected: ['shift-before-wait error 4'],
  },
  {
    name: 'traffic to AWS before the wait',
    text: `name: x\nsteps:\n${SHIFT_AWS}${WAIT_AWS}`,
    expected: ['shift-before-wait error 4'],
  },
  {
    name: 'explicit weights that favour AWS count as a shift to AWS',
    text: 'name: x\nsteps:\n  - id: shift\n    uses: route53.set-weights\n    with: { weights: { gcp: 0, aws: 255 } }\n',
    expected: ['shift-before-wait error 4'],
  },
  {
    name: 'a shift whose weights are parameters that default to AWS',
    text: 'name: x\nparams:\n  aws: { type: number, default: 255 }\nsteps:\n  - id: shift\n    uses: route53.set-weights\n    with: { weights: { gcp: 0, aws: "${{ params.aws }}" } }\n',
    expected: ['shift-before-wait error 6'],
  },
  {
    name: 'traffic back to GKE needs no AWS wait',
    text: 'name: x\nsteps:\n  - id: shift\n    uses: route53.set-weights\n    with: { to: gcp }\n',
    expected: [],
  },
  {
    name: 'a wait in the same parallel group does not gate the shift',
    text: `name: x\nsteps:\n  - id: both\n    parallel:\n${WAIT_AWS.replace(/^ {2}/gm, '      ')}${SHIFT_AWS.replace(/^ {2}/gm, '      ')}`,
    expected: ['shift-before-wait error 9'],
  },
  {
    name: 'a conditional wait, or one whose failure is ignored, does not gate for sure',
    text: `name: x\nsteps:\n  - id: wait\n    uses: argocd.wait\n    when: \${{ config.argocd }}\n    with: { role: aws, expect: running }\n  - id: wait2\n    uses: argocd.wait\n    onFailure: continue\n    with: { role: aws, expect: running }\n${SHIFT_AWS}`,
    expected: ['shift-before-wait warning 12'],
  },
  {
    name: 'to-aws requiring the GKE API before the shift',
    text: `name: x\nsteps:\n  - id: gke\n    uses: check.gke-cluster\n${WAIT_AWS}${SHIFT_AWS}`,
    expected: ['gcp-dependency warning 4'],
  },
  {
    name: 'GKE recorded, not required; or its failure ignored; or checked after the shift: clean',
    text: `name: x\nsteps:\n  - id: gke\n    uses: check.gke-cluster\n    with: { required: false }\n  - id: gke2\n    uses: check.gke-cluster\n    onFailure: continue\n${WAIT_AWS}${SHIFT_AWS}  - id: gke3\n    uses: check.gke-cluster\n`,
    expected: [],
  },
  {
    name: 'required through a parameter that defaults to requiring it',
    text: `name: x\nparams:\n  force: { type: boolean, default: false }\nsteps:\n  - id: gke\n    uses: check.gke-cluster\n    with: { required: "\${{ !params.force }}" }\n${WAIT_AWS}${SHIFT_AWS}`,
    expected: ['gcp-dependency warning 6'],
  },
  {
    name: 'waiting for the GKE apps, probing GKE, checking Anthos (a Google API) before the shift to AWS',
    text: `name: x\nsteps:\n  - id: w\n    uses: argocd.wait\n    with: { role: gcp, expect: running }\n  - id: p\n    uses: check.http\n    with: { probes: gcp }\n  - id: a\n    uses: check.anthos-aws-cluster\n${WAIT_AWS}${SHIFT_AWS}`,
    expected: ['gcp-dependency warning 4', 'gcp-dependency warning 7', 'gcp-dependency warning 10'],
  },
  {
    name: 'a failback may depend on GKE',
    text: 'name: x\nsteps:\n  - id: gke\n    uses: check.gke-cluster\n  - id: shift\n    uses: route53.set-weights\n    with: { to: gcp }\n',
    expected: [],
  },
  {
    name: 'an irreversible change before a step that rolls back',
    text: 'name: x\nsteps:\n  - id: change\n    uses: test.irreversible\n  - id: later\n    uses: echo\n    with: { message: hi }\n    onFailure: rollback\n',
    expected: ['rollback-gap warning 4'],
  },
  {
    name: '…also when the rollback comes from an expression or a group',
    text: 'name: x\nparams:\n  rollback: { type: boolean, default: true }\nsteps:\n  - id: change\n    uses: test.irreversible\n  - id: later\n    uses: echo\n    with: { message: "${{ params.rollback }}" }\n    onFailure: "${{ params.rollback && \'rollback\' || \'abort\' }}"\n  - id: group\n    onFailure: rollback\n    parallel:\n      - id: inner\n        uses: echo\n        with: { message: hi }\n',
    expected: ['rollback-gap warning 6'],
  },
  {
    name: 'an irreversible change after the steps that roll back: clean',
    text: 'name: x\nsteps:\n  - id: later\n    uses: echo\n    with: { message: hi }\n    onFailure: rollback\n  - id: change\n    uses: test.irreversible\n',
    expected: [],
  },
  {
    name: 'the lock is released in finally, not rolled back: clean',
    text: 'name: x\nsteps:\n  - id: lock\n    uses: lock.acquire\n    with: { purpose: x }\n  - id: later\n    uses: echo\n    with: { message: hi }\n    onFailure: rollback\nfinally:\n  - id: unlock\n    uses: lock.release\n',
    expected: [],
  },
  {
    name: 'a lock nobody releases',
    text: 'name: x\nsteps:\n  - id: lock\n    uses: lock.acquire\n    with: { purpose: x }\n',
    expected: ['lock-not-released warning 4'],
  },
  {
    name: 'steps that never run',
    text: 'name: x\nparams:\n  mode: { enum: [fast] }\n  fence: { type: boolean, default: false }\nsteps:\n  - id: never\n    uses: echo\n    when: false\n    with: { message: hi }\n  - id: never2\n    uses: echo\n    when: "${{ params.mode == \'slow\' }}"\n    with: { message: hi }\n  - id: maybe\n    uses: echo\n    when: "${{ params.fence }}"\n    with: { message: hi }\n  - id: group\n    when: false\n    parallel:\n      - id: inner\n        uses: echo\n        with: { message: hi }\n',
    expected: ['unreachable warning 8', 'unreachable warning 12', 'unreachable warning 19'],
  },
  {
    name: 'an unused parameter',
    text: 'name: x\nparams:\n  used: { default: a }\n  unused: { default: b }\nsteps:\n  - id: a\n    uses: echo\n    with: { message: "${{ params.used }}" }\n',
    expected: ['unused-param warning 4'],
  },
  {
    name: 'schema problems, each with its place',
    text: 'name: x\nsteps:\n  - id: a\n    uses: echo\n    with: { message: hi }\n  - id: a\n    uses: ecko\n',
    expected: ['schema error 6', 'schema error 7'],
  },
  {
    name: 'an unknown apiVersion',
    text: 'apiVersion: failover/v2\nname: x\nsteps:\n  - id: a\n    uses: echo\n    with: { message: hi }\n',
    expected: ['schema error 1'],
  },
];

describe('runbook rules', () => {
  it.each(RUNBOOK_CASES)('$name', ({ text, expected }) => {
    const report = lintRunbookText(text, 'case.yaml', registry);
    expect(report.problems).toEqual([]);
    expect(summary(report)).toEqual(expected);
    for (const finding of report.findings) {
      expect(finding.file).toBe('case.yaml');
      expect(finding.message.length).toBeGreaterThan(10);
    }
  });

  it('findings carry the field path and a fix', () => {
    const report = lintRunbookText(`name: x\nsteps:\n${SHIFT_AWS}`, 'case.yaml', registry);
    expect(report.findings[0]).toMatchObject({ path: 'steps[0].uses', column: 11 });
    expect(report.findings[0]?.fix).toMatch(/argocd\.wait/);
  });

  it('the shipped runbooks lint clean', async () => {
    const files = ['to-aws', 'to-gcp', 'drill'].map(shippedRunbook);
    const report = await lintRunbookFiles(files, createRegistry());
    expect(report.problems).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.files.map((f) => f.name)).toEqual(['to-aws', 'to-gcp', 'drill-rehearsal']);
    expect(lintExitCode(report)).toBe(0);
  });

  it('the shipped to-aws, edited to shift before the wait, is caught', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(shippedRunbook('to-aws'), 'utf8').replace(
      'role: aws\n      expect: running',
      'role: aws\n      expect: standby',
    );
    const report = lintRunbookText(text, 'to-aws.yaml', createRegistry());
    expect(report.findings.map((f) => f.rule)).toEqual(['shift-before-wait']);
  });
});

describe('bad input', () => {
  it('unparseable YAML is a problem with file and line; the other files are still checked', async () => {
    const broken = file('broken.yaml', 'name: x\nsteps:\n  - id: a\n    uses: [echo\n');
    const good = file(
      'good.yaml',
      'name: good\nsteps:\n  - id: a\n    uses: echo\n    with: { message: hi }\n',
    );
    const missing = join(work, 'missing.yaml');
    const report = await lintRunbookFiles([broken, good, missing], registry);
    expect(report.problems.map((p) => [p.file, p.line !== undefined])).toEqual([
      [broken, true],
      [missing, false],
    ]);
    expect(report.problems[1]?.message).toMatch(/cannot read .*ENOENT/);
    expect(report.files.map((f) => f.checked)).toEqual([false, true, false]);
    expect(lintExitCode(report)).toBe(1);
    expect(formatLintReport(report, { color: false })).toMatch(
      /Could not check:\n {2}.*broken\.yaml:\d+:\d+ {2}YAML syntax/,
    );
  });

  it('exit 2 only when nothing could be checked', async () => {
    const broken = file('broken2.yaml', 'steps: [\n');
    expect(lintExitCode(await lintRunbookFiles([broken], registry))).toBe(2);
    expect(lintExitCode(await lintRunbookFiles([join(work, 'nope.yaml')], registry))).toBe(2);
  });

  it('schema errors make a checked file with errors: exit 1', async () => {
    const bad = file('bad.yaml', 'name: x\nsteps: []\n');
    const report = await lintRunbookFiles([bad], registry);
    expect(report.files[0]?.checked).toBe(true);
    expect(summary(report)).toEqual(['schema error 2']);
    expect(lintExitCode(report)).toBe(1);
  });
});

const CONFIG_BASE = `route53:
  trafficFlow:
    instances: [inst-1]
    roles: { gcp: gke, aws: aws }
  healthChecks: { gcp: hc-1, aws: hc-2 }
eks: { cluster: standby }
gke: { project: p, location: l, cluster: c }
gitops: { repo: "https://git.example.com/gitops.git" }
argocd:
  server: https://argocd.example.com
  awsApps: [admin-aws]
probes:
  aws: [{ url: "https://10.0.0.1/healthz", host: admin.example.com }]
  gcp: [{ url: "https://10.0.0.2/healthz", host: admin.example.com }]
  public: [{ url: "https://admin.example.com/healthz" }]
`;
const ENV = { ARGOCD_AUTH_TOKEN: 'token' };

const CONFIG_CASES: (Case & { env?: NodeJS.ProcessEnv })[] = [
  { name: 'a complete config: clean', text: CONFIG_BASE, expected: [] },
  {
    name: 'traffic-flow mode without trafficFlow',
    text: CONFIG_BASE.replace(/ {2}trafficFlow:\n.*\n.*\n/, '  mode: traffic-flow\n'),
    expected: ['route53-mode-section error 2'],
  },
  {
    name: 'record-sets mode without recordSets',
    text: CONFIG_BASE.replace('route53:\n', 'route53:\n  mode: record-sets\n'),
    expected: ['route53-mode-section error 2'],
  },
  {
    name: 'both mode sections: one is ignored',
    text: CONFIG_BASE.replace(
      'route53:\n',
      'route53:\n  recordSets: { hostedZoneId: Z1, name: a.example.com, setIdentifiers: { gcp: g, aws: a } }\n',
    ),
    expected: ['route53-mode-section warning 2'],
  },
  {
    name: 'both roles on one target',
    text: CONFIG_BASE.replace('roles: { gcp: gke, aws: aws }', 'roles: { gcp: gke, aws: gke }'),
    expected: ['route53-roles error 4'],
  },
  {
    name: 'a health check keyed by something other than a side',
    text: CONFIG_BASE.replace(
      'healthChecks: { gcp: hc-1, aws: hc-2 }',
      'healthChecks: { gcp: hc-1, primary: hc-2 }',
    ),
    expected: ['health-check-role warning 5'],
  },
  {
    name: 'probes missing for a side',
    text: CONFIG_BASE.replace(/ {2}gcp: \[\{ url: "https:\/\/10\.0\.0\.2.*\n/, ''),
    expected: ['probes-empty warning 13'],
  },
  {
    name: 'the Argo CD token variable is not set',
    text: CONFIG_BASE,
    env: {},
    expected: ['env-unset warning 10'],
  },
  {
    name: 'the Datadog keys of the metric gates are not set',
    text: `${CONFIG_BASE}metrics:
  datadog: { apiKeyEnv: DD_PROD_API_KEY, appKeyEnv: DD_PROD_APP_KEY }
  aws: { monitors: { tags: ["service:admin"] } }
`,
    expected: ['env-unset warning 17', 'env-unset warning 17'],
  },
  {
    name: 'Prometheus gates: its token variable unset; the Datadog keys are not needed',
    text: `${CONFIG_BASE}metrics:
  provider: prometheus
  prometheus: { endpoint: "https://prometheus.example.com", bearerTokenEnv: PROM_READ_TOKEN }
  aws: { errorRate: { query: "sum(rate(http_errors[5m]))" } }
`,
    expected: ['env-unset warning 18'],
  },
  {
    name: 'a game-day downtime needs the Datadog keys, whatever the gates read',
    text: `${CONFIG_BASE}metrics:
  provider: prometheus
  prometheus: { endpoint: "https://prometheus.example.com" }
  gcp: { downtime: { scope: ["cloud:gcp"] } }
`,
    env: { ...ENV, DD_APP_KEY: 'app' },
    // The default variable names: at the metrics section, where datadog would be written.
    expected: ['env-unset warning 17'],
  },
  {
    name: 'Anthos on AWS instead of EKS: checked through a Google API',
    text: CONFIG_BASE.replace(
      'eks: { cluster: standby }',
      'anthosAws: { project: p, location: us-east4, cluster: a }',
    ),
    expected: ['anthos-gcp-dependency warning 6'],
  },
  {
    name: 'both overlays on one path',
    text: CONFIG_BASE.replace(
      'gitops: { repo: "https://git.example.com/gitops.git" }',
      'gitops: { repo: "https://git.example.com/g.git", awsOverlay: o, gcpOverlay: o }',
    ),
    expected: ['overlays error 8'],
  },
  {
    name: 'sections missing',
    text: 'route53:\n  trafficFlow:\n    instances: [i]\n    roles: { gcp: a, aws: b }\nprobes:\n  aws: [{ url: "https://a/" }]\n  gcp: [{ url: "https://b/" }]\n  public: [{ url: "https://c/" }]\n',
    expected: [
      'section-missing warning undefined',
      'section-missing warning undefined',
      'section-missing warning undefined',
      'section-missing warning undefined',
    ],
  },
  {
    name: 'schema problems with their places',
    text: `${CONFIG_BASE}extra: 1\n`,
    expected: ['schema error 16'],
  },
];

describe('config rules', () => {
  it.each(CONFIG_CASES)('$name', ({ text, expected, env }) => {
    const report = lintConfigText(text, 'failover.config.yaml', env ?? ENV);
    expect(report.problems).toEqual([]);
    expect(summary(report)).toEqual(expected);
  });

  it('unparseable config: a problem with its line, exit 2', () => {
    const report = lintConfigText('route53: [\n', 'failover.config.yaml', ENV);
    expect(report.problems[0]).toMatchObject({ file: 'failover.config.yaml', line: 2 });
    expect(lintExitCode(report)).toBe(2);
  });
});

describe('the commands', () => {
  afterEach(() => vi.restoreAllMocks());

  async function run(...args: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return { code: await main(['node', 'failover', ...args]), stdout };
  }

  it('lint runbook: the shipped runbooks, exit 0; a bad one, exit 1; nothing readable, exit 2', async () => {
    expect((await run('lint', 'runbook', ...['to-aws', 'to-gcp', 'drill'].map(shippedRunbook))).code).toBe(0);
    const shift = file('shift.yaml', `name: x\nsteps:\n${SHIFT_AWS}`);
    const bad = await run('-o', 'json', 'lint', 'runbook', shift);
    expect(bad.code).toBe(1);
    expect((JSON.parse(bad.stdout) as LintReport).findings[0]?.rule).toBe('shift-before-wait');
    expect((await run('lint', 'runbook', join(work, 'absent.yaml'))).code).toBe(2);
  });

  it('lint config: --config FILE, with the .env beside it', async () => {
    const dir = mkdtempSync(join(work, 'cfg-'));
    const config = join(dir, 'failover.config.yaml');
    writeFileSync(config, CONFIG_BASE.replace('awsApps', 'tokenEnv: LINT_TEST_TOKEN\n  awsApps'));
    const unset = await run('-o', 'json', '--config', config, 'lint', 'config');
    expect(unset.code).toBe(0);
    expect((JSON.parse(unset.stdout) as LintReport).findings.map((f) => f.rule)).toEqual(['env-unset']);
    writeFileSync(join(dir, '.env'), 'LINT_TEST_TOKEN=secret\n');
    const set = await run('-o', 'json', '--config', config, 'lint', 'config');
    expect((JSON.parse(set.stdout) as LintReport).findings).toEqual([]);
    delete process.env.LINT_TEST_TOKEN;
    expect((await run('--config', join(dir, 'absent.yaml'), 'lint', 'config')).code).toBe(2);
  });

  it('lint standby: --overlay, or --repo with gitops.awsOverlay from the config', async () => {
    const traps = await run(
      '-o',
      'json',
      'lint',
      'standby',
      '--overlay',
      'test/fixtures/standby/overlays/patches-traps',
    );
    expect(traps.code).toBe(1);
    const dir = mkdtempSync(join(work, 'std-'));
    const config = join(dir, 'failover.config.yaml');
    writeFileSync(
      config,
      'gitops:\n  repo: https://git.example.com/g.git\n  awsOverlay: overlays/patches-clean\n',
    );
    const clean = await run(
      '-o',
      'json',
      '--config',
      config,
      'lint',
      'standby',
      '--repo',
      'test/fixtures/standby',
    );
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({
      overlay: 'test/fixtures/standby/overlays/patches-clean',
      state: 'standby',
    });
    const none = await run('lint', 'standby', '--repo', join(work, 'no-repo'));
    expect(none.code).toBe(2);
  });
});
