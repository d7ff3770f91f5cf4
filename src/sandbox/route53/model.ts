/**
 * The state of one emulated Route 53 account and the rules of each operation. The HTTP server
 * translates XML to calls on this class; tests and the sandbox control API call it directly
 * (e.g. `model.setHealthCheckHealthy(id, false)`).
 *
 * Time-dependent states (a change PENDING → INSYNC, a policy instance Creating/Updating →
 * Applied/Failed, Deleting → gone)
 * are computed from timestamps when read, so the model needs no timers and leaks none.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EmulatorControl, FaultKind } from '../common/control.js';
import {
  healthCheckReferences,
  parseWeight,
  type TrafficPolicyDocument,
  validateTrafficPolicyDocument,
} from './document.js';
import { Route53Error } from './errors.js';
import { checkerObservations, completeHealthCheckConfig } from './health-checks.js';
import {
  bareId,
  compareDnsNames,
  compareStrings,
  escapeDnsName,
  isInZone,
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
  TrafficPolicy,
  TrafficPolicyInstance,
  TrafficPolicySummary,
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

interface ZoneState {
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

interface PolicyState {
  id: string;
  name: string;
  versions: TrafficPolicy[];
}

interface InstanceState {
  instance: TrafficPolicyInstance;
  /** A create, update or delete in flight: when it completes and whether it fails. */
  pending?: { completesAt: number; failure?: string; kind: 'create' | 'update' | 'delete' };
  /** Test knob: the next `reads` GetTrafficPolicyInstance answers report this State instead. */
  reported?: { state: string; reads: number };
  /** The policy version that serves DNS answers (kept on a failed update). */
  applied?: { policyId: string; version: number; ttl: number };
}

export interface TrafficSplitTarget {
  /** EndpointReference or RuleReference of the weighted item. */
  target: string;
  kind: 'endpoint' | 'rule';
  weight: number;
  healthCheckId?: string;
  /** From the emulated health check; undefined when the item has none. */
  healthy?: boolean;
}

export function recordKey(name: string, type: string, setIdentifier?: string): string {
  return `${name}|${type}|${setIdentifier ?? ''}`;
}

export class Route53Model {
  private readonly zones = new Map<string, ZoneState>();
  private readonly changes = new Map<string, ChangeState>();
  private readonly healthChecks = new Map<string, HealthCheckState>();
  private readonly policies = new Map<string, PolicyState>();
  private readonly instances = new Map<string, InstanceState>();
  private readonly control: EmulatorControl | undefined;
  private readonly now: () => number;

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

  // ---------------------------------------------------------------- traffic policies

  createTrafficPolicy(input: { Name: string; Document: string; Comment?: string }): TrafficPolicy {
    requireField(input.Name, 'Name');
    requireField(input.Document, 'Document');
    if (input.Name.length > 512)
      throw new Route53Error('InvalidInput', 'Name must be at most 512 characters.');
    for (const policy of this.policies.values()) {
      if (policy.name === input.Name) {
        throw new Route53Error(
          'TrafficPolicyAlreadyExists',
          `A traffic policy named ${input.Name} already exists.`,
        );
      }
    }
    this.checkDocument(input.Document);
    const policy: PolicyState = { id: randomUUID(), name: input.Name, versions: [] };
    policy.versions.push(newVersion(policy, 1, input.Document, input.Comment));
    this.policies.set(policy.id, policy);
    return { ...(policy.versions[0] as TrafficPolicy) };
  }

  getTrafficPolicy(id: string, version: number): TrafficPolicy {
    return { ...this.policyVersion(id, version) };
  }

  /** Latest version of each policy, in creation order; the marker is a policy id. */
  listTrafficPolicies(options: { marker?: string; maxItems: number }): Page<TrafficPolicySummary, string> {
    const policies = [...this.policies.values()];
    const start = options.marker === undefined ? 0 : policies.findIndex((p) => p.id === options.marker);
    if (start < 0)
      throw new Route53Error('InvalidInput', `Invalid traffic policy id marker: ${options.marker}`);
    return paginate(
      policies,
      start,
      options.maxItems,
      (policy) => {
        const latest = policy.versions.at(-1) as TrafficPolicy;
        return {
          Id: policy.id,
          Name: policy.name,
          Type: latest.Type,
          LatestVersion: latest.Version,
          TrafficPolicyCount: policy.versions.length,
        };
      },
      (policy) => policy.id,
    );
  }

