/**
 * One emulated Route 53 account's hosted zones, record sets, changes and health checks, and what
 * every operation shares (the clock, propagation delay, injected faults, paging). Traffic Flow
 * (policies and their instances) builds on it in model.ts.
 *
 * Time-dependent states (a change PENDING → INSYNC) are computed from timestamps when read, so
 * the account needs no timers and leaks none.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EmulatorControl, FaultKind } from '../common/control.js';
import { Route53Error } from './errors.js';
import { checkerObservations, completeHealthCheckConfig } from './health-checks.js';
import {
  bareId,
  compareDnsNames,
  compareStrings,
  escapeDnsName,
  isValidDnsName,
  newResourceId,
  normalizeDnsName,
} from './names.js';
import { validateChangeBatch } from './records.js';
import type {
  Change,
  ChangeInfo,
  DelegationSet,
  HealthCheck,
  HealthCheckConfig,
  HealthCheckObservation,
  HostedZone,
  HostedZoneConfig,
  Page,
  ResourceRecordSet,
  VPC,
} from './types.js';

export const MAX_TRAFFIC_POLICY_VERSIONS = 1000;
export const PRIOR_REQUEST_MESSAGE =
  'The request was rejected because Route 53 was still processing a prior request.';

export interface Route53ModelOptions {
  /** Knobs (propagation delay) and faults (policy-instance-failed, prior-request-not-complete). */
  control?: EmulatorControl;
  /** Clock in ms; defaults to Date.now. */
  now?: () => number;
}

export interface ZoneState {
  id: string;
  name: string;
  callerReference: string;
  config: HostedZoneConfig;
  vpc?: VPC;
  nameServers: string[];
  /** Keyed by recordKey(name, type, setIdentifier). */
  records: Map<string, ResourceRecordSet>;
}

interface ChangeState {
  id: string;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

interface HealthCheckState {
  check: HealthCheck;
  /** The config as the caller sent it, to recognise a retried CreateHealthCheck. */
  requested: string;
  healthy: boolean;
  failureReason?: string;
}

export function recordKey(name: string, type: string, setIdentifier?: string): string {
  return `${name}|${type}|${setIdentifier ?? ''}`;
}

export class Route53Account {
  protected readonly zones = new Map<string, ZoneState>();
  protected readonly changes = new Map<string, ChangeState>();
  protected readonly healthChecks = new Map<string, HealthCheckState>();
  protected readonly control: EmulatorControl | undefined;
  protected readonly now: () => number;

  constructor(options: Route53ModelOptions = {}) {
    this.control = options.control;
    this.now = options.now ?? Date.now;
  }

  // ---------------------------------------------------------------- hosted zones

  createHostedZone(input: {
    Name: string;
    CallerReference: string;
    HostedZoneConfig?: { Comment?: string; PrivateZone?: boolean };
    VPC?: VPC;
  }): { HostedZone: HostedZone; ChangeInfo: ChangeInfo; DelegationSet: DelegationSet; VPC?: VPC } {
    requireField(input.Name, 'Name');
    requireField(input.CallerReference, 'CallerReference');
    if (!isValidDnsName(input.Name)) {
      throw new Route53Error('InvalidDomainName', `${input.Name} is not a valid domain name.`);
    }
    for (const zone of this.zones.values()) {
      if (zone.callerReference === input.CallerReference) {
        throw new Route53Error(
          'HostedZoneAlreadyExists',
          `A hosted zone has already been created with the specified caller reference: ${input.CallerReference}`,
        );
      }
    }
    const name = normalizeDnsName(input.Name);
    const id = newResourceId('Z');
    const nameServers = nameServersFor(id);
    const config: HostedZoneConfig = {
      ...(input.HostedZoneConfig?.Comment !== undefined ? { Comment: input.HostedZoneConfig.Comment } : {}),
      PrivateZone: input.VPC !== undefined || input.HostedZoneConfig?.PrivateZone === true,
    };
    const zone: ZoneState = {
      id,
      name,
      callerReference: input.CallerReference,
      config,
      nameServers,
      records: new Map(),
      ...(input.VPC ? { vpc: input.VPC } : {}),
    };
    zone.records.set(recordKey(name, 'SOA'), {
      Name: name,
      Type: 'SOA',
      TTL: 900,
      ResourceRecords: [
        { Value: `${nameServers[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` },
      ],
    });
    zone.records.set(recordKey(name, 'NS'), {
      Name: name,
      Type: 'NS',
      TTL: 172800,
      ResourceRecords: nameServers.map((ns) => ({ Value: `${ns}.` })),
    });
    this.zones.set(id, zone);
    const change = this.recordChange();
    return {
      HostedZone: this.hostedZoneOf(zone),
      ChangeInfo: change,
      DelegationSet: { NameServers: [...nameServers] },
      ...(zone.vpc ? { VPC: zone.vpc } : {}),
    };
  }

