/**
 * Approvals of saved plans in a real (temporary, bare) git remote, each approver on a "machine" of
 * its own (its own cache clone): several approvers side by side, a second approval by the same
 * person keeps the first, approvals of another hash or stored under another name do not count, and
 * the overlay digest a plan records follows the remote.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitReader, createGitWriter } from '../../src/providers/git/adapter.js';
import { approverId, type PlanApproval } from '../../src/providers/git/approvals.js';
import { FRESH_MS } from '../../src/providers/git/remote-view.js';
import { createGitRemote, git, pushChange } from '../../src/sandbox/gitops-demo/index.js';
import { adapterOptions } from '../fixtures/gitops/harness.js';

let work: string;
let remote: string;
const HASH = `sha256:${'ab12'.repeat(16)}`;
const OTHER = `sha256:${'cd34'.repeat(16)}`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-git-approvals-'));
  remote = (await createGitRemote({ dir: join(work, 'remote') })).remote;
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function machine(name: string) {
  const options = adapterOptions({ repo: remote, stateDir: join(work, `state-${name}`) });
  return { reader: createGitReader(options), writer: createGitWriter(options) };
}

const approval = (
  operator: string,
  planHash = HASH,
  approvedAt = new Date().toISOString(),
): PlanApproval => ({
  planHash,
  operator,
  host: `${operator}-laptop`,
  approvedAt,
  command: 'to-aws',
});

async function refs(): Promise<string[]> {
  const out = (await git(['ls-remote', remote, 'refs/failover/*'])).stdout;
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[1]!)
    .sort();
}

describe('plan approvals in the GitOps remote', () => {
  it('records one ref per approver and lists them from any machine', async () => {
    const alice = machine('alice');
    const bob = machine('bob');
    const first = await alice.writer.recordApproval!(
      approval('Alice Reviewer', HASH, '2026-12-06T08:00:00.000Z'),
    );
    expect(first).toMatchObject({ created: true });
    expect(first.ref).toBe(`refs/failover/approvals/${HASH.slice(7)}/${approverId('Alice Reviewer')}`);
    await bob.writer.recordApproval!(approval('bob', HASH, '2026-12-06T08:01:00.000Z'));
    await bob.writer.recordApproval!(approval('bob', OTHER));

    const seen = await machine('carol').reader.approvals!(HASH);
    expect(seen.map((a) => a.operator)).toEqual(['Alice Reviewer', 'bob']);
    expect(seen[0]).toMatchObject({ planHash: HASH, host: 'Alice Reviewer-laptop', command: 'to-aws' });
    expect((await machine('carol').reader.approvals!(OTHER)).map((a) => a.operator)).toEqual(['bob']);
    expect(await refs()).toHaveLength(3);
    // The approval commit names the approver as its author.
    const author = (await git(['--git-dir', remote, 'log', '-1', '--format=%an', first.ref])).stdout.trim();
    expect(author).toBe('Alice Reviewer');
  });

  it('a second approval by the same person keeps the first', async () => {
    const again = await machine('alice-2').writer.recordApproval!(approval('Alice Reviewer'));
    expect(again.created).toBe(false);
    expect(again.existing?.approvedAt).toBe('2026-12-06T08:00:00.000Z');
    expect(await refs()).toHaveLength(3);
  });

  it('an approval of another hash, or stored under another approver, does not count', async () => {
    // Mallory copies bob's approval of OTHER under HASH, and alice's under his own name.
    const list = (await git(['ls-remote', remote, 'refs/failover/approvals/*'])).stdout;
    const ofOther = list
      .split('\n')
      .find((l) => l.includes(OTHER.slice(7)))!
      .split('\t')[0]!;
    const ofAlice = list
      .split('\n')
      .find((l) => l.endsWith(approverId('Alice Reviewer')))!
      .split('\t')[0]!;
    await git([
      '--git-dir',
      remote,
      'update-ref',
      `refs/failover/approvals/${HASH.slice(7)}/${approverId('mallory')}`,
      ofOther,
    ]);
    await git([
      '--git-dir',
      remote,
      'update-ref',
      `refs/failover/approvals/${HASH.slice(7)}/0000000000000000`,
      ofAlice,
    ]);
    const seen = await machine('dave').reader.approvals!(HASH);
    expect(seen.map((a) => a.operator)).toEqual(['Alice Reviewer', 'bob']);
  });

  it('the overlay digest follows the branch: a push to the overlay changes its tree', async () => {
    const reader = machine('digest').reader;
    const before = await reader.overlayDigest!('aws');
    expect(before.branch).toBe('main');
    expect(before.tree).toMatch(/^[0-9a-f]{40}$/);
    const head = await pushChange({
      remote,
      message: 'aws: note',
      change: (dir) => writeFile(join(dir, before.path, 'NOTES.md'), 'hello\n'),
    });
    // A read within FRESH_MS of the last one shares its fetch: ask after it.
    await new Promise((resolve) => setTimeout(resolve, FRESH_MS + 100));
    const after = await reader.overlayDigest!('aws');
    expect(after.revision).toBe(head);
    expect(after.tree).not.toBe(before.tree);
    expect((await reader.overlayDigest!('gcp')).revision).toBe(head);
  });
});
