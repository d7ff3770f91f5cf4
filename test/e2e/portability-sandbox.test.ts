/**
 * A GitOps tree of its own (test/fixtures/portability/ledger: the AWS overlay takes a GKE base with
 * a BackendConfig, NEG annotations, a GKE node selector, a Stackdriver external-metric HPA and an
 * ExternalSecret) against the sandbox, whose clusters serve a declared set of kinds: the rehearsal
 * predicts the failure, to-aws refuses before any change, `--force` meets Argo CD's own sync error
 * and rolls back to byte-identical overlays; made portable by overlay patches, the live check still
 * catches a CRD missing on the AWS cluster, a failing ExternalSecret is named by the wait, and a
 * round trip succeeds once the secret store heals. One sandbox for the whole file.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortabilityReport } from '../../src/lint/portability/index.js';
import { git, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import {
  cli,
  commitsSinceSeed,
  lockHeld,
  mutatingRequests,
  remoteHead,
  startWorld,
  stopWorlds,
  type World,
  waitUntil,
  weights,
} from './failover-helpers.js';
import { assertBuilt, ROOT, removeTempDirs, tempDir } from './helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'portability');
const OVERLAYS = ['overlays/aws/kustomization.yaml', 'overlays/gke/kustomization.yaml'];
const CRD_MESSAGE =
  'The Kubernetes API could not find cloud.google.com/BackendConfig for requested resource ledger/ledger-api. Make sure the "BackendConfig" CRD is installed on the destination cluster.';

let world: World;
beforeAll(async () => {
  assertBuilt();
  world = await startWorld(undefined, { repoFrom: join(FIXTURES, 'ledger') });
}, 120_000);
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

/** Every overlay file as a fresh clone of the remote has it. */
async function clonedOverlays(): Promise<Record<string, Buffer>> {
  const dir = join(tempDir('failover-clone-'), 'gitops');
  await git(['clone', '--quiet', world.sandbox.info.git.remote, dir]);
  return Object.fromEntries(OVERLAYS.map((path) => [path, readFileSync(join(dir, path))]));
}

/** admin-aws as Argo CD's API answers it (status.operationState, conditions). */
async function awsApp(): Promise<{
  status: {
    sync: { status: string; revision?: string };
    operationState?: {
      phase: string;
      message: string;
      syncResult?: { resources: { status: string; message: string }[] };
    };
  };
}> {
  const response = await fetch(`${world.sandbox.info.argocd.endpoint}/api/v1/applications/admin-aws`, {
    headers: { authorization: `Bearer ${world.sandbox.argocdToken}` },
  });
  return (await response.json()) as Awaited<ReturnType<typeof awsApp>>;
}

/** `failover lint portability --output json` on both overlays of the sandbox's config, in `tree`. */
async function lintConfigOverlays(
  tree: string,
): Promise<{ code: number | null; stdout: string; stderr: string; report: PortabilityReport }> {
  const r = await cli(world, ['--output', 'json', 'lint', 'portability', '--repo', tree]);
  return { ...r, report: JSON.parse(r.stdout) as PortabilityReport };
}

