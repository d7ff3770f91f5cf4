/**
 * Reading traffic policy instances in bulk. A fleet has one instance per hostname, so instances
 * are read from the list operations (up to 100 per call, paged with Route 53's markers) rather than
 * one GetTrafficPolicyInstance each, and the wait for `Applied` after changing many of them is one
 * joint wait that polls the list of the policy version they were pointed at.
 */
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import type { TrafficPolicyInstance as SdkInstance } from '@aws-sdk/client-route-53';
import { FailoverError, invalidInput, stepFailed } from '../../engine/errors.js';
import { sleep } from '../../engine/retry.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { awsError } from '../aws.js';
import { type Route53Session, readOnly } from './session.js';

const {
  GetTrafficPolicyInstanceCommand,
  ListTrafficPolicyInstancesByHostedZoneCommand,
  ListTrafficPolicyInstancesByPolicyCommand,
  ListTrafficPolicyInstancesCommand,
} = requireCommonJs('@aws-sdk/client-route-53') as typeof Route53Sdk;

export interface Instance {
  id: string;
  hostedZoneId: string;
  name: string;
  ttl: number;
  /** Applied | Creating | Updating | Deleting | Failed, or a state Route 53 may add later. */
  state: string;
  message: string;
  policyId: string;
  version: number;
  type: string;
}

/** Where an instance should end up: the policy version it was pointed at. */
export interface InstanceTarget {
  policyId: string;
  version: number;
}

export interface WaitOptions {
  signal?: AbortSignal | undefined;
  onProgress?(message: string): void;
}

/** Upper bound on waiting for instances to apply a version, whatever the step timeout. */
const APPLY_WAIT_LIMIT_MS = 20 * 60_000;
const LIST_PAGE_LIMIT = 200;
/** Up to this many ids are read one GetTrafficPolicyInstance each; more are read from the list. */
const SINGLE_READS_MAX = 3;

