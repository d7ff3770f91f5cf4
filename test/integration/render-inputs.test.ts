/**
 * The render cache keyed by what a build reads, against real git and real kubectl: a commit that
 * changes only another overlay keeps an overlay's render; a change to anything the build reads (a
 * shared base, a component, the overlay's patch file, a directory two references away, an overlay
 * used as a base) renders again; a symlink, a remote base, a relaxed load restrictor or an
 * unreadable kustomization key by the whole tree. Renders are counted by a kubectl wrapper on PATH
 * that logs each build. The repository is a ledger service with EU and US overlays, unlike the demo.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDirFor, GitCache } from '../../src/providers/git/cache.js';
import { createGitRunner } from '../../src/providers/git/cli.js';
import { renderEdited, renderToggle, summarizeRender } from '../../src/providers/git/render.js';
import {
  cachedView,
  editedView,
  optionsKeepRootOnly,
  renderInputs,
} from '../../src/providers/git/render-inputs.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';
import { git, isolatedGitEnv } from '../../src/sandbox/gitops-demo/index.js';
import { exec, findOnPath } from '../../src/util/exec.js';
import {
  type CountingWrapper,
  countingWrapper,
  loggedLines,
  remoteFromTree,
} from '../fixtures/counting-git.js';

const kubectl = await findOnPath('kubectl');
const EU = 'overlays/eu';
const US = 'overlays/us';
const CANARY = 'overlays/us-canary';

const TREE: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n  - deployment.yaml\n  - cronjob.yaml\n  - ../shared/monitoring\n',
  'base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger-api
spec:
  replicas: 4
  selector:
    matchLabels: { app: ledger-api }
  template:
    metadata:
      labels: { app: ledger-api }
    spec:
      containers:
        - name: api
          image: registry.example.com/ledger-api:7.0.0
`,
  'base/cronjob.yaml': `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ledger-close
spec:
  schedule: "0 23 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: close
              image: registry.example.com/ledger-close:3.2.0
`,
  'shared/monitoring/kustomization.yaml': 'resources:\n  - alerts.yaml\n',
  'shared/monitoring/alerts.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: ledger-alerts
data:
  threshold: "250ms"
`,
  'components/quiet/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - path: replicas.yaml
    target:
      kind: Deployment
`,
  'components/quiet/replicas.yaml': '- op: replace\n  path: /spec/replicas\n  value: 0\n',
  [`${EU}/kustomization.yaml`]: `namespace: ledger-eu
resources:
  - ../../base
components:
  - ../../components/quiet
patches:
  - path: image.yaml
`,
  [`${EU}/image.yaml`]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ledger-api
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example.com/ledger-api:7.0.0-eu
`,
  [`${US}/kustomization.yaml`]: 'namespace: ledger-us\nnamePrefix: us-\nresources:\n  - ../../base\n',
  [`${CANARY}/kustomization.yaml`]: 'nameSuffix: -canary\nresources:\n  - ../us\n',
  'docs/runbook.md': '# Ledger\nFail over with the failover CLI.\n',
};

const IDENTITY = {
  GIT_AUTHOR_NAME: 'ledger platform',
  GIT_AUTHOR_EMAIL: 'platform@ledger.example.org',
  GIT_COMMITTER_NAME: 'ledger platform',
  GIT_COMMITTER_EMAIL: 'platform@ledger.example.org',
};

let work: string;
let remote: string;
let seed: string;
let cache: GitCache;
let log: string;
let wrapper: CountingWrapper | undefined;

/** Builds started so far (the wrapper logs a `start` line per build). */
async function renders(): Promise<number> {
  return (await loggedLines(log)).filter((l) => l.startsWith('start')).length;
}

function newCache(name: string): GitCache {
  return new GitCache(createGitRunner(isolatedGitEnv()), remote, cacheDirFor(join(work, name), remote));
}

/** A commit on `parent` changing `path` (in the cache, as a failover commit is made). */
function commit(parent: string, path: string, content: string): Promise<string> {
  return cache.commitFile({ parent, path, content, message: `change ${path}\n`, env: IDENTITY });
}

async function rootTree(rev: string) {
  return cachedView(cache, await cache.treeOf(rev, ''));
}

const find = (objects: KubeObject[], kind: string) => objects.find((o) => o.kind === kind);

