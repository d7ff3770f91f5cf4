/**
 * An aws overlay that keeps its Deployments at 0 with kustomize's `replicas:` field instead of a
 * patch, and its CronJobs suspended with the usual patch. A round trip in the sandbox, judged from
 * outside the tool: the Argo CD emulator's live workloads, Route 53's weights, and the aws
 * kustomization on the remote at the end.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushChange } from '../../src/sandbox/gitops-demo/index.js';
import {
  AWS_OVERLAY,
  awsWorkloads,
  cli,
  remoteFile,
  stopWorlds,
  weights,
  withWorld,
} from './failover-helpers.js';
import { assertBuilt, removeTempDirs } from './helpers.js';

beforeAll(() => assertBuilt());
afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

const REPLICAS_FIELD = `replicas:
  - name: admin-web
    count: 0
  - name: admin-api
    count: 0
  - name: worker
    count: 0
`;

describe('an aws overlay whose standby is the `replicas:` field', { timeout: 300_000 }, () => {
  it('to-aws brings the Deployments up and moves traffic; to-gcp restores the field as it was', () =>
    withWorld(async (world) => {
      let teamText = '';
      await pushChange({
        remote: world.sandbox.info.git.remote,
        message: 'aws standby: the replicas field instead of a patch',
        change: async (dir) => {
          const file = join(dir, AWS_OVERLAY);
          const text = await readFile(file, 'utf8');
          teamText = text
            .replace('  - path: replicas-zero.yml\n    target:\n      kind: Deployment\n', '')
            .replace('\npatches:\n', `\n${REPLICAS_FIELD}patches:\n`);
          expect(teamText).not.toBe(text);
          await writeFile(file, teamText);
        },
      });

      const out = await cli(world, ['to-aws', '--yes', '--incident', 'INC-9'], { timeoutMs: 120_000 });
      expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
      expect(weights(world)).toEqual({ gke: 0, aws: 255 });
      const running = awsWorkloads(world).filter((w) => w.kind === 'Deployment');
      expect(running.map((w) => w.name).sort()).toEqual(['admin-api', 'admin-web', 'worker']);
      for (const w of running) expect(w.readyReplicas ?? 0, w.name).toBeGreaterThan(0);
      expect(await remoteFile(world, AWS_OVERLAY)).not.toContain('replicas:');

      const back = await cli(world, ['to-gcp', '--yes', '--incident', 'INC-9'], { timeoutMs: 120_000 });
      expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
      expect(weights(world)).toEqual({ gke: 255, aws: 0 });
      for (const w of awsWorkloads(world).filter((x) => x.kind === 'Deployment')) {
        expect(w.replicas, w.name).toBe(0);
      }
      expect(await remoteFile(world, AWS_OVERLAY)).toBe(teamText);
    }));
});
