/**
 * Weighted record sets mode: two records with the same name and type, told apart by their
 * SetIdentifier, each with a Weight. Both weights change in one ChangeBatch (all-or-nothing), then
 * GetChange is polled until INSYNC. Going back UPSERTs the previous records.
 */
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import type { ListResourceRecordSetsCommandOutput, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { createTwoFilesPatch } from 'diff';
import type { Route53Config } from '../../config/schema.js';
import { invalidInput, stepFailed } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { awsError } from '../aws.js';
import type { Role } from '../types.js';
import type { AppliedWeights, Weights, WeightsPlan, WeightTarget } from './port.js';
import { type Route53Session, readOnly } from './session.js';
import type { ProgressOptions } from './traffic-flow.js';
import { formatWeights, ROLES, sameWeights } from './weights.js';

const { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, waitUntilResourceRecordSetsChanged } =
  requireCommonJs('@aws-sdk/client-route-53') as typeof Route53Sdk;

type RecordSetsConfig = NonNullable<Route53Config['recordSets']>;

interface RecordPair {
  records: Record<Role, ResourceRecordSet>;
  weights: Weights;
}

interface RecordSetsPlanData {
  hostedZoneId: string;
  before: ResourceRecordSet[];
  after: ResourceRecordSet[];
}

interface RecordSetsRestore {
  mode: 'record-sets';
  hostedZoneId: string;
  records: ResourceRecordSet[];
}

const LIST_PAGE_LIMIT = 50;
const INSYNC_WAIT_LIMIT_S = 20 * 60;

function normalizeName(name: string): string {
  const lower = name.toLowerCase().replace(/\\052/g, '*');
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function prettyRecords(records: ResourceRecordSet[]): string {
  return `${JSON.stringify(records, null, 2)}\n`;
}

export class RecordSets {
  private readonly rs: RecordSetsConfig;
  private readonly zoneId: string;

  constructor(private readonly session: Route53Session) {
    const rs = session.route53.recordSets;
    if (!rs) {
      throw invalidInput(
        'FO_ROUTE53_E3400',
        'route53.mode is record-sets but route53.recordSets is missing',
        {
          hint: 'add route53.recordSets (hostedZoneId, name, type, setIdentifiers) to the config',
        },
      );
    }
    this.rs = rs;
    this.zoneId = rs.hostedZoneId.replace(/^\/hostedzone\//, '');
  }

  private get resource(): string {
    return `weighted records ${this.rs.name} ${this.rs.type} in hosted zone ${this.zoneId}`;
  }

  /** Lists the records of the configured name and type and picks the two set identifiers. */
  async read(signal?: AbortSignal): Promise<RecordPair> {
    const wanted = normalizeName(this.rs.name);
    const all: ResourceRecordSet[] = [];
    try {
      let start: { name: string; type: string; identifier?: string } | undefined = {
        name: this.rs.name,
        type: this.rs.type,
      };
      for (let page = 0; start && page < LIST_PAGE_LIMIT; page++) {
        const out: ListResourceRecordSetsCommandOutput = await this.session.client.send(
          readOnly(
            new ListResourceRecordSetsCommand({
              HostedZoneId: this.zoneId,
              StartRecordName: start.name,
              StartRecordType: start.type as ResourceRecordSet['Type'],
              StartRecordIdentifier: start.identifier,
            }),
          ),
          { abortSignal: signal },
        );
        const records = out.ResourceRecordSets ?? [];
        const matching = records.filter(
          (r) => normalizeName(r.Name ?? '') === wanted && r.Type === this.rs.type,
        );
        all.push(...matching);
        // Records come sorted: once one of another name or type shows up, ours are all listed.
        const done = !out.IsTruncated || matching.length < records.length;
        start = done
          ? undefined
          : {
              name: out.NextRecordName ?? '',
              type: out.NextRecordType ?? '',
              ...(out.NextRecordIdentifier ? { identifier: out.NextRecordIdentifier } : {}),
            };
      }
    } catch (error) {
      throw awsError(error, 'Route 53', this.resource);
    }
    const records = {} as Record<Role, ResourceRecordSet>;
    const weights = {} as Weights;
    for (const role of ROLES) {
      const id = this.rs.setIdentifiers[role];
      const record = all.find((r) => r.SetIdentifier === id);
      if (!record) {
        throw invalidInput(
          'FO_ROUTE53_E3420',
          `${this.resource}: no record with SetIdentifier ${JSON.stringify(id)} (role ${role}); found ${
            all.map((r) => JSON.stringify(r.SetIdentifier ?? '(none)')).join(', ') || 'no records'
          }`,
          {
            hint: `set route53.recordSets.setIdentifiers.${role} to the SetIdentifier of the ${role} record`,
          },
        );
      }
      if (record.Weight === undefined) {
        throw invalidInput(
          'FO_ROUTE53_E3421',
          `${this.resource}: the record ${JSON.stringify(id)} has no Weight (routing policy ${
            record.Failover
              ? 'failover'
              : record.Region
                ? 'latency'
                : record.GeoLocation
                  ? 'geolocation'
                  : 'other'
          })`,
          { hint: 'record-sets mode needs weighted records; use mode: traffic-flow for a traffic policy' },
        );
      }
      records[role] = record;
      weights[role] = record.Weight;
    }
    return { records, weights };
  }

  async describe(signal?: AbortSignal): Promise<WeightTarget[]> {
    const pair = await this.read(signal);
    return [this.target(pair)];
  }

  private target(pair: RecordPair): WeightTarget {
    return {
      kind: 'record-sets',
      id: `${this.zoneId}/${normalizeName(this.rs.name)}/${this.rs.type}`,
      name: normalizeName(this.rs.name),
      // A listed record is what Route 53 serves once its last change is INSYNC.
      state: 'INSYNC',
      weights: pair.weights,
      detail: {
        hostedZoneId: this.zoneId,
        type: this.rs.type,
        setIdentifiers: { ...this.rs.setIdentifiers },
      },
    };
  }

  async plan(to: Weights, signal?: AbortSignal): Promise<WeightsPlan> {
    const pair = await this.read(signal);
    const before = ROLES.map((role) => pair.records[role]);
    const after = ROLES.map((role) => ({ ...pair.records[role], Weight: to[role] }));
    const converged = sameWeights(pair.weights, to);
    const diff = converged
      ? ''
      : createTwoFilesPatch(
          this.resource,
          `${this.resource} (${formatWeights(to)})`,
          prettyRecords(before),
          prettyRecords(after),
          '',
          '',
          { context: 3 },
        );
    const data: RecordSetsPlanData = { hostedZoneId: this.zoneId, before, after };
    const restore: RecordSetsRestore = { mode: 'record-sets', hostedZoneId: this.zoneId, records: before };
    return {
      mode: 'record-sets',
      changes: [{ target: this.target(pair), to, diff, converged }],
      converged,
      data: data as unknown as Json,
      restore: restore as unknown as Json,
    };
  }

  async apply(plan: WeightsPlan, options: ProgressOptions): Promise<AppliedWeights> {
    const data = plan.data as unknown as RecordSetsPlanData;
    const current = await this.read(options.signal);
    const planned = Object.fromEntries(
      ROLES.map((role, index) => [role, data.before[index]?.Weight ?? -1]),
    ) as Weights;
    if (!sameWeights(current.weights, planned)) {
      throw stepFailed(
        'FO_ROUTE53_E3411',
        `${this.resource} changed since the plan: now ${formatWeights(current.weights)}, planned from ${formatWeights(planned)}`,
        { hint: 'someone else changed the weights; check who, then run again' },
      );
    }
    const changeId = await this.upsert(data.after, options);
    return {
      undo: plan.restore,
      summary: {
        changeId,
        weights: Object.fromEntries(data.after.map((r) => [r.SetIdentifier ?? '', r.Weight ?? 0])),
      },
    };
  }

  async restore(undo: Json, options: ProgressOptions): Promise<void> {
    const records = (undo as unknown as RecordSetsRestore).records ?? [];
    const current = await this.read(options.signal);
    const unchanged = records.every((record) =>
      ROLES.some(
        (role) =>
          current.records[role].SetIdentifier === record.SetIdentifier &&
          current.records[role].Weight === record.Weight,
      ),
    );
    if (unchanged) return;
    await this.upsert(records, options);
  }

  /** UPSERTs both records in one batch and waits until the change is INSYNC. */
  private async upsert(records: ResourceRecordSet[], options: ProgressOptions): Promise<string> {
    let changeId: string;
    try {
      const out = await this.session.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: this.zoneId,
          ChangeBatch: {
            Comment: this.session.comment(options.comment),
            Changes: records.map((record) => ({ Action: 'UPSERT', ResourceRecordSet: record })),
          },
        }),
        { abortSignal: options.signal },
      );
      changeId = out.ChangeInfo?.Id ?? '';
    } catch (error) {
      throw awsError(error, 'Route 53', this.resource);
    }
    options.onProgress?.(`${this.resource}: change ${changeId} submitted, waiting for INSYNC`);
    const poll = this.rs.pollInterval;
    try {
      await waitUntilResourceRecordSetsChanged(
        {
          client: this.session.client,
          minDelay: poll,
          maxDelay: Math.max(poll, 10),
          maxWaitTime: INSYNC_WAIT_LIMIT_S,
          ...(options.signal ? { abortSignal: options.signal } : {}),
        },
        { Id: changeId },
      );
    } catch (error) {
      if (options.signal?.aborted) throw awsError(options.signal.reason ?? error, 'Route 53', this.resource);
      throw stepFailed('FO_ROUTE53_E3422', `${this.resource}: change ${changeId} did not reach INSYNC`, {
        hint: 'check the change with `aws route53 get-change --id …`; run again once it is INSYNC',
        retryable: true,
        cause: error,
      });
    }
    options.onProgress?.(`${this.resource}: change ${changeId} is INSYNC`);
    return changeId;
  }
}
