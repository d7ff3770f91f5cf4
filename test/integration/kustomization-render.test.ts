/**
 * What the standby toggle's text edits mean to Kustomize: the ledger tree of
 * test/fixtures/standby-overlays.ts written out, each overlay edited by planToggle (the files it
 * asks for written or deleted too) and rendered by `kubectl kustomize` before and after. Standby
 * keeps every Deployment and StatefulSet at 0 and the CronJob suspended, except the AWS-only
 * mirror that runs in standby too; active runs them all with the other patches still applied;
 * fencing the gke overlay suspends its CronJob and nothing else; every way back is byte-exact.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  FENCE_FILE,
  type HistoryVersion,
  planToggle,
  type ToggleResult,
} from '../../src/providers/git/kustomization.js';
import { findOnPath } from '../../src/util/exec.js';
import {
  AWS_FILE,
  AWS_STANDBY,
  GKE_ACTIVE,
  GKE_FILE,
  LEDGER_MATCHER,
  LEDGER_TREE,
  LEGACY_FILE,
  LEGACY_STANDBY,
} from '../fixtures/standby-overlays.js';

const kubectl = await findOnPath('kubectl');
const roots: string[] = [];

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function writeTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'failover-kustomization-render-'));
  roots.push(root);
  for (const [path, content] of Object.entries(LEDGER_TREE)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    replicas?: number;
    suspend?: boolean;
    template?: { spec?: { containers?: { env?: unknown[]; resources?: unknown; image?: string }[] } };
  };
}

function render(root: string, overlay: string): Promise<Map<string, Rendered>> {
  return new Promise((resolve, reject) => {
    execFile(
      kubectl!,
      ['kustomize', join(root, dirname(overlay))],
      { timeout: 60_000, env: { ...process.env, KUBECONFIG: '/dev/null' } },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`kubectl kustomize ${overlay}: ${stderr}`));
        const objects = parseAllDocuments(stdout).map((d) => d.toJS() as Rendered);
        resolve(new Map(objects.map((o) => [`${o.kind} ${o.metadata.name}`, o])));
      },
    );
  });
}

/** Writes the toggle's result as the git writer would: the kustomization and the files beside it. */
function write(root: string, file: string, result: ToggleResult): void {
  writeFileSync(join(root, file), result.text);
  for (const extra of result.files ?? []) {
    const path = join(root, dirname(file), extra.path);
    if (extra.content === null) rmSync(path);
    else writeFileSync(path, extra.content);
  }
}

/** What runs: replicas of Deployments and StatefulSets, and whether each CronJob is suspended. */
function workloads(objects: Map<string, Rendered>): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [key, o] of objects) {
    if (o.kind === 'CronJob')
      out[key] = o.spec?.suspend !== true; // runs unless suspended
    else if (o.kind === 'Deployment' || o.kind === 'StatefulSet') out[key] = o.spec?.replicas ?? 1;
  }
  return out;
}

const history = (...texts: string[]): HistoryVersion[] =>
  texts.map((text, i) => ({ commit: `${i + 1}`.repeat(40), text }));

