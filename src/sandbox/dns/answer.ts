/**
 * The authoritative answer to one question, as a Route 53 name server gives it: the zone that
 * holds the name (REFUSED when none does), a referral below a delegation, CNAME chains followed
 * within the zones, weighted/failover/multivalue selection with health checks, alias targets,
 * traffic policy instances, wildcards; NXDOMAIN when the name does not exist and NODATA (NOERROR,
 * no answer) when it exists without that type, both with the zone's SOA in the authority section.
 * Used by the DNS server and by the emulator's TestDNSAnswer.
 */
import type { TrafficPolicyDocument } from '../route53/document.js';
import type { Route53Model } from '../route53/model.js';
import type { ResourceRecordSet, TrafficPolicyInstance } from '../route53/types.js';
import { aliasTargetAddress } from './addresses.js';
import { type Candidate, chooseFailover, chooseWeighted } from './choice.js';
import { evaluatePolicy } from './policy.js';
import type { ServedRecords, ServedZone } from './served.js';

export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';

/** One resource record in zone-file text form (`10 mail.example.com.`, `"v=spf1 …"`). */
export interface Rr {
  name: string;
  type: string;
  ttl: number;
  value: string;
}

export interface DnsResult {
  rcode: Rcode;
  authoritative: boolean;
  answers: Rr[];
  authorities: Rr[];
  additionals: Rr[];
  /** The zone that answered, when one did. */
  zone?: { id: string; name: string; nameServers: string[] };
}

/** Route 53 answers alias targets that are AWS resources with this TTL. */
const ALIAS_TTL = 60;
const MAX_CHAIN = 8;

interface Snapshot {
  zones: ServedZone[];
  instances: Map<string, TrafficPolicyInstance>;
}

export class Answerer {
  constructor(
    private readonly view: ServedRecords,
    private readonly random: () => number = Math.random,
  ) {}

  private get model(): Route53Model {
    return this.view.model;
  }

  /** `zoneId` asks that hosted zone's name servers only (TestDNSAnswer does). */
  answer(qname: string, qtype: string, options: { zoneId?: string } = {}): DnsResult {
    const zones = this.view
      .zones()
      .filter((z) => !z.privateZone && (options.zoneId === undefined || z.id === options.zoneId));
    return this.resolve(
      { zones, instances: this.instances() },
      normalize(qname),
      qtype.toUpperCase(),
      qname,
      0,
    );
  }

  private resolve(snapshot: Snapshot, name: string, qtype: string, owner: string, depth: number): DnsResult {
    const zone = zoneFor(snapshot.zones, name);
    if (!zone)
      return { rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] };
    const zoneInfo = { id: zone.id, name: zone.name, nameServers: zone.nameServers };
    const byName = this.indexRecords(snapshot, zone);
    const negative = (rcode: Rcode): DnsResult => ({
      rcode,
      authoritative: true,
      answers: [],
      authorities: soaOf(zone, byName),
      additionals: [],
      zone: zoneInfo,
    });

    const referral = delegationFor(zone, byName, name, qtype);
    if (referral) {
      const glue = referral.flatMap((ns) =>
        (byName.get(normalize(ns.value)) ?? [])
          .filter((r) => r.Type === 'A' || r.Type === 'AAAA')
          .flatMap((r) => plainRrs(r, r.Name)),
      );
      return {
        rcode: 'NOERROR',
        authoritative: false,
        answers: [],
        authorities: referral,
        additionals: glue,
        zone: zoneInfo,
      };
    }