  /** Ascending by version; the marker is a version number. */
  listTrafficPolicyVersions(
    id: string,
    options: { marker?: number; maxItems: number },
  ): Page<TrafficPolicy, string> {
    const policy = this.policy(id);
    const start =
      options.marker === undefined
        ? 0
        : policy.versions.findIndex((v) => v.Version >= (options.marker as number));
    return paginate(
      policy.versions,
      start < 0 ? policy.versions.length : start,
      options.maxItems,
      (version) => ({ ...version }),
      (version) => String(version.Version),
    );
  }

  createTrafficPolicyVersion(id: string, input: { Document: string; Comment?: string }): TrafficPolicy {
    const policy = this.policy(id);
    requireField(input.Document, 'Document');
    if (policy.versions.length >= MAX_TRAFFIC_POLICY_VERSIONS) {
      throw new Route53Error(
        'TooManyTrafficPolicyVersionsForCurrentPolicy',
        `Traffic policy ${id} already has ${MAX_TRAFFIC_POLICY_VERSIONS} versions, the maximum. ` +
          'Create a new traffic policy (CreateTrafficPolicy) from the latest document to continue.',
      );
    }
    this.checkDocument(input.Document);
    const version = newVersion(policy, policy.versions.length + 1, input.Document, input.Comment);
    policy.versions.push(version);
    return { ...version };
  }

  // ---------------------------------------------------------------- traffic policy instances

  createTrafficPolicyInstance(input: {
    HostedZoneId: string;
    Name: string;
    TTL: number;
    TrafficPolicyId: string;
    TrafficPolicyVersion: number;
  }): TrafficPolicyInstance {
    requireField(input.Name, 'Name');
    checkTtl(input.TTL);
    const zone = this.zone(input.HostedZoneId);
    const version = this.policyVersion(input.TrafficPolicyId, input.TrafficPolicyVersion);
    const name = normalizeDnsName(input.Name);
    if (!isValidDnsName(name) || !isInZone(name, zone.name)) {
      throw new Route53Error('InvalidInput', `The name ${name} is not in the hosted zone ${zone.name}.`);
    }
    for (const other of this.instances.values()) {
      const o = other.instance;
      if (o.HostedZoneId === zone.id && o.Name === name && o.TrafficPolicyType === version.Type) {
        throw new Route53Error(
          'TrafficPolicyInstanceAlreadyExists',
          `Traffic policy instance ${o.Id} already exists for ${name} (type ${version.Type}) in hosted zone ${zone.id}.`,
        );
      }
    }
    const instance: TrafficPolicyInstance = {
      Id: randomUUID(),
      HostedZoneId: zone.id,
      Name: name,
      TTL: input.TTL,
      State: 'Creating',
      Message: '',
      TrafficPolicyId: version.Id,
      TrafficPolicyVersion: version.Version,
      TrafficPolicyType: version.Type,
    };
    let failure = this.injectedInstanceFailure('CreateTrafficPolicyInstance', version);
    const key = recordKey(name, version.Type);
    if (zone.records.has(key)) {
      failure ??= `Tried to create resource record set [name='${escapeDnsName(name)}', type='${version.Type}'] but it already exists`;
    } else {
      zone.records.set(key, { Name: name, Type: version.Type, TrafficPolicyInstanceId: instance.Id });
    }
    const state: InstanceState = { instance, pending: this.pendingUntil(failure, 'create') };
    this.instances.set(instance.Id, state);
    return { ...instance };
  }

  getTrafficPolicyInstance(id: string): TrafficPolicyInstance {
    const state = this.instance(id);
    const reported = state.reported;
    if (reported) {
      reported.reads -= 1;
      if (reported.reads <= 0) delete state.reported;
      return { ...state.instance, State: reported.state };
    }
    return { ...state.instance };
  }

  /**
   * Test knob: the next `reads` GetTrafficPolicyInstance answers for the instance report `state`
   * (any string, e.g. a state the service may add later) whatever the instance is really doing.
   */
  reportInstanceState(id: string, state: string, reads: number): void {
    this.instance(id).reported = { state, reads };
  }

  /** All instances, ordered by hosted zone, name, type. */
  listTrafficPolicyInstances(options: InstanceListOptions): Page<TrafficPolicyInstance, InstanceMarker> {
    return this.pageOfInstances(() => true, options);
  }

