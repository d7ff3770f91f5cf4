/**
 * The real AWS CLI (botocore, an independent implementation of the REST-XML protocol) against the
 * Route 53 emulator: if botocore parses our answers into the documented JSON, the wire format holds.
 */
import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** Only what the CLI needs: no profile, no config, no credentials from the machine. */
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

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let emu: Route53Emulator;
let seed: WriteupSeed;

function route53(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'aws',
      ['route53', ...args, '--endpoint-url', emu.url, '--output', 'json'],
      { env: cliEnv, timeout: 25_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a CLI call that must succeed and returns its parsed JSON output. */
async function json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const result = await route53(...args);
  if (result.code !== 0) throw new Error(`aws route53 ${args[0]} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface Instance {
  Id: string;
  HostedZoneId: string;
  Name: string;
  TTL: number;
  State: string;
  Message: string;
  TrafficPolicyId: string;
  TrafficPolicyVersion: number;
  TrafficPolicyType: string;
}

const suiteName = awsAvailable
  ? 'AWS CLI (botocore) against the Route 53 emulator'
  : 'AWS CLI against the Route 53 emulator — skipped: the `aws` command is not installed on this machine';

// The CLI starts a Python interpreter per call; give each test room.
describe.skipIf(!awsAvailable)(suiteName, { timeout: 60_000 }, () => {
  beforeAll(async () => {
    emu = await startRoute53Emulator({ rateLimit: false });
    seed = seedWriteupScenario(emu.model);
  });

  afterAll(async () => {
    await emu?.close();
  });

  it('get-traffic-policy-instance and list-traffic-policy-instances', async () => {
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const got = await json<{ TrafficPolicyInstance: Instance }>('get-traffic-policy-instance', '--id', id);
    expect(got.TrafficPolicyInstance).toEqual({
      Id: id,
      HostedZoneId: seed.hostedZoneId,
      Name: 'admin.example.com.',
      TTL: 60,
      State: 'Applied',
      Message: '',
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
      TrafficPolicyType: 'A',
    });
    const listed = await json<{ TrafficPolicyInstances: Instance[]; IsTruncated: boolean; MaxItems: string }>(
      'list-traffic-policy-instances',
    );
    expect(listed.TrafficPolicyInstances.map((i) => i.Id)).toEqual([id]);
    expect(listed.IsTruncated).toBe(false);
    expect(listed.MaxItems).toBe('100');
  });

  it('get-traffic-policy, create-traffic-policy-version and update-traffic-policy-instance', async () => {
    const id = seed.trafficPolicyInstanceIds[0] as string;
    const v1 = await json<{
      TrafficPolicy: { Document: string; Version: number; Type: string; Name: string };
    }>(
      'get-traffic-policy',
      '--id',
      seed.trafficPolicyId,
      // The CLI renames the Version member, which would clash with its global --version.
      '--traffic-policy-version',
      '1',
    );
    expect(v1.TrafficPolicy).toMatchObject({ Version: 1, Type: 'A', Name: 'admin-example-com' });
    const document = JSON.parse(v1.TrafficPolicy.Document) as {
      Rules: { split: { Items: Array<{ Weight: string }> } };
    };
    expect(document.Rules.split.Items.map((i) => i.Weight)).toEqual(['255', '0']);
    document.Rules.split.Items = document.Rules.split.Items.map((item, i) => ({
      ...item,
      Weight: i ? '255' : '0',
    }));

    const v2 = await json<{ TrafficPolicy: { Version: number; Comment: string }; Location: string }>(
      'create-traffic-policy-version',
      '--id',
      seed.trafficPolicyId,
      '--document',
      JSON.stringify(document),
      '--comment',
      'to-aws via the CLI',
    );
    expect(v2.TrafficPolicy).toMatchObject({ Version: 2, Comment: 'to-aws via the CLI' });
    expect(v2.Location).toBe(`${emu.url}/2013-04-01/trafficpolicy/${seed.trafficPolicyId}/2`);

    const updated = await json<{ TrafficPolicyInstance: Instance }>(
      'update-traffic-policy-instance',
      '--id',
      id,
      '--ttl',
      '30',
      '--traffic-policy-id',
      seed.trafficPolicyId,
      '--traffic-policy-version',
      '2',
    );
    expect(updated.TrafficPolicyInstance).toMatchObject({
      State: 'Updating',
      TrafficPolicyVersion: 2,
      TTL: 30,
    });
    emu.model.completePropagation();
    const applied = await json<{ TrafficPolicyInstance: Instance }>(
      'get-traffic-policy-instance',
      '--id',
      id,
    );
    expect(applied.TrafficPolicyInstance.State).toBe('Applied');
  });

  it('change-resource-record-sets, get-change and list-resource-record-sets', async () => {
    const batch = {
      Comment: 'cli',
      Changes: [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'cli.example.com',
            Type: 'A',
            SetIdentifier: 'gke',
            Weight: 200,
            TTL: 60,
            ResourceRecords: [{ Value: '203.0.113.50' }],
          },
        },
      ],
    };
    const changed = await json<{
      ChangeInfo: { Id: string; Status: string; SubmittedAt: string; Comment: string };
    }>(
      'change-resource-record-sets',
      '--hosted-zone-id',
      seed.hostedZoneId,
      '--change-batch',
      JSON.stringify(batch),
    );
    expect(changed.ChangeInfo.Id).toMatch(/^\/change\/C[A-Z0-9]+$/);
    expect(changed.ChangeInfo.Status).toBe('PENDING');
    expect(Number.isNaN(Date.parse(changed.ChangeInfo.SubmittedAt))).toBe(false);

    const change = await json<{ ChangeInfo: { Status: string } }>(
      'get-change',
      '--id',
      changed.ChangeInfo.Id,
    );
    expect(change.ChangeInfo.Status).toBe('INSYNC');

    // The CLI follows NextRecordName/Type/Identifier itself; page size 1 makes it walk every page.
    const listed = await json<{ ResourceRecordSets: Array<Record<string, unknown>> }>(
      'list-resource-record-sets',
      '--hosted-zone-id',
      seed.hostedZoneId,
      '--page-size',
      '1',
    );
    const names = listed.ResourceRecordSets.map((r) => `${r.Name} ${r.Type} ${r.SetIdentifier ?? '-'}`);
    expect(names).toEqual([
      'example.com. NS -',
      'example.com. SOA -',
      'admin.example.com. A -',
      'app.example.com. A aws',
      'app.example.com. A gke',
      'cli.example.com. A gke',
    ]);
    expect(listed.ResourceRecordSets[5]).toEqual({
      Name: 'cli.example.com.',
      Type: 'A',
      SetIdentifier: 'gke',
      Weight: 200,
      TTL: 60,
      ResourceRecords: [{ Value: '203.0.113.50' }],
    });
    expect(listed.ResourceRecordSets[3]).toMatchObject({
      SetIdentifier: 'aws',
      Weight: 0,
      AliasTarget: { HostedZoneId: 'Z14GRHDCWA56QT', EvaluateTargetHealth: true },
      HealthCheckId: seed.healthCheckIds.aws,
    });
  });

  it('get-health-check-status', async () => {
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.gke, false);
    const status = await json<{
      HealthCheckObservations: Array<{
        Region: string;
        IPAddress: string;
        StatusReport: { Status: string; CheckedTime: string };
      }>;
    }>('get-health-check-status', '--health-check-id', seed.healthCheckIds.gke);
    expect(status.HealthCheckObservations).toHaveLength(8);
    for (const observation of status.HealthCheckObservations) {
      expect(observation.StatusReport.Status).toBe('Failure: HTTP Status Code 503, Service Unavailable');
      expect(Number.isNaN(Date.parse(observation.StatusReport.CheckedTime))).toBe(false);
    }
    emu.model.setHealthCheckHealthy(seed.healthCheckIds.gke, true);
  });

  it('list-traffic-policy-instances-by-hosted-zone', async () => {
    const listed = await json<{ TrafficPolicyInstances: Instance[]; IsTruncated: boolean }>(
      'list-traffic-policy-instances-by-hosted-zone',
      '--hosted-zone-id',
      seed.hostedZoneId,
    );
    expect(listed.TrafficPolicyInstances.map((i) => [i.Name, i.State])).toEqual([
      ['admin.example.com.', 'Applied'],
    ]);
    expect(listed.IsTruncated).toBe(false);
  });

  it('record-set errors: InvalidInput for a malformed change, InvalidChangeBatch for a zone conflict', async () => {
    const batch = (record: Record<string, unknown>, action = 'CREATE') =>
      JSON.stringify({ Changes: [{ Action: action, ResourceRecordSet: record }] });
    const malformed = await route53(
      'change-resource-record-sets',
      '--hosted-zone-id',
      seed.hostedZoneId,
      '--change-batch',
      batch({
        Name: 'w.example.com',
        Type: 'A',
        Weight: 3,
        TTL: 60,
        ResourceRecords: [{ Value: '192.0.2.9' }],
      }),
    );
    expect([254, 255]).toContain(malformed.code);
    expect(malformed.stderr).toContain('(InvalidInput)');
    expect(malformed.stderr).toContain("Missing field 'SetIdentifier'");
    const missing = await route53(
      'change-resource-record-sets',
      '--hosted-zone-id',
      seed.hostedZoneId,
      '--change-batch',
      batch(
        { Name: 'gone.example.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.9' }] },
        'DELETE',
      ),
    );
    expect(missing.stderr).toContain('(InvalidChangeBatch)');
    expect(missing.stderr).toContain(
      "[Tried to delete resource record set [name='gone.example.com.', type='A'] but it was not found]",
    );
  });

  it('reports service errors with a non-zero exit and the error code', async () => {
    const missing = await route53(
      'get-traffic-policy-instance',
      '--id',
      '11111111-2222-3333-4444-555555555555',
    );
    expect([254, 255]).toContain(missing.code);
    expect(missing.stderr).toContain('NoSuchTrafficPolicyInstance');
    expect(missing.stderr).toContain('GetTrafficPolicyInstance');

    const invalid = await route53(
      'create-traffic-policy-version',
      '--id',
      seed.trafficPolicyId,
      '--document',
      '{"AWSPolicyFormatVersion":"2015-10-01"}',
    );
    expect([254, 255]).toContain(invalid.code);
    expect(invalid.stderr).toContain('InvalidTrafficPolicyDocument');
    expect(invalid.stderr).toContain('RecordType is required');
  });
});
