/**
 * `lint runbook`, rule cronjobs-on-both: a runbook whose commits could leave a CronJob unsuspended
 * in both overlays is flagged at the step that resumes them, with its place and the fix; the
 * shipped to-aws and to-gcp hold the invariant, and their earlier orders do not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type LintReport, lintRunbookText } from '../../src/lint/runbook/index.js';
import { createRegistry } from '../../src/steps/registry.js';
import { shippedRunbook } from '../../src/util/package-root.js';

const registry = createRegistry();

const step = (id: string, uses: string, w: string, extra = '') =>
  `  - id: ${id}\n    uses: ${uses}\n${extra}    with: { ${w} }\n`;
const FENCE_GKE = step('fence', 'gitops.set-standby', 'role: gcp, state: standby, scope: cronjobs');
const ACTIVATE_AWS = step('activate', 'gitops.set-standby', 'role: aws, state: active');
const STANDBY_AWS = step('standby', 'gitops.set-standby', 'role: aws, state: standby');
const WAIT_AWS_STANDBY = step('dormant', 'argocd.wait', 'role: aws, expect: standby');
const UNFENCE_GKE = step('unfence', 'gitops.set-standby', 'role: gcp, state: active, scope: cronjobs');

const cronjobFindings = (report: LintReport) =>
  report.findings
    .filter((f) => f.rule === 'cronjobs-on-both')
    .map((f) => `${f.severity} ${f.line} ${f.path}`);

function lint(text: string, file = 'case.yaml'): LintReport {
  const report = lintRunbookText(text, file, registry);
  expect(report.problems).toEqual([]);
  return report;
}

describe('cronjobs-on-both', () => {
  it.each([
    { name: 'to-aws order: fence GKE, then activate AWS', steps: FENCE_GKE + ACTIVATE_AWS, expected: [] },
    {
      name: 'activate AWS with no fence at all',
      steps: ACTIVATE_AWS,
      expected: ['error 5 steps[0].with'],
    },
    {
      name: 'activate AWS before the fence',
      steps: ACTIVATE_AWS + FENCE_GKE,
      expected: ['error 5 steps[0].with'],
    },
    {
      name: 'a fence that the run un-does before the activation',
      steps: FENCE_GKE + UNFENCE_GKE + ACTIVATE_AWS,
      // The unfence itself comes before any aws standby, and the activation follows an unfence.
      expected: ['error 8 steps[1].with', 'error 11 steps[2].with'],
    },
    {
      name: 'a fence that may be skipped',
      steps:
        step(
          'fence',
          'gitops.set-standby',
          'role: gcp, state: standby, scope: cronjobs',
          '    when: ${{ steps.gke.outputs.reachable }}\n',
        ) + ACTIVATE_AWS,
      expected: ['warning 9 steps[1].with'],
    },
    {
      name: 'a fence whose failure is ignored',
      steps:
        step('fence', 'gitops.set-standby', 'role: gcp, state: standby', '    onFailure: continue\n') +
        ACTIVATE_AWS,
      expected: ['warning 9 steps[1].with'],
    },
    {
      name: 'fence and activation in one parallel group',
      steps: `  - id: both\n    parallel:\n${(FENCE_GKE + ACTIVATE_AWS).replace(/^ {2}/gm, '      ')}`,
      expected: ['error 10 steps[0].parallel[1].with'],
    },
    {
      name: 'to-gcp order: standby AWS, wait, then unfence GKE',
      steps: STANDBY_AWS + WAIT_AWS_STANDBY + UNFENCE_GKE,
      expected: [],
    },
    {
      name: 'a wait for AWS CronJobs suspended is enough',
      steps:
        STANDBY_AWS + step('dormant', 'argocd.wait', 'role: aws, expect: cronjobs-suspended') + UNFENCE_GKE,
      expected: [],
    },
    {
      name: 'unfence GKE first, as to-gcp used to',
      steps: UNFENCE_GKE + STANDBY_AWS + WAIT_AWS_STANDBY,
      expected: ['error 5 steps[0].with'],
    },
    {
      name: 'unfence GKE after the standby commit, without waiting for Argo CD',
      steps: STANDBY_AWS + UNFENCE_GKE + WAIT_AWS_STANDBY,
      expected: ['error 8 steps[1].with'],
    },
    {
      name: 'a wait for the wrong side does not count',
      steps: STANDBY_AWS + step('dormant', 'argocd.wait', 'role: gcp, expect: standby') + UNFENCE_GKE,
      expected: ['error 11 steps[2].with'],
    },
    {
      name: 'a wait that may fail without stopping the run',
      steps:
        STANDBY_AWS +
        step('dormant', 'argocd.wait', 'role: aws, expect: standby', '    onFailure: continue\n') +
        UNFENCE_GKE,
      expected: ['warning 12 steps[2].with'],
    },
    {
      name: 'a step that never runs does not fence',
      steps:
        step('fence', 'gitops.set-standby', 'role: gcp, state: standby', '    when: false\n') + ACTIVATE_AWS,
      expected: ['error 9 steps[1].with'],
    },
    {
      name: 'scope all on GKE fences too',
      steps: step('fence', 'gitops.set-standby', 'role: gcp, state: standby') + ACTIVATE_AWS,
      expected: [],
    },
  ])('$name', ({ steps, expected }) => {
    expect(cronjobFindings(lint(`name: x\nsteps:\n${steps}`))).toEqual(expected);
  });

  it('a resume in `finally` is an error: it runs after failures too', () => {
    const report = lint(`name: x\nsteps:\n${FENCE_GKE}finally:\n${ACTIVATE_AWS}`);
    expect(cronjobFindings(report)).toEqual(['error 9 finally[0].with']);
    expect(report.findings[0]?.message).toMatch(/finally/);
  });

  it('says which step, which overlays, and how to fix it', () => {
    const [finding] = lint(`name: x\nsteps:\n${UNFENCE_GKE}${STANDBY_AWS}${WAIT_AWS_STANDBY}`).findings;
    expect(finding).toMatchObject({
      rule: 'cronjobs-on-both',
      severity: 'error',
      file: 'case.yaml',
      column: 11,
    });
    expect(finding?.message).toBe(
      'step "unfence" resumes the gcp overlay’s CronJobs, but no earlier step suspends AWS’s CronJobs (gitops.set-standby, role aws, state standby): the commit would leave every CronJob unsuspended on both clouds',
    );
    expect(finding?.fix).toMatch(/argocd\.wait.*role aws, expect standby/);
  });

  it('the shipped runbooks hold the invariant', () => {
    for (const name of ['to-aws', 'to-gcp']) {
      const file = shippedRunbook(name);
      expect(cronjobFindings(lint(readFileSync(file, 'utf8'), file)), name).toEqual([]);
    }
  });

  it('the shipped to-gcp with the unfence moved back before the traffic shift is an error at the unfence', () => {
    const text = readFileSync(shippedRunbook('to-gcp'), 'utf8');
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.startsWith("  # GKE's CronJobs were fenced"));
    const end = lines.indexOf('finally:');
    const unfence = lines.slice(start, end);
    const rest = [...lines.slice(0, start), ...lines.slice(end)];
    const shift = rest.indexOf('  - id: shift');
    const reordered = [...rest.slice(0, shift), ...unfence, ...rest.slice(shift)].join('\n');
    const report = lint(reordered, 'to-gcp.yaml');
    const reorderedLines = reordered.split('\n');
    const unfenceLine = reorderedLines.indexOf('  - id: unfence-gke') + 1;
    const index = reorderedLines.slice(0, unfenceLine - 1).filter((l) => l.startsWith('  - id: ')).length;
    expect(cronjobFindings(report)).toEqual([`error ${unfenceLine + 4} steps[${index}].with`]);
  });

  it('the shipped to-aws with its fence made conditional again is a warning', () => {
    const text = readFileSync(shippedRunbook('to-aws'), 'utf8').replace(
      '    name: suspend GKE CronJobs (fencing)\n',
      '    name: suspend GKE CronJobs (fencing)\n    when: ${{ steps.gke-cluster.outputs.reachable }}\n',
    );
    expect(cronjobFindings(lint(text, 'to-aws.yaml'))).toEqual([
      expect.stringMatching(/^warning \d+ steps\[\d+\]\.with$/),
    ]);
  });
});
