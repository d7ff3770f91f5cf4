/**
 * What a command loads is what it needs: each cloud SDK costs hundreds of milliseconds to load, and
 * every CLI start pays for what it imports. The built CLI runs against the sandbox with a preload
 * that records every module resolved or required (helpers.importRecorder).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopWorlds, withWorld } from './failover-helpers.js';
import { assertBuilt, failover, importRecorder, removeTempDirs, tempDir } from './helpers.js';

beforeAll(assertBuilt);
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

const DATADOG = /@datadog\/datadog-api-client/;
const ANTHOS = /@google-cloud\/gkemulticloud/;
// The package index of @google-cloud/container (as a request or a resolved file) and the 12 MB
// generated protobuf module it requires ("../protos/protos"); the client's protos.json is fine.
const GKE_INDEX =
  /^(require|import) @google-cloud\/container( |$)|@google-cloud\/container\/build\/src\/index\.js|\/protos\/protos(\.js)?$/;
const GOOGLE = /google-gax|@grpc\/grpc-js|@google-cloud\//;

async function recorded(env: NodeJS.ProcessEnv, cwd: string, args: string[]) {
  const dir = tempDir('failover-modules-');
  const log = join(dir, 'modules.log');
  const r = await failover(args, { env, cwd, nodeArgs: importRecorder(dir, log), timeoutMs: 60_000 });
  return { ...r, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe.concurrent('cloud SDKs load only when a step calls them', { timeout: 90_000 }, () => {
  it('status loads the GKE v1 client and the AWS SDKs it reads with, not Datadog, Anthos or the step kinds', () =>
    withWorld(async (world) => {
      const r = await recorded(world.env, world.dir, ['status']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/gke admin-gke .*RUNNING/);
      const loaded = (pattern: RegExp) => r.modules.filter((line) => pattern.test(line));
      expect(loaded(/@google-cloud\/container\/build\/src\/v1\/cluster_manager_client/)).not.toEqual([]);
      expect(loaded(/@aws-sdk\/client-route-53/)).not.toEqual([]);
      expect(loaded(/@aws-sdk\/client-eks/)).not.toEqual([]);
      expect(loaded(DATADOG)).toEqual([]);
      expect(loaded(ANTHOS)).toEqual([]);
      expect(loaded(GKE_INDEX)).toEqual([]);
      // Nor the step kinds and their lint modules: status plans no runbook.
      expect(loaded(/\/dist\/(steps\/registry\.js|steps\/route53\/|lint\/)/)).toEqual([]);
    }));

  it('a runbook that checks EKS only loads the EKS client: no Google client, Route 53 or Datadog', () =>
    withWorld(async (world) => {
      const runbook = join(world.dir, 'eks-only.yaml');
      writeFileSync(
        runbook,
        [
          'name: eks-only',
          'steps:',
          '  - id: aws-cluster',
          '    uses: check.eks-cluster',
          '    with: { required: true }',
          '',
        ].join('\n'),
      );
      const r = await recorded(world.env, world.dir, ['run', runbook, '--yes']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      // The plan (on stderr) shows what the check read.
      expect(r.stderr).toMatch(/eks standby-aws: ACTIVE/);
      const loaded = (pattern: RegExp) => r.modules.filter((line) => pattern.test(line));
      expect(loaded(/@aws-sdk\/client-eks/)).not.toEqual([]);
      expect(loaded(/@aws-sdk\/client-route-53/)).toEqual([]);
      expect(loaded(GOOGLE)).toEqual([]);
      expect(loaded(DATADOG)).toEqual([]);
      // Without a terminal the live tree is not drawn: log-update and its ANSI helpers stay unloaded.
      expect(loaded(/log-update|wrap-ansi|render\/tree\.js/)).toEqual([]);
    }));
});