describe('a GKE base on the AWS standby, against the sandbox', { timeout: 900_000 }, () => {
  it('the AWS cluster does not serve BackendConfig: Argo CD fails the sync with its own message', async () => {
    const app = await awsApp();
    expect(app.status.sync.status).toBe('OutOfSync');
    expect(app.status.operationState?.phase).toBe('Failed');
    expect(app.status.operationState?.message).toBe('one or more synchronization tasks are not valid');
    expect(app.status.operationState?.syncResult?.resources).toContainEqual(
      expect.objectContaining({ status: 'SyncFailed', message: CRD_MESSAGE }),
    );
  });

  it('the rehearsal predicts it; to-aws refuses before any change', async () => {
    const rehearsal = await cli(world, ['drill', '--mode', 'rehearsal'], { timeoutMs: 300_000 });
    expect(rehearsal.code, `${rehearsal.stdout}\n${rehearsal.stderr}`).toBe(1);
    for (const named of [
      'BackendConfig ledger/ledger-api servable on AWS',
      'Deployment ledger/ledger-api servable on AWS',
      'HorizontalPodAutoscaler ledger/ledger-api servable on AWS',
    ])
      expect(rehearsal.stdout).toContain(named);

    const head = await remoteHead(world);
    world.sandbox.clearRequests();
    const refused = await cli(world, ['to-aws', '--yes', '--incident', 'INC-77'], { timeoutMs: 300_000 });
    expect(refused.code, `${refused.stdout}\n${refused.stderr}`).toBe(1);
    expect(refused.stdout).toMatch(/check failed: .*BackendConfig ledger\/ledger-api servable on AWS/);
    expect(mutatingRequests(world)).toEqual([]);
    expect(await remoteHead(world)).toBe(head);
    expect(weights(world)).toEqual({ gke: 255, aws: 0 });
  });

  it('--force: the sync fails with the real message, the run rolls back, every overlay byte-identical', async () => {
    const before = await clonedOverlays();
    const forced = await cli(
      world,
      ['to-aws', '--yes', '--force', '--incident', 'INC-77', '--timeout', '60s'],
      {
        timeoutMs: 300_000,
      },
    );
    expect(forced.code, `${forced.stdout}\n${forced.stderr}`).toBe(1);
    // One line: the app, the revision, the object and Argo CD's message naming the CRD.
    expect(forced.stdout + forced.stderr).toMatch(
      /Argo CD could not sync the aws apps: admin-aws: sync to [0-9a-f]{7} failed: BackendConfig ledger\/ledger-api: The Kubernetes API could not find cloud\.google\.com\/BackendConfig for requested resource ledger\/ledger-api\. Make sure the "BackendConfig" CRD is installed on the destination cluster\./,
    );
    expect(forced.stdout).toMatch(/rolled back: activate-aws, fence-gke/);
    expect(await clonedOverlays()).toEqual(before);
    expect(weights(world)).toEqual({ gke: 255, aws: 0 });
    expect(await lockHeld(world)).toBe(false);
  });

  it('made portable with overlay patches: the live check still catches a CRD the AWS cluster lacks', async () => {
    // The secret store fails from now on: the ExternalSecret the portable sync creates never syncs.
    world.sandbox.setSecretStore('aws', { failing: true });
    await pushChange({
      remote: world.sandbox.info.git.remote,
      message: 'aws: drop what only GKE serves, in the overlay',
      change: (dir) =>
        cpSync(join(FIXTURES, 'ledger-portable'), join(dir, 'overlays', 'aws'), { recursive: true }),
    });
    await waitUntil(
      'admin-aws synced the portable overlay',
      async () => (await awsApp()).status.operationState?.phase === 'Succeeded',
      30_000,
      200,
    );

    const tree = join(tempDir('failover-lint-'), 'gitops');
    await git(['clone', '--quiet', world.sandbox.info.git.remote, tree]);
    // External Secrets Operator uninstalled from the AWS cluster: no version of the kind is served.
    const versions = ['external-secrets.io/v1/ExternalSecret', 'external-secrets.io/v1beta1/ExternalSecret'];
    for (const gvk of versions) world.sandbox.serveKind('aws', gvk, false);
    try {
      const rehearsal = await cli(world, ['drill', '--mode', 'rehearsal'], { timeoutMs: 300_000 });
      expect(rehearsal.code, rehearsal.stdout).toBe(1);
      expect(rehearsal.stdout).toContain('ExternalSecret ledger/db-credentials servable on AWS');
      expect(rehearsal.stdout).toContain(
        'cluster aws-standby does not serve external-secrets.io/v1beta1 ExternalSecret',
      );
      expect(rehearsal.stdout).not.toContain('BackendConfig ledger/ledger-api servable');
      // The sync would fail with Argo CD's message for it; the check quotes it.
      expect(rehearsal.stdout).toContain(
        'The Kubernetes API could not find external-secrets.io/ExternalSecret for requested resource ledger/db-credentials. Make sure the "ExternalSecret" CRD is installed on the destination cluster.',
      );

      // `lint portability` with the config (Argo CD in it) compares the same way, on a clone.
      const lint = await lintConfigOverlays(tree);
      expect(lint.code, `${lint.stdout}\n${lint.stderr}`).toBe(1);
      expect(
        lint.report.findings.map((f) => `${f.target} ${f.rule} ${f.object.kind} ${f.object.name}`),
      ).toEqual(['aws unserved-kind ExternalSecret db-credentials']);
      expect(lint.report.findings[0]?.message).toContain(
        'cluster aws-standby does not serve external-secrets.io/v1beta1 ExternalSecret',
      );
      expect(lint.report.findings[0]?.message).toContain('Make sure the "ExternalSecret" CRD is installed');
      expect(lint.report.findings[0]?.source?.file).toMatch(/base\/db-credentials\.yaml$/);
    } finally {
      for (const gvk of versions) world.sandbox.serveKind('aws', gvk, true);
    }
    // Installed again: portable, every kind of each overlay served by its cluster.
    const clean = await lintConfigOverlays(tree);
    expect(clean.code, `${clean.stdout}\n${clean.stderr}`).toBe(0);
    expect(clean.report.live?.map((l) => [l.target, l.clusters, l.skipped])).toEqual([
      ['aws', ['aws-standby'], undefined],
      ['gcp', ['gke-primary'], undefined],
    ]);
    const text = await cli(world, ['--no-color', 'lint', 'portability', '--repo', tree]);
    expect(text.stdout).toContain('live check: kinds compared with what aws-standby serves (Argo CD)');
  });

  it('a failing ExternalSecret is named by the wait; healed, the round trip succeeds', async () => {
    const failing = await cli(world, ['to-aws', '--yes', '--incident', 'INC-78', '--timeout', '20s'], {
      timeoutMs: 300_000,
    });
    expect(failing.code, `${failing.stdout}\n${failing.stderr}`).toBe(1);
    expect(failing.stdout + failing.stderr).toMatch(
      /Deployment ledger\/ledger-api: 0\/2 ready, want 2, waiting for ExternalSecret ledger\/db-credentials: SecretSyncedError could not get secret data from provider: key "ledger\/database"/,
    );
    expect(weights(world)).toEqual({ gke: 255, aws: 0 });

    world.sandbox.setSecretStore('aws');
    const started = Date.now();
    const toAws = await cli(world, ['to-aws', '--yes', '--incident', 'INC-78'], { timeoutMs: 300_000 });
    expect(toAws.code, `${toAws.stdout}\n${toAws.stderr}`).toBe(0);
    const toAwsMs = Date.now() - started;
    expect(weights(world)).toEqual({ gke: 0, aws: 255 });
    expect(world.sandbox.argocd.model.workloads('admin-aws')).toContainEqual(
      expect.objectContaining({ name: 'ledger-api', readyReplicas: 2 }),
    );
    const toGcp = await cli(world, ['to-gcp', '--yes', '--incident', 'INC-78'], { timeoutMs: 300_000 });
    expect(toGcp.code, `${toGcp.stdout}\n${toGcp.stderr}`).toBe(0);
    expect(weights(world)).toEqual({ gke: 255, aws: 0 });
    expect((await commitsSinceSeed(world)).at(-1)).toMatch(/failover: /);
    console.log(`ledger round trip: to-aws ${toAwsMs} ms, total ${Date.now() - started} ms`);
  });
});
