/**
 * What the name servers answer right now: the Route 53 emulator's records as Route 53 propagates
 * them. A change made through the API (ChangeResourceRecordSets) is answered only once it is
 * INSYNC, i.e. `propagationDelayMs` after it was made; until then the name servers keep answering
 * the records as they were. Records the model changes in-process (seeding, tests) are answered at
 * once, and so are new hosted zones. Traffic policy instances carry their own state (Creating →
 * Applied): their answers come from the applied policy version (see policy.ts).
 *
 * The model keeps only the current records, so this view remembers what it last read: on every
 * read it compares the model's records with that snapshot and dates each difference by the
 * ChangeResourceRecordSets requests in the emulator's request log since then (the model applies a
 * change and the server logs it in the same turn, so a read never sees one without the other).
 */
import type { EmulatorControl } from '../common/control.js';
import type { Route53Model } from '../route53/model.js';
import type { ResourceRecordSet } from '../route53/types.js';

export interface ServedZone {
  /** Bare id, `Z…`. */
  id: string;
  /** Lower case with a trailing dot. */
  name: string;
  privateZone: boolean;
  nameServers: string[];
  /** The records answered now (names lower case, `*` unescaped, trailing dot). */
  records: ResourceRecordSet[];
}

interface Pending {
  key: string;
  record: ResourceRecordSet | undefined;
  visibleAt: number;
}

const LIST_PAGE = 300;

export class ServedRecords {
  private snapshot: Map<string, ResourceRecordSet> | undefined;
  private readonly served = new Map<string, ResourceRecordSet>();
  private pending: Pending[] = [];
  private logSeen = 0;
  /** Instance id → the policy version last seen Applied (it keeps serving while an update runs). */
  readonly appliedVersions = new Map<string, number>();

  constructor(
    readonly model: Route53Model,
    private control: EmulatorControl | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Dates API changes by the emulator's request log and propagation delay from now on. */
  attach(control: EmulatorControl): void {
    this.control = control;
  }

  /** The public and private zones with the records their name servers answer at this moment. */
  zones(): ServedZone[] {
    const now = this.now();
    const zones = this.readZones();
    const current = new Map<string, ResourceRecordSet>();
    for (const zone of zones) {
      for (const record of zone.records) current.set(keyOf(zone.id, record), record);
    }
    this.track(current, now);
    return zones.map((zone) => ({
      ...zone,
      records: zone.records
        .filter((r) => r.TrafficPolicyInstanceId !== undefined)
        .concat(
          [...this.served.entries()]
            .filter(([key]) => key.startsWith(`${zone.id}|`))
            .map(([, record]) => record),
        ),
    }));
  }

  private track(current: Map<string, ResourceRecordSet>, now: number): void {
    const changeTimes = this.newChangeTimes();
    if (this.snapshot === undefined) {
      for (const [key, record] of current) if (!record.TrafficPolicyInstanceId) this.served.set(key, record);
      this.snapshot = current;
      return;
    }
    const keys = new Set([...this.snapshot.keys(), ...current.keys()]);
    const madeAt = changeTimes.length > 0 ? Math.max(...changeTimes) : undefined;
    for (const key of keys) {
      const before = this.snapshot.get(key);
      const after = current.get(key);
      if ((before ?? after)?.TrafficPolicyInstanceId !== undefined) continue;
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      const visibleAt = madeAt === undefined ? now : madeAt + (this.control?.knobs.propagationDelayMs ?? 0);
      this.pending.push({ key, record: after, visibleAt });
    }
    this.snapshot = current;
    const due = this.pending.filter((p) => p.visibleAt <= now);
    this.pending = this.pending.filter((p) => p.visibleAt > now);
    for (const change of due) {
      if (change.record) this.served.set(change.key, change.record);
      else this.served.delete(change.key);
    }
  }

  /** When the record changes logged since the last read were made (ms since the epoch). */
  private newChangeTimes(): number[] {
    const entries = this.control?.log.entries ?? [];
    // A cleared log starts over; changes logged between the last read and the clear are undated.
    if (entries.length < this.logSeen) this.logSeen = 0;
    const fresh = entries.slice(this.logSeen);
    this.logSeen = entries.length;
    return fresh
      .filter((e) => e.operation === 'ChangeResourceRecordSets' && e.status < 300)
      .map((e) => Date.parse(e.at));
  }

  private readZones(): ServedZone[] {
    const zones: ServedZone[] = [];
    let marker: string | undefined;
    do {
      const page = this.model.listHostedZones({ ...(marker ? { marker } : {}), maxItems: 100 });
      for (const hostedZone of page.items) {
        const id = hostedZone.Id.replace('/hostedzone/', '');
        const { DelegationSet } = this.model.getHostedZone(id);
        zones.push({
          id,
          name: unescapeName(hostedZone.Name),
          privateZone: hostedZone.Config.PrivateZone,
          nameServers: DelegationSet.NameServers,
          records: this.readRecords(id),
        });
      }
      marker = page.isTruncated ? page.next : undefined;
    } while (marker !== undefined);
    return zones;
  }

  private readRecords(zoneId: string): ResourceRecordSet[] {
    const records: ResourceRecordSet[] = [];
    let start: { name: string; type: string; identifier?: string } | undefined;
    for (;;) {
      const page = this.model.listResourceRecordSets(zoneId, {
        ...(start ? { name: start.name, type: start.type } : {}),
        ...(start?.identifier !== undefined ? { identifier: start.identifier } : {}),
        maxItems: LIST_PAGE,
      });
      for (const record of page.items) records.push({ ...record, Name: unescapeName(record.Name) });
      if (!page.isTruncated || !page.next) return records;
      start = page.next;
    }
  }
}

function unescapeName(name: string): string {
  return name.toLowerCase().replaceAll('\\052', '*');
}

function keyOf(zoneId: string, record: ResourceRecordSet): string {
  return `${zoneId}|${record.Name}|${record.Type}|${record.SetIdentifier ?? ''}`;
}

const views = new WeakMap<Route53Model, ServedRecords>();

/**
 * The one view of a model's served records, shared by the DNS server and TestDNSAnswer. With a
 * control (the DNS server passes the emulator's), API changes wait for INSYNC.
 */
export function servedRecordsOf(model: Route53Model, control?: EmulatorControl): ServedRecords {
  let view = views.get(model);
  if (!view) {
    view = new ServedRecords(model, control);
    views.set(model, view);
  } else if (control) {
    view.attach(control);
  }
  return view;
}