/** A field of the first object of `kind` (its spec, or the top level for `data`). */
function field(objects: KubeObject[], kind: string, part: 'spec' | 'data', name: string): unknown {
  const object = find(objects, kind);
  if (!object) throw new Error(`no ${kind} rendered`);
  return (object[part] as Record<string, unknown> | undefined)?.[name];
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-render-inputs-'));
  ({ remote, head: seed } = await remoteFromTree(work, TREE));
  cache = newCache('state');
  await cache.fetchBranch('main');
  log = join(work, 'renders.log');
  if (kubectl) {
    // Logs the start and end of each build; RENDER_TEST_DELAY holds the build open a while.
    wrapper = await countingWrapper(work, 'kubectl', kubectl, {
      log,
      script: (to, real) => `#!/bin/sh
echo "start $(date +%s%N) $*" >> '${to}'
if [ -n "$RENDER_TEST_DELAY" ]; then sleep "$RENDER_TEST_DELAY"; fi
'${real}' "$@"
status=$?
echo "end $(date +%s%N)" >> '${to}'
exit $status
`,
    });
  }
});

afterAll(async () => {
  wrapper?.restore();
  delete process.env.RENDER_TEST_DELAY;
  cache?.close();
  await rm(work, { recursive: true, force: true });
});

describe('what a build reads', () => {
  it('the overlay, its base, component and the directory two references away, by tree id', async () => {
    const tree = await rootTree(seed);
    const reads = await renderInputs(cache, tree, EU, []);
    // The same tree as an edit not yet committed reads the same directories, written nowhere.
    const edit = { path: 'docs/runbook.md', content: '# Ledger\nDraft.\n' };
    const drafted = await editedView(cache, seed, [edit]);
    expect(drafted.root).not.toBe(tree.root);
    expect(await renderInputs(cache, drafted, EU, [])).toBe(reads);
    expect(await cache.typeOf(drafted.root, 'docs')).toBeUndefined();
    // Attributes above the overlay change what the export writes: they count too.
    const attributes = await editedView(cache, seed, [
      { path: '.gitattributes', content: '*.yaml text eol=crlf\n' },
    ]);
    expect(await renderInputs(cache, attributes, EU, [])).toBe(
      `${reads} .gitattributes:${createHash('sha256').update('*.yaml text eol=crlf\n').digest('hex')}`,
    );
    const committed = await commit(seed, edit.path, edit.content);
    expect(await cache.treeOf(committed, '')).toBe(drafted.root);
    const dirs = reads
      .replace(/^inputs /, '')
      .split(' ')
      .map((entry) => entry.split(':')[0]);
    expect(dirs).toEqual(['base', 'components/quiet', EU, 'shared/monitoring']);
    // Each id is git's own tree id of that directory.
    const ids = reads.replace(/^inputs /, '').split(' ');
    for (const entry of ids) {
      const [dir, id] = entry.split(':');
      const fromGit = (await git(['--git-dir', cache.dir, 'rev-parse', `${seed}:${dir}`])).stdout.trim();
      expect(id).toBe(fromGit);
    }
    // An overlay used as a base brings that overlay's own inputs.
    const canary = await renderInputs(cache, tree, CANARY, []);
    expect(canary).toContain(`${US}:`);
    expect(canary).toContain('shared/monitoring:');
  });

  it('whole tree when unsure: remote bases and files, leaving the repository, helm, bad YAML, options', async () => {
    const unsure = {
      'a remote base over https': 'resources:\n  - https://github.com/ledger-example/deploy//base?ref=v1\n',
      'a scheme-less remote base': 'resources:\n  - github.com/ledger-example/deploy/base?ref=v1\n',
      'an ssh remote base': 'resources:\n  - git@github.com:ledger-example/deploy.git//base\n',
      'a reference leaving the repository': 'resources:\n  - ../../../elsewhere\n',
      'a missing directory': 'resources:\n  - ../../nowhere\n',
      'a file of another directory': 'resources:\n  - ../../base/deployment.yaml\n',
      'a patch outside the overlay':
        'resources:\n  - ../../base\npatches:\n  - path: ../../components/quiet/replicas.yaml\n',
      'a generator reading an absolute file':
        'configMapGenerator:\n  - name: x\n    files:\n      - /etc/hostname\n',
      'a helm chart':
        'helmCharts:\n  - name: redis\n    repo: https://charts.example.org\n    version: 1.0.0\n',
      'an unparseable kustomization': 'resources:\n  - ../../base\n  bad: [\n',
      'a field it does not know': 'resources:\n  - ../../base\nmystery: true\n',
    };
    for (const [what, text] of Object.entries(unsure)) {
      const view = await editedView(cache, seed, [{ path: `${US}/kustomization.yaml`, content: text }]);
      expect(await renderInputs(cache, view, US, []), what).toBe(`tree ${view.root}`);
    }
    // Two kustomization files in one directory (kustomize refuses the build).
    const twice = await editedView(cache, seed, [
      { path: `${US}/kustomization.yml`, content: 'resources: []\n' },
    ]);
    expect(await renderInputs(cache, twice, US, [])).toBe(`tree ${twice.root}`);
    // A generator given as inline configuration reads nothing more; a file inside the overlay is fine.
    const fine = await editedView(cache, seed, [
      {
        path: `${US}/kustomization.yaml`,
        content:
          'resources:\n  - ../../base\nconfigMapGenerator:\n  - name: flags\n    files:\n      - flags=flags.env\n',
      },
      { path: `${US}/flags.env`, content: 'FAST=1\n' },
    ]);
    expect(await renderInputs(cache, fine, US, [])).toMatch(/^inputs /);

    const tree = await rootTree(seed);
    expect(await renderInputs(cache, tree, US, ['--load-restrictor', 'LoadRestrictionsNone'])).toBe(
      `tree ${tree.root}`,
    );
    expect(await renderInputs(cache, tree, US, ['--enable-helm'])).toBe(`tree ${tree.root}`);
    expect(
      optionsKeepRootOnly(['--load-restrictor=LoadRestrictionsRootOnly', '--enable-managedby-label']),
    ).toBe(true);
    expect(optionsKeepRootOnly(['--load-restrictor=LoadRestrictionsNone'])).toBe(false);
    expect(optionsKeepRootOnly(['--enable-alpha-plugins'])).toBe(false);
    expect(optionsKeepRootOnly(['--reorder', 'none'])).toBe(true);
  });
});

