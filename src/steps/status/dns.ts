/**
 * The DNS part of `failover status`: what the name servers answer now, counted per side
 * (`admin.example.com: 20/20 answers → AWS`). Only when the config has `verify.dns`; queries are
 * reads, so status stays read-only.
 */
import type { Config } from '../../config/schema.js';
import type { ReadPorts } from '../../providers/ports.js';
import { countDnsAnswers, describeDnsCounts } from '../verify/dns-sides.js';

export type DnsStatus =
  | { ok: true; name: string; server: string; samples: number; gcp: number; aws: number; other: number }
  | { ok: false; error: string };

export async function collectDnsStatus(
  read: ReadPorts,
  config: Config,
  signal?: AbortSignal,
): Promise<DnsStatus | undefined> {
  if (!config.verify?.dns) return undefined;
  try {
    const counts = await countDnsAnswers(read, config, signal ? { signal } : {});
    const { name, server, samples, gcp, aws, other } = counts;
    return { ok: true, name: name.replace(/\.$/, ''), server, samples, gcp, aws, other };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** One line for the terminal. */
export function renderDnsStatus(status: DnsStatus): string {
  if (!status.ok) return `DNS answers: unreadable: ${status.error}`;
  return `DNS answers (${status.server}): ${describeDnsCounts({ ...status, type: '', answers: [], elapsedMs: 0 })}`;
}