  listTrafficPolicyInstancesByHostedZone(
    zoneId: string,
    options: Omit<InstanceListOptions, 'hostedZoneId'>,
  ): Page<TrafficPolicyInstance, InstanceMarker> {
    const zone = this.zone(zoneId);
    // Markers within one zone: the zone is the implicit first sort key.
    return this.pageOfInstances((i) => i.HostedZoneId === zone.id, { ...options, hostedZoneId: zone.id });
  }

  listTrafficPolicyInstancesByPolicy(
    policyId: string,
    version: number,
    options: InstanceListOptions,
  ): Page<TrafficPolicyInstance, InstanceMarker> {
    this.policyVersion(policyId, version);
    return this.pageOfInstances(
      (i) => i.TrafficPolicyId === policyId && i.TrafficPolicyVersion === version,
      options,
    );
  }

  /**
   * Points the instance at another policy version. Rejected with PriorRequestNotComplete while an
   * earlier create/update of the instance is still in flight; ConflictingTypes when the DNS type
   * would change. The instance reports Updating until the propagation delay has passed.
   */
  updateTrafficPolicyInstance(
    id: string,
    input: { TTL: number; TrafficPolicyId: string; TrafficPolicyVersion: number },
  ): TrafficPolicyInstance {
    const state = this.instance(id);
    checkTtl(input.TTL);
    const version = this.policyVersion(input.TrafficPolicyId, input.TrafficPolicyVersion);
    if (state.pending) throw new Route53Error('PriorRequestNotComplete', PRIOR_REQUEST_MESSAGE);
    this.failIfFaulted('UpdateTrafficPolicyInstance');
    if (version.Type !== state.instance.TrafficPolicyType) {
      throw new Route53Error(
        'ConflictingTypes',
        `Traffic policy ${version.Id} version ${version.Version} creates ${version.Type} records, ` +
          `but instance ${id} has type ${state.instance.TrafficPolicyType}.`,
      );
    }
    const failure = this.injectedInstanceFailure('UpdateTrafficPolicyInstance', version);
    Object.assign(state.instance, {
      TTL: input.TTL,
      TrafficPolicyId: version.Id,
      TrafficPolicyVersion: version.Version,
      State: 'Updating',
      Message: '',
    });
    state.pending = this.pendingUntil(failure, 'update');
    const zone = this.zones.get(state.instance.HostedZoneId);
    const key = recordKey(state.instance.Name, version.Type);
    if (zone && !zone.records.has(key)) {
      zone.records.set(key, { Name: state.instance.Name, Type: version.Type, TrafficPolicyInstanceId: id });
    }
    return { ...state.instance };
  }

  /**
   * Starts deleting the instance: it reports Deleting until the propagation delay has passed, then
   * it and its record are gone (NoSuchTrafficPolicyInstance).
   */
  deleteTrafficPolicyInstance(id: string): void {
    const state = this.instance(id);
    if (state.pending) throw new Route53Error('PriorRequestNotComplete', PRIOR_REQUEST_MESSAGE);
    this.failIfFaulted('DeleteTrafficPolicyInstance');
    state.instance.State = 'Deleting';
    state.instance.Message = '';
    state.pending = this.pendingUntil(undefined, 'delete');
    this.settle(state);
  }

  /**
   * The weighted split the instance serves right now (the applied version; a failed update keeps
   * the previous one), when its start rule is a weighted rule. For the sandbox and demo output.
   */
  trafficSplit(instanceId: string): TrafficSplitTarget[] | undefined {
    const state = this.instance(instanceId);
    if (!state.applied) return undefined;
    const version = this.policyVersion(state.applied.policyId, state.applied.version);
    const doc = JSON.parse(version.Document) as TrafficPolicyDocument;
    const start = doc.StartRule ? doc.Rules?.[doc.StartRule] : undefined;
    if (start?.RuleType !== 'weighted') return undefined;
    return (start.Items ?? []).map((item) => {
      const weight = 'Weight' in item ? (parseWeight(item.Weight) ?? 0) : 0;
      const healthCheckId = item.HealthCheck;
      const healthy =
        healthCheckId !== undefined && this.healthChecks.has(healthCheckId)
          ? this.isHealthCheckHealthy(healthCheckId)
          : undefined;
      return {
        target: item.EndpointReference ?? item.RuleReference ?? '',
        kind: item.EndpointReference !== undefined ? 'endpoint' : 'rule',
        weight,
        ...(healthCheckId !== undefined ? { healthCheckId } : {}),
        ...(healthy !== undefined ? { healthy } : {}),
      };
    });
  }

