/**
 * Each fact is read once per run: in a to-aws during a GKE outage, the checks that run before any
 * change stand on the reads of the whole-run plan. Judged from outside: the AWS ingress emulator
 * (in standby, it answers 503) sees one probe read of the recorded standby check, not two; the
 * journal and the Markdown report say which steps stood on the plan's read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf } from '../../src/engine/events.js';
import { cli, journal, runIdIn, SLOW, startWorld, stopWorlds, type World } from './failover-helpers.js';
import { assertBuilt, removeTempDirs, tempDir } from './helpers.js';

let world: World;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
}, 120_000);
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

/** What the AWS ingress (by address) answered, in order. */
const awsIngress = () =>
  world.sandbox
    .requests()
    .filter((r) => r.service === 'apps' && r.operation.startsWith('aws '))
    .map((r) => r.status);

describe('to-aws reads each fact once', SLOW, () => {
  it('probes the standby AWS ingress once; the journal and the report show the reuse', async () => {
    world.sandbox.outage('gke', true);
    world.sandbox.clearRequests();
    const report = join(tempDir('failover-e2e-reuse-'), 'to-aws.md');
    const r = await cli(world, ['to-aws', '--yes', '--report', `md:${report}`]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

    // In standby the ingress has no backend (503). One probe read is 1 success wanted + 2 failures
    // tolerated: 3 requests. Reading again when the step ran would make 6.
    const answers = awsIngress();
    expect(answers.filter((s) => s === 503)).toHaveLength(3);
    // After the scale-up the gate before DNS (aws-endpoints) and the shift's gate read live: 200s.
    expect(answers.slice(3).length).toBeGreaterThan(0);
    expect(answers.slice(3).every((s) => s === 200)).toBe(true);

    const events = journal(world, runIdIn(r.stdout));
    const succeeded = new Map(
      events
        .filter((e): e is EventOf<'step.succeeded'> => e.type === 'step.succeeded')
        .map((e) => [e.stepId, e]),
    );
    for (const id of ['before', 'aws-endpoints-before', 'aws-portable']) {
      expect(succeeded.get(id)?.planAgeMs, id).toBeGreaterThanOrEqual(0);
    }
    // Steps after the changes read live: their plan only said what they would check.
    for (const id of ['aws-endpoints', 'aws-metrics', 'verify', 'fence-gke', 'shift']) {
      expect(succeeded.get(id)?.planAgeMs, id).toBeUndefined();
    }
    // The recorded standby check kept its failed probe as a warning, as when it read again.
    const planned = events.find((e) => e.type === 'step.planned' && e.stepId === 'aws-endpoints-before');
    expect(planned?.type === 'step.planned' && planned.plan.checks?.[0]).toMatchObject({
      ok: false,
      severity: 'warning',
    });

    const markdown = readFileSync(report, 'utf8');
    expect(markdown).toMatch(/aws-endpoints-before.*as read by the plan \d+(ms|\.\ds) before/);
  });
});