describe.skipIf(!kubectl)('renders, by what they read', () => {
  it('a commit to the other overlay keeps the render; shared inputs render again', async () => {
    const start = await renders();
    const first = await renderEdited(cache, seed, EU);
    expect(await renders()).toBe(start + 1);
    expect(field(first, 'Deployment', 'spec', 'replicas')).toBe(0);

    // Only the US overlay changes: the EU render is known.
    const us = await commit(
      seed,
      `${US}/kustomization.yaml`,
      `${TREE[`${US}/kustomization.yaml`]}nameSuffix: -x\n`,
    );
    expect(await renderEdited(cache, us, EU)).toEqual(first);
    expect(await renders()).toBe(start + 1);
    // An unrelated file too.
    const docs = await commit(us, 'docs/runbook.md', '# Ledger\nUpdated.\n');
    expect(await renderEdited(cache, docs, EU)).toEqual(first);
    expect(await renders()).toBe(start + 1);

    // The shared base.
    const base = await commit(docs, 'base/cronjob.yaml', TREE['base/cronjob.yaml']!.replace('0 23', '30 22'));
    const afterBase = await renderEdited(cache, base, EU);
    expect(await renders()).toBe(start + 2);
    expect(field(afterBase, 'CronJob', 'spec', 'schedule')).toBe('30 22 * * *');

    // The component.
    const component = await commit(
      base,
      'components/quiet/replicas.yaml',
      '- op: replace\n  path: /spec/replicas\n  value: 1\n',
    );
    const afterComponent = await renderEdited(cache, component, EU);
    expect(await renders()).toBe(start + 3);
    expect(field(afterComponent, 'Deployment', 'spec', 'replicas')).toBe(1);

    // The file the overlay's patch reads.
    const patch = await commit(
      component,
      `${EU}/image.yaml`,
      TREE[`${EU}/image.yaml`]!.replace('-eu', '-eu.1'),
    );
    const afterPatch = await renderEdited(cache, patch, EU);
    expect(await renders()).toBe(start + 4);
    expect(JSON.stringify(find(afterPatch, 'Deployment'))).toContain('ledger-api:7.0.0-eu.1');

    // The directory two references away (overlay → base → shared/monitoring).
    const deep = await commit(
      patch,
      'shared/monitoring/alerts.yaml',
      TREE['shared/monitoring/alerts.yaml']!.replace('250ms', '400ms'),
    );
    const afterDeep = await renderEdited(cache, deep, EU);
    expect(await renders()).toBe(start + 5);
    expect(field(afterDeep, 'ConfigMap', 'data', 'threshold')).toBe('400ms');
  });

  it('an overlay that uses the other overlay as its base renders again when that one changes', async () => {
    const start = await renders();
    const canary = await renderEdited(cache, seed, CANARY);
    const eu = await renderEdited(cache, seed, EU);
    expect(find(canary, 'Deployment')?.metadata.name).toBe('us-ledger-api-canary');
    const counted = await renders();
    expect(counted).toBeLessThanOrEqual(start + 2);

    const us = await commit(
      seed,
      `${US}/kustomization.yaml`,
      TREE[`${US}/kustomization.yaml`]!.replace('us-', 'west-'),
    );
    const renamed = await renderEdited(cache, us, CANARY);
    expect(find(renamed, 'Deployment')?.metadata.name).toBe('west-ledger-api-canary');
    expect(await renderEdited(cache, us, EU)).toEqual(eu);
    expect(await renders()).toBe(counted + 1);
  });

  it('a symlink in the overlay keys by the whole tree: an unrelated commit renders again', async () => {
    // A symlink committed as git stores one (mode 120000, the target as content).
    const linkedTree = await cache.writeEditedTree(seed, [
      { path: `${US}/runbook.md`, content: '../../docs/runbook.md', mode: '120000' },
    ]);
    const linked = (
      await git(['--git-dir', cache.dir, 'commit-tree', linkedTree, '-p', seed, '-m', 'link the runbook'], {
        env: IDENTITY,
      })
    ).stdout.trim();
    expect(await renderInputs(cache, cachedView(cache, linkedTree), US, [])).toBe(`tree ${linkedTree}`);
    // The EU overlay reads nothing of the US one: still keyed by its inputs.
    expect(await renderInputs(cache, cachedView(cache, linkedTree), EU, [])).toMatch(/^inputs /);

    const start = await renders();
    const first = await renderEdited(cache, linked, US);
    expect(await renders()).toBe(start + 1);
    const docs = await commit(linked, 'docs/runbook.md', '# Ledger\nMoved.\n');
    expect(await renderEdited(cache, docs, US)).toEqual(first);
    expect(await renders()).toBe(start + 2);
  });

  it('before and after render at once, to the same objects as one after the other', async () => {
    const file = `${EU}/kustomization.yaml`;
    const active = TREE[file]!.replace('components:\n  - ../../components/quiet\n', '');
    // One after the other, in a cache of their own (nothing known yet).
    const sequentialCache = newCache('sequential');
    const concurrentCache = newCache('concurrent');
    try {
      await sequentialCache.fetchBranch('main');
      await concurrentCache.fetchBranch('main');
      const before = await renderEdited(sequentialCache, seed, EU);
      const after = await renderEdited(sequentialCache, seed, EU, file, active);

      process.env.RENDER_TEST_DELAY = '0.4';
      const mark = (await readFile(log, 'utf8')).split('\n').filter(Boolean).length;
      const [concurrentBefore, concurrentAfter] = await Promise.all([
        renderEdited(concurrentCache, seed, EU),
        renderEdited(concurrentCache, seed, EU, file, active),
      ]);
      expect(concurrentBefore).toEqual(before);
      expect(concurrentAfter).toEqual(after);

      // The toggle of a third cache: two builds that overlap in time, and the same summary.
      const toggleCache = newCache('toggle');
      await toggleCache.fetchBranch('main');
      const lines = async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).slice(mark);
      const skip = (await lines()).length;
      const plan = await renderToggle(toggleCache, seed, EU, file, active, [], 'after');
      toggleCache.close();
      const events = (await lines()).slice(skip).map((line) => {
        const [kind, at] = line.split(' ');
        return { kind, at: BigInt(at as string) };
      });
      const starts = events.filter((e) => e.kind === 'start').map((e) => e.at);
      const ends = events.filter((e) => e.kind === 'end').map((e) => e.at);
      expect(starts).toHaveLength(2);
      // Both builds started before either ended.
      expect(starts.every((s) => ends.every((e) => s < e))).toBe(true);
      expect(plan.summary).toEqual({
        ...summarizeRender(before, after),
        alwaysOn: ['Deployment ledger-eu/ledger-api', 'CronJob ledger-eu/ledger-close'],
      });
    } finally {
      delete process.env.RENDER_TEST_DELAY;
      sequentialCache.close();
      concurrentCache.close();
    }

    // From outside the tool: kubectl on a checkout of the seed gives the same objects.
    const checkout = join(work, 'checkout');
    await git(['clone', '--quiet', remote, checkout]);
    const direct = await exec(kubectl as string, ['kustomize', join(checkout, EU)], {
      env: { ...process.env, KUBECONFIG: '/dev/null' },
    });
    const before = await renderEdited(cache, seed, EU);
    expect(direct.stdout).toContain('image: registry.example.com/ledger-api:7.0.0-eu');
    expect(find(before, 'Deployment')?.metadata.namespace).toBe('ledger-eu');
    expect(direct.stdout.match(/^kind: /gm)?.length).toBe(before.length);
  });
});
