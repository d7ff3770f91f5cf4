/** Weights ↔ percentages, and editing a policy document without touching anything else. */
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../src/engine/errors.js';
import { validateTrafficPolicyDocument } from '../../src/providers/route53/document.js';
import { locateJsonValue, replaceJsonValues } from '../../src/providers/route53/json-text.js';
import {
  documentDiff,
  locateWeights,
  type RoleRef,
  withWeights,
} from '../../src/providers/route53/policy-document.js';
import {
  formatWeights,
  percentOf,
  resolveWeight,
  weightsForTarget,
} from '../../src/providers/route53/weights.js';
import type { Role } from '../../src/providers/types.js';

describe('weightsForTarget', () => {
  it.each([
    ['aws', 100, { aws: 255, gcp: 0 }],
    ['gcp', 100, { gcp: 255, aws: 0 }],
    ['aws', 0, { aws: 0, gcp: 255 }],
    ['aws', 10, { aws: 26, gcp: 229 }],
    ['aws', 50, { aws: 128, gcp: 127 }],
    ['gcp', 25, { gcp: 64, aws: 191 }],
    ['aws', 1, { aws: 3, gcp: 252 }],
  ] as const)('to %s at %d%% → %o', (target, percent, expected) => {
    expect(weightsForTarget(target, percent)).toEqual(expected);
  });

  it.each([-1, 101, Number.NaN])('rejects %d percent', (percent) => {
    expect(() => weightsForTarget('aws', percent)).toThrow(RangeError);
  });
});

describe('percentOf and formatWeights', () => {
  it.each([
    [
      { gcp: 255, aws: 0 },
      { gcp: 100, aws: 0 },
    ],
    [
      { gcp: 229, aws: 26 },
      { gcp: 89.8, aws: 10.2 },
    ],
    [
      { gcp: 1, aws: 1 },
      { gcp: 50, aws: 50 },
    ],
    [
      { gcp: 0, aws: 0 },
      { gcp: 50, aws: 50 },
    ],
    [
      { gcp: 1, aws: 2 },
      { gcp: 33.3, aws: 66.7 },
    ],
  ])('%o → %o', (weights, expected) => {
    expect(percentOf(weights)).toEqual(expected);
  });

  it('renders raw weights with their share', () => {
    expect(formatWeights({ gcp: 229, aws: 26 })).toBe('gcp 229 (89.8%) / aws 26 (10.2%)');
  });

  it('round-trips: the share of weightsForTarget(p) is p within half a weight', () => {
    for (let p = 0; p <= 100; p++) {
      const share = percentOf(weightsForTarget('aws', p)).aws;
      expect(Math.abs(share - p)).toBeLessThanOrEqual(0.25);
    }
  });
});

describe('resolveWeight', () => {
  it.each([
    [0, 0],
    [255, 255],
    ['100%', 255],
    ['0%', 0],
    ['40%', 102],
    ['12.5%', 32],
  ] as const)('%s → %d', (input, expected) => {
    expect(resolveWeight(input)).toBe(expected);
  });

  it('rejects what is neither a weight nor a percentage', () => {
    expect(() => resolveWeight('forty')).toThrow(/not a weight/);
  });
});

describe('locateJsonValue / replaceJsonValues', () => {
  const text = '{ "a": [1, {"b": "x\\"y", "c": -2.5e3}], "a2": null, "d": {"e": true} }';

  it.each([
    [['a', 1, 'b'], '"x\\"y"'],
    [['a', 1, 'c'], '-2.5e3'],
    [['a', 0], '1'],
    [['a2'], 'null'],
    [['d'], '{"e": true}'],
    [[], text],
  ] as const)('%o is %s', (path, expected) => {
    const span = locateJsonValue(text, path);
    expect(span && text.slice(span.start, span.end)).toBe(expected);
  });

  it('returns undefined for a path that is not there', () => {
    expect(locateJsonValue(text, ['a', 5])).toBeUndefined();
    expect(locateJsonValue(text, ['d', 'nope'])).toBeUndefined();
    expect(locateJsonValue(text, ['a', 'b'])).toBeUndefined();
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    const dup = '{"w": 1, "w": 2}';
    expect(JSON.parse(replaceJsonValues(dup, [{ path: ['w'], json: '9' }]))).toEqual({ w: 9 });
    expect(replaceJsonValues(dup, [{ path: ['w'], json: '9' }])).toBe('{"w": 1, "w": 9}');
  });

  it('throws on invalid JSON', () => {
    expect(() => locateJsonValue('{"a": }', ['a'])).toThrow(SyntaxError);
    expect(() => locateJsonValue('{"a": 1} x', ['a'])).toThrow(SyntaxError);
  });
});