  getHostedZone(id: string): { HostedZone: HostedZone; DelegationSet: DelegationSet; VPCs?: VPC[] } {
    const zone = this.zone(id);
    return {
      HostedZone: this.hostedZoneOf(zone),
      DelegationSet: { NameServers: [...zone.nameServers] },
      ...(zone.vpc ? { VPCs: [zone.vpc] } : {}),
    };
  }

  /** In creation order; the marker is a zone id. */
  listHostedZones(options: { marker?: string; maxItems: number }): Page<HostedZone, string> {
    const zones = [...this.zones.values()];
    const start =
      options.marker === undefined ? 0 : zones.findIndex((z) => z.id === bareId(options.marker ?? ''));
    if (start < 0) throw new Route53Error('InvalidInput', `Invalid marker: ${options.marker}`);
    return paginate(
      zones,
      start,
      options.maxItems,
      (zone) => this.hostedZoneOf(zone),
      (zone) => zone.id,
    );
  }

  /** Ordered by name with the labels reversed, then by id. */
  listHostedZonesByName(options: {
    dnsName?: string;
    hostedZoneId?: string;
    maxItems: number;
  }): Page<HostedZone, { dnsName: string; hostedZoneId: string }> {
    if (options.hostedZoneId !== undefined && options.dnsName === undefined) {
      throw new Route53Error(
        'InvalidInput',
        'The hostedzoneid parameter can only be used together with dnsname.',
      );
    }
    if (options.dnsName !== undefined && !isValidDnsName(options.dnsName)) {
      throw new Route53Error('InvalidDomainName', `${options.dnsName} is not a valid domain name.`);
    }
    const zones = [...this.zones.values()].sort(
      (a, b) => compareDnsNames(a.name, b.name) || compareStrings(a.id, b.id),
    );
    let start = 0;
    if (options.dnsName !== undefined) {
      const name = normalizeDnsName(options.dnsName);
      const zoneId = options.hostedZoneId === undefined ? undefined : bareId(options.hostedZoneId);
      start = zones.findIndex((z) => {
        const byName = compareDnsNames(z.name, name);
        return byName > 0 || (byName === 0 && (zoneId === undefined || compareStrings(z.id, zoneId) >= 0));
      });
      if (start < 0) start = zones.length;
    }
    return paginate(
      zones,
      start,
      options.maxItems,
      (zone) => this.hostedZoneOf(zone),
      (zone) => ({ dnsName: zone.name, hostedZoneId: zone.id }),
    );
  }

  // ---------------------------------------------------------------- record sets

  /**
   * Applies the batch all-or-nothing: structural problems fail at once, and every conflict
   * (CREATE of an existing record, DELETE of a missing one …) is collected into one
   * InvalidChangeBatch, as the service does.
   */
  changeResourceRecordSets(zoneId: string, batch: { Comment?: string; Changes: Change[] }): ChangeInfo {
    const zone = this.zone(zoneId);
    this.failIfFaulted('ChangeResourceRecordSets');
    const updated = validateChangeBatch(zone, batch.Changes ?? [], (id) => this.healthChecks.has(id));
    zone.records = updated;
    return this.recordChange(batch.Comment);
  }

