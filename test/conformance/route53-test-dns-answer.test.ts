/**
 * TestDNSAnswer against the Route 53 emulator through two independent clients: the AWS CLI
 * (`aws route53 test-dns-answer`, botocore's parser and model) and the AWS SDK for JavaScript.
 * The answers agree with what the sandbox DNS server says on the wire.
 */
import { execFile, execFileSync } from 'node:child_process';
import { Route53Client, TestDNSAnswerCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliasTargetAddress } from '../../src/sandbox/dns/index.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';

function hasAwsCli(): boolean {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
const awsAvailable = hasAwsCli();
if (!awsAvailable) console.warn('skipping the AWS CLI part: `aws` is not installed');

const cliEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PAGER: '',
};

const GKE = '198.18.0.42';
const ALB = 'k8s-ledger-ingress-5e5e5e5e5e-99887766.us-west-2.elb.amazonaws.com';
let emu: Route53Emulator;
let seed: WriteupSeed;
let client: Route53Client;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'aws',
      ['route53', 'test-dns-answer', ...args, '--endpoint-url', emu.url, '--output', 'json'],
      { env: cliEnv, timeout: 25_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  emu = await startRoute53Emulator({ rateLimit: false });
  seed = seedWriteupScenario(emu.model, { zoneName: 'ledger.test.', gkeAddress: GKE, awsAlbDnsName: ALB });
  client = new Route53Client({
    region: 'us-east-1',
    endpoint: emu.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client?.destroy();
  await emu?.close();
});

describe('TestDNSAnswer', () => {
  it.skipIf(!awsAvailable)('answers `aws route53 test-dns-answer` with the served record', async () => {
    const result = await cli(
      '--hosted-zone-id',
      seed.hostedZoneId,
      '--record-name',
      'admin.ledger.test',
      '--record-type',
      'A',
    );
    expect(result.stderr).toBe('');
    const nameServers = emu.model.getHostedZone(seed.hostedZoneId).DelegationSet.NameServers;
    expect(JSON.parse(result.stdout)).toEqual({
      Nameserver: nameServers[0],
      RecordName: 'admin.ledger.test',
      RecordType: 'A',
      RecordData: [GKE],
      ResponseCode: 'NOERROR',
      Protocol: 'UDP',
    });

    emu.model.setHealthCheckHealthy(seed.healthCheckIds.gke, false);
    const failedOver = JSON.parse(
      (
        await cli(
          '--hosted-zone-id',
          seed.hostedZoneId,
          '--record-name',
          'app.ledger.test',
          '--record-type',
          'A',
        )
      ).stdout,
    );
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.gke, true);
    expect(failedOver.RecordData).toEqual([aliasTargetAddress(ALB)]);

    const missing = JSON.parse(
      (
        await cli(
          '--hosted-zone-id',
          seed.hostedZoneId,
          '--record-name',
          'gone.ledger.test',
          '--record-type',
          'A',
        )
      ).stdout,
    );
    expect(missing).toMatchObject({ RecordData: [], ResponseCode: 'NXDOMAIN' });
  });

  it('answers the AWS SDK, NODATA included', async () => {
    const out = await client.send(
      new TestDNSAnswerCommand({
        HostedZoneId: seed.hostedZoneId,
        RecordName: 'admin.ledger.test',
        RecordType: 'A',
      }),
    );
    expect(out).toMatchObject({
      RecordData: [GKE],
      ResponseCode: 'NOERROR',
      Protocol: 'UDP',
      RecordType: 'A',
    });
    const noData = await client.send(
      new TestDNSAnswerCommand({
        HostedZoneId: seed.hostedZoneId,
        RecordName: 'admin.ledger.test',
        RecordType: 'TXT',
      }),
    );
    expect(noData.ResponseCode).toBe('NOERROR');
    expect(noData.RecordData ?? []).toEqual([]);
    await expect(
      client.send(
        new TestDNSAnswerCommand({
          HostedZoneId: seed.hostedZoneId,
          RecordName: 'x.ledger.test',
          RecordType: 'MD' as never,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(
      client.send(
        new TestDNSAnswerCommand({ HostedZoneId: 'ZNOSUCHZONE', RecordName: 'a.b', RecordType: 'A' }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchHostedZone' });
    expect(emu.control.log.entries.filter((e) => e.operation === 'TestDNSAnswer')).not.toHaveLength(0);
    expect(emu.control.log.mutating()).toHaveLength(0);
  });
});
