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
import { PLAN_REUSE_FRESH_MS } from '../../src/engine/plan-reuse.js';
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

    const events = journal(world, runIdIn(r.stdout));
    const succeeded = new Map(
      events
        .filter((e): e is EventOf<'step.succeeded'> => e.type === 'step.succeeded')
        .map((e) => [e.stepId, e]),
    );
    // A plan older than the freshness bound when its step runs is read again, by design: on a
    // machine so loaded that planning took that long, the step must have read again.
    const reused = (id: string) => {
      const planned = events.find((e) => e.type === 'step.planned' && e.stepId === id);
      const started = events.find((e) => e.type === 'step.started' && e.stepId === id);
      const planStart =
        Date.parse(planned!.at) - (planned?.type === 'step.planned' ? planned.durationMs! : 0);
      const age = Date.parse(started!.at) - planStart;
      const stood = succeeded.get(id)?.planAgeMs !== undefined;
      if (age < PLAN_REUSE_FRESH_MS - 500) expect(stood, `${id}: planned ${age} ms before`).toBe(true);
      if (age > PLAN_REUSE_FRESH_MS + 500) expect(stood, `${id}: planned ${age} ms before`).toBe(false);
      return stood;
    };
    for (const id of ['before', 'aws-portable']) reused(id);

    // In standby the ingress has no backend (503). One probe read is 1 success wanted + 2 failures
    // tolerated: 3 requests. Reading again when the step ran would make 6.
    const answers = awsIngress();
    const once = reused('aws-endpoints-before');
    expect(answers.filter((s) => s === 503)).toHaveLength(once ? 3 : 6);
    // After the scale-up the gate before DNS (aws-endpoints) and the shift's gate read live: 200s.
    const live = answers.filter((s) => s !== 503);
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((s) => s === 200)).toBe(true);

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
    if (once) expect(markdown).toMatch(/aws-endpoints-before.*as read by the plan \d+(ms|\.\ds) before/);
  });
});