  /** Ordered by name (labels reversed), type, set identifier; starts at the given record. */
  listResourceRecordSets(
    zoneId: string,
    options: { name?: string; type?: string; identifier?: string; maxItems: number },
  ): Page<ResourceRecordSet, { name: string; type: string; identifier?: string }> {
    const zone = this.zone(zoneId);
    if (options.type !== undefined && options.name === undefined) {
      throw new Route53Error('InvalidInput', 'The input is not valid: type requires name.');
    }
    if (options.identifier !== undefined && options.type === undefined) {
      throw new Route53Error('InvalidInput', 'The input is not valid: identifier requires name and type.');
    }
    const records = [...zone.records.values()].sort(compareRecords);
    let start = 0;
    if (options.name !== undefined) {
      const probe: ResourceRecordSet = {
        Name: normalizeDnsName(options.name),
        Type: options.type ?? '',
        ...(options.identifier !== undefined ? { SetIdentifier: options.identifier } : {}),
      };
      start = records.findIndex((r) => compareRecords(r, probe) >= 0);
      if (start < 0) start = records.length;
    }
    return paginate(
      records,
      start,
      options.maxItems,
      (r) => ({ ...structuredClone(r), Name: escapeDnsName(r.Name) }),
      (r) => ({
        name: escapeDnsName(r.Name),
        type: r.Type,
        ...(r.SetIdentifier !== undefined ? { identifier: r.SetIdentifier } : {}),
      }),
    );
  }

  getChange(id: string): ChangeInfo {
    const change = this.changes.get(bareId(id));
    if (!change)
      throw new Route53Error('NoSuchChange', `A change with the specified change ID does not exist: ${id}`);
    return this.changeInfoOf(change);
  }

  // ---------------------------------------------------------------- health checks

  /** Returns `created: false` when the same CallerReference and settings were sent before. */
  createHealthCheck(input: { CallerReference: string; HealthCheckConfig: HealthCheckConfig }): {
    HealthCheck: HealthCheck;
    created: boolean;
  } {
    requireField(input.CallerReference, 'CallerReference');
    requireField(input.HealthCheckConfig, 'HealthCheckConfig');
    const requested = JSON.stringify(input.HealthCheckConfig);
    for (const state of this.healthChecks.values()) {
      if (state.check.CallerReference !== input.CallerReference) continue;
      if (state.requested === requested) return { HealthCheck: structuredClone(state.check), created: false };
      throw new Route53Error(
        'HealthCheckAlreadyExists',
        `A health check with the caller reference ${input.CallerReference} already exists with different settings.`,
      );
    }
    const config = completeHealthCheckConfig(input.HealthCheckConfig);
    for (const child of config.ChildHealthChecks ?? []) {
      if (!this.healthChecks.has(child))
        throw new Route53Error('InvalidInput', `Child health check ${child} does not exist.`);
    }
    const check: HealthCheck = {
      Id: randomUUID(),
      CallerReference: input.CallerReference,
      HealthCheckConfig: config,
      HealthCheckVersion: 1,
    };
    this.healthChecks.set(check.Id, { check, requested, healthy: true });
    return { HealthCheck: structuredClone(check), created: true };
  }

  getHealthCheck(id: string): HealthCheck {
    return structuredClone(this.healthCheck(id).check);
  }

  listHealthChecks(options: { marker?: string; maxItems: number }): Page<HealthCheck, string> {
    const checks = [...this.healthChecks.values()];
    const start = options.marker === undefined ? 0 : checks.findIndex((c) => c.check.Id === options.marker);
    if (start < 0) throw new Route53Error('InvalidInput', `Invalid marker: ${options.marker}`);
    return paginate(
      checks,
      start,
      options.maxItems,
      (c) => structuredClone(c.check),
      (c) => c.check.Id,
    );
  }

  /** One observation per checker region, all agreeing with the emulated status. */
  getHealthCheckStatus(id: string): HealthCheckObservation[] {
    const state = this.healthCheck(id);
    return checkerObservations(state.check.HealthCheckConfig, state, this.now());
  }

  /** Flips what every checker observes from now on. */
  setHealthCheckHealthy(id: string, healthy: boolean, failureReason?: string): void {
    const state = this.healthCheck(id);
    state.healthy = healthy;
    if (failureReason === undefined) delete state.failureReason;
    else state.failureReason = failureReason;
  }

