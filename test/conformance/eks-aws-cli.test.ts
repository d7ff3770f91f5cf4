/**
 * An independent client: the AWS CLI (botocore, Python) reads the EKS emulator. botocore parses
 * rest-json with its own code and the service model, so shape or error-format mistakes that the
 * JS SDK tolerates show up here.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EksEmulator, seedWriteupEks, startEksEmulator } from '../../src/sandbox/eks/index.js';

const run = promisify(execFile);

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const hasAws = onPath('aws');

let emu: EksEmulator;

/** Dummy credentials, a fixed region, and none of the user's config. */
function cliEnv(configFile = '/dev/null'): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

/** Runs `aws eks …` against an emulator (the shared one by default). */
async function awsEks(
  args: string[],
  options: { url?: string; configFile?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  return run('aws', ['eks', ...args, '--endpoint-url', options.url ?? emu.url, '--output', 'json'], {
    env: cliEnv(options.configFile),
    timeout: 30_000,
  });
}

beforeAll(async () => {
  emu = await startEksEmulator();
  seedWriteupEks(emu.model);
});

afterAll(async () => {
  await emu?.close();
});

// Skipped when the AWS CLI is not installed: this test exists to compare against it.
const title = hasAws
  ? 'EKS emulator read by the AWS CLI'
  : 'EKS emulator read by the AWS CLI (skipped: the `aws` command is not on PATH)';

describe.skipIf(!hasAws)(title, () => {
  it('describe-cluster', async () => {
    const { stdout } = await awsEks(['describe-cluster', '--name', 'standby-aws']);
    const { cluster } = JSON.parse(stdout);
    expect(cluster).toMatchObject({
      name: 'standby-aws',
      arn: 'arn:aws:eks:us-east-1:123456789012:cluster/standby-aws',
      status: 'ACTIVE',
      version: '1.31',
      health: { issues: [] },
    });
    // Without a config file the CLI prints timestamps as sent: epoch seconds.
    expect(typeof cluster.createdAt).toBe('number');
    expect(Math.abs(cluster.createdAt * 1000 - Date.now())).toBeLessThan(60_000);
  });

  it('createdAt parses as a botocore timestamp (cli_timestamp_format = iso8601)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-aws-cli-'));
    try {
      const configFile = join(dir, 'config');
      writeFileSync(configFile, '[default]\ncli_timestamp_format = iso8601\n');
      const { stdout } = await awsEks(['describe-cluster', '--name', 'standby-aws'], { configFile });
      const { cluster } = JSON.parse(stdout);
      expect(cluster.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      expect(Math.abs(Date.parse(cluster.createdAt) - Date.now())).toBeLessThan(60_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('list-clusters, list-nodegroups and describe-nodegroup', async () => {
    expect(JSON.parse((await awsEks(['list-clusters'])).stdout)).toEqual({ clusters: ['standby-aws'] });
    expect(JSON.parse((await awsEks(['list-nodegroups', '--cluster-name', 'standby-aws'])).stdout)).toEqual({
      nodegroups: ['general'],
    });
    const { nodegroup } = JSON.parse(
      (await awsEks(['describe-nodegroup', '--cluster-name', 'standby-aws', '--nodegroup-name', 'general']))
        .stdout,
    );
    expect(nodegroup).toMatchObject({
      nodegroupName: 'general',
      clusterName: 'standby-aws',
      status: 'ACTIVE',
      scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 3 },
      health: { issues: [] },
    });
  });

  it('a missing cluster fails with ResourceNotFoundException and the EKS message on stderr', async () => {
    const error = await awsEks(['describe-cluster', '--name', 'nope']).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(error).toBeDefined();
    expect(error?.code).not.toBe(0);
    expect(error?.stderr).toContain(
      'An error occurred (ResourceNotFoundException) when calling the DescribeCluster operation: No cluster found for name: nope.',
    );
  });

  it('the CLI paginates list-clusters through nextToken', async () => {
    const paged = await startEksEmulator();
    try {
      for (const name of ['a', 'b', 'c']) paged.model.createCluster({ name });
      const { stdout } = await awsEks(['list-clusters', '--page-size', '1'], { url: paged.url });
      expect(JSON.parse(stdout)).toEqual({ clusters: ['a', 'b', 'c'] });
      expect(paged.control.log.operations()).toEqual(['ListClusters', 'ListClusters', 'ListClusters']);
    } finally {
      await paged.close();
    }
  });
});
