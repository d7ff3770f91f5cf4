/** The read-back after a run that did not succeed claims only what the systems it read say. */
import { describe, expect, it } from 'vitest';
import { renderStateNow } from '../../../src/cli/state-now.js';

const plain = new Proxy({}, { get: () => (text: string) => text }) as Parameters<typeof renderStateNow>[2];

describe('state now', () => {
  it('says what git asks for, not that workloads run: Argo CD may not have applied the commit yet', () => {
    const lines = renderStateNow(
      {
        at: '2026-12-07T13:17:35Z',
        overlays: {
          aws: { ok: true, value: { state: 'active', revision: '6d431fe0123', entries: [] } },
          gcp: {
            ok: true,
            value: { state: 'active', cronJobs: 'standby', revision: '6d431fe0123', entries: ['x'] },
          },
        },
      },
      'r1',
      plain,
    );
    const git = lines.find((l) => l.includes('git:'));
    expect(git).toBe(
      '    git: aws overlay active (standby entries removed), GKE CronJobs suspended (fenced) (branch head 6d431fe)',
    );
    expect(lines.join('\n')).not.toMatch(/running/);
  });
});
