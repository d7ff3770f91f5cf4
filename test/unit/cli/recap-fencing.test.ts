/** The recap's fencing line says the state the set-standby step left, also when it was already so. */
import { describe, expect, it } from 'vitest';
import { buildRecap } from '../../../src/cli/render/recap.js';
import type { Json } from '../../../src/engine/events.js';
import type { PlannedStep, RunPlan } from '../../../src/engine/plan.js';

function planOf(steps: PlannedStep[]): RunPlan {
  return {
    runId: 'r1',
    runbook: { name: 'to-aws', file: 'runbooks/to-aws.yaml' },
    params: {},
    steps,
    finally: [],
  };
}

const fence = (summary: string): PlannedStep => ({
  id: 'fence-gke',
  kind: 'gitops.set-standby',
  mutating: true,
  plan: { summary, changes: [], converged: false },
});

function recapOf(summary: string, outputs: Record<string, Json>) {
  return buildRecap({
    runbook: 'to-aws',
    outcome: 'succeeded',
    plan: planOf([fence(summary)]),
    outputs: { 'fence-gke': outputs },
    warnings: [],
    rolledBack: [],
  });
}

describe('recap of fencing', () => {
  it('a fence already in place (a resumed run) reads fenced, not resumed', () => {
    const recap = recapOf('gcp cronjobs suspended already, at 3d1e5cb01234 (nothing to commit)', {
      commit: '3d1e5cb0123456789',
      changed: false,
      state: 'standby',
    });
    expect(recap.fencing).toEqual(['GKE CronJobs fenced (suspended) in git at 3d1e5cb (already so)']);
  });

  it('a fence committed by the step, and an unfence', () => {
    expect(
      recapOf('suspend gcp cronjobs: 1 change', { commit: 'aaaaaaa0000', changed: true, state: 'standby' })
        .fencing,
    ).toEqual(['GKE CronJobs fenced (suspended) in git at aaaaaaa']);
    expect(
      recapOf('resume gcp cronjobs: 1 change', { commit: 'bbbbbbb0000', changed: true, state: 'active' })
        .fencing,
    ).toEqual(['GKE CronJobs unfenced (resumed) in git at bbbbbbb']);
  });
});

describe('recap of a fence that Argo CD has not applied', () => {
  it('a failed wait for GKE CronJobs suspended (onFailure continue) is a fencing line, not a second warning', () => {
    const message =
      'Argo CD apps not every CronJob suspended as rendered after 1m: admin-gke: CronJob nightly-report active';
    const plan = planOf([
      fence('suspend gcp cronjobs: 1 change'),
      {
        id: 'fence-live',
        kind: 'argocd.wait',
        mutating: false,
        onFailure: 'continue',
        plan: {
          summary:
            'wait until gcp Argo CD apps admin-gke are Synced at the commit pushed earlier in the run with every CronJob suspended as rendered',
          changes: [],
          converged: false,
        },
      },
    ]);
    const recap = buildRecap({
      runbook: 'to-aws',
      outcome: 'succeeded',
      plan,
      outputs: { 'fence-gke': { commit: 'aaaaaaa0000', changed: true, state: 'standby' } },
      warnings: [
        { stepId: 'fence-live', code: 'FO_ARGOCD_E4103', message },
        { stepId: 'other', code: 'FO_X', message: 'something else' },
      ],
      rolledBack: [],
    });
    expect(recap.fencing).toEqual([
      'GKE CronJobs fenced (suspended) in git at aaaaaaa',
      `GKE CronJobs NOT fenced in the cluster yet, suspended in git only (fence-live: ${message})`,
    ]);
    expect(recap.warnings).toEqual(['something else']);
  });
});