    let records = byName.get(name);
    if (!records) {
      if (hasDescendant(byName, name)) return negative('NOERROR');
      const wildcard = wildcardFor(byName, zone.name, name);
      if (!wildcard) return negative('NXDOMAIN');
      records = wildcard;
    }
    const cname = records.filter((r) => r.Type === 'CNAME');
    if (cname.length > 0 && qtype !== 'CNAME') {
      const answers = this.select(snapshot, cname, owner, depth);
      const target = answers[0]?.value;
      if (target !== undefined && depth < MAX_CHAIN) {
        const next = normalize(target);
        const chained = zoneFor(snapshot.zones, next)
          ? this.resolve(snapshot, next, qtype, target, depth + 1)
          : undefined;
        if (chained && chained.rcode !== 'REFUSED') {
          return { ...chained, answers: [...answers, ...chained.answers], zone: zoneInfo };
        }
      }
      return {
        rcode: 'NOERROR',
        authoritative: true,
        answers,
        authorities: [],
        additionals: [],
        zone: zoneInfo,
      };
    }
    const types = qtype === 'ANY' ? [...new Set(records.map((r) => r.Type))] : [qtype];
    const answers = types.flatMap((type) =>
      this.select(
        snapshot,
        records.filter((r) => r.Type === type),
        owner,
        depth,
      ),
    );
    if (answers.length === 0) return negative('NOERROR');
    return {
      rcode: 'NOERROR',
      authoritative: true,
      answers,
      authorities: [],
      additionals: [],
      zone: zoneInfo,
    };
  }

  /** The records of one name and type, after the routing policy picked among them. */
  private select(snapshot: Snapshot, set: ResourceRecordSet[], owner: string, depth: number): Rr[] {
    if (set.length === 0) return [];
    const rrsOf = (record: ResourceRecordSet) => this.rrsOf(snapshot, record, owner, depth);
    const first = set[0] as ResourceRecordSet;
    if (first.SetIdentifier === undefined) return rrsOf(first);
    const candidates: Candidate<ResourceRecordSet>[] = set.map((record) => ({
      value: record,
      weight: record.Weight ?? 1,
      healthy: this.recordHealthy(snapshot, record, depth),
    }));
    if (first.Weight !== undefined) {
      const chosen = chooseWeighted(candidates, this.random);
      return chosen ? rrsOf(chosen) : [];
    }
    if (first.Failover !== undefined) {
      const role = (r: string) => candidates.find((c) => c.value.Failover === r);
      const chosen = chooseFailover(role('PRIMARY'), role('SECONDARY'));
      return chosen ? rrsOf(chosen) : [];
    }
    if (first.MultiValueAnswer !== undefined) {
      const healthy = candidates.filter((c) => c.healthy);
      return (healthy.length > 0 ? healthy : candidates).slice(0, 8).flatMap((c) => rrsOf(c.value));
    }
    if (first.GeoLocation !== undefined) {
      // No client location: the default location answers.
      const fallback = candidates.find((c) => c.value.GeoLocation?.CountryCode === '*');
      return fallback ? rrsOf(fallback.value) : [];
    }
    // Latency: no client location either; the first healthy region answers.
    const chosen = candidates.find((c) => c.healthy) ?? candidates[0];
    return chosen ? rrsOf(chosen.value) : [];
  }

  private recordHealthy(snapshot: Snapshot, record: ResourceRecordSet, depth: number): boolean {
    if (record.HealthCheckId !== undefined && !this.healthy(record.HealthCheckId)) return false;
    const alias = record.AliasTarget;
    if (!alias?.EvaluateTargetHealth) return true;
    const target = normalize(alias.DNSName);
    if (!zoneFor(snapshot.zones, target) || depth >= MAX_CHAIN) return true;
    return this.resolve(snapshot, target, record.Type, target, depth + 1).answers.length > 0;
  }

  private rrsOf(snapshot: Snapshot, record: ResourceRecordSet, owner: string, depth: number): Rr[] {
    if (record.TrafficPolicyInstanceId !== undefined) {
      return this.instanceRrs(snapshot, record.TrafficPolicyInstanceId, record.Type, owner);
    }
    const alias = record.AliasTarget;
    if (!alias) return plainRrs(record, owner);
    const target = normalize(alias.DNSName);
    if (zoneFor(snapshot.zones, target)) {
      // An alias to another record set answers that record's values under the alias's name.
      if (depth >= MAX_CHAIN) return [];
      const inner = this.resolve(snapshot, target, record.Type, target, depth + 1);
      return inner.answers.filter((a) => a.type === record.Type).map((a) => ({ ...a, name: owner }));
    }
    if (record.Type !== 'A' && record.Type !== 'AAAA') return [];
    const value = aliasTargetAddress(alias.DNSName, record.Type === 'A' ? 4 : 6);
    return [{ name: owner, type: record.Type, ttl: ALIAS_TTL, value }];
  }

  private instanceRrs(snapshot: Snapshot, instanceId: string, type: string, owner: string): Rr[] {
    const instance = snapshot.instances.get(instanceId);
    const document = instance ? this.appliedDocument(instance) : undefined;
    if (!instance || !document) return [];
    const split = this.model.trafficSplit(instanceId);
    const answer = evaluatePolicy(document, {
      healthy: (id) => this.healthy(id),
      random: this.random,
      ...(split ? { startWeights: split.map((s) => s.weight) } : {}),
    });
    const ttl = answer.aliasTtl ?? instance.TTL;
    return answer.values.map((value) => ({ name: owner, type, ttl, value }));
  }

  /**
   * The document of the version the instance serves: the current one once Applied, the last one
   * seen Applied while an update runs or after it failed; nothing while it is being created.
   */
  private appliedDocument(instance: TrafficPolicyInstance): TrafficPolicyDocument | undefined {
    const applied = this.view.appliedVersions;
    if (instance.State === 'Applied') applied.set(instance.Id, instance.TrafficPolicyVersion);
    const serving = applied.has(instance.Id) || this.model.trafficSplit(instance.Id) !== undefined;
    if (!serving) return undefined;
    const version = applied.get(instance.Id) ?? instance.TrafficPolicyVersion;
    try {
      return JSON.parse(this.model.getTrafficPolicy(instance.TrafficPolicyId, version).Document);
    } catch {
      return undefined;
    }
  }

  private healthy(healthCheckId: string): boolean {
    try {
      return this.model.isHealthCheckHealthy(healthCheckId);
    } catch {
      // Route 53 treats a record whose health check is gone as healthy.
      return true;
    }
  }

  private instances(): Map<string, TrafficPolicyInstance> {
    const out = new Map<string, TrafficPolicyInstance>();
    let marker: { hostedZoneId: string; name: string; type: string } | undefined;
    for (;;) {
      const page = this.model.listTrafficPolicyInstances({
        ...(marker ? { hostedZoneId: marker.hostedZoneId, name: marker.name, type: marker.type } : {}),
        maxItems: 100,
      });
      for (const instance of page.items) out.set(instance.Id, instance);
      if (!page.isTruncated || !page.next) return out;
      marker = page.next;
    }
  }

  /** Records by owner name; an instance that serves nothing yet (Creating) has no record. */
  private indexRecords(snapshot: Snapshot, zone: ServedZone): Map<string, ResourceRecordSet[]> {
    const byName = new Map<string, ResourceRecordSet[]>();
    for (const record of zone.records) {
      if (record.TrafficPolicyInstanceId !== undefined) {
        const instance = snapshot.instances.get(record.TrafficPolicyInstanceId);
        if (!instance || !this.appliedDocument(instance)) continue;
      }
      const list = byName.get(record.Name) ?? [];
      list.push(record);
      byName.set(record.Name, list);
    }
    return byName;
  }
}

