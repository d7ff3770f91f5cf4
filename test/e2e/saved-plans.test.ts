/**
 * Saved plans and four eyes, end to end through the built CLI against one sandbox: `to-aws
 * --plan-out` changes nothing; `apply` refuses a tampered or truncated file (exit 2) and refuses
 * on drift (a weight change and a new policy version through the AWS SDK, a colleague's push)
 * with zero mutating requests; `--require-approval` refuses without an approval and with a
 * self-approval, and applies with a colleague's approval (made from another state directory, as
 * on another machine), ending where a direct `to-aws` ends, with the approver in the trailers,
 * the journal and the report. Then a failback planned with `to-gcp --plan-out` under a config
 * with `approval: {required: true}` (no flag) waits for a colleague, and `run FILE --plan-out`
 * keeps a runbook's parameters.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTrafficPolicyVersionCommand,
  GetTrafficPolicyCommand,
  Route53Client,
  UpdateTrafficPolicyInstanceCommand,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import {
  cli as cliIn,
  endState,
  failedOverState,
  journal,
  mutatingRequests,
  remoteHead,
  remoteRefs,
  startWorld,
  stopWorlds,
  type World,
  weights,
} from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

// Each CLI start loads the SDKs; on a busy 2-core machine that alone can take many seconds.
const SLOW = { timeout: 1_200_000 };
const CLI_TIMEOUT_MS = 240_000;

interface PlanFile {
  hash: string;
  runId: string;
  facts: { id: string; value: string }[];
  plan: { steps: { id: string; plan?: { changes: { resource: string; diff?: string }[] } }[] };
}

const cli = (world: World, args: string[], options: { env?: NodeJS.ProcessEnv } = {}) =>
  cliIn(world, args, { ...options, timeoutMs: CLI_TIMEOUT_MS });

const readPlan = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PlanFile;
const output = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

describe('plan, approve, apply', SLOW, () => {
  let world: World;
  let sdk: Route53Client;
  let policyId: string;
  let instanceId: string;
  beforeAll(async () => {
    world = await startWorld();
    policyId = world.sandbox.info.route53.trafficPolicyId;
    instanceId = world.sandbox.info.route53.trafficPolicyInstanceIds[0]!;
    sdk = new Route53Client({
      region: 'us-east-1',
      endpoint: world.sandbox.info.route53.endpoint,
      credentials: {
        accessKeyId: world.env.AWS_ACCESS_KEY_ID ?? 'sandbox',
        secretAccessKey: world.env.AWS_SECRET_ACCESS_KEY ?? 'sandbox',
      },
    });
  }, 60_000);
  afterAll(() => sdk?.destroy());

  /** Points the instance at a new version of its policy whose weights are `gcp`/`aws`, as a colleague would. */
  async function setWeightsBySdk(gcp: number, aws: number): Promise<number> {
    const current = await sdk.send(new GetTrafficPolicyCommand({ Id: policyId, Version: 1 }));
    const document = JSON.parse(current.TrafficPolicy!.Document!) as {
      Rules: Record<string, { Items?: { EndpointReference: string; Weight: string }[] }>;
    };
    for (const rule of Object.values(document.Rules))
      for (const item of rule.Items ?? []) item.Weight = String(item.EndpointReference === 'aws' ? aws : gcp);
    const created = await sdk.send(
      new CreateTrafficPolicyVersionCommand({ Id: policyId, Document: JSON.stringify(document) }),
    );
    const version = created.TrafficPolicy!.Version!;
    await pointInstanceAt(version);
    return version;
  }

  async function pointInstanceAt(version: number): Promise<void> {
    await sdk.send(
      new UpdateTrafficPolicyInstanceCommand({
        Id: instanceId,
        TTL: 60,
        TrafficPolicyId: policyId,
        TrafficPolicyVersion: version,
      }),
    );
    for (let i = 0; i < 100; i++) {
      if (world.sandbox.route53.model.getTrafficPolicyInstance(instanceId).State === 'Applied') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the instance did not become Applied');
  }

  let plan1: string;

  it('to-aws --plan-out writes the plan and its facts and changes nothing (no lock, no journal)', async () => {
    plan1 = join(world.dir, 'inc-7.plan.json');
    const r = await cli(world, ['to-aws', '--incident', 'INC-7', '--plan-out', plan1]);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toMatch(/✓ plan written to .*inc-7\.plan\.json \(sha256:[0-9a-f]{64}\)/);
    expect(mutatingRequests(world)).toEqual([]);
    expect(await remoteHead(world)).toBe(world.seed.head);
    expect(Object.keys(await remoteRefs(world)).sort()).toEqual(['HEAD', 'refs/heads/main']);
    const runs = join(world.dir, 'state', 'runs');
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);

    const saved = readPlan(plan1);
    const ids = saved.facts.map((f) => f.id);
    expect(saved.facts.find((f) => f.id === 'git.head')?.value).toBe(world.seed.head);
    expect(ids).toEqual(
      expect.arrayContaining([
        'config',
        'runbook',
        'git.overlay.aws',
        'git.overlay.gcp',
        `route53.instance.${instanceId}`,
        `route53.policy.${policyId}`,
        `route53.policy.${policyId}.v1`,
        'argocd.aws.admin-aws',
      ]),
    );
    // Every planned change is in the file: the kustomization diff, the commit, the policy document.
    const changes = saved.plan.steps.flatMap((s) => s.plan?.changes ?? []);
    expect(
      changes.some(
        (c) =>
          c.resource === 'git overlays/aws/kustomization.yaml' &&
          c.diff?.includes('-  - path: replicas-zero.yml'),
      ),
    ).toBe(true);
    expect(
      changes.some(
        (c) => c.resource === 'git commit on main' && c.diff?.includes(`Failover-Run: ${saved.runId}`),
      ),
    ).toBe(true);
    expect(
      changes.some(
        (c) =>
          c.resource.startsWith('route53 traffic policy instance') &&
          /\+\s+"Weight": "255"/.test(c.diff ?? ''),
      ),
    ).toBe(true);
  });

  it('a tampered or truncated plan file is exit 2 naming the check that failed; nothing is read or changed', async () => {
    const text = readFileSync(plan1, 'utf8');
    const tampered = join(world.dir, 'tampered.plan.json');
    writeFileSync(tampered, text.replace('"operator": "e2e-operator"', '"operator": "mallory"'));
    expect(readFileSync(tampered, 'utf8')).not.toBe(text);
    const truncated = join(world.dir, 'truncated.plan.json');
    writeFileSync(truncated, text.slice(0, Math.floor(text.length / 2)));
    world.sandbox.clearRequests();
    // The same checks guard apply and approve: one of each here.
    for (const [command, file, why] of [
      ['apply', tampered, /was modified after it was written.*tampered/],
      ['approve', truncated, /is not complete JSON \(it ends early: truncated\)/],
    ] as const) {
      const r = await cli(world, [command, file, '--yes']);
      expect(r.code, output(r)).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/hint: .*make a new plan/);
    }
    expect(world.sandbox.requests()).toEqual([]);
    expect(Object.keys(await remoteRefs(world)).sort()).toEqual(['HEAD', 'refs/heads/main']);
  });

  it('drift refuses with exit 1 naming each fact, old and new, with zero mutating requests', async () => {
    // 1. The weights changed through the AWS SDK (a new version, the instance pointed at it).
    const v2 = await setWeightsBySdk(200, 55);
    world.sandbox.clearRequests();
    let r = await cli(world, ['apply', plan1, '--yes']);
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(/refused: drift since the plan .* was made/);
    expect(r.stderr).toContain(
      `traffic policy instance ${instanceId} (admin.example.com.): drift: Applied, policy ${policyId} version 1, weights gcp 255 / aws 0 → Applied, policy ${policyId} version ${v2}, weights gcp 200 / aws 55`,
    );
    expect(r.stderr).toContain(`traffic policy ${policyId}: drift: latest version 1 → latest version ${v2}`);
    expect(mutatingRequests(world)).toEqual([]);

    // 2. Weights back as planned, but the policy has a new version: still drift, naming only that.
    await pointInstanceAt(1);
    world.sandbox.clearRequests();
    r = await cli(world, ['apply', plan1, '--yes']);
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toContain(`traffic policy ${policyId}: drift: latest version 1 → latest version ${v2}`);
    expect(r.stderr).not.toContain('traffic policy instance');
    expect(mutatingRequests(world)).toEqual([]);

    // 3. A colleague pushed to the branch.
    const pushed = await pushChange({
      remote: world.sandbox.info.git.remote,
      message: 'docs: runbook link',
      change: (dir) => writeFileSync(join(dir, 'RUNBOOK.md'), 'see the wiki\n'),
    });
    world.sandbox.clearRequests();
    r = await cli(world, ['apply', plan1, '--yes']);
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toContain(`git branch main: drift: ${world.seed.head} → ${pushed}`);
    expect(mutatingRequests(world)).toEqual([]);
    expect(await remoteHead(world)).toBe(pushed);
    expect(weights(world)).toEqual({ gke: 255, aws: 0 });
    expect(Object.keys(await remoteRefs(world)).sort()).toEqual(['HEAD', 'refs/heads/main']);
  });

  it('--require-approval: missing and self-approval refused; a colleague approval applies the plan as planned', async () => {
    const plan2 = join(world.dir, 'inc-8.plan.json');
    let r = await cli(world, ['to-aws', '--incident', 'INC-8', '--plan-out', plan2]);
    expect(r.code, output(r)).toBe(0);
    const saved = readPlan(plan2);
    const hex = saved.hash.replace('sha256:', '');

    world.sandbox.clearRequests();
    r = await cli(world, ['apply', plan2, '--require-approval', '--yes']);
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(/has no approval; an approval by someone other than e2e-operator is required/);

    r = await cli(world, ['approve', plan2, '--yes']);
    expect(r.code, output(r)).toBe(0);
    r = await cli(world, ['apply', plan2, '--require-approval', '--yes']);
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(/approved only by e2e-operator, who applies it: self-approval does not count/);
    expect(mutatingRequests(world)).toEqual([]);

    // A colleague on another machine: their own state directory and git cache, the same remote.
    const elsewhere = mkdtempSync(join(tmpdir(), 'failover-e2e-colleague-'));
    r = await cli(world, ['approve', plan2, '--operator', 'Alice Reviewer', '--yes'], {
      env: { ...world.env, HOME: elsewhere, FAILOVER_STATE_DIR: elsewhere },
    });
    expect(r.code, output(r)).toBe(0);
    const approvals = Object.keys(await remoteRefs(world)).filter((ref) =>
      ref.startsWith(`refs/failover/approvals/${hex}/`),
    );
    expect(approvals).toHaveLength(2); // the self-approval stays beside the colleague's
    const approvalText = (
      await git(['--git-dir', world.sandbox.info.git.remote, 'log', '--format=%an%n%B', ...approvals])
    ).stdout;
    expect(approvalText).toContain('Alice Reviewer');
    expect(approvalText).toContain(`"planHash": "${saved.hash}"`);

    const report = join(world.dir, 'apply.md');
    r = await cli(world, ['apply', plan2, '--require-approval', '--yes', '--report', `md:${report}`]);
    expect(r.code, output(r)).toBe(0);

    // Where a direct to-aws ends (test/e2e/failover.test.ts), the colleague's push aside.
    const state = await endState(world);
    const direct = failedOverState(world, 'INC-8');
    expect({
      ...state,
      commitsSinceSeed: state.commitsSinceSeed.filter((c) => c !== 'docs: runbook link'),
    }).toEqual(direct);
    // The overlay as Argo CD renders it from a clone: nothing dormant any more.
    const clone = mkdtempSync(join(tmpdir(), 'failover-e2e-clone-'));
    await git(['clone', '--quiet', world.sandbox.info.git.remote, clone]);
    const rendered = execFileSync('kubectl', ['kustomize', join(clone, 'overlays/aws')], {
      encoding: 'utf8',
    });
    expect(rendered).not.toMatch(/replicas: 0/);
    expect(rendered).not.toMatch(/suspend: true/);

    // Who made, approved and applied it: the trailers, the journal, the report.
    const body = (await git(['--git-dir', world.sandbox.info.git.remote, 'log', '-1', '--format=%B', 'main']))
      .stdout;
    expect(body).toContain(`Failover-Run: ${saved.runId}`);
    expect(body).toContain('Failover-Operator: e2e-operator');
    expect(body).toContain(`Failover-Plan: ${saved.hash}`);
    expect(body).toContain('Failover-Approved-By: Alice Reviewer');
    expect(body).not.toContain('Failover-Approved-By: e2e-operator');
    const started = journal(world, saved.runId).find((e) => e.type === 'run.started');
    expect(started).toMatchObject({
      operator: 'e2e-operator',
      savedPlan: { hash: saved.hash, plannedBy: 'e2e-operator', approvedBy: ['Alice Reviewer'] },
    });
    expect(readFileSync(report, 'utf8')).toMatch(/applied by e2e-operator; approved by Alice Reviewer/);

    // Applied once: the same file again is refused, pointing at resume.
    r = await cli(world, ['apply', plan2, '--yes']);
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toContain(`failover resume ${saved.runId}`);
  });

  it('to-gcp and run FILE --plan-out; `approval: {required: true}` in the config needs a colleague', async () => {
    // The same sandbox config with four eyes required, as a team would set it.
    const strict = join(world.dir, 'four-eyes.config.yaml');
    writeFileSync(
      strict,
      `${readFileSync(world.sandbox.info.config, 'utf8')}\napproval:\n  required: true\n`,
    );
    const env = { ...world.env, FAILOVER_CONFIG: strict };
    const back = join(world.dir, 'failback.plan.json');
    world.sandbox.clearRequests();
    let r = await cli(world, ['to-gcp', '--incident', 'INC-8', '--plan-out', back], { env });
    expect(r.code, output(r)).toBe(0);
    expect(mutatingRequests(world)).toEqual([]);
    const saved = readPlan(back) as PlanFile & { command: string };
    expect(saved.command).toBe('to-gcp');
    expect(saved.facts.find((f) => f.id === `route53.instance.${instanceId}`)?.value).toMatch(
      /weights gcp 0 \/ aws 255/,
    );
    const changes = saved.plan.steps.flatMap((s) => s.plan?.changes ?? []);
    expect(
      changes.some(
        (c) =>
          c.resource === 'git overlays/aws/kustomization.yaml' &&
          c.diff?.includes('+  - path: replicas-zero.yml'),
      ),
    ).toBe(true);

    // No flag, but the config requires an approval by someone else.
    r = await cli(world, ['apply', back, '--yes'], { env });
    expect(r.code, output(r)).toBe(1);
    expect(r.stderr).toMatch(/has no approval; an approval by someone other than e2e-operator is required/);
    expect(mutatingRequests(world)).toEqual([]);
    // Without --config or FAILOVER_CONFIG, approve and apply take the config the plan was made
    // with, not the default file of the directory they run in (the sandbox's, without approval).
    const { FAILOVER_CONFIG: _planned, ...unset } = env;
    const elsewhere = mkdtempSync(join(tmpdir(), 'failover-e2e-colleague-'));
    r = await cli(world, ['approve', back, '--operator', 'Bea Colleague', '--yes'], {
      env: { ...unset, HOME: elsewhere, FAILOVER_STATE_DIR: elsewhere },
    });
    expect(r.code, output(r)).toBe(0);
    expect(r.stderr).toContain(`config ${strict}, as planned`);
    r = await cli(world, ['apply', back, '--yes'], { env: unset });
    expect(r.code, output(r)).toBe(0);
    expect(r.stderr).toContain(`config ${strict}, as planned`);
    expect(weights(world)).toEqual({ gke: 255, aws: 0 });
    const body = (await git(['--git-dir', world.sandbox.info.git.remote, 'log', '-1', '--format=%B', 'main']))
      .stdout;
    expect(body).toContain(`Failover-Plan: ${saved.hash}`);
    expect(body).toContain('Failover-Approved-By: Bea Colleague');

    // A runbook of one's own: planned with its parameters, applied as planned (no approval needed here).
    const runbook = join(world.dir, 'canary.yaml');
    writeFileSync(
      runbook,
      [
        'name: canary',
        'params:',
        '  share: { type: string, default: "5%" }',
        'steps:',
        '  - id: shift',
        '    uses: route53.set-weights',
        '    with:',
        '      weights: { gcp: "80%", aws: "${{ params.share }}" }',
        '',
      ].join('\n'),
    );
    const canary = join(world.dir, 'canary.plan.json');
    world.sandbox.clearRequests();
    r = await cli(world, ['run', runbook, '--param', 'share=20%', '--plan-out', canary]);
    expect(r.code, output(r)).toBe(0);
    expect(mutatingRequests(world)).toEqual([]);
    const planned = readPlan(canary) as PlanFile & { command: string; params: Record<string, unknown> };
    expect(planned.command).toBe(`run ${runbook}`);
    expect(planned.params).toEqual({ share: '20%' });
    r = await cli(world, ['apply', canary, '--yes']);
    expect(r.code, output(r)).toBe(0);
    expect(weights(world)).toEqual({ gke: 204, aws: 51 });
  });
});