/** A compact document whose endpoint ids are integer-like: JSON.parse would move them first. */
const COMPACT =
  '{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","StartRule":"split",' +
  '"Endpoints":{"gke":{"Type":"value","Value":"203.0.113.10"},"2":{"Type":"value","Value":"198.51.100.7"}},' +
  '"Rules":{"split":{"RuleType":"weighted","Items":[' +
  '{"EndpointReference":"gke","Weight":"255","EvaluateTargetHealth":true},' +
  '{"EndpointReference":"2","Weight":0}]}}}';

const NESTED = JSON.stringify(
  {
    AWSPolicyFormatVersion: '2015-10-01',
    RecordType: 'CNAME',
    StartRule: 'by-region',
    Endpoints: {
      gke: { Type: 'value', Value: 'gke.example.com' },
      alb: { Type: 'application-load-balancer', Value: 'alb-1.ap-northeast-1.elb.amazonaws.com' },
    },
    Rules: {
      'by-region': {
        RuleType: 'failover',
        Primary: { RuleReference: 'split' },
        Secondary: { EndpointReference: 'gke' },
      },
      split: {
        RuleType: 'weighted',
        Items: [
          { RuleReference: 'aws-side', Weight: 10 },
          { EndpointReference: 'gke', Weight: 245 },
        ],
      },
      'aws-side': { RuleType: 'multivalue', Items: [{ EndpointReference: 'alb' }] },
    },
  },
  null,
  4,
);