export function toInstance(raw: SdkInstance | undefined, resource: string): Instance {
  if (!raw?.Id || !raw.TrafficPolicyId || raw.TrafficPolicyVersion === undefined) {
    throw stepFailed(
      'FO_ROUTE53_E3405',
      `${resource}: Route 53 returned an incomplete traffic policy instance`,
    );
  }
  return {
    id: raw.Id,
    hostedZoneId: (raw.HostedZoneId ?? '').replace(/^\/hostedzone\//, ''),
    name: raw.Name ?? '',
    ttl: raw.TTL ?? 0,
    state: raw.State ?? 'Unknown',
    message: raw.Message ?? '',
    policyId: raw.TrafficPolicyId,
    version: raw.TrafficPolicyVersion,
    type: raw.TrafficPolicyType ?? '',
  };
}

/**
 * Only Applied and Failed are final. Everything else (Creating, Updating, Deleting, and any state
 * Route 53 adds later) means a change is still propagating, so it is waited out, never taken as done.
 */
export function isSettled(state: string): boolean {
  return state === 'Applied' || state === 'Failed';
}

export function label(instance: Pick<Instance, 'id' | 'name'>): string {
  return `traffic policy instance ${instance.id}${instance.name ? ` (${instance.name})` : ''}`;
}

type ListScope =
  | { kind: 'account' }
  | { kind: 'zone'; hostedZoneId: string }
  | ({ kind: 'policy' } & InstanceTarget);

export class InstanceReader {
  constructor(
    private readonly session: Route53Session,
    private readonly pollIntervalS: number,
  ) {}

  async get(id: string, signal?: AbortSignal): Promise<Instance> {
    const resource = `traffic policy instance ${id}`;
    try {
      const out = await this.session.client.send(readOnly(new GetTrafficPolicyInstanceCommand({ Id: id })), {
        abortSignal: signal,
      });
      return toInstance(out.TrafficPolicyInstance, resource);
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchTrafficPolicyInstance') {
        throw invalidInput('FO_ROUTE53_E3406', `${resource} not found`, {
          hint: 'check route53.trafficFlow.instances in the config (`aws route53 list-traffic-policy-instances` lists them), or give the DNS name instead of the id',
          cause: error,
        });
      }
      throw awsError(error, 'Route 53', resource);
    }
  }

  /**
   * The instances with these ids, in the same order: a few are read one by one, more from the
   * account's list (100 per call); ids the list does not hold are read one by one (and so fail
   * with their own not-found error).
   */
  async byIds(ids: string[], signal?: AbortSignal): Promise<Instance[]> {
    const wanted = [...new Set(ids)];
    const found = new Map<string, Instance>();
    if (wanted.length > SINGLE_READS_MAX) {
      for (const instance of await this.list({ kind: 'account' }, signal)) {
        if (wanted.includes(instance.id)) found.set(instance.id, instance);
      }
    }
    const missing = wanted.filter((id) => !found.has(id));
    for (const instance of await Promise.all(missing.map((id) => this.get(id, signal)))) {
      found.set(instance.id, instance);
    }
    return ids.map((id) => found.get(id) as Instance);
  }

  /** Every instance of the scope, paging with the markers Route 53 answers. */
  async list(scope: ListScope, signal?: AbortSignal): Promise<Instance[]> {
    const resource =
      scope.kind === 'zone'
        ? `traffic policy instances of hosted zone ${scope.hostedZoneId}`
        : scope.kind === 'policy'
          ? `traffic policy instances of policy ${scope.policyId} version ${scope.version}`
          : 'traffic policy instances';
    const out: Instance[] = [];
    let marker: { zone?: string; name?: string; type?: string } = {};
    try {
      for (let page = 0; page < LIST_PAGE_LIMIT; page++) {
        const markers = {
          TrafficPolicyInstanceNameMarker: marker.name,
          TrafficPolicyInstanceTypeMarker: marker.type as never,
        };
        const options = { abortSignal: signal };
        const response =
          scope.kind === 'zone'
            ? await this.session.client.send(
                readOnly(
                  new ListTrafficPolicyInstancesByHostedZoneCommand({
                    HostedZoneId: scope.hostedZoneId,
                    ...markers,
                  }),
                ),
                options,
              )
            : scope.kind === 'policy'
              ? await this.session.client.send(
                  readOnly(
                    new ListTrafficPolicyInstancesByPolicyCommand({
                      TrafficPolicyId: scope.policyId,
                      TrafficPolicyVersion: scope.version,
                      HostedZoneIdMarker: marker.zone,
                      ...markers,
                    }),
                  ),
                  options,
                )
              : await this.session.client.send(
                  readOnly(
                    new ListTrafficPolicyInstancesCommand({ HostedZoneIdMarker: marker.zone, ...markers }),
                  ),
                  options,
                );
        for (const raw of response.TrafficPolicyInstances ?? []) out.push(toInstance(raw, resource));
        if (!response.IsTruncated) return out;
        // The zone list pages within its zone; the others page across zones with a zone marker.
        const zoneMarker = (response as { HostedZoneIdMarker?: string }).HostedZoneIdMarker;
        marker = {
          ...(zoneMarker ? { zone: zoneMarker } : {}),
          ...(response.TrafficPolicyInstanceNameMarker
            ? { name: response.TrafficPolicyInstanceNameMarker }
            : {}),
          ...(response.TrafficPolicyInstanceTypeMarker
            ? { type: response.TrafficPolicyInstanceTypeMarker }
            : {}),
        };
      }
    } catch (error) {
      throw awsError(error, 'Route 53', resource);
    }
    throw stepFailed('FO_ROUTE53_E3408', `${resource}: more than ${LIST_PAGE_LIMIT} pages`, {
      hint: 'give the instance ids (or hostedZoneId) in route53.trafficFlow.instances',
    });
  }

  /**
   * One joint wait until every instance is Applied or Failed. Each poll reads the list of the
   * policy version the instances were pointed at when they share one (else the account's list),
   * so a poll costs one call per 100 instances; an instance missing from that list (moved to
   * another version, or deleted) is read on its own. Returns the settled instances by id.
   */
  async waitAll(
    ids: string[],
    target: InstanceTarget | undefined,
    options: WaitOptions,
  ): Promise<Map<string, Instance>> {
    const started = Date.now();
    const intervalMs = this.pollIntervalS * 1000;
    const settled = new Map<string, Instance>();
    let pending = [...new Set(ids)];
    let lastReport = 0;
    for (let poll = 0; ; poll++) {
      if (poll > 0) {
        await sleep(intervalMs, options.signal).catch((error: unknown) => {
          throw FailoverError.is(error) ? error : awsError(error, 'Route 53', 'traffic policy instances');
        });
      }
      const current = await this.readMany(pending, ids.length > SINGLE_READS_MAX, target, options.signal);
      for (const instance of current) if (isSettled(instance.state)) settled.set(instance.id, instance);
      pending = pending.filter((id) => !settled.has(id));
      if (pending.length === 0) return settled;
      const elapsed = Date.now() - started;
      if (elapsed > APPLY_WAIT_LIMIT_MS) {
        const first = current.find((i) => i.id === pending[0]);
        throw stepFailed(
          'FO_ROUTE53_E3414',
          `${pending.length} traffic policy instance(s) still not Applied after ${Math.round(elapsed / 60_000)} minutes (e.g. ${first ? `${label(first)}: ${first.state}` : pending[0]})`,
          {
            hint: 'check the instances in the Route 53 console; run again once they are Applied',
            retryable: true,
          },
        );
      }
      if (elapsed - lastReport >= 10_000 || lastReport === 0) {
        lastReport = Math.max(elapsed, 1);
        const what = target ? `version ${target.version}` : 'the pending change';
        const example = current.find((i) => i.id === pending[0]);
        const state = `(${example?.state ?? 'unknown'}, ${Math.round(elapsed / 1000)}s)`;
        options.onProgress?.(
          ids.length === 1 && example
            ? `${label(example)}: waiting for Route 53 to apply ${what} ${state}`
            : `waiting for Route 53 to apply ${what}${target ? ` of policy ${target.policyId}` : 's'} on ${pending.length} of ${settled.size + pending.length} traffic policy instances ${state}`,
        );
      }
    }
  }

  /** The current state of these instances: from the list (`bulk`), or one read each. */
  private async readMany(
    ids: string[],
    bulk: boolean,
    target: InstanceTarget | undefined,
    signal?: AbortSignal,
  ): Promise<Instance[]> {
    if (!bulk) return Promise.all(ids.map((id) => this.get(id, signal)));
    const listed = await this.list(target ? { kind: 'policy', ...target } : { kind: 'account' }, signal);
    const byId = new Map(listed.map((i) => [i.id, i]));
    const missing = ids.filter((id) => !byId.has(id));
    for (const instance of await Promise.all(missing.map((id) => this.get(id, signal)))) {
      byId.set(instance.id, instance);
    }
    return ids.map((id) => byId.get(id) as Instance);
  }
}