  /**
   * Fast-forwards time for everything in flight: changes become INSYNC and policy instances
   * finish (Applied, or Failed when a failure was injected; deleted ones are gone). For seeding
   * and tests.
   */
  completePropagation(): void {
    const now = this.now();
    for (const change of this.changes.values()) change.insyncAt = Math.min(change.insyncAt, now);
    for (const state of this.instances.values()) {
      if (state.pending) state.pending.completesAt = Math.min(state.pending.completesAt, now);
      this.settle(state);
    }
  }

  // ---------------------------------------------------------------- internals

  private zone(id: string): ZoneState {
    // A finished instance delete removes its record: settle before anyone reads the zone.
    for (const state of this.instances.values()) this.settle(state);
    const zone = this.zones.get(bareId(id ?? ''));
    if (!zone)
      throw new Route53Error('NoSuchHostedZone', `No hosted zone found with ID: ${bareId(id ?? '')}`);
    return zone;
  }

  private healthCheck(id: string): HealthCheckState {
    const state = this.healthChecks.get(bareId(id ?? ''));
    if (!state) throw new Route53Error('NoSuchHealthCheck', `A health check with id ${id} does not exist.`);
    return state;
  }

  private policy(id: string): PolicyState {
    const policy = this.policies.get(id);
    if (!policy) throw new Route53Error('NoSuchTrafficPolicy', `No traffic policy found with ID ${id}`);
    return policy;
  }

  private policyVersion(id: string, version: number): TrafficPolicy {
    const policy = this.policies.get(id);
    const found = policy?.versions.find((v) => v.Version === version);
    if (!found) {
      throw new Route53Error(
        'NoSuchTrafficPolicy',
        `No traffic policy found with ID ${id} and version ${version}`,
      );
    }
    return found;
  }

  private instance(id: string): InstanceState {
    const state = this.instances.get(id);
    if (state) this.settle(state);
    if (!state || !this.instances.has(id)) {
      throw new Route53Error('NoSuchTrafficPolicyInstance', `No traffic policy instance found with ID ${id}`);
    }
    return state;
  }

  /** Completes an in-flight create/update/delete once its propagation delay has passed. */
  private settle(state: InstanceState): void {
    const pending = state.pending;
    if (!pending || this.now() < pending.completesAt) return;
    delete state.pending;
    const instance = state.instance;
    if (pending.kind === 'delete') {
      this.removeInstanceRecord(instance);
      this.instances.delete(instance.Id);
      return;
    }
    if (pending.failure !== undefined) {
      instance.State = 'Failed';
      instance.Message = pending.failure;
      if (pending.kind === 'create') this.removeInstanceRecord(instance);
      return;
    }
    instance.State = 'Applied';
    instance.Message = '';
    state.applied = {
      policyId: instance.TrafficPolicyId,
      version: instance.TrafficPolicyVersion,
      ttl: instance.TTL,
    };
  }

  private removeInstanceRecord(instance: TrafficPolicyInstance): void {
    const zone = this.zones.get(instance.HostedZoneId);
    const key = recordKey(instance.Name, instance.TrafficPolicyType);
    if (zone?.records.get(key)?.TrafficPolicyInstanceId === instance.Id) zone.records.delete(key);
  }

  private pageOfInstances(
    filter: (instance: TrafficPolicyInstance) => boolean,
    options: InstanceListOptions,
  ): Page<TrafficPolicyInstance, InstanceMarker> {
    for (const state of this.instances.values()) this.settle(state);
    const instances = [...this.instances.values()]
      .map((s) => s.instance)
      .filter(filter)
      .sort(compareInstances);
    let start = 0;
    if (options.hostedZoneId !== undefined || options.name !== undefined) {
      const probe = {
        HostedZoneId: options.hostedZoneId === undefined ? '' : bareId(options.hostedZoneId),
        Name: options.name === undefined ? '' : normalizeDnsName(options.name),
        TrafficPolicyType: options.type ?? '',
      };
      start = instances.findIndex((i) => compareInstances(i, probe) >= 0);
      if (start < 0) start = instances.length;
    }
    return paginate(
      instances,
      start,
      options.maxItems,
      (i) => ({ ...i }),
      (i) => ({ hostedZoneId: i.HostedZoneId, name: i.Name, type: i.TrafficPolicyType }),
    );
  }

