/**
 * Credentials problems through the real AWS SDK against the EKS emulator on loopback: a named
 * profile that gives no credentials is reported by its name, where it came from and where it was
 * looked up, instead of the SDK's "Could not load credentials from any providers"; a profile that
 * exists is used; the SDK's own warnings never reach the terminal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { FailoverError } from '../../src/engine/errors.js';
import { Redactor } from '../../src/engine/redact.js';
import { createEksReader } from '../../src/providers/eks/adapter.js';
import { type EksEmulator, seedWriteupEks, startEksEmulator } from '../../src/sandbox/eks/index.js';

const VARIABLES = [
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  // Keeps the credential chain from asking an instance metadata service.
  'AWS_EC2_METADATA_DISABLED',
] as const;

let eks: EksEmulator;
let dir: string;
const saved: Partial<Record<(typeof VARIABLES)[number], string>> = {};

beforeAll(async () => {
  eks = await startEksEmulator();
  seedWriteupEks(eks.model);
});
afterAll(async () => {
  await eks?.close();
});

beforeEach(() => {
  // The SDK reads the process environment itself: each case sets exactly what it needs.
  for (const name of VARIABLES) {
    saved[name] = process.env[name];
    delete process.env[name];
  }
  dir = mkdtempSync(join(tmpdir(), 'failover-aws-credentials-'));
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
});
afterEach(() => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function reader(profile?: string) {
  const config = Config.parse({
    aws: { region: 'us-east-1', ...(profile ? { profile } : {}) },
    eks: { cluster: 'standby-aws', endpoint: eks.url },
  });
  return createEksReader({ config, env: process.env, redactor: new Redactor(), runId: 'r' });
}

async function failure(read: Promise<unknown>): Promise<FailoverError> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(FailoverError.is(error), String(error)).toBe(true);
  return error as FailoverError;
}

describe('AWS credentials', () => {
  it('an unknown AWS_PROFILE is named, with where it came from and that no profile file exists', async () => {
    process.env.AWS_PROFILE = 'nope';
    const error = await failure(reader().describeCluster());
    expect(error.code).toBe('FO_AWS_E3006');
    expect(error.message).toContain('AWS profile "nope" (from AWS_PROFILE) gave no credentials');
    expect(error.message).toContain(`neither ${join(dir, 'config')} nor ${join(dir, 'credentials')} exists`);
    expect(error.hint).toContain('aws configure list-profiles');
  });

  it("the config's aws.profile wins over AWS_PROFILE, and the files that exist are named", async () => {
    process.env.AWS_PROFILE = 'from-env';
    writeFileSync(join(dir, 'credentials'), '[other]\naws_access_key_id = x\naws_secret_access_key = y\n');
    const error = await failure(reader('ops-prod').describeCluster());
    expect(error.message).toContain('AWS profile "ops-prod" (from aws.profile in the config)');
    expect(error.message).toContain(`looked up in ${join(dir, 'credentials')}`);
    expect(error.message).not.toContain('from-env');
  });

  it('says that a profile takes precedence over static keys, without printing the SDK warning', async () => {
    const warn = vi.spyOn(console, 'warn');
    process.env.AWS_PROFILE = 'nope';
    process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLEKEY000001';
    process.env.AWS_SECRET_ACCESS_KEY = 'sandbox-secret-never-printed';
    const error = await failure(reader().describeCluster());
    expect(error.message).toContain('the profile takes precedence over them');
    expect(error.message).not.toContain('sandbox-secret-never-printed');
    expect(warn).not.toHaveBeenCalled();
  });

  it('a profile that exists in the credentials file is used: the cluster is read', async () => {
    process.env.AWS_PROFILE = 'ops';
    writeFileSync(join(dir, 'credentials'), '[ops]\naws_access_key_id = x\naws_secret_access_key = y\n');
    const health = await reader().describeCluster();
    expect(health).toMatchObject({ status: 'ACTIVE' });
  });

  it('no profile and no keys: says what was looked at', async () => {
    const error = await failure(reader().describeCluster());
    expect(error.code).toBe('FO_AWS_E3006');
    expect(error.message).toContain('no AWS credentials found (environment variables,');
    expect(error.message).toContain(join(dir, 'credentials'));
  });
});
