/**
 * Traffic policy document checks that Route 53 makes and the validator must make too (the tool runs
 * it before creating a version; the emulator answers InvalidTrafficPolicyDocument with it).
 */
import { describe, expect, it } from 'vitest';
import { validateTrafficPolicyDocument } from '../../src/providers/route53/document.js';

/** A geo rule in front of a weighted one: EU and JP go to the weighted split, the rest to GKE. */
function geoPolicy(location: Record<string, unknown>, item: Record<string, unknown> = {}): string {
  return JSON.stringify({
    AWSPolicyFormatVersion: '2015-10-01',
    RecordType: 'A',
    Endpoints: {
      gke: { Type: 'value', Value: '198.51.100.7' },
      aws: { Type: 'value', Value: '198.51.100.8' },
    },
    Rules: {
      where: {
        RuleType: 'geo',
        Locations: [
          { RuleReference: 'split', ...location },
          { EndpointReference: 'gke', IsDefault: true },
        ],
      },
      split: {
        RuleType: 'weighted',
        Items: [
          { EndpointReference: 'gke', Weight: '200', EvaluateTargetHealth: true, ...item },
          { EndpointReference: 'aws', Weight: 55 },
        ],
      },
    },
    StartRule: 'where',
  });
}

describe('traffic policy documents', () => {
  it('accepts every continent code, country codes and subdivisions', () => {
    for (const continent of ['AF', 'AN', 'AS', 'EU', 'OC', 'NA', 'SA']) {
      expect(validateTrafficPolicyDocument(geoPolicy({ Continent: continent }))).toEqual([]);
    }
    expect(validateTrafficPolicyDocument(geoPolicy({ Country: 'JP' }))).toEqual([]);
    expect(validateTrafficPolicyDocument(geoPolicy({ Country: 'US', Subdivision: 'WA' }))).toEqual([]);
  });

  it('rejects unknown continent and country codes', () => {
    expect(validateTrafficPolicyDocument(geoPolicy({ Continent: 'XX' }))).toEqual([
      'Rules.where.Locations[0].Continent "XX" is not a continent code (one of AF, AN, AS, EU, OC, NA, SA)',
    ]);
    expect(validateTrafficPolicyDocument(geoPolicy({ Continent: 'eu' }))).toHaveLength(1);
    expect(validateTrafficPolicyDocument(geoPolicy({ Continent: 'Europe' }))).toHaveLength(1);
    expect(validateTrafficPolicyDocument(geoPolicy({ Country: 'JPN' }))).toEqual([
      'Rules.where.Locations[0].Country "JPN" is not a two-letter country code (ISO 3166-1)',
    ]);
    expect(validateTrafficPolicyDocument(geoPolicy({ Country: 'US', Subdivision: 'Washington' }))).toEqual([
      'Rules.where.Locations[0].Subdivision "Washington" is not a subdivision code',
    ]);
  });

  it('takes EvaluateTargetHealth and IsDefault only as JSON booleans', () => {
    expect(
      validateTrafficPolicyDocument(geoPolicy({ Continent: 'EU' }, { EvaluateTargetHealth: 'true' })),
    ).toEqual(['Rules.split.Items[0].EvaluateTargetHealth must be true or false (got "true")']);
    expect(
      validateTrafficPolicyDocument(geoPolicy({ Continent: 'EU' }, { EvaluateTargetHealth: 1 })),
    ).toEqual(['Rules.split.Items[0].EvaluateTargetHealth must be true or false (got 1)']);
    expect(validateTrafficPolicyDocument(geoPolicy({ IsDefault: 'true', Continent: 'EU' }))).toEqual([
      'Rules.where.Locations[0].IsDefault must be true or false (got "true")',
    ]);
  });
});
