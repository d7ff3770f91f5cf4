/**
 * DNS answers counted per side: ask the name servers N times what the name answers, and put each
 * answer on the side whose addresses (or names) it carries. Shared by the `verify.dns` step and
 * `failover status`. Reads only.
 */
import { isIP } from 'node:net';
import { type Config, DnsVerifyConfig } from '../../config/schema.js';
import type { DnsAnswerCount } from '../../providers/dns/port.js';
import type { ReadPorts } from '../../providers/ports.js';
import { toMs } from '../../util/duration.js';

export interface DnsSideCounts {
  /** The name asked for, as written in the config or by Route 53 (`admin.example.com.`). */
  name: string;
  type: string;
  /** The server(s) asked, `host:port`, comma-separated when several. */
  server: string;
  samples: number;
  gcp: number;
  aws: number;
  other: number;
  /** Every distinct answer and how often it came, for the report. */
  answers: Array<DnsAnswerCount & { side: 'gcp' | 'aws' | 'other' }>;
  elapsedMs: number;
}

export function dnsVerifyConfig(config: Config): DnsVerifyConfig {
  return config.verify?.dns ?? DnsVerifyConfig.parse({});
}

function normalizeValue(value: string): string {
  return value.trim().toLowerCase().replace(/\.$/, '');
}

/** Each side's addresses and names: from the config, else from Route 53 (names resolved too). */
async function sideValues(
  read: ReadPorts,
  listed: string[] | undefined,
  fromRoute53: () => Promise<string[]>,
): Promise<Set<string>> {
  const values = (listed ?? (await fromRoute53())).map(normalizeValue);
  const out = new Set(values);
  for (const value of values) {
    if (isIP(value)) continue;
    // A load balancer's name: its current addresses are what an alias answer carries.
    for (const address of await read.dns.addressesOf(value)) out.add(normalizeValue(address));
  }
  return out;
}

export async function countDnsAnswers(
  read: ReadPorts,
  config: Config,
  options: { samples?: number; signal?: AbortSignal } = {},
): Promise<DnsSideCounts> {
  const settings = dnsVerifyConfig(config);
  const needsRoute53 =
    !settings.name || !settings.servers || !settings.addresses?.gcp || !settings.addresses?.aws;
  const target = needsRoute53 ? await read.route53.dnsTarget(options.signal) : undefined;
  const name = settings.name ?? target?.name ?? '';
  const type = settings.type ?? target?.type ?? 'A';
  const servers = settings.servers ?? target?.nameServers ?? [];
  const [gcp, aws] = await Promise.all(
    (['gcp', 'aws'] as const).map((side) =>
      sideValues(read, settings.addresses?.[side], async () => target?.sides[side] ?? []),
    ),
  );
  const sample = await read.dns.sample({
    name,
    type,
    servers,
    samples: options.samples ?? settings.samples,
    timeoutMs: toMs(settings.timeout),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const answers = sample.answers.map((answer) => {
    const inGcp = answer.values.some((v) => gcp?.has(v));
    const inAws = answer.values.some((v) => aws?.has(v));
    const side: 'gcp' | 'aws' | 'other' = inGcp === inAws ? 'other' : inAws ? 'aws' : 'gcp';
    return { ...answer, side };
  });
  const total = (side: string) => answers.filter((a) => a.side === side).reduce((n, a) => n + a.count, 0);
  return {
    name,
    type,
    server: sample.servers.join(', '),
    samples: sample.samples,
    gcp: total('gcp'),
    aws: total('aws'),
    other: total('other'),
    answers,
    elapsedMs: sample.elapsedMs,
  };
}

/** `admin.example.com: 20/20 answers → AWS`, or the split when the answers are divided. */
export function describeDnsCounts(counts: DnsSideCounts): string {
  const name = counts.name.replace(/\.$/, '');
  const sides = (['aws', 'gcp', 'other'] as const).filter((s) => counts[s] > 0);
  const label = { aws: 'AWS', gcp: 'GCP', other: 'other' } as const;
  if (sides.length === 1) {
    const side = sides[0] as 'aws' | 'gcp' | 'other';
    return `${name}: ${counts[side]}/${counts.samples} answers → ${label[side]}`;
  }
  return `${name}: ${sides.map((s) => `${counts[s]}/${counts.samples} → ${label[s]}`).join(', ')}`;
}

export interface DnsJudgement {
  ok: boolean;
  /** The share of answers AWS should get (0–1). */
  expectedAws: number;
  detail: string;
}

/**
 * Every answer must be the side that holds all the weight; for a split (a staged shift stopped
 * part-way), each side's share must be within `tolerance` of its weight's share. Answers that
 * are neither side (NXDOMAIN, timeouts, a stray address) always fail.
 */
export function judgeDnsCounts(
  counts: DnsSideCounts,
  weights: { gcp: number; aws: number },
  tolerance: number,
): DnsJudgement {
  const total = weights.gcp + weights.aws;
  const expectedAws = total === 0 ? 0.5 : weights.aws / total;
  const summary = describeDnsCounts(counts);
  if (counts.other > 0) {
    const stray = counts.answers
      .filter((a) => a.side === 'other')
      .map((a) => `${a.count}× ${a.values.length > 0 ? a.values.join(',') : a.rcode}`)
      .join('; ');
    return { ok: false, expectedAws, detail: `${summary}; answers of neither side: ${stray}` };
  }
  if (expectedAws === 1 || expectedAws === 0) {
    const side = expectedAws === 1 ? 'aws' : 'gcp';
    const ok = counts[side] === counts.samples;
    return {
      ok,
      expectedAws,
      detail: ok ? summary : `${summary}; every answer should be ${side === 'aws' ? 'AWS' : 'GCP'}`,
    };
  }
  const share = counts.samples === 0 ? 0 : counts.aws / counts.samples;
  const ok = Math.abs(share - expectedAws) <= tolerance;
  const percent = (n: number) => `${Math.round(n * 1000) / 10}%`;
  return {
    ok,
    expectedAws,
    detail: `${summary}; AWS share ${percent(share)}, weights say ${percent(expectedAws)} ± ${percent(tolerance)}`,
  };
}
