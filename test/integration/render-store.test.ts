/**
 * Renders kept on disk for the next command, against real git and real kubectl. A "next command" is
 * a fresh copy of the render modules (vi.resetModules): nothing remembered in memory, only what the
 * store holds. Builds are counted by a kubectl wrapper on PATH. The repository is a payments
 * service whose AWS overlay generates a Secret, unlike the demo.
 */
import { execFileSync } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cacheDirFor, GitCache } from '../../src/providers/git/cache.js';
import { createGitRunner } from '../../src/providers/git/cli.js';
import { renderStoreDir, STORE_LIMIT, storedRender } from '../../src/providers/git/render-store.js';
import type { KubeObject, KustomizeSettings } from '../../src/providers/kustomize/index.js';
import { isolatedGitEnv } from '../../src/sandbox/gitops-demo/index.js';
import { findOnPath } from '../../src/util/exec.js';
import {
  type CountingWrapper,
  countingWrapper,
  loggedLines,
  remoteFromTree,
} from '../fixtures/counting-git.js';

const kubectl = await findOnPath('kubectl');
const AWS = 'deploy/overlays/aws';
const KUSTOMIZATION = `${AWS}/kustomization.yaml`;
const STANDBY_KUSTOMIZATION = `namespace: payments
resources:
  - ../../base
secretGenerator:
  - name: payments-webhook
    literals:
      - signing-key=whsec-sandbox-only
patches:
  - path: standby.yaml
`;
/** The overlay once active: the standby patch entry removed, as a failover commits it. */
const ACTIVE_KUSTOMIZATION = STANDBY_KUSTOMIZATION.replace('patches:\n  - path: standby.yaml\n', '');

const TREE: Record<string, string> = {
  'deploy/base/kustomization.yaml': 'resources:\n  - api.yaml\n  - settle.yaml\n',
  'deploy/base/api.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-api
spec:
  replicas: 6
  selector:
    matchLabels: { app: payments-api }
  template:
    metadata:
      labels: { app: payments-api }
    spec:
      containers:
        - name: api
          image: registry.example.net/payments-api:12.4.1
`,
  'deploy/base/settle.yaml': `apiVersion: batch/v1
kind: CronJob
metadata:
  name: payments-settle
spec:
  schedule: "*/15 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: settle
              image: registry.example.net/payments-settle:4.0.0
`,
  [KUSTOMIZATION]: STANDBY_KUSTOMIZATION,
  [`${AWS}/standby.yaml`]: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-api
spec:
  replicas: 0
`,
  'deploy/overlays/gke/kustomization.yaml': 'namespace: payments\nresources:\n  - ../../base\n',
};

const IDENTITY = {
  GIT_AUTHOR_NAME: 'payments platform',
  GIT_AUTHOR_EMAIL: 'platform@payments.example.net',
  GIT_COMMITTER_NAME: 'payments platform',
  GIT_COMMITTER_EMAIL: 'platform@payments.example.net',
};

let work: string;
let remote: string;
let seed: string;
let cache: GitCache;
let wrapper: CountingWrapper | undefined;
/** The entries the first test wrote: the AWS overlay in standby and active. */
let toggled: string[] = [];
/** The entries of the seed's toggle in the shared store (with the kubectl of the tests that ran). */
let sharedEntries: string[] = [];

/** A fresh copy of the render modules: what a new `failover` process would start with. */
async function nextCommand() {
  vi.resetModules();
  return import('../../src/providers/git/render.js');
}

type RenderModule = Awaited<ReturnType<typeof nextCommand>>;

/** The seed's AWS overlay toggled to active, as a failover plans it: its standby and active renders. */
function activateSeed(render: RenderModule, settings?: KustomizeSettings) {
  return render.renderToggle(cache, seed, AWS, KUSTOMIZATION, ACTIVE_KUSTOMIZATION, [], 'before', settings);
}

async function builds(): Promise<number> {
  return wrapper ? (await loggedLines(wrapper.log)).length : 0;
}

async function entries(): Promise<string[]> {
  return (await readdir(renderStoreDir(cache.dir)).catch(() => [] as string[])).sort();
}

/** `kubectl kustomize` of the commit checked out by git itself: the independent answer. */
function kustomizeCheckout(revision: string, overlay: string): KubeObject[] {
  const dir = join(work, `checkout-${revision.slice(0, 12)}`);
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('git', ['--git-dir', cache.dir, 'archive', '-o', `${dir}.tar`, revision], {
    env: isolatedGitEnv(),
  });
  execFileSync('tar', ['-xf', `${dir}.tar`, '-C', dir]);
  const text = execFileSync(kubectl as string, ['kustomize', join(dir, overlay)], { encoding: 'utf8' });
  return parseAllDocuments(text).map((doc) => doc.toJS() as KubeObject);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-render-store-'));
  ({ remote, head: seed } = await remoteFromTree(work, TREE));
  cache = new GitCache(createGitRunner(isolatedGitEnv()), remote, cacheDirFor(join(work, 'state'), remote));
  await cache.fetchBranch('main');
  if (kubectl) wrapper = await countingWrapper(work, 'kubectl', kubectl);
});