  isHealthCheckHealthy(id: string): boolean {
    return this.healthCheck(id).healthy;
  }

  // ---------------------------------------------------------------- internals

  /** Brings everything in flight up to the clock before a zone is read (Traffic Flow's instances). */
  protected settleAll(): void {}

  protected zone(id: string): ZoneState {
    // A finished instance delete removes its record: settle before anyone reads the zone.
    this.settleAll();
    const zone = this.zones.get(bareId(id ?? ''));
    if (!zone)
      throw new Route53Error('NoSuchHostedZone', `No hosted zone found with ID: ${bareId(id ?? '')}`);
    return zone;
  }

  protected healthCheck(id: string): HealthCheckState {
    const state = this.healthChecks.get(bareId(id ?? ''));
    if (!state) throw new Route53Error('NoSuchHealthCheck', `A health check with id ${id} does not exist.`);
    return state;
  }

  protected recordChange(comment?: string): ChangeInfo {
    const submittedAt = this.now();
    const change: ChangeState = {
      id: newResourceId('C'),
      submittedAt,
      insyncAt: submittedAt + this.propagationDelayMs(),
      ...(comment !== undefined ? { comment } : {}),
    };
    this.changes.set(change.id, change);
    // The answer to the submitting call is always PENDING, as with the real service.
    return { ...this.changeInfoOf(change), Status: 'PENDING' };
  }

  protected changeInfoOf(change: ChangeState): ChangeInfo {
    return {
      Id: `/change/${change.id}`,
      Status: this.now() >= change.insyncAt ? 'INSYNC' : 'PENDING',
      SubmittedAt: new Date(change.submittedAt),
      ...(change.comment !== undefined ? { Comment: change.comment } : {}),
    };
  }

  protected hostedZoneOf(zone: ZoneState): HostedZone {
    return {
      Id: `/hostedzone/${zone.id}`,
      Name: escapeDnsName(zone.name),
      CallerReference: zone.callerReference,
      Config: { ...zone.config },
      ResourceRecordSetCount: zone.records.size,
    };
  }

  protected propagationDelayMs(): number {
    return this.control?.knobs.propagationDelayMs ?? 0;
  }

  protected takeFault(operation: string, kind: FaultKind): boolean {
    return this.control?.takeFault(operation, [kind]) !== undefined;
  }

  protected failIfFaulted(operation: string): void {
    if (this.takeFault(operation, 'prior-request-not-complete')) {
      throw new Route53Error('PriorRequestNotComplete', PRIOR_REQUEST_MESSAGE);
    }
  }
}

export function requireField(value: unknown, name: string): void {
  if (value === undefined || value === null || value === '') {
    throw new Route53Error(
      'InvalidInput',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
}

export function checkTtl(ttl: number): void {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2147483647) {
    throw new Route53Error('InvalidInput', `TTL must be an integer from 0 to 2147483647 (got ${ttl}).`);
  }
}

function compareRecords(a: ResourceRecordSet, b: ResourceRecordSet): number {
  return (
    compareDnsNames(a.Name, b.Name) ||
    compareStrings(a.Type, b.Type) ||
    compareStrings(a.SetIdentifier ?? '', b.SetIdentifier ?? '')
  );
}

export function paginate<S, T, M>(
  items: S[],
  start: number,
  maxItems: number,
  toItem: (item: S) => T,
  toMarker: (item: S) => M,
): Page<T, M> {
  const slice = items.slice(start, start + maxItems);
  const nextItem = items[start + maxItems];
  return {
    items: slice.map(toItem),
    isTruncated: nextItem !== undefined,
    ...(nextItem !== undefined ? { next: toMarker(nextItem) } : {}),
  };
}

/** Four name servers in the awsdns style, stable for a zone id. */
function nameServersFor(zoneId: string): string[] {
  const digest = createHash('sha256').update(zoneId).digest();
  const tlds = ['com', 'net', 'org', 'co.uk'];
  return tlds.map((tld, i) => {
    const n = digest.readUInt16BE(i * 2) % 2048;
    return `ns-${n + i * 512}.awsdns-${String(n % 64).padStart(2, '0')}.${tld}`;
  });
}