export function normalize(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The most specific zone that holds the name. */
function zoneFor(zones: ServedZone[], name: string): ServedZone | undefined {
  return zones
    .filter((z) => inZone(name, z.name))
    .sort((a, b) => b.name.length - a.name.length || a.id.localeCompare(b.id))[0];
}

function soaOf(zone: ServedZone, byName: Map<string, ResourceRecordSet[]>): Rr[] {
  const soa = byName.get(zone.name)?.find((r) => r.Type === 'SOA');
  const value = soa?.ResourceRecords?.[0]?.Value;
  if (!soa || value === undefined) return [];
  // Negative answers are cached for the lesser of the SOA's TTL and its minimum field.
  const minimum = Number(value.trim().split(/\s+/)[6]);
  const ttl = Number.isFinite(minimum) ? Math.min(soa.TTL ?? minimum, minimum) : (soa.TTL ?? 900);
  return [{ name: zone.name, type: 'SOA', ttl, value }];
}

/** NS records of a zone cut between the apex and the name (the name itself included). */
function delegationFor(
  zone: ServedZone,
  byName: Map<string, ResourceRecordSet[]>,
  name: string,
  qtype: string,
): Rr[] | undefined {
  const labels = name
    .slice(0, -zone.name.length - 1)
    .split('.')
    .filter(Boolean);
  for (let i = labels.length - 1; i >= 0; i--) {
    const cut = `${labels.slice(i).join('.')}.${zone.name}`;
    // The DS record of a delegation lives in the parent zone.
    if (cut === name && qtype === 'DS') continue;
    const ns = byName.get(cut)?.find((r) => r.Type === 'NS');
    if (ns) return plainRrs(ns, cut);
  }
  return undefined;
}

function hasDescendant(byName: Map<string, ResourceRecordSet[]>, name: string): boolean {
  for (const owner of byName.keys()) if (owner.endsWith(`.${name}`)) return true;
  return false;
}

/** `*.<closest encloser>` when the name does not exist. */
function wildcardFor(
  byName: Map<string, ResourceRecordSet[]>,
  zoneName: string,
  name: string,
): ResourceRecordSet[] | undefined {
  let encloser = name;
  while (encloser !== zoneName) {
    encloser = encloser.slice(encloser.indexOf('.') + 1);
    if (encloser === zoneName || byName.has(encloser) || hasDescendant(byName, encloser)) break;
  }
  return byName.get(`*.${encloser}`);
}

function plainRrs(record: ResourceRecordSet, owner: string): Rr[] {
  return (record.ResourceRecords ?? []).map((r) => ({
    name: owner,
    type: record.Type,
    ttl: record.TTL ?? 300,
    value: r.Value,
  }));
}
