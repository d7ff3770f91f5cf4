/**
 * What argocd.wait says about the state it ends in: a DaemonSet that runs on no node is "ready" to
 * Argo CD (0 of 0), and no render tells that no node matches its placement; once the side runs,
 * the wait names it in a warning of the run. A reader stand-in scripts the apps.
 */
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
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

function app(workloads: WorkloadState[]): AppState {
  return {
    name: 'admin-aws',
    syncStatus: 'Synced',
    revision: REVISION,
    health: 'Healthy',
    operationInFlight: false,
    autoSync: true,
    workloads,
  };
}

async function waitFor(expectation: 'running' | 'standby', workloads: WorkloadState[]) {
  const reader: ArgoCdReader = { apps: async () => [app(workloads)] };
  const signal = AbortSignal.timeout(10_000);
  const ctx: ApplyContext = {
    run: { id: 'r', operator: 'test', dryRun: false, runbook: 'to-aws', host: 'h' },
    config: Config.parse({ argocd: { server: 'http://127.0.0.1:1', tokenEnv: 'T', awsApps: ['admin-aws'] } }),
    read: { argocd: reader } as ReadPorts,
    write: {} as WritePorts,
    signal,
    afterChanges: true,
    phase: 'apply',
    emit: () => undefined,
    sleep: async () => undefined,
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
