/**
 * config.schema.json (for failover.config.yaml) is generated from the zod config schema; an
 * independent validator (ajv) and the config loader must agree on the configs the project ships
 * or writes (the sandbox's, the CronJob example, the README's) and on wrong types.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../../../src/config/json-schema.js';
import { parseConfig } from '../../../src/config/load.js';
import { Config } from '../../../src/config/schema.js';
import { type Sandbox, startSandbox } from '../../../src/sandbox/sandbox.js';
import type { JsonSchema } from '../../../src/util/json-schema.js';
import { compileSchema, schemaErrors } from '../util/ajv.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const COMMITTED = join(ROOT, CONFIG_SCHEMA_FILE);
const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as JsonSchema;
const validate = compileSchema(committed);

function loaderProblems(text: string): string[] {
  try {
    parseConfig(text, '/etc/failover/failover.config.yaml', {});
    return [];
  } catch (error) {
    const problems = (error as { problems?: { path?: string; message: string }[] }).problems;
    if (!problems) throw error;
    return problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const verdicts = (text: string) => ({
  schema: schemaErrors(validate, parse(text) ?? {}),
  loader: loaderProblems(text),
});

/** The first line of a config that editors read, resolved against the config's folder. */
function modelineTarget(text: string, folder: string): string | undefined {
  const ref = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text)?.[1];
  if (!ref) return undefined;
  return ref.startsWith('file:') ? fileURLToPath(ref) : resolve(folder, ref);
}

describe('config.schema.json', () => {
  it('equals the schema generated from the zod config schema (run `npm run schema` after changing it)', () => {
    expect(existsSync(COMMITTED), 'config.schema.json is missing: run `npm run schema`').toBe(true);
    expect(committed).toEqual(configJsonSchema());
  });

  it('is draft-07, compiles in strict mode and covers every top-level section', () => {
    expect(committed.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(Object.keys(committed.properties as JsonSchema).sort()).toEqual(Object.keys(Config.shape).sort());
    expect(committed.additionalProperties).toBe(false);
  });

  it('is shipped in the package', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain(CONFIG_SCHEMA_FILE);
  });

  it('accepts the example config of the drill CronJob, which names it in its modeline', () => {
    const file = join(ROOT, 'deploy/drill-cronjob/failover.config.yaml');
    const text = readFileSync(file, 'utf8');
    expect(modelineTarget(text, dirname(file))).toBe(COMMITTED);
    expect(verdicts(text)).toEqual({ schema: [], loader: [] });
  });

  it('accepts every config example in README.md', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const sections = new Set(Object.keys(Config.shape));
    const examples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .filter((text) => {
        const data = parse(text) as unknown;
        return (
          typeof data === 'object' && data !== null && Object.keys(data).every((key) => sections.has(key))
        );
      });
    // Configuration, Metric gates, DNS verification.
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const text of examples) expect(verdicts(text)).toEqual({ schema: [], loader: [] });
  });

  it('still accepts a $schema key', () => {
    expect(verdicts('$schema: ./config.schema.json\naws: { region: eu-west-1 }\n')).toEqual({
      schema: [],
      loader: [],
    });
  });
});

describe('the config `failover sandbox start` writes', () => {
  let sandbox: Sandbox;
  const dir = mkdtempSync(join(tmpdir(), 'failover-config-schema-'));
  beforeAll(async () => {
    sandbox = await startSandbox({ dir });
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the package’s config.schema.json in its first line and validates against it', () => {
    const text = readFileSync(sandbox.info.config, 'utf8');
    expect(modelineTarget(text, dir)).toBe(COMMITTED);
    expect(verdicts(text)).toEqual({ schema: [], loader: [] });
  });
});

describe('wrong types: refused by the schema and by the loader alike', () => {
  it.each([
    [
      'a number as text',
      'route53:\n  trafficFlow:\n    instances: [tpi-1]\n    roles: { gcp: g, aws: a }\n    pollInterval: fast\n',
      'route53.trafficFlow.pollInterval',
    ],
    ['a boolean as text', 'approval: { required: "yes" }\n', 'approval.required'],
    ['a string as a number', 'aws: { region: 5 }\n', 'aws.region'],
    ['an unknown section', 'argo: { server: https://argocd.example.com }\n', 'argo'],
    ['an unknown field', 'aws: { region: eu-west-1, zone: a }\n', 'aws'],
    ['an enum value', 'route53: { mode: weighted }\n', 'route53.mode'],
    ['a URL', 'argocd: { server: not a url, awsApps: [a], gcpApps: [b] }\n', 'argocd.server'],
    ['a list as a mapping', 'probes: { aws: { url: https://a.example.com/healthz } }\n', 'probes.aws'],
    [
      'an expression (the config takes none)',
      'verify:\n  dns: { samples: "${{ params.n }}" }\n',
      'verify.dns.samples',
    ],
  ])('%s', (_what, text, path) => {
    const { schema, loader } = verdicts(text);
    expect(schema, 'schema').not.toEqual([]);
    expect(loader.join('\n'), 'loader').toContain(path);
  });
});
