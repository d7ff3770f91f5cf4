/**
 * A minimal stub resolver over dns-packet: one question to one server, over UDP with a fallback
 * to TCP when the answer is truncated (or over TCP only). No cache and no recursion, so N queries
 * are N answers from the server: what sampling weighted answers needs (a caching resolver such as
 * c-ares would hand back one answer for the TTL).
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';

export interface DnsServerAddress {
  host: string;
  port: number;
}

export interface DnsRecord {
  name: string;
  type: string;
  ttl: number;
  /** Addresses and names as text; other types as JSON. */
  data: string;
}

export interface DnsResponse {
  rcode: string;
  authoritative: boolean;
  truncated: boolean;
  transport: 'udp' | 'tcp';
  answers: DnsRecord[];
  authorities: DnsRecord[];
}

export interface QueryOptions {
  transport?: 'udp' | 'tcp';
  timeoutMs?: number;
  signal?: AbortSignal;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export class DnsTimeoutError extends Error {
  constructor(server: DnsServerAddress, timeoutMs: number) {
    super(`no answer from ${server.host}:${server.port} within ${timeoutMs} ms`);
    this.name = 'DnsTimeoutError';
  }
}

export async function queryDns(
  server: DnsServerAddress,
  name: string,
  type: string,
  options: QueryOptions = {},
): Promise<DnsResponse> {
  const id = randomInt(0, 65536);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: 0,
    questions: [{ name, type: type as RecordType, class: 'IN' }],
  });
  const timeoutMs = options.timeoutMs ?? 2000;
  if (options.transport !== 'tcp') {
    const packet = await exchangeUdp(server, query, id, timeoutMs, options.signal);
    if (!packet.flag_tc || options.transport === 'udp') return toResponse(packet, 'udp');
  }
  return toResponse(await exchangeTcp(server, query, id, timeoutMs, options.signal), 'tcp');
}

function toResponse(packet: DecodedPacket, transport: 'udp' | 'tcp'): DnsResponse {
  const records = (list: DecodedPacket['answers']): DnsRecord[] =>
    (list ?? [])
      .filter((a) => a.type !== 'OPT')
      .map((a) => {
        const answer = a as { name: string; type: string; ttl?: number; data?: unknown };
        return {
          name: answer.name,
          type: answer.type,
          ttl: answer.ttl ?? 0,
          data: typeof answer.data === 'string' ? answer.data : JSON.stringify(answer.data),
        };
      });
  return {
    rcode: RCODES[(packet.flags ?? 0) & 0xf] ?? `RCODE${(packet.flags ?? 0) & 0xf}`,
    authoritative: packet.flag_aa,
    truncated: packet.flag_tc,
    transport,
    answers: records(packet.answers),
    authorities: records(packet.authorities),
  };
}

function withTimeout<T>(
  server: DnsServerAddress,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  run: (settle: { resolve(value: T): void; reject(error: unknown): void }) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup = () => {};
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup();
    };
    const onAbort = () => {
      finish();
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new DnsTimeoutError(server, timeoutMs));
    }, timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = run({
      resolve: (value) => {
        finish();
        resolve(value);
      },
      reject: (error) => {
        finish();
        reject(error);
      },
    });
  });
}

function exchangeUdp(
  server: DnsServerAddress,
  query: Buffer,
  id: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<DecodedPacket> {
  return withTimeout(server, timeoutMs, signal, (settle) => {
    const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    socket.on('error', (error) => settle.reject(error));
    socket.on('message', (message, remote) => {
      // Only the server's answer to this id counts (spoofed or stray datagrams are ignored).
      if (remote.port !== server.port) return;
      try {
        const packet = dnsPacket.decode(message);
        if (packet.id === id && packet.type === 'response') settle.resolve(packet);
      } catch {
        // not a DNS message
      }
    });
    socket.send(query, server.port, server.host);
    return () => socket.close();
  });
}

function exchangeTcp(
  server: DnsServerAddress,
  query: Buffer,
  id: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<DecodedPacket> {
  return withTimeout(server, timeoutMs, signal, (settle) => {
    const socket = connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    socket.on('error', (error) => settle.reject(error));
    socket.on('connect', () => {
      const framed = Buffer.alloc(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      try {
        const packet = dnsPacket.decode(buffered.subarray(2, 2 + length));
        if (packet.id === id) settle.resolve(packet);
        else settle.reject(new Error(`answer with another id from ${server.host}:${server.port}`));
      } catch (error) {
        settle.reject(error);
      }
    });
    return () => socket.destroy();
  });
}
