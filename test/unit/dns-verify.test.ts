/** The DNS verification's verdict, its config section and server addresses. */
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { parseServer } from '../../src/providers/dns/adapter.js';
import { type DnsSideCounts, describeDnsCounts, judgeDnsCounts } from '../../src/steps/verify/dns-sides.js';

function counts(gcp: number, aws: number, other = 0): DnsSideCounts {
  const answers: DnsSideCounts['answers'] = [];
  if (gcp) answers.push({ values: ['192.0.2.1'], rcode: 'NOERROR', count: gcp, side: 'gcp' });
  if (aws) answers.push({ values: ['198.51.100.9'], rcode: 'NOERROR', count: aws, side: 'aws' });
  if (other) answers.push({ values: [], rcode: 'NXDOMAIN', count: other, side: 'other' });
  return {
    name: 'admin.example.com.',
    type: 'A',
    server: '127.0.0.1:5300',
    samples: gcp + aws + other,
    gcp,
    aws,
    other,
    answers,
    elapsedMs: 5,
  };
}

describe('judgeDnsCounts', () => {
  it.each([
    { name: 'every answer AWS after a full shift', c: counts(0, 20), w: { gcp: 0, aws: 255 }, ok: true },
    { name: 'one GKE answer after a full shift', c: counts(1, 19), w: { gcp: 0, aws: 255 }, ok: false },
    { name: 'every answer GKE after a failback', c: counts(20, 0), w: { gcp: 255, aws: 0 }, ok: true },
    { name: 'a share within the tolerance', c: counts(210, 190), w: { gcp: 128, aws: 127 }, ok: true },
    { name: 'a share outside the tolerance', c: counts(300, 100), w: { gcp: 128, aws: 127 }, ok: false },
    { name: 'answers of neither side', c: counts(0, 19, 1), w: { gcp: 0, aws: 255 }, ok: false },
    { name: 'all-zero weights as an even split', c: counts(200, 200), w: { gcp: 0, aws: 0 }, ok: true },
  ])('$name → ok $ok', ({ c, w, ok }) => {
    expect(judgeDnsCounts(c, w, 0.1).ok).toBe(ok);
  });

  it('names the stray answers and the shares in its detail', () => {
    expect(judgeDnsCounts(counts(0, 19, 1), { gcp: 0, aws: 255 }, 0.1).detail).toBe(
      'admin.example.com: 19/20 → AWS, 1/20 → other; answers of neither side: 1× NXDOMAIN',
    );
    expect(judgeDnsCounts(counts(300, 100), { gcp: 1, aws: 1 }, 0.1).detail).toContain(
      'AWS share 25%, weights say 50% ± 10%',
    );
  });

  it('says the status line the operator reads', () => {
    expect(describeDnsCounts(counts(0, 20))).toBe('admin.example.com: 20/20 answers → AWS');
  });
});

describe('verify.dns config', () => {
  it('takes every default from `verify: {dns: {}}`', () => {
    expect(Config.parse({ verify: { dns: {} } }).verify?.dns).toEqual({
      samples: 20,
      tolerance: 0.1,
      timeout: '2s',
    });
  });

  it('reports bad values with their field paths', () => {
    const result = Config.safeParse({
      verify: { dns: { servers: ['not a server!'], samples: 0, tolerance: 2, colour: 'x' } },
    });
    expect(result.success).toBe(false);
    const paths = (result.error?.issues ?? []).map((i) => i.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'verify.dns.servers.0',
        'verify.dns.samples',
        'verify.dns.tolerance',
        'verify.dns',
      ]),
    );
  });
});

describe('parseServer', () => {
  it.each([
    ['192.0.2.53', { host: '192.0.2.53', port: 53 }],
    ['127.0.0.1:5300', { host: '127.0.0.1', port: 5300 }],
    ['[2001:db8::53]:5353', { host: '2001:db8::53', port: 5353 }],
    ['2001:db8::53', { host: '2001:db8::53', port: 53 }],
    ['ns-1.awsdns-01.org', { host: 'ns-1.awsdns-01.org', port: 53 }],
  ])('%s', (text, want) => {
    expect(parseServer(text)).toEqual(want);
  });
});
