/** The recap names what the name servers answered after the shift (the verify.dns step's counts). */
import { describe, expect, it } from 'vitest';
import { buildRecap, renderRecap } from '../../../src/cli/render/recap.js';
import type { RunPlan } from '../../../src/engine/plan.js';

const plain = new Proxy({}, { get: () => (text: string) => text }) as Parameters<typeof renderRecap>[1];

const plan: RunPlan = {
  runId: 'r1',
  runbook: { name: 'to-gcp', file: 'runbooks/to-gcp.yaml' },
  params: {},
  steps: [
    { id: 'dns', kind: 'verify.dns', mutating: false },
    { id: 'dns-lenient', kind: 'verify.dns', mutating: false },
  ],
  finally: [],
};

describe('recap of DNS answers', () => {
  it('says how many answers went to each side, and which server was asked', () => {
    const recap = buildRecap({
      runbook: 'to-gcp',
      outcome: 'succeeded',
      plan,
      outputs: {
        dns: {
          ok: true,
          dns: {
            name: 'shop.example.org.',
            server: '198.18.0.53:53',
            samples: 30,
            gcp: 30,
            aws: 0,
            other: 0,
          },
        },
        'dns-lenient': {
          ok: false,
          dns: { name: 'shop.example.org.', server: '198.18.0.53:53', samples: 10, gcp: 7, aws: 1, other: 2 },
        },
      },
      warnings: [],
      rolledBack: [],
    });
    expect(recap.dns).toEqual([
      'shop.example.org: 30/30 answers → GCP, asked 198.18.0.53:53',
      'shop.example.org: 1/10 → AWS, 7/10 → GCP, 2/10 → other (FAILED), asked 198.18.0.53:53',
    ]);
    expect(renderRecap(recap, plain)).toContain(
      '  dns       shop.example.org: 30/30 answers → GCP, asked 198.18.0.53:53',
    );
  });
});
