/**
 * ChangeResourceRecordSets semantics: all-or-nothing batches over a working copy of the zone's
 * records, with the service's validation messages. As Route 53 does, a malformed change (a
 * weighted record without SetIdentifier, both TTL and AliasTarget, a value outside the XML
 * schema …) fails the batch at once with InvalidInput; problems of a well-formed change with the
 * zone (a name outside it, a CREATE of an existing record, a DELETE of a missing one, an A value
 * that is no address …) are collected and answered together as InvalidChangeBatch `[msg, msg]`.
 */
import { isIPv4, isIPv6 } from './document.js';
import { Route53Error } from './errors.js';
import { bareId, escapeDnsName, isInZone, isValidDnsName, normalizeDnsName } from './names.js';
import type { Change, ResourceRecordSet } from './types.js';

export const RR_TYPES = [
  'SOA',
  'A',
  'TXT',
  'NS',
  'CNAME',
  'MX',
  'NAPTR',
  'PTR',
  'SRV',
  'SPF',
  'AAAA',
  'CAA',
  'DS',
  'TLSA',
  'SSHFP',
  'SVCB',
  'HTTPS',
];
const ACTIONS = ['CREATE', 'DELETE', 'UPSERT'];

interface ZoneRecords {
  name: string;
  records: Map<string, ResourceRecordSet>;
}

type RoutingKind = 'simple' | 'weighted' | 'latency' | 'failover' | 'geolocation' | 'multivalue';

function keyOf(record: ResourceRecordSet): string {
  return `${record.Name}|${record.Type}|${record.SetIdentifier ?? ''}`;
}

/** Returns the zone's records after the batch, or throws without touching the zone. */
export function validateChangeBatch(
  zone: ZoneRecords,
  changes: Change[],
  healthCheckExists: (id: string) => boolean,
): Map<string, ResourceRecordSet> {
  if (changes.length === 0) {
    throw new Route53Error(
      'InvalidInput',
      "Invalid XML ; cvc-complex-type.2.4.b: The content of element 'Changes' is not complete. One of '{Change}' is expected.",
    );
  }
  const normalized = changes.map((change) => {
    const record = normalizeRecord(change.ResourceRecordSet);
    checkStructure(change.Action, record, healthCheckExists);
    return { action: change.Action, record };
  });

  const working = new Map(zone.records);
  const problems: string[] = [];
  for (const { action, record } of normalized) {
    const invalid = recordProblem(zone, record);
    if (invalid) {
      problems.push(invalid);
      continue;
    }
    const key = keyOf(record);
    const existing = working.get(key);
    const description = describeRecord(record);
    if (action === 'DELETE') {
      if (!existing) {
        problems.push(`Tried to delete resource record set ${description} but it was not found`);
      } else if (JSON.stringify(existing) !== JSON.stringify(record)) {
        problems.push(
          `Tried to delete resource record set ${description} but the values provided do not match the current values`,
        );
      } else if (record.Name === zone.name && (record.Type === 'SOA' || record.Type === 'NS')) {
        problems.push(
          record.Type === 'SOA'
            ? 'A HostedZone must contain exactly one SOA record.'
            : 'A HostedZone must contain at least one NS record for the zone itself.',
        );
      } else {
        working.delete(key);
      }
      continue;
    }
    if (action === 'CREATE' && existing) {
      problems.push(`Tried to create resource record set ${description} but it already exists`);
      continue;
    }
    const conflict = findConflict(zone, working, record);
    if (conflict) {
      problems.push(conflict);
      continue;
    }
    working.set(key, record);
  }
  if (problems.length > 0) throw new Route53Error('InvalidChangeBatch', `[${problems.join(', ')}]`);
  return working;
}

