/**
 * The DNS client over dns-packet (client.ts): N queries give N answers from the server, with no
 * cache in between, so the counts per answer are the server's weighted choice.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { invalidInput } from '../../engine/errors.js';
import { type DnsResponse, type DnsServerAddress, DnsTimeoutError, queryDns } from './client.js';
import type { DnsAnswerCount, DnsReader, DnsSample, DnsSampleRequest } from './port.js';

/** `host`, `host:53`, `[2001:db8::1]:5353` → host and port (53 by default). */
export function parseServer(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1] as string, port: Number(bracketed[2] ?? 53) };
  if (isIP(text) === 6) return { host: text, port: 53 };
  const [host = '', port] = text.split(':');
  return { host, port: port === undefined ? 53 : Number(port) };
}

async function resolveServer(text: string): Promise<DnsServerAddress> {
  const { host, port } = parseServer(text);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidInput('FO_DNS_E7501', `${JSON.stringify(text)} is not a DNS server address`, {
      hint: 'write a server as host, host:port or [ipv6]:port in verify.dns.servers',
    });
  }
  if (isIP(host)) return { host, port };
  try {
    // The hosted zone's name servers are names (ns-123.awsdns-45.com): ask the system where they are.
    const found = await lookup(host);
    return { host: found.address, port };
  } catch (error) {
    throw invalidInput('FO_DNS_E7502', `cannot find the address of the DNS server ${host}`, {
      hint: 'check the machine can resolve it, or give addresses in verify.dns.servers',
      cause: error,
    });
  }
}

function answerKey(response: DnsResponse): string[] {
  return response.answers
    .filter((a) => a.type === 'A' || a.type === 'AAAA' || a.type === 'CNAME')
    .map((a) => a.data.toLowerCase().replace(/\.$/, ''))
    .sort();
}

export function createDnsReader(): DnsReader {
  return {
    async sample(request: DnsSampleRequest): Promise<DnsSample> {
      const started = Date.now();
      const servers = await Promise.all(request.servers.map(resolveServer));
      const counts = new Map<string, DnsAnswerCount>();
      const count = (values: string[], rcode: string) => {
        const key = `${rcode} ${values.join(',')}`;
        const entry = counts.get(key) ?? { values, rcode, count: 0 };
        entry.count += 1;
        counts.set(key, entry);
      };
      // A server that has not answered three queries in a row is down: the rest count as failures.
      let silent = 0;
      for (let i = 0; i < request.samples; i++) {
        request.signal?.throwIfAborted();
        if (silent >= 3) {
          count([], 'TIMEOUT');
          continue;
        }
        const server = servers[i % servers.length] as DnsServerAddress;
        let response: DnsResponse | undefined;
        let failure = 'TIMEOUT';
        for (let attempt = 0; attempt < 2 && !response; attempt++) {
          try {
            response = await queryDns(server, request.name, request.type, {
              timeoutMs: request.timeoutMs,
              ...(request.signal ? { signal: request.signal } : {}),
            });
          } catch (error) {
            request.signal?.throwIfAborted();
            failure = error instanceof DnsTimeoutError ? 'TIMEOUT' : 'ERROR';
          }
        }
        if (response) count(answerKey(response), response.rcode);
        else count([], failure);
        silent = response ? 0 : silent + 1;
      }
      return {
        name: request.name,
        type: request.type,
        servers: servers.map((s) => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`)),
        samples: request.samples,
        answers: [...counts.values()].sort((a, b) => b.count - a.count),
        elapsedMs: Date.now() - started,
      };
    },
    async addressesOf(name: string): Promise<string[]> {
      try {
        const found = await lookup(name.replace(/\.$/, ''), { all: true });
        return found.map((f) => f.address);
      } catch {
        return [];
      }
    },
  };
}
