/**
 * `failover status` against a running sandbox, as an operator runs it: what both sides look like,
 * read through the real SDKs, git and Argo CD's API; never a mutating request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, holdLockAsOtherOperator, stopWorlds, withWorld } from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

beforeAll(assertBuilt);
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

interface StatusJson {
  clusters: Record<string, { ok: boolean; value?: { status: string } }>;
  weights: { ok: boolean; value: { weights: { gcp: number; aws: number } }[] };
  overlays: Record<string, { ok: boolean; value: { state: string } }>;
  apps: Record<string, { ok: boolean }>;
  lock: { ok: boolean; value: { runId: string; operator: string } | null };
}

describe.concurrent('failover status', { timeout: 60_000 }, () => {
  it('shows the seeded world (GKE carries the traffic, AWS in standby, lock free) with zero writes', () =>
    withWorld(async (world) => {
      world.sandbox.clearRequests();
      const text = await cli(world, ['status']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/GCP \(GKE\)\s+gke admin-gke .*RUNNING/);
      expect(text.stdout).toMatch(/Applied\s+100% \(255\).*0% \(0\)/);
      expect(text.stdout).toMatch(/AWS\s+overlays\/aws\s+standby/);
      expect(text.stdout).toMatch(/Run lock\nfree/);

      const json = await cli(world, ['--output', 'json', 'status']);
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout) as StatusJson;
      expect(report.weights.value.map((w) => w.weights)).toEqual([{ gcp: 255, aws: 0 }]);
      expect(report.overlays.aws?.value.state).toBe('standby');
      expect(report.lock).toEqual({ ok: true, value: null });
      expect(world.sandbox.requests().filter((r) => r.mutating)).toEqual([]);
    }));

  it('names who holds the run lock, and flags GKE rows as stale while GKE is unreachable (exit 1)', () =>
    withWorld(async (world) => {
      await holdLockAsOtherOperator(world, {
        runId: '20260101T000000Z-othr',
        operator: 'someone-else',
        host: 'a-laptop',
        purpose: 'to-aws INC-7',
      });
      world.sandbox.outage('gke', true);

      const text = await cli(world, ['status']);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/GCP \(GKE\)\s+UNREACHABLE/);
      expect(text.stdout).toContain(
        "! the GCP (GKE) cluster is unreachable: its rows are Argo CD's last view, not what runs there now",
      );
      expect(text.stdout).toMatch(
        /Run lock\nheld by someone-else \(run 20260101T000000Z-othr\) on a-laptop since .*: to-aws INC-7/,
      );
      const report = JSON.parse((await cli(world, ['--output', 'json', 'status'])).stdout) as StatusJson;
      expect(report.lock.value).toMatchObject({ runId: '20260101T000000Z-othr', operator: 'someone-else' });
      expect(report.clusters.gcp?.ok).toBe(false);
    }));
});
