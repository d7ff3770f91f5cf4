/**
 * `failover lint standby` on fixture overlays of both standby shapes (patch entries and a
 * Component), rendered with kubectl and with a standalone kustomize: what runs in standby, what the
 * toggle starts, the HPA-managed Deployments, and the `replace` → `add` trap.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  lintStandby,
  type StandbyFinding,
  type StandbyLintReport,
  standbyExitCode,
} from '../../src/lint/standby/index.js';
import { pointerExists } from '../../src/lint/standby/patches.js';
import { checkStandbyRender, compareRenders } from '../../src/lint/standby/workloads.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';
import { demoTreeDir } from '../../src/sandbox/gitops-demo/index.js';
import { findOnPath } from '../../src/util/exec.js';

const FIXTURES = 'test/fixtures/standby';
const MATCHER = {
  patchPaths: ['cronjob-suspend.yml', 'cronjob-suspend.yaml', 'replicas-zero.yml', 'replicas-zero.yaml'],
  components: ['standby', 'components/standby', 'standby-replace'],
};
const hasKubectl = Boolean(await findOnPath('kubectl'));
const hasKustomize = Boolean(await findOnPath('kustomize'));
const nothingInstalled = async () => undefined;

const overlay = (name: string) => join(FIXTURES, 'overlays', name);
const rules = (report: StandbyLintReport, severity?: StandbyFinding['severity']) =>
  report.findings
    .filter((f) => severity === undefined || f.severity === severity)
    .map((f) => `${f.rule} ${f.object ? `${f.object.kind}/${f.object.name}` : ''}`.trim())
    .sort();
const started = (report: StandbyLintReport) =>
  report.wouldStart.map((w) => `${w.kind}/${w.name}: ${w.from} → ${w.to}`).sort();

const BASE_STARTS = [
  'CronJob/report: suspended → schedule "0 3 * * *"',
  'Deployment/web: 0 replicas → 3 replicas',
  'Deployment/worker: 0 replicas → 1 replica (API default: no spec.replicas)',
];

const TRAP_ERRORS = [
  'autoscaler ScaledObject/web-queue',
  'uncovered-kind Job/migrate',
  'uncovered-kind StatefulSet/db',
];
const TRAP_WARNINGS = [
  'autoscaler HorizontalPodAutoscaler/search',
  'custom-replicas KafkaConnect/connect',
  'daemonset DaemonSet/node-agent',
  'hpa-managed-replicas Deployment/worker',
  'replace-missing-path CronJob/report',
  'replace-missing-path Deployment/worker',
  'stays-dormant Deployment/legacy',
];

interface Case {
  overlay: string;
  shape: StandbyLintReport['shape'];
  state: StandbyLintReport['state'];
  errors: string[];
  warnings: string[];
  wouldStart: string[];
  exit: 0 | 1 | 2;
}

const CASES: Case[] = [
  {
    overlay: 'patches-clean',
    shape: 'patches',
    state: 'standby',
    errors: [],
    warnings: ['hpa-managed-replicas Deployment/worker'],
    wouldStart: BASE_STARTS,
    exit: 0,
  },
  {
    overlay: 'component-clean',
    shape: 'component',
    state: 'standby',
    errors: [],
    warnings: ['hpa-managed-replicas Deployment/worker'],
    wouldStart: BASE_STARTS,
    exit: 0,
  },
  {
    overlay: 'patches-traps',
    shape: 'patches',
    state: 'standby',
    errors: TRAP_ERRORS,
    warnings: TRAP_WARNINGS,
    wouldStart: BASE_STARTS,
    exit: 1,
  },
  {
    overlay: 'component-traps',
    shape: 'component',
    state: 'standby',
    errors: TRAP_ERRORS,
    warnings: TRAP_WARNINGS,
    wouldStart: BASE_STARTS,
    exit: 1,
  },
  {
    overlay: 'active',
    shape: 'none',
    state: 'active',
    errors: [
      'cronjob-active CronJob/report',
      'deployment-running Deployment/web',
      'deployment-running Deployment/worker',
      'not-in-standby',
    ],
    warnings: [],
    wouldStart: [],
    exit: 1,
  },
  {
    overlay: 'broken-when-active',
    shape: 'component',
    state: 'standby',
    errors: ['active-render-failed'],
    warnings: [],
    wouldStart: [],
    exit: 1,
  },
];

const RENDERERS = [
  { name: 'kubectl', skip: !hasKubectl },
  { name: 'kustomize', skip: !hasKustomize },
] as const;

describe.each(RENDERERS)('lint standby, rendered with $name', ({ name, skip }) => {
  // Each renderer runs where it is installed (kubectl or kustomize is a requirement of the tool).
  it.skipIf(skip).each(CASES)('$overlay', async (c) => {
    const report = await lintStandby(overlay(c.overlay), { matcher: MATCHER, renderer: name });
    expect(report.problems).toEqual([]);
    expect(report.rendered).toBe(true);
    expect(report.renderer).toBe(name === 'kubectl' ? 'kubectl kustomize' : 'kustomize build');
    expect(report.shape).toBe(c.shape);
    expect(report.state).toBe(c.state);
    expect(rules(report, 'error')).toEqual(c.errors);
    expect(rules(report, 'warning')).toEqual(c.warnings);
    expect(started(report)).toEqual(c.wouldStart);
    expect(standbyExitCode(report)).toBe(c.exit);
  });
});

describe('where findings point', () => {
  it('a `replace` in a patch file points at the operation in that file', async () => {
    const report = await lintStandby(overlay('patches-traps'), { matcher: MATCHER });
    const replace = report.findings.filter((f) => f.rule === 'replace-missing-path');
    expect(replace.map((f) => `${f.file}:${f.line}`).sort()).toEqual([
      `${FIXTURES}/overlays/patches-traps/cronjob-suspend.yml:1`,
      // Line 1 is a comment.
      `${FIXTURES}/overlays/patches-traps/replicas-zero.yml:2`,
    ]);
    expect(replace.every((f) => f.fix?.includes('op: add'))).toBe(true);
  });

  it('an inline `replace` in a Component points at its line in the component kustomization', async () => {
    const report = await lintStandby(overlay('component-traps'), { matcher: MATCHER });
    const file = `${FIXTURES}/components/standby-replace/kustomization.yaml`;
    const lines = readFileSync(file, 'utf8').split('\n');
    const replace = report.findings.filter((f) => f.rule === 'replace-missing-path');
    expect(replace).toHaveLength(2);
    for (const finding of replace) {
      expect(finding.file).toBe(file);
      expect(lines[(finding.line ?? 0) - 1]).toMatch(/- op: replace/);
    }
    const paths = replace.map((f) => lines[f.line ?? 0]?.trim()).sort();
    expect(paths).toEqual(['path: /spec/replicas', 'path: /spec/suspend']);
  });

  it('objects point at their source manifest', async () => {
    const report = await lintStandby(overlay('patches-traps'), { matcher: MATCHER });
    const db = report.findings.find((f) => f.object?.name === 'db');
    expect(db).toMatchObject({ file: `${FIXTURES}/traps/workloads.yaml`, line: 1, severity: 'error' });
    const migrate = report.findings.find((f) => f.object?.name === 'migrate');
    const lines = readFileSync(`${FIXTURES}/traps/workloads.yaml`, 'utf8').split('\n');
    expect(lines.slice((migrate?.line ?? 1) - 1, (migrate?.line ?? 1) + 2).join('\n')).toMatch(/kind: Job/);
  });

  it('the HPA-managed warning names the HPA and what to do', async () => {
    const report = await lintStandby(overlay('patches-clean'), { matcher: MATCHER });
    const warning = report.findings.find((f) => f.rule === 'hpa-managed-replicas');
    expect(warning?.message).toMatch(/API default of 1 replica; HPA worker \(minReplicas 2, maxReplicas 8\)/);
    expect(warning?.fix).toMatch(/--stages/);
    expect(warning).toMatchObject({ file: `${FIXTURES}/base/worker.yaml`, line: 2 });
  });
});

describe('rendering', () => {
  it('cannot run without kustomize or kubectl: FO_KUSTOMIZE_E4001 (exit 2) saying what to install', async () => {
    const error = await lintStandby(overlay('patches-clean'), {
      matcher: MATCHER,
      findTool: nothingInstalled,
    }).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      code: 'FO_KUSTOMIZE_E4001',
      category: 'invalid-input',
      message: expect.stringMatching(/neither kustomize nor kubectl is on PATH/),
      hint: expect.stringMatching(/install kubectl \(includes kustomize\) or kustomize: https:/),
    });
  });

  it('renders what only the real kustomize renders (configMapGenerator)', async () => {
    const report = await lintStandby(overlay('unsupported'), { matcher: MATCHER });
    expect(report.renderer).toMatch(/^(kubectl kustomize|kustomize build)$/);
    expect(report.rendererNote).toBeUndefined();
    expect(standbyExitCode(report)).toBe(0);
    expect(started(report)).toEqual(BASE_STARTS);
  });

  it('an overlay kustomize refuses is a problem with kustomize’s own message, exit 2', async () => {
    const report = await lintStandby(overlay('patches-clean'), {
      matcher: MATCHER,
      kustomize: { buildOptions: '--no-such-flag' },
    });
    expect(report.rendered).toBe(false);
    expect(standbyExitCode(report)).toBe(2);
    expect(report.problems[0]?.message).toMatch(/unknown flag: --no-such-flag/);
  });

  it('a missing overlay or kustomization is a problem, exit 2', async () => {
    const missing = await lintStandby(join(FIXTURES, 'nope'), { matcher: MATCHER });
    expect(missing.problems[0]?.message).toMatch(/does not exist/);
    expect(standbyExitCode(missing)).toBe(2);
    const noKustomization = await lintStandby(join(FIXTURES, 'traps', '..', 'overlays'), {
      matcher: MATCHER,
    });
    expect(noKustomization.problems[0]?.message).toMatch(/no kustomization.yaml/);
    expect(standbyExitCode(noKustomization)).toBe(2);
  });

  it('never touches the checkout: the toggle is rendered in a temporary copy', async () => {
    const file = join(overlay('patches-clean'), 'kustomization.yaml');
    const before = readFileSync(file, 'utf8');
    await lintStandby(overlay('patches-clean'), { matcher: MATCHER });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('the demo overlay (write-up layout): dormant, with the HPA and `replace` warnings', async () => {
    const dir = join(demoTreeDir(), 'overlays', 'aws');
    expect(existsSync(dir)).toBe(true);
    const report = await lintStandby(dir, { matcher: MATCHER });
    expect(rules(report, 'error')).toEqual([]);
    expect(rules(report, 'warning')).toEqual([
      'hpa-managed-replicas Deployment/worker',
      'replace-missing-path CronJob/nightly-report',
      'replace-missing-path Deployment/worker',
    ]);
    expect(report.wouldStart.map((w) => w.name).sort()).toEqual([
      'admin-api',
      'admin-web',
      'nightly-report',
      'worker',
    ]);
  });
});

describe('rules on rendered objects', () => {
  const deployment = (name: string, replicas?: number, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'ns', ...(annotations ? { annotations } : {}) },
    spec: replicas === undefined ? {} : { replicas },
  });
  const object = (
    apiVersion: string,
    kind: string,
    name: string,
    spec: Record<string, unknown>,
    annotations?: Record<string, string>,
  ): KubeObject => ({
    apiVersion,
    kind,
    metadata: { name, namespace: 'ns', ...(annotations ? { annotations } : {}) },
    spec,
  });

  it.each([
    ['Deployment at 0', [deployment('a', 0)], []],
    ['Deployment without replicas', [deployment('a')], ['deployment-running']],
    ['Deployment at 2', [deployment('a', 2)], ['deployment-running']],
    ['CronJob suspended', [object('batch/v1', 'CronJob', 'c', { suspend: true })], []],
    ['CronJob running', [object('batch/v1', 'CronJob', 'c', { schedule: '* * * * *' })], ['cronjob-active']],
    ['Job suspended', [object('batch/v1', 'Job', 'j', { suspend: true })], []],
    ['StatefulSet at 0', [object('apps/v1', 'StatefulSet', 's', { replicas: 0 })], []],
    ['StatefulSet without replicas', [object('apps/v1', 'StatefulSet', 's', {})], ['uncovered-kind']],
    [
      'Argo Rollout at 1',
      [object('argoproj.io/v1alpha1', 'Rollout', 'r', { replicas: 1 })],
      ['uncovered-kind'],
    ],
    ['bare Pod', [object('v1', 'Pod', 'p', {})], ['uncovered-kind']],
    [
      'HPA on a dormant Deployment',
      [
        deployment('a', 0),
        object('autoscaling/v2', 'HorizontalPodAutoscaler', 'h', {
          scaleTargetRef: { kind: 'Deployment', name: 'a' },
          minReplicas: 3,
        }),
      ],
      [],
    ],
    [
      'KEDA ScaledObject paused',
      [
        deployment('a', 0),
        object(
          'keda.sh/v1alpha1',
          'ScaledObject',
          'k',
          { scaleTargetRef: { name: 'a' } },
          { 'autoscaling.keda.sh/paused': 'true' },
        ),
      ],
      [],
    ],
    ['KEDA ScaledJob', [object('keda.sh/v1alpha1', 'ScaledJob', 'k', {})], ['autoscaler']],
    ['Service (runs nothing)', [object('v1', 'Service', 's', { replicas: 3 })], []],
  ] as const)('%s', (_name, objects, expected) => {
    expect(checkStandbyRender(objects as unknown as KubeObject[]).map((f) => f.rule)).toEqual(expected);
  });

  it('compares the two renders: starting, staying dormant, losing spec.replicas', () => {
    const standby = [deployment('a', 0), deployment('b', 0), deployment('c', 0)];
    const active = [deployment('a', 4), deployment('b'), deployment('c', 0)];
    const { wouldStart, findings } = compareRenders(standby, active);
    expect(wouldStart.map((w) => `${w.name} ${w.to}`)).toEqual([
      'a 4 replicas',
      'b 1 replica (API default: no spec.replicas)',
    ]);
    expect(findings.map((f) => `${f.rule} ${f.object?.name}`)).toEqual([
      'hpa-managed-replicas b',
      'stays-dormant c',
    ]);
    expect(findings[0]?.message).toMatch(/no HPA in the overlay targets it/);
  });

  it.each([
    [{ spec: { replicas: 0 } }, '/spec/replicas', true],
    [{ spec: {} }, '/spec/replicas', false],
    [{ spec: { containers: [{ a: 1 }] } }, '/spec/containers/0/a', true],
    [{ spec: { containers: [] } }, '/spec/containers/0', false],
    [{ metadata: { annotations: { 'a/b': 'x' } } }, '/metadata/annotations/a~1b', true],
  ] as const)('JSON pointer %j %s exists: %s', (value, pointer, exists) => {
    expect(pointerExists(value, pointer)).toBe(exists);
  });
});