describe.skipIf(!kubectl)('standby edits rendered by kubectl kustomize', () => {
  it('the aws overlay: standby keeps all but the AWS-only mirror dormant; active runs all, other patches kept', async () => {
    const root = writeTree();
    const standby = await render(root, AWS_FILE);
    expect(workloads(standby)).toEqual({
      'Deployment api': 0,
      'Deployment s3-mirror': 2,
      'StatefulSet ledger-db': 0,
      'CronJob settle': false,
    });

    const active = planToggle({
      text: AWS_STANDBY,
      file: AWS_FILE,
      target: 'active',
      scope: 'all',
      matcher: LEDGER_MATCHER,
      history: history(AWS_STANDBY),
    });
    write(root, AWS_FILE, active);
    const running = await render(root, AWS_FILE);
    expect(workloads(running)).toEqual({
      'Deployment api': 4,
      'Deployment s3-mirror': 2,
      'StatefulSet ledger-db': 3,
      'CronJob settle': true,
    });
    // The patches that are not standby entries still apply: inline, file, strategic merge.
    expect(running.get('Service api')?.metadata.annotations).toEqual({
      'alb.ingress.kubernetes.io/target-type': 'ip',
    });
    const api = running.get('Deployment api')?.spec?.template?.spec?.containers?.[0];
    expect(api?.env).toEqual([{ name: 'CLOUD', value: 'aws' }]);
    expect(api?.resources).toEqual({ requests: { cpu: '500m' } });
    expect(running.get('Deployment api')?.metadata.namespace).toBe('ledger');

    // Back to standby from the history: the file as it was, the same render as before.
    const back = planToggle({
      text: active.text,
      file: AWS_FILE,
      target: 'standby',
      scope: 'all',
      matcher: LEDGER_MATCHER,
      history: history(active.text, AWS_STANDBY),
    });
    write(root, AWS_FILE, back);
    expect(readFileSync(join(root, AWS_FILE), 'utf8')).toBe(AWS_STANDBY);
    expect(await render(root, AWS_FILE)).toEqual(standby);
  });

  it('the aws overlay with scope cronjobs: the CronJob runs, the Deployments stay at zero', async () => {
    const root = writeTree();
    const result = planToggle({
      text: AWS_STANDBY,
      file: AWS_FILE,
      target: 'active',
      scope: 'cronjobs',
      matcher: LEDGER_MATCHER,
    });
    write(root, AWS_FILE, result);
    expect(workloads(await render(root, AWS_FILE))).toEqual({
      'Deployment api': 0,
      'Deployment s3-mirror': 2,
      'StatefulSet ledger-db': 0,
      'CronJob settle': true,
    });
  });

  it('the legacy CRLF overlay: strategic-merge standby entries cut and restored', async () => {
    const root = writeTree();
    const standby = await render(root, LEGACY_FILE);
    expect(workloads(standby)).toEqual({
      'Deployment api': 0,
      'StatefulSet ledger-db': 0,
      'CronJob settle': false,
    });
    const active = planToggle({
      text: LEGACY_STANDBY,
      file: LEGACY_FILE,
      target: 'active',
      scope: 'all',
      matcher: LEDGER_MATCHER,
    });
    write(root, LEGACY_FILE, active);
    const running = await render(root, LEGACY_FILE);
    expect(workloads(running)).toEqual({
      'Deployment api': 4,
      'StatefulSet ledger-db': 3,
      'CronJob settle': true,
    });
    expect(running.get('Deployment api')?.spec?.template?.spec?.containers?.[0]?.image).toBe(
      'registry.example.com/ledger/api:7.3.1',
    );
    const back = planToggle({
      text: active.text,
      file: LEGACY_FILE,
      target: 'standby',
      scope: 'all',
      matcher: LEDGER_MATCHER,
      history: history(active.text, LEGACY_STANDBY),
    });
    write(root, LEGACY_FILE, back);
    expect(readFileSync(join(root, LEGACY_FILE), 'utf8')).toBe(LEGACY_STANDBY);
    expect(await render(root, LEGACY_FILE)).toEqual(standby);
  });

  it('the gke overlay: the generated fence suspends the CronJob and nothing else; failback removes it', async () => {
    const root = writeTree();
    const before = await render(root, GKE_FILE);
    expect(workloads(before)).toEqual({
      'Deployment api': 4,
      'StatefulSet ledger-db': 3,
      'CronJob settle': true,
    });
    const fenced = planToggle({
      text: GKE_ACTIVE,
      file: GKE_FILE,
      target: 'standby',
      scope: 'cronjobs',
      matcher: LEDGER_MATCHER,
    });
    write(root, GKE_FILE, fenced);
    const suspended = await render(root, GKE_FILE);
    expect(workloads(suspended)).toEqual({
      'Deployment api': 4,
      'StatefulSet ledger-db': 3,
      'CronJob settle': false,
    });
    // Only spec.suspend changed.
    const { suspend: _s, ...cronSpec } = suspended.get('CronJob settle')!.spec!;
    expect(cronSpec).toEqual(before.get('CronJob settle')!.spec);
    expect(suspended.get('Service api')?.metadata.annotations).toEqual({
      'cloud.google.com/neg': '{"ingress": true}',
    });

    const unfenced = planToggle({
      text: fenced.text,
      file: GKE_FILE,
      target: 'active',
      scope: 'cronjobs',
      matcher: LEDGER_MATCHER,
      history: history(fenced.text, GKE_ACTIVE),
    });
    write(root, GKE_FILE, unfenced);
    expect(readFileSync(join(root, GKE_FILE), 'utf8')).toBe(GKE_ACTIVE);
    expect(existsSync(join(root, dirname(GKE_FILE), FENCE_FILE))).toBe(false);
    expect(await render(root, GKE_FILE)).toEqual(before);
  });
});
