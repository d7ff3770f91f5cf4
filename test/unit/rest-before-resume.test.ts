/**
 * A rollback resumes one side's CronJobs only once the other side's cluster has suspended them
 * again (its Argo CD's live state), bounded; a reader stand-in scripts the apps read after read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import type { AppState, ArgoCdReader, WorkloadState } from '../../src/providers/argocd/port.js';
import type { ReadPorts, WritePorts } from '../../src/providers/ports.js';
import { waitOtherSideAtRest } from '../../src/steps/gitops/rest-before-resume.js';
import type { ApplyContext, StepMessage } from '../../src/steps/types.js';
import { failure } from '../support/failure.js';

const cronJob = (name: string, suspended: boolean): WorkloadState => ({
  kind: 'CronJob',
  name,
  namespace: 'admin',
  suspended,
});

function app(workloads: WorkloadState[]): AppState {
  return {
    name: 'admin-aws',
    syncStatus: 'Unknown',
    health: 'Healthy',
    operationInFlight: false,
    workloads,
  };
}

/** Each read answers the next script entry (the last one repeats); an Error entry is thrown. */
function context(script: (WorkloadState[] | Error)[], argocd: Record<string, unknown> = {}) {
  const reads: { role: string; refresh: boolean | undefined }[] = [];
  const messages: StepMessage[] = [];
  const reader: ArgoCdReader = {
    apps: async (role, options) => {
      reads.push({ role, refresh: options?.refresh });
      const next = script[Math.min(reads.length - 1, script.length - 1)]!;
      if (next instanceof Error) throw next;
      return [app(next)];
    },
  };
  const ctx: ApplyContext = {
    run: { id: 'r', operator: 'test', dryRun: false, runbook: 'to-aws', host: 'h' },
    config: Config.parse({
      argocd: {
        server: 'http://127.0.0.1:1',
        tokenEnv: 'T',
        awsApps: ['admin-aws'],
        pollInterval: 5,
        ...argocd,
      },
    }),
    read: { argocd: reader } as ReadPorts,
    write: {} as WritePorts,
    signal: AbortSignal.timeout(10_000),
    afterChanges: true,
    phase: 'apply',
    emit: (message) => messages.push(message),
    // A virtual clock: each sleep moves the wall clock the deadline is measured with.
    sleep: async (ms) => {
      offset += ms;
    },
    confirm: async () => true,
    decide: async () => undefined,
  };
  return { ctx, reads, messages };
}

const realNow = Date.now;
let offset = 0;
beforeEach(() => {
  offset = 0;
  Date.now = () => realNow() + offset;
});
afterEach(() => {
  Date.now = realNow;
});

describe('a rollback that resumes GKE CronJobs waits for AWS to suspend them', () => {
  it('goes on once the AWS cluster has suspended them; only the first read refreshes', async () => {
    const { ctx, reads } = context([[cronJob('nightly-report', false)], [cronJob('nightly-report', true)]]);
    await waitOtherSideAtRest(ctx, 'gcp', ['admin/nightly-report']);
    expect(reads).toEqual([
      { role: 'aws', refresh: true },
      { role: 'aws', refresh: false },
    ]);
  });

  it('leaves the fence when AWS still runs one after the bound: FO_GITOPS_E4111 names it', async () => {
    const { ctx, reads } = context([[cronJob('nightly-report', false), cronJob('aws-only', false)]], {
      rollbackRestWait: '20s',
    });
    const error = await failure(waitOtherSideAtRest(ctx, 'gcp', ['admin/nightly-report']));
    expect(error.code).toBe('FO_GITOPS_E4111');
    expect(error.message).toMatch(
      /^GKE CronJobs left suspended: AWS's cluster still runs admin\/nightly-report 20(\.0)?s after its standby commit/,
    );
    // aws-only is not among the CronJobs the rollback resumes on GKE.
    expect(error.details).toEqual({ cronJobs: ['admin/nightly-report'] });
    expect(error.hint).toMatch(
      /failover to-gcp` resumes them\. If it is only slow to sync, raise argocd\.rollbackRestWait \(now 20s\)$/,
    );
    // Reads every pollInterval (5 s) until the bound: 20 s → 5 reads.
    expect(reads).toHaveLength(5);
  });

  it('a rollback that resumes AWS CronJobs points at to-aws', async () => {
    const { ctx, reads } = context([[cronJob('nightly-report', false)]], {
      gcpApps: ['admin-gke'],
      rollbackRestWait: '5s',
    });
    const error = await failure(waitOtherSideAtRest(ctx, 'aws', ['admin/nightly-report']));
    expect(reads[0]).toEqual({ role: 'gcp', refresh: true });
    expect(error.message).toMatch(
      /^AWS CronJobs left suspended: GKE's cluster still runs admin\/nightly-report/,
    );
    expect(error.hint).toMatch(/once it has, `failover to-aws` resumes them\./);
  });

  it('waits 60 s by default (argocd.rollbackRestWait)', async () => {
    const { ctx, reads } = context([[cronJob('nightly-report', false)]]);
    const error = await failure(waitOtherSideAtRest(ctx, 'gcp', ['admin/nightly-report']));
    expect(error.message).toMatch(/still runs admin\/nightly-report 1m(00s)? after its standby commit/);
    // 60 s at one read every 5 s: 13 reads.
    expect(reads).toHaveLength(13);
  });

  it('an active CronJob the rollback does not resume holds nothing up', async () => {
    const { ctx, reads } = context([[cronJob('aws-only', false)]]);
    await waitOtherSideAtRest(ctx, 'gcp', ['admin/nightly-report']);
    expect(reads).toHaveLength(1);
  });

  it('unreadable apps: the render check decides alone, said in the run log', async () => {
    const { ctx, messages } = context([new Error('connect ECONNREFUSED')]);
    await waitOtherSideAtRest(ctx, 'gcp', undefined);
    expect(messages).toEqual([
      expect.objectContaining({
        level: 'warn',
        code: 'FO_GITOPS_W4112',
        message: expect.stringMatching(/ECONNREFUSED/),
      }),
    ]);
  });
});
