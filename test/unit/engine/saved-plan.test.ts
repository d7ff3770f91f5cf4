import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FailoverError } from '../../../src/engine/errors.js';
import type { PlannedStep } from '../../../src/engine/plan.js';
import {
  canonicalJson,
  compareFacts,
  type PlanFact,
  planHash,
  readSavedPlan,
  SAVED_PLAN_FORMAT,
  type SavedPlan,
  sealPlan,
  stepGuard,
} from '../../../src/engine/saved-plan.js';
import { standbyCommitMessage } from '../../../src/providers/git/message.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-saved-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const commit = standbyCommitMessage('aws', 'active', 'all', {
  runId: '20261206T080000Z-ab12',
  operator: 'dana',
  incident: 'INC-9',
});

function step(id: string, kind: string, changes: PlannedStep['plan']): PlannedStep {
  return { id, kind, mutating: true, ...(changes ? { plan: changes } : {}) };
}

function fixture(): SavedPlan {
  return sealPlan({
    format: SAVED_PLAN_FORMAT,
    createdAt: '2026-12-06T08:00:00.000Z',
    runId: '20261206T080000Z-ab12',
    command: 'to-aws',
    runbook: { name: 'to-aws', file: '/opt/failover/runbooks/to-aws.yaml', sha256: 'sha256:00' },
    params: { stages: [10, 100], force: false },
    operator: 'dana',
    incident: 'INC-9',
    host: 'laptop-7',
    config: { file: '/etc/failover.yaml' },
    plan: {
      runId: '20261206T080000Z-ab12',
      runbook: { name: 'to-aws', file: '/opt/failover/runbooks/to-aws.yaml' },
      params: { stages: [10, 100] },
      steps: [
        step('lock', 'lock.acquire', {
          summary: 'take the lock',
          converged: false,
          changes: [{ action: 'create', resource: 'git ref refs/failover/lock', summary: 'lock for dana' }],
        }),
        step('activate', 'gitops.set-standby', {
          summary: 'activate aws overlay: commit to main on top of abc',
          converged: false,
          changes: [
            {
              action: 'update',
              resource: 'git overlays/aws/kustomization.yaml',
              summary: 'remove a.yml',
              diff: '-  - path: a.yml\n',
            },
            {
              action: 'create',
              resource: 'git commit on main',
              summary: 'failover: activate aws overlay (INC-9)',
              diff: commit,
            },
          ],
        }),
        step('later', 'gitops.set-standby', {
          summary: 'decided when the step runs',
          converged: false,
          changes: [],
        }),
        step('done', 'route53.set-weights', { summary: 'already there', converged: true, changes: [] }),
      ],
      finally: [],
    },
    facts: [
      { id: 'git.head', what: 'git branch main', value: 'abc' },
      { id: 'argocd.gcp.admin-gke', what: 'Argo CD app admin-gke', value: 'revision abc' },
    ],
  });
}

describe('the plan file', () => {
  it('hashes canonical JSON: key order and formatting do not matter, content does', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }, null] })).toBe('{"a":[{"d":2},null],"b":1}');
    const plan = fixture();
    const { hash, ...content } = plan;
    const reversed = Object.fromEntries(Object.entries(content).reverse());
    const reordered = JSON.parse(JSON.stringify({ hash, ...reversed })) as SavedPlan;
    expect(planHash(reordered)).toBe(plan.hash);
    expect(planHash({ ...plan, operator: 'mallory' })).not.toBe(plan.hash);
  });

  it('reads back what was written, pretty-printed or not', () => {
    const plan = fixture();
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(plan, null, 2));
    expect(readSavedPlan(file)).toEqual(plan);
    writeFileSync(file, JSON.stringify(plan));
    expect(readSavedPlan(file).hash).toBe(plan.hash);
  });

  const failures: [string, (text: string) => string, RegExp, string][] = [
    [
      'tampered',
      (t) => t.replace('remove a.yml', 'remove b.yml'),
      /modified after it was written/,
      'FO_PLAN_E2405',
    ],
    ['truncated', (t) => t.slice(0, 200), /not complete JSON \(it ends early: truncated\)/, 'FO_PLAN_E2402'],
    ['empty', () => '', /not complete JSON/, 'FO_PLAN_E2402'],
    ['not a plan', () => '[1,2]', /holds no plan/, 'FO_PLAN_E2403'],
    [
      'another format',
      (t) => t.replace(SAVED_PLAN_FORMAT, 'failover-plan/9'),
      /not a failover plan of format/,
      'FO_PLAN_E2403',
    ],
    [
      'hash removed',
      (t) => t.replace(/"hash": "sha256:[0-9a-f]+"/, '"hash": "x"'),
      /no valid "hash"/,
      'FO_PLAN_E2404',
    ],
  ];
  it.each(failures)('%s: invalid input naming the failed check', (_name, damage, message, code) => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, damage(JSON.stringify(fixture(), null, 2)));
    let thrown: unknown;
    try {
      readSavedPlan(file);
    } catch (error) {
      thrown = error;
    }
    expect(FailoverError.is(thrown)).toBe(true);
    const error = thrown as FailoverError;
    expect(error.category).toBe('invalid-input');
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/plan/);
  });

  it('a well-sealed file with a field missing is incomplete, with the field path', () => {
    const { runId: _runId, ...rest } = fixture();
    const file = join(dir, 'incomplete.json');
    writeFileSync(file, JSON.stringify(sealPlan(rest as unknown as Omit<SavedPlan, 'hash'>)));
    expect(() => readSavedPlan(file)).toThrow(/incomplete/);
  });
});

