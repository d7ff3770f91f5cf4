/**
 * The state of one emulated Route 53 account and the rules of each operation: the hosted zones,
 * records and health checks of Route53Account (account.ts) plus Traffic Flow, its policies and
 * policy instances. The HTTP server translates XML to calls on this class; tests and the sandbox
 * control API call it directly (e.g. `model.setHealthCheckHealthy(id, false)`).
 *
 * Time-dependent states (a policy instance Creating/Updating → Applied/Failed, Deleting → gone)
 * are computed from timestamps when read, so the model needs no timers and leaks none.
 */
import { randomUUID } from 'node:crypto';
import {
  checkTtl,
  PRIOR_REQUEST_MESSAGE,
  paginate,
  Route53Account,
  recordKey,
  requireField,
} from './account.js';
import {
  healthCheckReferences,
  parseWeight,
  type TrafficPolicyDocument,
  validateTrafficPolicyDocument,
} from './document.js';
import { Route53Error } from './errors.js';
import {
  bareId,
  compareDnsNames,
  compareStrings,
  escapeDnsName,
  isInZone,
  isValidDnsName,
  normalizeDnsName,
} from './names.js';
import type { Page, TrafficPolicy, TrafficPolicyInstance, TrafficPolicySummary } from './types.js';

export { PRIOR_REQUEST_MESSAGE, type Route53ModelOptions, recordKey } from './account.js';

export const MAX_TRAFFIC_POLICY_VERSIONS = 1000;

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

export class Route53Model extends Route53Account {
  private readonly policies = new Map<string, PolicyState>();
  private readonly instances = new Map<string, InstanceState>();

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

  protected override settleAll(): void {
    for (const state of this.instances.values()) this.settle(state);
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