/** The record as Route 53 stores it: normalized names, members in model order, no empty fields. */
export function normalizeRecord(input: ResourceRecordSet): ResourceRecordSet {
  const record: ResourceRecordSet = { Name: normalizeDnsName(input.Name ?? ''), Type: input.Type };
  if (input.SetIdentifier !== undefined) record.SetIdentifier = input.SetIdentifier;
  if (input.Weight !== undefined) record.Weight = input.Weight;
  if (input.Region !== undefined) record.Region = input.Region;
  if (input.GeoLocation !== undefined) record.GeoLocation = { ...input.GeoLocation };
  if (input.Failover !== undefined) record.Failover = input.Failover;
  if (input.MultiValueAnswer !== undefined) record.MultiValueAnswer = input.MultiValueAnswer;
  if (input.TTL !== undefined) record.TTL = input.TTL;
  if (input.ResourceRecords !== undefined)
    record.ResourceRecords = input.ResourceRecords.map((r) => ({ Value: r.Value }));
  if (input.AliasTarget !== undefined) {
    record.AliasTarget = {
      HostedZoneId: bareId(input.AliasTarget.HostedZoneId ?? ''),
      DNSName: normalizeDnsName(input.AliasTarget.DNSName ?? ''),
      EvaluateTargetHealth: input.AliasTarget.EvaluateTargetHealth,
    };
  }
  if (input.HealthCheckId !== undefined) record.HealthCheckId = input.HealthCheckId;
  if (input.TrafficPolicyInstanceId !== undefined)
    record.TrafficPolicyInstanceId = input.TrafficPolicyInstanceId;
  return record;
}

function describeRecord(record: ResourceRecordSet): string {
  const identifier = record.SetIdentifier !== undefined ? `, set-identifier='${record.SetIdentifier}'` : '';
  return `[name='${escapeDnsName(record.Name)}', type='${record.Type}'${identifier}]`;
}

function describeChange(action: string, record: ResourceRecordSet): string {
  return (
    `Change with [Action=${action}, Name=${escapeDnsName(record.Name)}, Type=${record.Type}, ` +
    `SetIdentifier=${record.SetIdentifier ?? 'null'}]`
  );
}

function routingKind(record: ResourceRecordSet): RoutingKind {
  if (record.Weight !== undefined) return 'weighted';
  if (record.Region !== undefined) return 'latency';
  if (record.Failover !== undefined) return 'failover';
  if (record.GeoLocation !== undefined) return 'geolocation';
  if (record.MultiValueAnswer !== undefined) return 'multivalue';
  return 'simple';
}

/** Malformed changes: InvalidInput at once, as the service's request validation answers. */
function checkStructure(
  action: string,
  record: ResourceRecordSet,
  healthCheckExists: (id: string) => boolean,
): void {
  if (!ACTIONS.includes(action)) {
    throw new Route53Error(
      'InvalidInput',
      `Invalid XML ; cvc-enumeration-valid: Value '${action}' is not facet-valid with respect to enumeration '[CREATE, DELETE, UPSERT]'. It must be a value from the enumeration.`,
    );
  }
  if (!RR_TYPES.includes(record.Type)) {
    throw new Route53Error(
      'InvalidInput',
      `Invalid XML ; cvc-enumeration-valid: Value '${record.Type}' is not facet-valid with respect to enumeration '[${RR_TYPES.join(', ')}]'. It must be a value from the enumeration.`,
    );
  }
  if (
    record.Weight !== undefined &&
    (!Number.isInteger(record.Weight) || record.Weight < 0 || record.Weight > 255)
  ) {
    const bound = record.Weight < 0 ? "minInclusive '0'" : "maxInclusive '255'";
    throw new Route53Error(
      'InvalidInput',
      `Invalid XML ; cvc-${record.Weight < 0 ? 'minInclusive' : 'maxInclusive'}-valid: Value '${record.Weight}' is not facet-valid with respect to ${bound} for type 'ResourceRecordSetWeight'.`,
    );
  }
  if (record.TTL !== undefined && (!Number.isInteger(record.TTL) || record.TTL < 0)) {
    throw new Route53Error(
      'InvalidInput',
      `Invalid XML ; TTL must be a non-negative integer (got '${record.TTL}').`,
    );
  }
  const change = describeChange(action, record);

  // Exactly one way to answer: an alias, TTL + values, or a traffic policy instance.
  const hasTtl = record.TTL !== undefined;
  const hasValues = record.ResourceRecords !== undefined && record.ResourceRecords.length > 0;
  const answers = [
    record.AliasTarget !== undefined,
    hasTtl && hasValues,
    record.TrafficPolicyInstanceId !== undefined,
  ];
  const answerCount = answers.filter(Boolean).length;
  if (answerCount === 0 && hasTtl !== hasValues) {
    throw new Route53Error(
      'InvalidInput',
      `Invalid request: Missing field '${hasTtl ? 'ResourceRecords' : 'TTL'}' in ${change}`,
    );
  }
  if (answerCount !== 1 || (record.AliasTarget !== undefined && (hasTtl || hasValues))) {
    throw new Route53Error(
      'InvalidInput',
      'Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], ' +
        `but found ${answerCount === 0 ? 'none' : 'more than one'} in ${change}`,
    );
  }
  if (record.TrafficPolicyInstanceId !== undefined && action !== 'DELETE') {
    throw new Route53Error(
      'InvalidInput',
      `Invalid request: TrafficPolicyInstanceId can only be given to DELETE a record; use CreateTrafficPolicyInstance in ${change}`,
    );
  }

  // A set identifier goes with exactly one routing policy, and a routing policy needs one.
  const routingFields = ['Weight', 'Region', 'Failover', 'GeoLocation', 'MultiValueAnswer'] as const;
  const routingCount = routingFields.filter((field) => record[field] !== undefined).length;
  if (record.SetIdentifier !== undefined && routingCount !== 1) {
    throw new Route53Error(
      'InvalidInput',
      'Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], ' +
        `but found ${routingCount === 0 ? 'none' : 'more than one'} in ${change}`,
    );
  }
  if (record.SetIdentifier === undefined && routingCount > 0) {
    throw new Route53Error('InvalidInput', `Invalid request: Missing field 'SetIdentifier' in ${change}`);
  }

  if (record.HealthCheckId !== undefined && !healthCheckExists(record.HealthCheckId)) {
    throw new Route53Error(
      'NoSuchHealthCheck',
      `A health check with id ${record.HealthCheckId} does not exist.`,
    );
  }
}