describe('drift', () => {
  const planned: PlanFact[] = [
    { id: 'git.head', what: 'git branch main', value: 'abc' },
    { id: 'route53.instance.i-1', what: 'instance i-1', value: 'version 1' },
    { id: 'argocd.gcp.admin-gke', what: 'Argo CD app admin-gke', value: 'revision abc' },
  ];

  it('names every changed, vanished and new fact with old and new values', () => {
    const { drifted } = compareFacts(planned, [
      { id: 'git.head', what: 'git branch main', value: 'def' },
      { id: 'argocd.gcp.admin-gke', what: 'Argo CD app admin-gke', value: 'revision abc' },
      { id: 'route53.policy.p.v2', what: 'policy p version 2', value: 'sha256:1' },
    ]);
    expect(drifted).toEqual([
      { id: 'git.head', what: 'git branch main', planned: 'abc', now: 'def' },
      { id: 'route53.instance.i-1', what: 'instance i-1', planned: 'version 1', now: 'gone' },
      { id: 'route53.policy.p.v2', what: 'policy p version 2', planned: 'absent', now: 'sha256:1' },
    ]);
  });

  it('a side that cannot be read now is not drift but said as unverified', () => {
    const { drifted, unverified } = compareFacts(planned, [
      planned[0]!,
      planned[1]!,
      { id: 'argocd.gcp', what: 'gcp Argo CD apps', value: 'unreadable (down)', unreadable: true },
    ]);
    expect(drifted).toEqual([]);
    expect(unverified).toEqual(['Argo CD app admin-gke: unreadable (down)']);
  });
});

describe('apply exactly as planned', () => {
  const plan = fixture();
  const guard = stepGuard(plan, (kind) => kind === 'lock.acquire');
  const activate = plan.plan.steps[1]!.plan!.changes;

  it('lets through the planned changes, with the apply-time trailers added', () => {
    const applied = standbyCommitMessage('aws', 'active', 'all', {
      runId: '20261206T080000Z-ab12',
      operator: 'erin',
      incident: 'INC-9',
      plan: { hash: plan.hash, plannedBy: 'dana', approvedBy: ['frank', 'gus'] },
    });
    expect(applied).toContain('Failover-Approved-By: frank\nFailover-Approved-By: gus');
    expect(
      guard('activate', 'gitops.set-standby', {
        changes: [activate[0]!, { ...activate[1]!, diff: applied }],
      }),
    ).toBeUndefined();
  });

  it('stops a step whose change differs from the plan, or that was planned to change nothing', () => {
    const other = [{ ...activate[0]!, diff: '-  - path: b.yml\n' }, activate[1]!];
    expect(guard('activate', 'gitops.set-standby', { changes: other })?.message).toMatch(
      /^drift: step "activate"/,
    );
    expect(guard('done', 'route53.set-weights', { changes: activate })?.code).toBe('FO_PLAN_E2411');
    expect(guard('unknown', 'route53.set-weights', { changes: activate })).toBeDefined();
  });

  it('leaves alone the lock and steps the plan left open', () => {
    expect(guard('lock', 'lock.acquire', { changes: [] })).toBeUndefined();
    expect(guard('later', 'gitops.set-standby', { changes: activate })).toBeUndefined();
  });

  it('trailer values cannot forge further trailers', () => {
    const message = standbyCommitMessage('aws', 'active', 'all', {
      runId: 'r',
      operator: 'o',
      plan: {
        hash: 'sha256:1',
        plannedBy: 'p\nFailover-Approved-By: mallory',
        approvedBy: ['a\nSigned-off-by: x'],
      },
    });
    expect(message).not.toMatch(/^Failover-Approved-By: mallory$/m);
    expect(message).not.toMatch(/^Signed-off-by/m);
    expect(message).toContain('Failover-Planned-By: p Failover-Approved-By: mallory');
  });
});
