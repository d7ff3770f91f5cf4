/**
 * Traffic Flow mode: the weights live in the weighted rule of a traffic policy document. Policy
 * versions are immutable, so a change is: read the instance's current version → edit the two
 * weights → validate the whole document → create a version → point each instance at it → wait
 * until Route 53 reports it Applied. Going back needs no new version: the instance is pointed at
 * the previous one.
 */

import { setMaxListeners } from 'node:events';
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import type { Route53Config } from '../../config/schema.js';
import { invalidInput, stepFailed } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { awsError } from '../aws.js';
import { validateTrafficPolicyDocument } from './document.js';
import { type Instance, InstanceReader, isSettled, label } from './instances.js';
import { documentDiff, locateWeights, type WeightedRuleLocation, withWeights } from './policy-document.js';
import type { AppliedWeights, WeightChange, Weights, WeightsPlan, WeightTarget } from './port.js';
import type { Route53Session } from './session.js';
import { formatWeights, sameWeights } from './weights.js';

const { CreateTrafficPolicyVersionCommand, UpdateTrafficPolicyInstanceCommand } = requireCommonJs(
  '@aws-sdk/client-route-53',
) as typeof Route53Sdk;

type TrafficFlowConfig = NonNullable<Route53Config['trafficFlow']>;

export { type Instance, isSettled } from './instances.js';

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
  private readonly reader: InstanceReader;

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
    this.reader = new InstanceReader(session, tf.pollInterval);
  }

  // ── read side ──────────────────────────────────────────────────────────────────────────────

  getInstance(id: string, signal?: AbortSignal): Promise<Instance> {
    return this.reader.get(id, signal);
  }

  /** Every instance named in the config, by id or by DNS name (paging through the list). */
  async instances(signal?: AbortSignal): Promise<Instance[]> {
    const found = new Map<string, Instance>();
    let listed: Instance[] | undefined;
    const byZone = new Map<string, Instance[]>();
    const ids = this.tf.instances.flatMap((ref) =>
      typeof ref === 'string' ? [ref] : 'id' in ref ? [ref.id] : [],
    );
    for (const instance of await this.reader.byIds(ids, signal)) found.set(instance.id, instance);
    for (const ref of this.tf.instances) {
      if (typeof ref === 'string' || 'id' in ref) continue;
      let candidates: Instance[];
      if (ref.hostedZoneId) {
        const zone = ref.hostedZoneId.replace(/^\/hostedzone\//, '');
        if (!byZone.has(zone))
          byZone.set(zone, await this.reader.list({ kind: 'zone', hostedZoneId: zone }, signal));
        candidates = byZone.get(zone) ?? [];
      } else {
        listed ??= await this.reader.list({ kind: 'account' }, signal);
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
      const current = await this.readyInstances(group, options);
      const version = await this.createVersion(group, current, data.to, options);
      options.onProgress?.(
        `created version ${version} of traffic policy ${group.policyId} (${formatWeights(data.to)})`,
      );
      await this.pointInstances(
        current.map((instance) => ({
          instance,
          to: { id: instance.id, name: instance.name, policyId: group.policyId, version, ttl: instance.ttl },
        })),
        options,
      );
      for (const instance of current) {
        summary[instance.id] = { policyId: group.policyId, version, previousVersion: instance.version };
      }
    }
    return { undo: plan.restore, summary };
  }

  async restore(undo: Json, options: ProgressOptions): Promise<void> {
    const pointers = (undo as unknown as TrafficFlowRestore).instances ?? [];
    if (pointers.length === 0) return;
    const settled = await this.settledInstances(
      pointers.map((p) => p.id),
      options,
    );
    const moves = pointers
      .map((pointer) => ({ instance: settled.get(pointer.id) as Instance, to: pointer }))
      .filter(
        ({ instance, to }) =>
          !(
            instance.state === 'Applied' &&
            instance.policyId === to.policyId &&
            instance.version === to.version &&
            instance.ttl === to.ttl
          ),
      );
    await this.pointInstances(moves, options);
  }

  /** Reads instances in bulk and waits out any change still propagating on them (one joint wait). */
  private async settledInstances(ids: string[], options: ProgressOptions): Promise<Map<string, Instance>> {
    const read = await this.reader.byIds(ids, options.signal);
    const byId = new Map(read.map((i) => [i.id, i]));
    const busy = read.filter((i) => !isSettled(i.state)).map((i) => i.id);
    if (busy.length > 0) {
      for (const [id, instance] of await this.reader.waitAll(busy, undefined, options))
        byId.set(id, instance);
    }
    return byId;
  }

  /** Re-reads the group's instances before changing them: still where the plan saw them, and not busy. */
  private async readyInstances(group: VersionGroup, options: ProgressOptions): Promise<Instance[]> {
    const settled = await this.settledInstances(group.instances, options);
    return group.instances.map((id) => {
      const instance = settled.get(id) as Instance;
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
    });
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
          const fresh = await this.reader.byIds(
            instances.map((i) => i.id),
            options.signal,
          );
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

  /**
   * Points every instance at its version (same TTL), all requests issued at once and paced by the
   * account's limiter, then waits for all of them together. A request that fails does not stop the
   * others; the first failure is thrown once every update that was accepted has settled.
   */
  private async pointInstances(
    moves: { instance: Instance; to: InstancePointer }[],
    options: ProgressOptions,
  ): Promise<void> {
    if (moves.length === 0) return;
    const targets = [...new Set(moves.map((m) => `${m.to.policyId}/${m.to.version}`))];
    options.onProgress?.(
      moves.length === 1
        ? `${label(moves[0]!.instance)}: updating to version ${moves[0]!.to.version} of policy ${moves[0]!.to.policyId}`
        : `updating ${moves.length} traffic policy instances to ${targets.length === 1 ? `version ${moves[0]!.to.version} of policy ${moves[0]!.to.policyId}` : `${targets.length} policy versions`}`,
    );
    // Every concurrent request listens on the one run signal.
    if (options.signal) setMaxListeners(moves.length + 20, options.signal);
    const sent = await Promise.allSettled(
      moves.map(async ({ instance, to }) => {
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
          throw awsError(error, 'Route 53', label(instance));
        }
      }),
    );
    const accepted = moves.filter((_, index) => sent[index]?.status === 'fulfilled');
    const shared =
      targets.length === 1 ? { policyId: moves[0]!.to.policyId, version: moves[0]!.to.version } : undefined;
    const settled =
      accepted.length > 0
        ? await this.reader.waitAll(
            accepted.map((m) => m.instance.id),
            shared,
            options,
          )
        : new Map<string, Instance>();
    const rejected = sent.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    for (const { instance, to } of accepted)
      this.checkApplied(instance, to, settled.get(instance.id) as Instance);
    options.onProgress?.(
      accepted.length === 1
        ? `${label(accepted[0]!.instance)}: Applied version ${accepted[0]!.to.version}`
        : `${accepted.length} traffic policy instances Applied`,
    );
  }

  /** An instance that settled Failed, or on another version than the one it was pointed at, fails the change. */
  private checkApplied(instance: Instance, to: InstancePointer, settled: Instance): void {
    const resource = label(instance);
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
  }
}
