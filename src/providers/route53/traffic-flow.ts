/**
 * Traffic Flow mode: the weights live in the weighted rule of a traffic policy document. Policy
 * versions are immutable, so a change is: read the instance's current version → edit the two
 * weights → validate the whole document → create a version → point each instance at it → wait
 * until Route 53 reports it Applied. Going back needs no new version: the instance is pointed at
 * the previous one.
 */
import {
  CreateTrafficPolicyVersionCommand,
  GetTrafficPolicyInstanceCommand,
  ListTrafficPolicyInstancesByHostedZoneCommand,
  ListTrafficPolicyInstancesCommand,
  type TrafficPolicyInstance as SdkInstance,
  UpdateTrafficPolicyInstanceCommand,
} from '@aws-sdk/client-route-53';
import type { Route53Config } from '../../config/schema.js';
import { FailoverError, invalidInput, stepFailed } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import { sleep } from '../../engine/retry.js';
import { awsError } from '../aws.js';
import { validateTrafficPolicyDocument } from './document.js';
import { documentDiff, locateWeights, type WeightedRuleLocation, withWeights } from './policy-document.js';
import type { AppliedWeights, WeightChange, Weights, WeightsPlan, WeightTarget } from './port.js';
import { type Route53Session, readOnly } from './session.js';
import { formatWeights, sameWeights } from './weights.js';

type TrafficFlowConfig = NonNullable<Route53Config['trafficFlow']>;

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

interface InstanceWeights {
  instance: Instance;
  document: string;
  location: WeightedRuleLocation;
}

/** Where an instance pointed before a change: enough to point it back. */
interface InstancePointer {
  id: string;
  name: string;
  policyId: string;
  version: number;
  ttl: number;
}

/** One new policy version to create, from the version some instances are on. */
interface VersionGroup {
  policyId: string;
  fromVersion: number;
  document: string;
  instances: string[];
}

interface TrafficFlowPlanData {
  to: Weights;
  groups: VersionGroup[];
}

interface TrafficFlowRestore {
  mode: 'traffic-flow';
  instances: InstancePointer[];
}

export interface ProgressOptions {
  comment: string;
  signal?: AbortSignal | undefined;
  onProgress?(message: string): void;
}

/** Upper bound on waiting for one instance to apply a version, whatever the step timeout. */
const APPLY_WAIT_LIMIT_MS = 20 * 60_000;
const LIST_PAGE_LIMIT = 200;

