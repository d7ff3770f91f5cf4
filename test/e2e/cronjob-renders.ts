/**
 * The CronJob invariant judged from outside the tool: every commit of the sandbox remote's main
 * checked out in a clone of its own, both overlays rendered with the real `kubectl kustomize`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { git } from '../../src/sandbox/gitops-demo/index.js';
import { cli, type World, weights } from './failover-helpers.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);

export const OVERLAYS = { aws: 'overlays/aws', gcp: 'overlays/gke' } as const;

/** name → suspended, for every CronJob `kubectl kustomize DIR` renders. */
export async function cronJobs(dir: string): Promise<Record<string, boolean>> {
  const { stdout } = await run('kubectl', ['kustomize', dir], {
    env: { PATH: process.env.PATH, KUBECONFIG: '/dev/null' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const out: Record<string, boolean> = {};
  for (const doc of parseAllDocuments(stdout)) {
    const object = doc.toJS() as {
      kind?: string;
      metadata?: { name?: string };
      spec?: { suspend?: boolean };
    } | null;
    if (object?.kind === 'CronJob' && object.metadata?.name) {
      out[object.metadata.name] = object.spec?.suspend === true;
    }
  }
  return out;
}

export interface Rendered {
  commit: string;
  subject: string;
  aws: Record<string, boolean>;
  gcp: Record<string, boolean>;
}

/** Both overlays' CronJobs at every commit of the remote's main, oldest first. */
export async function renderEveryCommit(world: World): Promise<Rendered[]> {
  const clone = join(tempDir('failover-e2e-invariant-'), 'clone');
  await git(['clone', '--quiet', world.sandbox.info.git.remote, clone]);
  const commits = (await git(['-C', clone, 'rev-list', '--reverse', 'origin/main'])).stdout
    .split('\n')
    .filter(Boolean);
  const rendered: Rendered[] = [];
  for (const commit of commits) {
    await git(['-C', clone, 'checkout', '--quiet', '--force', '--detach', commit]);
    const subject = (await git(['-C', clone, 'log', '-1', '--format=%s', commit])).stdout.trim();
    rendered.push({
      commit,
      subject,
      aws: await cronJobs(join(clone, OVERLAYS.aws)),
      gcp: await cronJobs(join(clone, OVERLAYS.gcp)),
    });
  }
  return rendered;
}

/** CronJobs unsuspended in both overlays at a commit. */
export const runningOnBoth = (r: Rendered) =>
  Object.keys(r.aws).filter((name) => r.aws[name] === false && r.gcp[name] === false);

export async function roundTrip(world: World, gkeDownDuringFailover: boolean): Promise<Rendered[]> {
  world.sandbox.outage('gke', gkeDownDuringFailover);
  const out = await cli(world, ['to-aws', '--yes', '--incident', 'INC-7'], { timeoutMs: 120_000 });
  expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
  expect(weights(world)).toEqual({ gke: 0, aws: 255 });
  world.sandbox.outage('gke', false);
  const back = await cli(world, ['to-gcp', '--yes', '--incident', 'INC-7'], { timeoutMs: 120_000 });
  expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
  expect(weights(world)).toEqual({ gke: 255, aws: 0 });
  return renderEveryCommit(world);
}
