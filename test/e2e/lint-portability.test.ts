/**
 * `failover lint portability` as a user runs it, on a GitOps tree of its own
 * (test/fixtures/portability/shop: a GKE base that the AWS overlay takes as it is): exit codes,
 * the findings named with their source files, the JSON shape, and `--fix`, whose printed patches
 * are appended to a copy of the overlay and checked with the real `kubectl kustomize`.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PortabilityReport } from '../../src/lint/portability/index.js';
import { assertBuilt, cliEnv, failover, ROOT, removeTempDirs, tempDir } from './helpers.js';

const SHOP = join(ROOT, 'test', 'fixtures', 'portability', 'shop');
const run = promisify(execFile);

let env: NodeJS.ProcessEnv;
beforeAll(() => {
  assertBuilt();
  env = cliEnv(tempDir());
});
afterAll(removeTempDirs);

const lint = (args: string[], cwd = SHOP) =>
  failover(['--no-color', 'lint', 'portability', ...args], { env, cwd, timeoutMs: 60_000 });

/** A copy of the shop tree, to change without touching the fixture. */
function copyOfShop(): string {
  const dir = join(tempDir('failover-portability-'), 'shop');
  cpSync(SHOP, dir, { recursive: true });
  return dir;
}

async function kustomize(dir: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], {
    env: { PATH: process.env.PATH, KUBECONFIG: '/dev/null' },
  });
  return parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, unknown>);
}