afterAll(async () => {
  wrapper?.restore();
  cache?.close();
  await rm(work, { recursive: true, force: true });
});

describe.skipIf(!kubectl)('renders kept for the next command', () => {
  it('the next command finds both sides of a toggle without a build, the same objects as kubectl on a checkout', async () => {
    const first = await nextCommand();
    const planned = await activateSeed(first);
    expect(await builds()).toBe(2);
    expect(planned.summary.deploymentsStarting).toEqual(['payments/payments-api']);
    const kept = await entries();
    expect(kept).toHaveLength(2);
    toggled = kept;
    // Owner-only: a render holds the generated Secret.
    for (const name of kept)
      expect((await stat(join(renderStoreDir(cache.dir), name))).mode & 0o777).toBe(0o600);

    const second = await nextCommand();
    const again = await activateSeed(second);
    expect(await builds()).toBe(2);
    expect(again).toEqual(planned);
    const asIs = await second.renderEdited(cache, seed, AWS);
    expect(await builds()).toBe(2);
    expect(asIs).toEqual(kustomizeCheckout(seed, AWS));
    const secret = asIs.find((o) => o.kind === 'Secret');
    expect(secret?.metadata.name).toMatch(/^payments-webhook-/);
  });

  it('the pushed edit is the next command\'s "before": a failback after a failover builds nothing new', async () => {
    const active = await cache.commitFile({
      parent: seed,
      path: KUSTOMIZATION,
      content: ACTIVE_KUSTOMIZATION,
      message: 'failover: activate aws overlay\n',
      env: IDENTITY,
    });
    const before = await builds();
    const failback = await nextCommand();
    // Back to standby from the active commit: both trees were rendered by the first test.
    const back = await failback.renderToggle(
      cache,
      active,
      AWS,
      KUSTOMIZATION,
      STANDBY_KUSTOMIZATION,
      [],
      'after',
    );
    expect(await builds()).toBe(before);
    expect(back.summary.deploymentsStopping).toEqual(['payments/payments-api']);
  });

  it('a damaged entry is built again and written whole; a failed build is not kept', async () => {
    expect(toggled).toHaveLength(2);
    const files = toggled.map((name) => join(renderStoreDir(cache.dir), name));
    const good = await Promise.all(files.map((file) => readFile(file, 'utf8')));
    let count = await builds();
    await activateSeed(await nextCommand());
    expect(await builds()).toBe(count);
    await writeFile(files[0] as string, (good[0] as string).slice(0, 100));
    await writeFile(files[1] as string, '{"version":0,"objects":[]}');
    count = await builds();
    const render = await nextCommand();
    const rebuilt = await activateSeed(render);
    expect(await builds()).toBe(count + 2);
    expect(rebuilt.summary.deploymentsStarting).toEqual(['payments/payments-api']);
    for (const [i, file] of files.entries())
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(JSON.parse(good[i] as string));

    const broken = await cache.commitFile({
      parent: seed,
      path: KUSTOMIZATION,
      content: 'resources:\n  - ../../base\n  - missing.yaml\n',
      message: 'a broken overlay\n',
      env: IDENTITY,
    });
    const stored = await entries();
    await expect((await nextCommand()).renderEdited(cache, broken, AWS)).rejects.toThrow(/missing\.yaml/);
    expect(await entries()).toEqual(stored);
    const failed = await builds();
    await expect((await nextCommand()).renderEdited(cache, broken, AWS)).rejects.toThrow(/missing\.yaml/);
    expect(await builds()).toBe(failed + 1);
  });

  it('a changed input, another kubectl file, or a relaxed load restrictor builds again', async () => {
    const changed = await cache.commitFile({
      parent: seed,
      path: 'deploy/base/api.yaml',
      content: (TREE['deploy/base/api.yaml'] as string).replace('12.4.1', '12.5.0'),
      message: 'payments-api 12.5.0\n',
      env: IDENTITY,
    });
    let count = await builds();
    const rendered = await (await nextCommand()).renderEdited(cache, changed, AWS);
    expect(await builds()).toBe(count + 1);
    expect(rendered).toEqual(kustomizeCheckout(changed, AWS));
    await (await nextCommand()).renderEdited(cache, changed, AWS);
    expect(await builds()).toBe(count + 1);

    // The same path, another file behind it (an upgraded kubectl): not the same tool.
    const script = join(work, 'bin', 'kubectl');
    await copyFile(script, `${script}.new`);
    await writeFile(`${script}.new`, `${await readFile(script, 'utf8')}# upgraded\n`);
    await copyFile(`${script}.new`, script);
    await utimes(script, new Date(), new Date(Date.now() + 60_000));
    count = await builds();
    await (await nextCommand()).renderEdited(cache, changed, AWS);
    expect(await builds()).toBe(count + 1);

    // Build options that let kustomize read outside the overlay's directories: never kept.
    const stored = await entries();
    const relaxed = { buildOptions: '--load-restrictor LoadRestrictionsNone' };
    const once = await activateSeed(await nextCommand(), relaxed);
    expect(await entries()).toEqual(stored);
    count = await builds();
    const twice = await activateSeed(await nextCommand(), relaxed);
    expect(await builds()).toBe(count + 2);
    expect(twice).toEqual(once);
  });

  it('objects JSON cannot give back as they are (Infinity) are never kept', async () => {
    // kustomize itself refuses a .inf or .nan (its objects go through JSON), so this only guards the
    // store against another renderer: the build here is the store's caller, not kubectl.
    const store = join(work, 'infinite');
    const tool = {
      name: 'kubectl kustomize' as const,
      path: kubectl as string,
      args: (dir: string) => ['kustomize', dir],
    };
    const objects = [
      {
        apiVersion: 'policy.example.net/v1',
        kind: 'RateLimit',
        metadata: { name: 'api' },
        spec: { burst: Number.POSITIVE_INFINITY },
      },
    ];
    let built = 0;
    const build = async () => {
      built += 1;
      return structuredClone(objects);
    };
    expect(await storedRender(store, 'inputs deploy:0123abcd', 'deploy', tool, build)).toEqual(objects);
    expect(await storedRender(store, 'inputs deploy:0123abcd', 'deploy', tool, build)).toEqual(objects);
    expect(built).toBe(2);
    expect(await readdir(store).catch(() => [])).toEqual([]);
    // The same call with finite values is kept: the guard, not the call, left it out.
    objects[0]!.spec.burst = 400;
    await storedRender(store, 'inputs deploy:0123abcd', 'deploy', tool, build);
    await storedRender(store, 'inputs deploy:0123abcd', 'deploy', tool, build);
    expect(built).toBe(3);
  });

  it('kustomize.cacheDir serves another state directory and another remote of the same files', async () => {
    const shared = join(work, 'shared-renders');
    const first = await activateSeed(await nextCommand(), { cacheDir: shared });
    sharedEntries = (await readdir(shared)).sort();
    expect(sharedEntries).toHaveLength(2);
    expect((await stat(shared)).mode & 0o777).toBe(0o700);
    // A colleague's clone: another remote, another state directory, the same files.
    const other = await remoteFromTree(join(work, 'colleague'), TREE);
    const otherCache = new GitCache(
      createGitRunner(isolatedGitEnv()),
      other.remote,
      cacheDirFor(join(work, 'colleague-state'), other.remote),
    );
    try {
      await otherCache.fetchBranch('main');
      const count = await builds();
      const render = await nextCommand();
      const second = await render.renderToggle(
        otherCache,
        other.head,
        AWS,
        KUSTOMIZATION,
        ACTIVE_KUSTOMIZATION,
        [],
        'before',
        { cacheDir: shared },
      );
      expect(await builds()).toBe(count);
      expect(second).toEqual(first);
      // Nothing was written beside that cache: the shared directory is the store.
      expect(await readdir(renderStoreDir(otherCache.dir)).catch(() => [])).toEqual([]);
    } finally {
      otherCache.close();
    }
  });

  it('a store directory others can write to is neither read nor written', async () => {
    const open = join(work, 'open-renders');
    await mkdir(open, { mode: 0o700 });
    await chmod(open, 0o777);
    // Entries planted where the seed's two renders would be found: they must not be read.
    for (const name of sharedEntries)
      await writeFile(join(open, name), JSON.stringify({ version: 1, objects: [] }));
    const count = await builds();
    const result = await activateSeed(await nextCommand(), { cacheDir: open });
    expect(await builds()).toBe(count + 2);
    expect(result.summary.deploymentsStarting).toEqual(['payments/payments-api']);
    expect((await readdir(open)).sort()).toEqual(sharedEntries);
  });

  it(`keeps at most ${STORE_LIMIT} entries, dropping the oldest`, async () => {
    const dir = renderStoreDir(cache.dir);
    const old = new Date(Date.now() - 3_600_000);
    for (let i = 0; i < STORE_LIMIT; i++) {
      const file = join(dir, `old-${String(i).padStart(3, '0')}.json`);
      await writeFile(file, '{}');
      await utimes(file, old, new Date(old.getTime() + i * 1000));
    }
    const changed = await cache.commitFile({
      parent: seed,
      path: 'deploy/overlays/gke/kustomization.yaml',
      content: 'namespace: payments-gke\nresources:\n  - ../../base\n',
      message: 'gke namespace\n',
      env: IDENTITY,
    });
    await (await nextCommand()).renderEdited(cache, changed, 'deploy/overlays/gke');
    const after = await entries();
    expect(after).toHaveLength(STORE_LIMIT);
    // The oldest dummies went first; the render just written and the newest dummy stay.
    expect(after).not.toContain('old-000.json');
    expect(after).toContain(`old-${String(STORE_LIMIT - 1).padStart(3, '0')}.json`);
  });
});