  private checkDocument(document: string): void {
    const problems = validateTrafficPolicyDocument(document);
    if (problems.length === 0) {
      for (const ref of healthCheckReferences(document)) {
        if (!this.healthChecks.has(ref.id))
          problems.push(`${ref.path} ${JSON.stringify(ref.id)} is not a health check`);
      }
    }
    if (problems.length > 0) throw new Route53Error('InvalidTrafficPolicyDocument', problems.join('; '));
  }

  private recordChange(comment?: string): ChangeInfo {
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

  private changeInfoOf(change: ChangeState): ChangeInfo {
    return {
      Id: `/change/${change.id}`,
      Status: this.now() >= change.insyncAt ? 'INSYNC' : 'PENDING',
      SubmittedAt: new Date(change.submittedAt),
      ...(change.comment !== undefined ? { Comment: change.comment } : {}),
    };
  }

  private hostedZoneOf(zone: ZoneState): HostedZone {
    return {
      Id: `/hostedzone/${zone.id}`,
      Name: escapeDnsName(zone.name),
      CallerReference: zone.callerReference,
      Config: { ...zone.config },
      ResourceRecordSetCount: zone.records.size,
    };
  }

  private propagationDelayMs(): number {
    return this.control?.knobs.propagationDelayMs ?? 0;
  }

  private pendingUntil(
    failure: string | undefined,
    kind: 'create' | 'update' | 'delete',
  ): InstanceState['pending'] {
    return {
      completesAt: this.now() + this.propagationDelayMs(),
      kind,
      ...(failure !== undefined ? { failure } : {}),
    };
  }

  private takeFault(operation: string, kind: FaultKind): boolean {
    return this.control?.takeFault(operation, [kind]) !== undefined;
  }

  private failIfFaulted(operation: string): void {
    if (this.takeFault(operation, 'prior-request-not-complete')) {
      throw new Route53Error('PriorRequestNotComplete', PRIOR_REQUEST_MESSAGE);
    }
  }

  private injectedInstanceFailure(operation: string, version: TrafficPolicy): string | undefined {
    if (!this.takeFault(operation, 'policy-instance-failed')) return undefined;
    return (
      `Route 53 could not apply version ${version.Version} of traffic policy ${version.Id}: ` +
      'an internal error occurred while creating the resource record sets (injected fault policy-instance-failed).'
    );
  }
}

export interface InstanceListOptions {
  hostedZoneId?: string;
  name?: string;
  type?: string;
  maxItems: number;
}

export interface InstanceMarker {
  hostedZoneId: string;
  name: string;
  type: string;
}

function requireField(value: unknown, name: string): void {
  if (value === undefined || value === null || value === '') {
    throw new Route53Error(
      'InvalidInput',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
}

function checkTtl(ttl: number): void {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2147483647) {
    throw new Route53Error('InvalidInput', `TTL must be an integer from 0 to 2147483647 (got ${ttl}).`);
  }
}

function newVersion(policy: PolicyState, version: number, document: string, comment?: string): TrafficPolicy {
  return {
    Id: policy.id,
    Version: version,
    Name: policy.name,
    Type: (JSON.parse(document) as TrafficPolicyDocument).RecordType,
    Document: document,
    ...(comment !== undefined ? { Comment: comment } : {}),
  };
}

function compareRecords(a: ResourceRecordSet, b: ResourceRecordSet): number {
  return (
    compareDnsNames(a.Name, b.Name) ||
    compareStrings(a.Type, b.Type) ||
    compareStrings(a.SetIdentifier ?? '', b.SetIdentifier ?? '')
  );
}

function compareInstances(
  a: Pick<TrafficPolicyInstance, 'HostedZoneId' | 'Name' | 'TrafficPolicyType'>,
  b: Pick<TrafficPolicyInstance, 'HostedZoneId' | 'Name' | 'TrafficPolicyType'>,
): number {
  return (
    compareStrings(a.HostedZoneId, b.HostedZoneId) ||
    compareDnsNames(a.Name, b.Name) ||
    compareStrings(a.TrafficPolicyType, b.TrafficPolicyType)
  );
}

function paginate<S, T, M>(
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