describe('failover lint portability', { timeout: 60_000 }, () => {
  it('the AWS overlay that takes the GKE base as it is: exit 1, each trap named with its object and source file', async () => {
    const r = await lint(['--overlay', 'overlays/aws', '--cloud', 'aws']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^Overlay overlays\/aws on aws: 6 objects, 4 error\(s\), 3 warning\(s\)$/m);
    // The BackendConfig, where it is written, and why it breaks the sync.
    expect(r.stdout).toMatch(
      /^base\/storefront-gclb\.yaml:2 {2}error {2}gke-crd-cloud-google-com {2}\(BackendConfig shop\/storefront\)$/m,
    );
    expect(r.stdout).toContain('could not find cloud.google.com/BackendConfig');
    expect(r.stdout).toMatch(
      /^base\/storefront\.yaml:32 {2}warning {2}gke-neg-annotation {2}\(Service shop\/storefront\)\n {4}metadata\.annotations\["cloud\.google\.com\/neg"\]/m,
    );
    expect(r.stdout).toMatch(
      /^base\/storefront\.yaml:8 {2}error {2}gke-node-labels {2}\(Deployment shop\/storefront\)\n {4}spec\.template\.spec\.nodeSelector\["cloud\.google\.com\/gke-nodepool"\]: node selector cloud\.google\.com\/gke-nodepool=web-pool: .*Pending/m,
    );
    expect(r.stdout).toMatch(
      /^base\/storefront-hpa\.yaml:1 {2}error {2}stackdriver-external-metric {2}\(HorizontalPodAutoscaler shop\/storefront\)\n {4}spec\.metrics\[1\]\.external\.metric\.name: external metric loadbalancing\.googleapis\.com\|https\|request_count/m,
    );
    expect(r.stdout).toContain('required node affinity on cloud.google.com/gke-spot');
    expect(r.stdout).toContain('see  https://cloud.google.com/kubernetes-engine/docs/how-to/standalone-neg');
  });

  it('the same tree made portable with overlay patches: exit 0; the GKE overlay is portable on GKE', async () => {
    const portable = await lint(['--overlay', 'overlays/aws-portable', '--cloud', 'aws']);
    expect(portable.code, portable.stdout).toBe(0);
    expect(portable.stdout).toMatch(/^Overlay overlays\/aws-portable on aws: 5 objects, portable$/m);
    const gke = await lint(['--overlay', 'overlays/gke', '--cloud', 'gcp']);
    expect(gke.code, gke.stdout).toBe(0);
    // …but that one is not portable to AWS.
    expect((await lint(['--overlay', 'overlays/gke', '--cloud', 'aws'])).code).toBe(1);
  });

  it('--output json: the report, each finding with object, field, source, fix and docs', async () => {
    const r = await lint(['--output', 'json', '--overlay', 'overlays/aws', '--cloud', 'aws']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as PortabilityReport;
    expect(report.overlays).toEqual([{ overlay: 'overlays/aws', target: 'aws', rendered: true, objects: 6 }]);
    expect(report.problems).toEqual([]);
    expect(report.findings).toHaveLength(7);
    expect(
      report.findings.find((f) => f.rule === 'gke-node-labels' && f.object.kind === 'Deployment'),
    ).toEqual({
      rule: 'gke-node-labels',
      severity: 'error',
      target: 'aws',
      overlay: 'overlays/aws',
      object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'storefront', namespace: 'shop' },
      field: 'spec.template.spec.nodeSelector["cloud.google.com/gke-nodepool"]',
      value: 'cloud.google.com/gke-nodepool',
      message: expect.stringMatching(/^node selector cloud\.google\.com\/gke-nodepool=web-pool: /),
      source: { file: 'base/storefront.yaml', line: 8 },
      fix: {
        description: 'remove the node selector cloud.google.com/gke-nodepool',
        patch: {
          type: 'json6902',
          ops: [{ op: 'remove', path: '/spec/template/spec/nodeSelector/cloud.google.com~1gke-nodepool' }],
        },
      },
      docs: expect.stringMatching(/^https:\/\/cloud\.google\.com\//),
    });
    expect(report.findings.find((f) => f.object.kind === 'BackendConfig')?.fix.patch).toEqual({
      type: 'delete',
    });
  });

  it('--fix prints patches that, appended to the overlay, make it portable; the base is untouched', async () => {
    const tree = copyOfShop();
    const baseBefore = readFileSync(join(tree, 'base', 'storefront.yaml'), 'utf8');
    const r = await lint(['--overlay', 'overlays/aws', '--cloud', 'aws', '--fix'], tree);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^# failover lint portability --fix: append to overlays\/aws\/kustomization\.yaml\n/,
    );
    // The report goes to stderr, so stdout can be appended as it is.
    expect(r.stderr).toMatch(/4 error\(s\), 3 warning\(s\)/);
    appendFileSync(join(tree, 'overlays', 'aws', 'kustomization.yaml'), r.stdout);

    const rendered = await kustomize(join(tree, 'overlays', 'aws'));
    const text = JSON.stringify(rendered);
    expect(rendered.map((o) => o.kind)).not.toContain('BackendConfig');
    expect(text).not.toMatch(/cloud\.google\.com|googleapis\.com|iam\.gke\.io/);
    // The standby patch of the overlay still applies, and nothing else changed.
    const deployment = rendered.find((o) => o.kind === 'Deployment') as { spec: { replicas: number } };
    expect(deployment.spec.replicas).toBe(0);
    expect(JSON.stringify(rendered.find((o) => o.kind === 'HorizontalPodAutoscaler'))).toContain('"cpu"');

    const again = await lint(['--overlay', 'overlays/aws', '--cloud', 'aws'], tree);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/portable$/m);
    expect(readFileSync(join(tree, 'base', 'storefront.yaml'), 'utf8')).toBe(baseBefore);
  });

  it('without flags: both overlays of the config, each against its own cloud', async () => {
    const tree = copyOfShop();
    writeFileSync(
      join(tree, 'failover.yaml'),
      'gitops:\n  repo: https://git.example.com/shop.git\n  awsOverlay: overlays/aws\n  gcpOverlay: overlays/gke\n',
    );
    const r = await failover(['--no-color', '--output', 'json', 'lint', 'portability', '--repo', tree], {
      env: { ...env, FAILOVER_CONFIG: join(tree, 'failover.yaml') },
      cwd: tree,
    });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as PortabilityReport;
    expect(report.overlays.map((o) => [o.overlay, o.target, o.rendered])).toEqual([
      ['overlays/aws', 'aws', true],
      ['overlays/gke', 'gcp', true],
    ]);
    expect(new Set(report.findings.map((f) => f.overlay))).toEqual(new Set(['overlays/aws']));
  });

  it('bad input: --overlay without --cloud, an unknown cloud, an overlay that does not render', async () => {
    const noCloud = await lint(['--overlay', 'overlays/aws']);
    expect(noCloud.code).toBe(2);
    expect(noCloud.stderr).toMatch(/--overlay needs --cloud aws\|gcp/);
    const badCloud = await lint(['--overlay', 'overlays/aws', '--cloud', 'azure']);
    expect(badCloud.code).toBe(2);
    expect(badCloud.stderr).toMatch(/azure/);
    const missing = await lint(['--overlay', 'overlays/nowhere', '--cloud', 'aws']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/cannot render overlays\/nowhere/);
  });
});