/**
 * A well-formed change that cannot apply to this zone: collected into the batch's
 * InvalidChangeBatch list with the conflicts.
 */
function recordProblem(zone: ZoneRecords, record: ResourceRecordSet): string | undefined {
  if (!isValidDnsName(record.Name) || !isInZone(record.Name, zone.name)) {
    return `RRSet with DNS name ${escapeDnsName(record.Name)} is not permitted in zone ${escapeDnsName(zone.name)}`;
  }
  if (record.Type === 'CNAME' && record.Name === zone.name) {
    return `RRSet of type CNAME with DNS name ${escapeDnsName(record.Name)} is not permitted at apex in zone ${escapeDnsName(zone.name)}`;
  }
  for (const { Value } of record.ResourceRecords ?? []) {
    if (record.Type === 'A' && !isIPv4(Value)) {
      return `Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${Value}''`;
    }
    if (record.Type === 'AAAA' && !isIPv6(Value)) {
      return `Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '${Value}''`;
    }
  }
  if (record.Type === 'CNAME' && (record.ResourceRecords?.length ?? 0) > 1) {
    return `Invalid Resource Record: 'FATAL problem: RRDATANotSingleField (A CNAME record set can have only one value) encountered with '${record.ResourceRecords?.[1]?.Value}''`;
  }
  return undefined;
}

/** A CNAME next to other types, or routing policies mixed within one name and type. */
function findConflict(
  zone: ZoneRecords,
  working: Map<string, ResourceRecordSet>,
  record: ResourceRecordSet,
): string | undefined {
  const key = keyOf(record);
  const name = escapeDnsName(record.Name);
  for (const other of working.values()) {
    if (other.Name !== record.Name || keyOf(other) === key) continue;
    if ((record.Type === 'CNAME') !== (other.Type === 'CNAME')) {
      return (
        `RRSet of type ${record.Type} with DNS name ${name} is not permitted because a conflicting RRSet of type ` +
        `${other.Type} with the same DNS name already exists in zone ${escapeDnsName(zone.name)}`
      );
    }
    if (other.Type !== record.Type) continue;
    const kind = routingKind(record);
    const otherKind = routingKind(other);
    if (kind === 'simple' || otherKind === 'simple') {
      return (
        `RRSet with DNS name ${name}, type ${record.Type}${record.SetIdentifier ? `, SetIdentifier ${record.SetIdentifier}` : ''} ` +
        `cannot be created because a ${otherKind === 'simple' ? 'non-' + kind : otherKind} set exists with the same name and type`
      );
    }
    if (kind !== otherKind) {
      return (
        `RRSet with DNS name ${name}, type ${record.Type}, SetIdentifier ${record.SetIdentifier} ` +
        `cannot be created because a non-${kind} set exists with the same name and type`
      );
    }
  }
  return undefined;
}