function toInstance(raw: SdkInstance | undefined, resource: string): Instance {
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

function label(instance: Pick<Instance, 'id' | 'name'>): string {
  return `traffic policy instance ${instance.id}${instance.name ? ` (${instance.name})` : ''}`;
}

/** An instance and its weighted rule as a weight target (what `status` shows and a plan changes). */
function targetOf(instance: Instance, location: WeightedRuleLocation): WeightTarget {
  return {
    kind: 'traffic-policy-instance',
    id: instance.id,
    name: instance.name,
    state: instance.state,
    weights: location.weights,
    detail: {
      hostedZoneId: instance.hostedZoneId,
      policyId: instance.policyId,
      policyVersion: instance.version,
      ttl: instance.ttl,
      rule: location.ruleId,
    },
  };
}

function normalizeName(name: string): string {
  const lower = name.toLowerCase().replace(/\\052/g, '*');
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function updateCommandHint(pointer: InstancePointer): string {
  return (
    `aws route53 update-traffic-policy-instance --id ${pointer.id} --traffic-policy-id ${pointer.policyId} ` +
    `--traffic-policy-version ${pointer.version} --ttl ${pointer.ttl}`
  );
}

export class TrafficFlow {
  private readonly tf: TrafficFlowConfig;

  constructor(private readonly session: Route53Session) {
    const tf = session.route53.trafficFlow;
    if (!tf) {
      throw invalidInput(
        'FO_ROUTE53_E3400',
        'route53.mode is traffic-flow but route53.trafficFlow is missing',
        {
          hint: 'add route53.trafficFlow (instances, roles) to the config, or set route53.mode: record-sets',
        },
      );
    }
    this.tf = tf;
  }

  // ── read side ──────────────────────────────────────────────────────────────────────────────

  async getInstance(id: string, signal?: AbortSignal): Promise<Instance> {
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

  /** Every instance named in the config, by id or by DNS name (paging through the list). */
  async instances(signal?: AbortSignal): Promise<Instance[]> {
    const found = new Map<string, Instance>();
    let listed: Instance[] | undefined;
    const byZone = new Map<string, Instance[]>();
    for (const ref of this.tf.instances) {
      if (typeof ref === 'string' || 'id' in ref) {
        const instance = await this.getInstance(typeof ref === 'string' ? ref : ref.id, signal);
        found.set(instance.id, instance);
        continue;
      }
      let candidates: Instance[];
      if (ref.hostedZoneId) {
        const zone = ref.hostedZoneId.replace(/^\/hostedzone\//, '');
        if (!byZone.has(zone)) byZone.set(zone, await this.listInstances(signal, zone));
        candidates = byZone.get(zone) ?? [];
      } else {
        listed ??= await this.listInstances(signal);
        candidates = listed;
      }
      const wanted = normalizeName(ref.name);
      const matches = candidates.filter((i) => normalizeName(i.name) === wanted);
      const zones = [...new Set(matches.map((i) => i.hostedZoneId))];
      if (matches.length === 0) {
        throw invalidInput(
          'FO_ROUTE53_E3406',
          `no traffic policy instance named ${ref.name}${ref.hostedZoneId ? ` in hosted zone ${ref.hostedZoneId}` : ''}`,
          {
            hint: 'check route53.trafficFlow.instances (names end with the zone, e.g. admin.example.com.); `aws route53 list-traffic-policy-instances` lists them',
          },
        );
      }
      if (zones.length > 1) {
        throw invalidInput(
          'FO_ROUTE53_E3407',
          `${ref.name} has traffic policy instances in ${zones.length} hosted zones (${zones.join(', ')})`,
          { hint: `add hostedZoneId to route53.trafficFlow.instances for ${ref.name}` },
        );
      }
      // A name may have several instances in one zone (one per record type, e.g. A and AAAA).
      for (const instance of matches) found.set(instance.id, instance);
    }
    return [...found.values()];
  }

  private async listInstances(signal?: AbortSignal, hostedZoneId?: string): Promise<Instance[]> {
    const resource = hostedZoneId
      ? `traffic policy instances of hosted zone ${hostedZoneId}`
      : 'traffic policy instances';
    const out: Instance[] = [];
    let marker: { zone?: string; name?: string; type?: string } = {};
    try {
      for (let page = 0; page < LIST_PAGE_LIMIT; page++) {
        const response = hostedZoneId
          ? await this.session.client.send(
              readOnly(
                new ListTrafficPolicyInstancesByHostedZoneCommand({
                  HostedZoneId: hostedZoneId,
                  TrafficPolicyInstanceNameMarker: marker.name,
                  TrafficPolicyInstanceTypeMarker: marker.type as never,
                }),
              ),
              { abortSignal: signal },
            )
          : await this.session.client.send(
              readOnly(
                new ListTrafficPolicyInstancesCommand({
                  HostedZoneIdMarker: marker.zone,
                  TrafficPolicyInstanceNameMarker: marker.name,
                  TrafficPolicyInstanceTypeMarker: marker.type as never,
                }),
              ),
              { abortSignal: signal },
            );
        for (const raw of response.TrafficPolicyInstances ?? []) out.push(toInstance(raw, resource));
        if (!response.IsTruncated) return out;
        // Only the account-wide list pages across zones (and so has a zone marker).
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

  private async weightsOf(instance: Instance, signal?: AbortSignal): Promise<InstanceWeights> {
    const version = await this.session.policyVersion(instance.policyId, instance.version, signal);
    const location = locateWeights(
      version.document,
      { rule: this.tf.rule, roles: this.tf.roles },
      `${label(instance)}, traffic policy ${instance.policyId} version ${instance.version}`,
    );
    return { instance, document: version.document, location };
  }

  async describe(signal?: AbortSignal): Promise<WeightTarget[]> {
    const instances = await this.instances(signal);
    const read = await Promise.all(instances.map((i) => this.weightsOf(i, signal)));
    return read.map(({ instance, location }) => {
      const target = targetOf(instance, location);
      if (instance.message) target.detail = { ...target.detail, message: instance.message };
      return target;
    });
  }

  async plan(to: Weights, signal?: AbortSignal): Promise<WeightsPlan> {
    const instances = await this.instances(signal);
    for (const instance of instances) {
      if (instance.state === 'Failed') {
        throw stepFailed(
          'FO_ROUTE53_E3409',
          `${label(instance)} is Failed (version ${instance.version} of policy ${instance.policyId}): ${instance.message || 'no message'}`,
          {
            hint:
              'Route 53 still answers with the last version it applied. Fix the cause, then point the instance at a ' +
              'good version (`aws route53 update-traffic-policy-instance …`) or roll the failed run back, and run again',
          },
        );
      }
    }
    const read = await Promise.all(instances.map((i) => this.weightsOf(i, signal)));
    const changes: WeightChange[] = [];
    const groups = new Map<string, VersionGroup>();
    for (const { instance, document, location } of read) {
      const converged = sameWeights(location.weights, to);
      const target = targetOf(instance, location);
      if (converged) {
        changes.push({ target, to, diff: '', converged });
        continue;
      }
      const key = `${instance.policyId}/${instance.version}`;
      let group = groups.get(key);
      if (!group) {
        const edited = withWeights(document, location, to);
        this.validate(edited, instance);
        group = {
          policyId: instance.policyId,
          fromVersion: instance.version,
          document: edited,
          instances: [],
        };
        groups.set(key, group);
      }
      group.instances.push(instance.id);
      const diff = documentDiff(
        document,
        group.document,
        `traffic policy ${instance.policyId} version ${instance.version}`,
        `traffic policy ${instance.policyId} new version (${formatWeights(to)})`,
      );
      changes.push({ target, to, diff, converged });
    }
    const data: TrafficFlowPlanData = { to, groups: [...groups.values()] };
    const restore: TrafficFlowRestore = {
      mode: 'traffic-flow',
      instances: instances.map((i) => ({
        id: i.id,
        name: i.name,
        policyId: i.policyId,
        version: i.version,
        ttl: i.ttl,
      })),
    };
    return {
      mode: 'traffic-flow',
      changes,
      converged: changes.every((c) => c.converged),
      data: data as unknown as Json,
      restore: restore as unknown as Json,
    };
  }

  /** The same checks Route 53 makes, before anything is created. */
  private validate(document: string, instance: Instance): void {
    const problems = validateTrafficPolicyDocument(document);
    if (problems.length === 0) return;
    throw invalidInput(
      'FO_ROUTE53_E3410',
      `${label(instance)}: the new version of traffic policy ${instance.policyId} would be rejected: ${problems.join('; ')}`,
      {
        hint: `the current version ${instance.version} is not a valid base: fix the policy in Route 53 (Traffic policies) and run again`,
        problems: problems.map((message) => ({ message })),
      },
    );
  }

  // ── write side ─────────────────────────────────────────────────────────────────────────────

  async apply(plan: WeightsPlan, options: ProgressOptions): Promise<AppliedWeights> {
    const data = plan.data as unknown as TrafficFlowPlanData;
    const summary: Record<string, Json> = {};
    for (const group of data.groups) {
      const current = await Promise.all(group.instances.map((id) => this.readyInstance(id, group, options)));
      const version = await this.createVersion(group, current, data.to, options);
      options.onProgress?.(
        `created version ${version} of traffic policy ${group.policyId} (${formatWeights(data.to)})`,
      );
      for (const instance of current) {
        await this.pointInstance(
          instance,
          { id: instance.id, name: instance.name, policyId: group.policyId, version, ttl: instance.ttl },
          options,
        );
        summary[instance.id] = { policyId: group.policyId, version, previousVersion: instance.version };
      }
    }
    return { undo: plan.restore, summary };
  }

  async restore(undo: Json, options: ProgressOptions): Promise<void> {
    const pointers = (undo as unknown as TrafficFlowRestore).instances ?? [];
    for (const pointer of pointers) {
      let instance = await this.getInstance(pointer.id, options.signal);
      if (!isSettled(instance.state)) instance = await this.waitSettled(instance, options);
      const already =
        instance.state === 'Applied' &&
        instance.policyId === pointer.policyId &&
        instance.version === pointer.version &&
        instance.ttl === pointer.ttl;
      if (already) continue;
      await this.pointInstance(instance, pointer, options);
    }
  }

  /** Re-reads an instance before changing it: still where the plan saw it, and not busy. */
  private async readyInstance(id: string, group: VersionGroup, options: ProgressOptions): Promise<Instance> {
    let instance = await this.getInstance(id, options.signal);
    if (!isSettled(instance.state)) instance = await this.waitSettled(instance, options);
    if (instance.policyId !== group.policyId || instance.version !== group.fromVersion) {
      throw stepFailed(
        'FO_ROUTE53_E3411',
        `${label(instance)} changed since the plan: it now uses version ${instance.version} of policy ${instance.policyId}, the plan was made from version ${group.fromVersion} of ${group.policyId}`,
        {
          hint: 'someone else changed it; check who, then run again (the new plan starts from the current version)',
          retryable: false,
        },
      );
    }
    if (instance.state === 'Failed') {
      throw stepFailed(
        'FO_ROUTE53_E3409',
        `${label(instance)} is Failed: ${instance.message || 'no message'}`,
        {
          hint: 'point the instance at a good version first, then run again',
        },
      );
    }
    return instance;
  }

  /**
   * Creates the new version. ConcurrentModification (another version being created at the same
   * moment) is answered by re-reading the instances and trying once more.
   */
  private async createVersion(
    group: VersionGroup,
    instances: Instance[],
    to: Weights,
    options: ProgressOptions,
  ): Promise<number> {
    const resource = `traffic policy ${group.policyId}`;
    let document = group.document;
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.session.client.send(
          new CreateTrafficPolicyVersionCommand({
            Id: group.policyId,
            Document: document,
            Comment: this.session.comment(options.comment),
          }),
          { abortSignal: options.signal },
        );
        const version = out.TrafficPolicy?.Version;
        if (version === undefined)
          throw stepFailed('FO_ROUTE53_E3405', `${resource}: no version in the answer`);
        return version;
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === 'ConcurrentModification' && attempt === 1) {
          options.onProgress?.(`${resource} was being modified concurrently; re-reading and trying again`);
          const fresh = await Promise.all(instances.map((i) => this.getInstance(i.id, options.signal)));
          const moved = fresh.find((i) => i.policyId !== group.policyId || i.version !== group.fromVersion);
          if (moved) {
            throw stepFailed(
              'FO_ROUTE53_E3411',
              `${label(moved)} moved to version ${moved.version} of policy ${moved.policyId} while this run was changing it`,
              { hint: 'another change is in progress: check who, then run again', cause: error },
            );
          }
          const base = await this.weightsOf(fresh[0] as Instance, options.signal);
          document = withWeights(base.document, base.location, to);
          this.validate(document, fresh[0] as Instance);
          continue;
        }
        if (name === 'TooManyTrafficPolicyVersionsForCurrentPolicy') {
          throw stepFailed('FO_ROUTE53_E3412', `${resource} has 1,000 versions, the maximum`, {
            hint: 'create a new traffic policy from the latest document (aws route53 create-traffic-policy), point the instances and route53.trafficFlow at it, and run again',
            cause: error,
          });
        }
        if (name === 'InvalidTrafficPolicyDocument') {
          throw invalidInput(
            'FO_ROUTE53_E3410',
            `${resource}: Route 53 rejected the new version: ${(error as Error).message}`,
            {
              hint: 'the document passed the client-side checks; fix the policy (e.g. a health check it names was deleted) and run again',
              cause: error,
            },
          );
        }
        throw awsError(error, 'Route 53', resource);
      }
    }
  }

  /** Points one instance at a version (same TTL) and waits until Route 53 applied it. */
  private async pointInstance(
    instance: Instance,
    to: InstancePointer,
    options: ProgressOptions,
  ): Promise<void> {
    const resource = label(instance);
    try {
      await this.session.client.send(
        new UpdateTrafficPolicyInstanceCommand({
          Id: instance.id,
          TTL: to.ttl,
          TrafficPolicyId: to.policyId,
          TrafficPolicyVersion: to.version,
        }),
        { abortSignal: options.signal },
      );
    } catch (error) {
      throw awsError(error, 'Route 53', resource);
    }
    options.onProgress?.(`${resource}: updating to version ${to.version} of policy ${to.policyId}`);
    const settled = await this.waitSettled(await this.getInstance(instance.id, options.signal), options, to);
    if (settled.state === 'Failed') {
      const previous: InstancePointer = {
        id: instance.id,
        name: instance.name,
        policyId: instance.policyId,
        version: instance.version,
        ttl: instance.ttl,
      };
      throw stepFailed(
        'FO_ROUTE53_E3413',
        `${resource} failed to apply version ${to.version} of policy ${to.policyId}: ${settled.message || 'no message'}`,
        {
          hint:
            'Route 53 keeps answering with the previously applied version. Fix the cause named above and run again, ' +
            `or point the instance back: ${updateCommandHint(previous)}`,
          details: {
            instanceId: instance.id,
            policyId: to.policyId,
            version: to.version,
            message: settled.message,
          },
        },
      );
    }
    if (settled.policyId !== to.policyId || settled.version !== to.version) {
      throw stepFailed(
        'FO_ROUTE53_E3411',
        `${resource} was moved to version ${settled.version} of policy ${settled.policyId} while waiting for version ${to.version}`,
        { hint: 'another change is in progress: check who, then run again' },
      );
    }
    options.onProgress?.(`${resource}: Applied version ${to.version}`);
  }

  /**
   * Polls GetTrafficPolicyInstance every pollInterval seconds until the instance is Applied or
   * Failed (an instance deleted meanwhile ends the wait with its not-found error).
   */
  private async waitSettled(
    instance: Instance,
    options: ProgressOptions,
    target?: InstancePointer,
  ): Promise<Instance> {
    const started = Date.now();
    const intervalMs = this.tf.pollInterval * 1000;
    let lastReport = 0;
    let current = instance;
    for (;;) {
      if (isSettled(current.state)) return current;
      const elapsed = Date.now() - started;
      if (elapsed > APPLY_WAIT_LIMIT_MS) {
        throw stepFailed(
          'FO_ROUTE53_E3414',
          `${label(instance)} is still ${current.state} after ${Math.round(elapsed / 60_000)} minutes`,
          {
            hint: 'check the instance in the Route 53 console; run again once it is Applied',
            retryable: true,
          },
        );
      }
      if (elapsed - lastReport >= 10_000 || lastReport === 0) {
        lastReport = Math.max(elapsed, 1);
        options.onProgress?.(
          `${label(instance)}: waiting for Route 53 to apply ${target ? `version ${target.version}` : 'the pending change'} (${current.state}, ${Math.round(elapsed / 1000)}s)`,
        );
      }
      await sleep(intervalMs, options.signal).catch((error: unknown) => {
        throw FailoverError.is(error) ? error : awsError(error, 'Route 53', label(instance));
      });
      current = await this.getInstance(instance.id, options.signal);
    }
  }
}
