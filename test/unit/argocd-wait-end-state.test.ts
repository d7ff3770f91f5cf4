/**
 * What argocd.wait says about the state it ends in: a DaemonSet that runs on no node is "ready" to
 * Argo CD (0 of 0), and no render tells that no node matches its placement; once the side runs,
 * the wait names it in a warning of the run. A reader stand-in scripts the apps.
 */
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { sleep } from '../../src/engine/retry.js';
import type { AppState, ArgoCdReader, WorkloadState } from '../../src/providers/argocd/port.js';
import type { ReadPorts, WritePorts } from '../../src/providers/ports.js';
import { argocdWaitStep } from '../../src/steps/argocd/wait.js';
import type { ApplyContext } from '../../src/steps/types.js';

const REVISION = 'b'.repeat(40);

const web = (replicas: number): WorkloadState => ({
  kind: 'Deployment',
  name: 'web',
  namespace: 'admin',
  desired: replicas,
  ready: replicas,
  updated: replicas,
  observed: true,
  target: { replicas },
});

const agent = (scheduled: number): WorkloadState => ({
  kind: 'DaemonSet',
  name: 'log-agent',
  namespace: 'admin',
  desired: scheduled,
  ready: scheduled,
  updated: scheduled,
  observed: true,
});

function app(workloads: WorkloadState[], more: Partial<AppState> = {}): AppState {
  return {
    name: 'admin-aws',
    syncStatus: 'Synced',
    revision: REVISION,
    health: 'Healthy',
    operationInFlight: false,
    autoSync: true,
    workloads,
    ...more,
  };
}

async function waitFor(
  expectation: 'running' | 'standby',
  workloads: WorkloadState[],
  deadlineMs = 10_000,
  more: Partial<AppState> = {},
) {
  const reader: ArgoCdReader = { apps: async () => [app(workloads, more)] };
  const signal = AbortSignal.timeout(deadlineMs);
  const ctx: ApplyContext = {
    run: { id: 'r', operator: 'test', dryRun: false, runbook: 'to-aws', host: 'h' },
    config: Config.parse({ argocd: { server: 'http://127.0.0.1:1', tokenEnv: 'T', awsApps: ['admin-aws'] } }),
    read: { argocd: reader } as ReadPorts,
    write: {} as WritePorts,
    signal,
    afterChanges: true,
    phase: 'apply',
    emit: () => undefined,
    // Short, and ended by the deadline as the engine's sleep is.
    sleep: (ms) => sleep(Math.min(ms, 5), signal),
    confirm: async () => true,
    decide: async () => undefined,
  };
  const input = argocdWaitStep.input.parse({ role: 'aws', expect: expectation, revision: REVISION });
  return argocdWaitStep.apply!(ctx, input, await argocdWaitStep.plan(ctx, input));
}

describe('argocd.wait on the state it ends in', () => {
  it('warns about a DaemonSet scheduled on no node once the side runs', async () => {
    const result = await waitFor('running', [web(2), agent(0)]);
    expect(result?.warnings).toEqual([
      expect.stringMatching(
        /^DaemonSet admin\/log-agent runs on no node of the aws cluster: .*gitops\.standby\.patchPaths/,
      ),
    ]);
  });

  it('says nothing when the DaemonSet runs, or when the side is meant to be in standby', async () => {
    expect((await waitFor('running', [web(2), agent(3)]))?.warnings).toBeUndefined();
    expect((await waitFor('standby', [web(0), agent(0)]))?.warnings).toBeUndefined();
  });
});

describe('argocd.wait when a later commit undid the change', () => {
  it('the apps at a commit whose render keeps every workload dormant: the hint names a revert, not a longer timeout', async () => {
    // The app reports the wanted revision (or one after it), Synced, yet Argo CD's target state
    // wants 0 replicas: a commit after the activation put the overlay back in standby.
    const dormant: WorkloadState = { ...web(0), target: { replicas: 0 } };
    const error = await waitFor('running', [dormant], 300).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string; hint?: string },
    );
    expect(error?.code).toBe('FO_ARGOCD_E4103');
    expect(error?.message).toMatch(
      /scaled to 0 \(Argo CD calls this Healthy; the render keeps every workload dormant\)/,
    );
    expect(error?.hint).toMatch(
      /^the overlay at the apps' revision keeps every workload dormant: a commit after bbbbbbb\S* put it back in standby \(a revert/,
    );
    expect(error?.hint).toMatch(/a longer --timeout will not help$/);
  });
});

describe('argocd.wait when a workload gone from git still runs', () => {
  it('Argo CD leaves it to prune (auto-sync without prune): the hint says to prune it, not to sync', async () => {
    // A Deployment deleted from the base while failed over: AWS's app syncs the standby commit but
    // stays OutOfSync, since the old Deployment is only marked to prune.
    const error = await waitFor('standby', [web(0)], 300, {
      syncStatus: 'OutOfSync',
      outOfSync: ['Deployment admin/old-api (to prune)'],
      workloadsToPrune: ['Deployment admin/old-api'],
    }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string; hint?: string },
    );
    expect(error?.code).toBe('FO_ARGOCD_E4103');
    expect(error?.message).toContain('sync status OutOfSync: Deployment admin/old-api (to prune)');
    expect(error?.hint).toMatch(
      /^Argo CD leaves Deployment admin\/old-api running though git no longer has it \(auto-sync without prune, its default\), so the app stays OutOfSync: prune it \(`argocd app sync admin-aws --prune`, or delete it with kubectl\), then resume the run/,
    );
    expect(error?.hint).not.toContain('set sync: true');
  });
});