describe('locateWeights and withWeights', () => {
  const cases: Array<{
    name: string;
    text: string;
    roles: Record<Role, RoleRef>;
    rule?: string;
    before: { gcp: number; aws: number };
  }> = [
    {
      name: 'compact, string and number weights',
      text: COMPACT,
      roles: { gcp: 'gke', aws: '2' },
      before: { gcp: 255, aws: 0 },
    },
    {
      name: 'indented, a role that is a rule',
      text: NESTED,
      roles: { gcp: { endpoint: 'gke' }, aws: { rule: 'aws-side' } },
      before: { gcp: 245, aws: 10 },
    },
    {
      name: 'rule named in the config',
      text: NESTED,
      rule: 'split',
      roles: { gcp: 'gke', aws: { rule: 'aws-side' } },
      before: { gcp: 245, aws: 10 },
    },
  ];

  it.each(cases)('$name: reads the weights, changes only them, keeps their JSON types', (c) => {
    const location = locateWeights(c.text, { rule: c.rule, roles: c.roles }, 'doc');
    expect(location.weights).toEqual(c.before);
    const edited = withWeights(c.text, location, { gcp: 7, aws: 248 });
    // Same text except the two weights.
    const original = JSON.parse(c.text) as { Rules: Record<string, { Items: Array<{ Weight: unknown }> }> };
    const parsed = JSON.parse(edited) as typeof original;
    const items = parsed.Rules[location.ruleId]?.Items ?? [];
    const originalItems = original.Rules[location.ruleId]?.Items ?? [];
    for (const role of ['gcp', 'aws'] as const) {
      const index = location.items[role];
      const was = originalItems[index]?.Weight;
      const now = items[index]?.Weight;
      expect(typeof now).toBe(typeof was);
      expect(Number(now)).toBe(role === 'gcp' ? 7 : 248);
      // Restore the old values and the documents are identical.
      (items[index] as { Weight: unknown }).Weight = was;
    }
    expect(parsed).toEqual(original);
    // Byte-level: the edit is confined to the weights (length differs only by the digits).
    expect(edited.replace(/"?Weight"?\s*:\s*"?\d+"?/g, 'W')).toBe(
      c.text.replace(/"?Weight"?\s*:\s*"?\d+"?/g, 'W'),
    );
    expect(validateTrafficPolicyDocument(edited)).toEqual([]);
  });

  it('keeps integer-like keys where they were (JSON.stringify would move them first)', () => {
    const location = locateWeights(COMPACT, { roles: { gcp: 'gke', aws: '2' } }, 'doc');
    const edited = withWeights(COMPACT, location, { gcp: 0, aws: 255 });
    expect(edited.indexOf('"gke":{')).toBeLessThan(edited.indexOf('"2":{'));
    expect(edited).toContain('{"EndpointReference":"gke","Weight":"0","EvaluateTargetHealth":true}');
    expect(edited).toContain('{"EndpointReference":"2","Weight":255}');
  });

  it.each([
    {
      name: 'a role not in the rule',
      text: COMPACT,
      options: { roles: { gcp: 'gke', aws: 'aws' } as Record<Role, RoleRef> },
      code: 'FO_ROUTE53_E3403',
      message:
        /role aws is endpoint "aws", but no item of weighted rule split refers to it; the items refer to endpoint "gke", endpoint "2"/,
    },
    {
      name: 'a configured rule that is not weighted',
      text: NESTED,
      options: { rule: 'by-region', roles: { gcp: 'gke', aws: 'x' } as Record<Role, RoleRef> },
      code: 'FO_ROUTE53_E3402',
      message: /by-region \(failover\), split \(weighted\), aws-side \(multivalue\)/,
    },
    {
      name: 'two weighted rules and none configured',
      text: JSON.stringify({
        AWSPolicyFormatVersion: '2015-10-01',
        RecordType: 'A',
        StartRule: 'a',
        Endpoints: { x: { Type: 'value', Value: '192.0.2.1' } },
        Rules: {
          a: { RuleType: 'weighted', Items: [{ RuleReference: 'b', Weight: 1 }] },
          b: { RuleType: 'weighted', Items: [{ EndpointReference: 'x', Weight: 1 }] },
        },
      }),
      options: { roles: { gcp: 'x', aws: 'y' } as Record<Role, RoleRef> },
      code: 'FO_ROUTE53_E3402',
      message: /2 weighted rules \(a, b\)/,
    },
    {
      name: 'both roles on one item',
      text: COMPACT,
      options: { roles: { gcp: 'gke', aws: { endpoint: 'gke' } } as Record<Role, RoleRef> },
      code: 'FO_ROUTE53_E3403',
      message: /both point at item 0/,
    },
  ])('names the problem and the fix: $name', ({ text, options, code, message }) => {
    let error: unknown;
    try {
      locateWeights(text, options, 'traffic policy p version 1');
    } catch (thrown) {
      error = thrown;
    }
    expect(FailoverError.is(error)).toBe(true);
    expect(error).toMatchObject({ code, category: 'invalid-input' });
    expect((error as FailoverError).message).toMatch(message);
    expect((error as FailoverError).message).toContain('traffic policy p version 1');
    expect((error as FailoverError).hint).toMatch(/route53\.trafficFlow\.(rule|roles)/);
  });

  it('diffs the pretty-printed documents: only the weight lines change', () => {
    const location = locateWeights(COMPACT, { roles: { gcp: 'gke', aws: '2' } }, 'doc');
    const diff = documentDiff(COMPACT, withWeights(COMPACT, location, { gcp: 0, aws: 255 }), 'v1', 'v2');
    const changed = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual([
      '-          "Weight": "255",',
      '+          "Weight": "0",',
      '-          "Weight": 0',
      '+          "Weight": 255',
    ]);
    expect(diff).toContain('--- v1');
    expect(diff).toContain('+++ v2');
  });
});
