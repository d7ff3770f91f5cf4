/**
 * Between the answerer's text records and the DNS wire format, through dns-packet: the response
 * to a query packet, with the header bits an authoritative server sets (QR, AA, RD echoed, no RA),
 * EDNS echoed, and truncation (TC, empty sections) when a UDP answer does not fit.
 */
import dnsPacket, { type Answer, type DecodedPacket, type Question } from 'dns-packet';
import type { DnsResult, Rcode, Rr } from './answer.js';

const RCODES: Record<Rcode, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
};
/** What a UDP answer may carry without EDNS (RFC 1035). */
const CLASSIC_UDP_SIZE = 512;
/** What we advertise and accept with EDNS (the DNS Flag Day 2020 value). */
const EDNS_UDP_SIZE = 1232;

/** The query's header fields dns-packet decodes but its types leave out. */
export function opcodeOf(packet: DecodedPacket): number {
  return ((packet.flags ?? 0) >> 11) & 0xf;
}

export function rcodeOf(packet: DecodedPacket): Rcode | string {
  const code = (packet.flags ?? 0) & 0xf;
  return (Object.entries(RCODES).find(([, n]) => n === code)?.[0] as Rcode | undefined) ?? `RCODE${code}`;
}

/** The record as dns-packet encodes it, or undefined for a type the sandbox does not serve. */
export function toPacketAnswer(rr: Rr): Answer | undefined {
  const base = { name: rr.name, ttl: rr.ttl, class: 'IN' as const };
  const fields = rr.value.trim().split(/\s+/);
  switch (rr.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { ...base, type: rr.type, data: rr.value.trim() };
    case 'SOA': {
      const [mname = '', rname = '', serial, refresh, retry, expire, minimum] = fields;
      return {
        ...base,
        type: 'SOA',
        data: {
          mname,
          rname,
          serial: Number(serial),
          refresh: Number(refresh),
          retry: Number(retry),
          expire: Number(expire),
          minimum: Number(minimum),
        },
      };
    }
    case 'MX':
      return { ...base, type: 'MX', data: { preference: Number(fields[0]), exchange: fields[1] ?? '' } };
    case 'SRV':
      return {
        ...base,
        type: 'SRV',
        data: {
          priority: Number(fields[0]),
          weight: Number(fields[1]),
          port: Number(fields[2]),
          target: fields[3] ?? '',
        },
      };
    case 'TXT': {
      const strings = [...rr.value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
        (m[1] ?? '').replace(/\\(.)/g, '$1'),
      );
      return { ...base, type: 'TXT', data: strings.length > 0 ? strings : [rr.value] };
    }
    case 'CAA': {
      const tag = fields[1];
      if (tag !== 'issue' && tag !== 'issuewild' && tag !== 'iodef') return undefined;
      return {
        ...base,
        type: 'CAA',
        data: { flags: Number(fields[0]), tag, value: fields.slice(2).join(' ').replace(/^"|"$/g, '') },
      };
    }
    default:
      return undefined;
  }
}

function packetAnswers(rrs: Rr[]): Answer[] {
  return rrs.map(toPacketAnswer).filter((a): a is Answer => a !== undefined);
}

/** A response that answers nothing (FORMERR, NOTIMP) to a query we could at least read. */
export function errorResponse(query: DecodedPacket, rcode: Rcode): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: ((query.flags ?? 0) & (dnsPacket.RECURSION_DESIRED | (0xf << 11))) | RCODES[rcode],
    questions: (query.questions ?? []).slice(0, 1),
    answers: [],
    authorities: [],
    additionals: [],
  });
}

export function encodeResponse(
  query: DecodedPacket,
  question: Question,
  result: DnsResult,
  transport: 'udp' | 'tcp',
): Buffer {
  const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  const additionals = packetAnswers(result.additionals);
  if (opt) {
    additionals.push({
      name: '.',
      type: 'OPT',
      udpPayloadSize: EDNS_UDP_SIZE,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    });
  }
  const flags =
    ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
    (result.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
    RCODES[result.rcode];
  const packet = {
    type: 'response' as const,
    id: query.id ?? 0,
    flags,
    questions: [question],
    answers: packetAnswers(result.answers),
    authorities: packetAnswers(result.authorities),
    additionals,
  };
  const encoded = dnsPacket.encode(packet);
  const limit = opt
    ? Math.max(CLASSIC_UDP_SIZE, Math.min(opt.udpPayloadSize ?? 0, EDNS_UDP_SIZE))
    : CLASSIC_UDP_SIZE;
  if (transport === 'tcp' || encoded.length <= limit) return encoded;
  // Too big for this UDP answer: TC tells the client to ask again over TCP.
  return dnsPacket.encode({
    ...packet,
    flags: flags | dnsPacket.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: opt ? additionals.slice(-1) : [],
  });
}
