/**
 * How argocd.wait paces its reads when Argo CD's watch stream can wake it: at least 0.4 s apart
 * (10 ms per app for fleets), at most the poll interval, and not at all where the poll interval is
 * that short already. A reader stand-in scripts the apps (not ready, then ready) and records each pause.
 */
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { sleep } from '../../src/engine/retry.js';
import type { AppChanges } from '../../src/providers/argocd/changes.js';
import type { AppState, ArgoCdReader } from '../../src/providers/argocd/port.js';
import type { ReadPorts, WritePorts } from '../../src/providers/ports.js';
import { argocdWaitStep } from '../../src/steps/argocd/wait.js';
import type { ApplyContext } from '../../src/steps/types.js';

const REVISION = 'a'.repeat(40);

function app(name: string, ready: number): AppState {
  return {
    name,
    syncStatus: 'Synced',
    revision: REVISION,
    health: ready === 2 ? 'Healthy' : 'Progressing',
    operationInFlight: false,
    autoSync: true,
    workloads: [
      {
        kind: 'Deployment',
        name: `${name}-web`,
        namespace: 'admin',
        desired: 2,
        ready,
        updated: ready,
        observed: true,
        target: { replicas: 2 },
      },
    ],
  };
}

interface Pacing {
  pauses: { minMs: number; maxMs: number }[];
  sleeps: number[];
  closed: number;
  opened: number;
}

/** Runs a wait over `count` apps that become ready at the third read. */
async function pacing(count: number, pollInterval: number, withStream: boolean): Promise<Pacing> {
  const seen: Pacing = { pauses: [], sleeps: [], closed: 0, opened: 0 };
  let reads = 0;
  const names = Array.from({ length: count }, (_, i) => `app-${i}`);
  const reader: ArgoCdReader = {
    apps: async () => {
      reads += 1;
      return names.map((name) => app(name, reads >= 3 ? 2 : 0));
    },
    ...(withStream
      ? {
          changes: (): AppChanges => {
            seen.opened += 1;
            return {
              next: async (minMs, maxMs) => {
                seen.pauses.push({ minMs, maxMs });
                return true;
              },
              close: () => {
                seen.closed += 1;
              },
            };
          },
        }
      : {}),
  };
  const signal = AbortSignal.timeout(10_000);
  const ctx: ApplyContext = {
    run: { id: 'r', operator: 'test', dryRun: false, runbook: 'to-aws', host: 'h' },
    config: Config.parse({ argocd: { server: 'http://127.0.0.1:1', tokenEnv: 'T', awsApps: names } }),
    read: { argocd: reader } as ReadPorts,
    write: {} as WritePorts,
    signal,
    afterChanges: false,
    phase: 'apply',
    emit: () => undefined,
    sleep: (ms) => {
      seen.sleeps.push(ms);
      return sleep(0, signal);
    },
    confirm: async () => true,
    decide: async () => undefined,
  };
  const input = argocdWaitStep.input.parse({
    role: 'aws',
    expect: 'running',
    revision: REVISION,
    pollInterval,
  });
  const plan = await argocdWaitStep.plan(ctx, input);
  expect(plan.converged).toBe(false);
  await argocdWaitStep.apply!(ctx, input, plan);
  return seen;
}

describe('argocd.wait woken by the watch stream', () => {
  it('reads at least 0.4 s apart for a few apps, at most every poll interval, and closes the stream', async () => {
    const seen = await pacing(2, 2, true);
    // Plan read the apps once; apply read them twice more: one pause between them.
    expect(seen.pauses).toEqual([{ minMs: 400, maxMs: 2000 }]);
    expect(seen.sleeps).toEqual([]);
    expect(seen.opened).toBe(1);
    expect(seen.closed).toBe(1);
  });

  it('spaces the reads of a fleet by 10 ms per app, up to the poll interval', async () => {
    expect((await pacing(100, 2, true)).pauses[0]).toEqual({ minMs: 1000, maxMs: 2000 });
    expect((await pacing(300, 2, true)).pauses[0]).toEqual({ minMs: 2000, maxMs: 2000 });
  });

  it('does not open the stream where polls come no further apart than the minimum gap', async () => {
    const seen = await pacing(2, 0.25, true);
    expect(seen.opened).toBe(0);
    expect(seen.pauses).toEqual([]);
    expect(seen.sleeps).toEqual([250]);
  });

  it('polls at its interval where the reader has no stream', async () => {
    const seen = await pacing(2, 2, false);
    expect(seen.pauses).toEqual([]);
    expect(seen.sleeps).toEqual([2000]);
  });
});
