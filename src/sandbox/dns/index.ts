/**
 * The sandbox's authoritative DNS server: answers, over UDP and TCP on one 127.0.0.1 port, from
 * the Route 53 emulator's records of every public hosted zone as Route 53's name servers would
 * (see answer.ts, served.ts, SPEC.md). Real DNS wire format through dns-packet, so dig, Node's
 * resolver or any DNS library can query it.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { EmulatorControl, type Knobs } from '../common/control.js';
import type { Route53Model } from '../route53/model.js';
import { Answerer } from './answer.js';
import { servedRecordsOf } from './served.js';
import { encodeResponse, errorResponse, opcodeOf } from './wire.js';

export { aliasTargetAddress, aliasTargetKey } from './addresses.js';
export { Answerer, type DnsResult, type Rcode, type Rr } from './answer.js';
export { type Candidate, chooseFailover, chooseWeighted } from './choice.js';
export { ServedRecords, servedRecordsOf } from './served.js';

export interface DnsServerOptions {
  route53: { model: Route53Model; control: EmulatorControl };
  /** Default: an ephemeral port, the same number for UDP and TCP. */
  port?: number;
  knobs?: Partial<Knobs>;
  /** The weighted choice's source of randomness (tests pin it). */
  random?: () => number;
}

export interface DnsServer {
  host: '127.0.0.1';
  port: number;
  /** Knobs: latencyMs delays answers, outage drops queries (clients time out). Each query is logged. */
  control: EmulatorControl;
  answerer: Answerer;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const control = new EmulatorControl('dns', options.knobs);
  const view = servedRecordsOf(options.route53.model, options.route53.control);
  // The first read dates everything present now as in sync; later API changes wait for INSYNC.
  view.zones();
  const answerer = new Answerer(view, options.random ?? Math.random);

  /** The response bytes for one query packet, or undefined to stay silent (outage, garbage). */
  const respond = async (bytes: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> => {
    await control.delay();
    if (control.knobs.outage) return undefined;
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(bytes);
    } catch {
      return undefined;
    }
    if (query.type !== 'query') return undefined;
    const question = query.questions?.[0];
    let operation = 'Query';
    let response: Buffer;
    if (opcodeOf(query) !== 0) {
      operation = 'NotImplemented';
      response = errorResponse(query, 'NOTIMP');
    } else if (!question || (query.questions?.length ?? 0) !== 1) {
      operation = 'FormatError';
      response = errorResponse(query, 'FORMERR');
    } else {
      const result = answerer.answer(question.name, question.type);
      response = encodeResponse(query, question, result, transport);
      operation = `${question.type} ${question.name} ${result.rcode}`;
    }
    control.log.record({ service: 'dns', operation, mutating: false, status: 0 });
    return response;
  };

  const { udp, tcp, port } = await bindBoth(options.port ?? 0);
  udp.on('message', (message: Buffer, remote: RemoteInfo) => {
    void respond(message, 'udp').then((response) => {
      if (response) udp.send(response, remote.port, remote.address);
    });
  });
  const tcpSockets = new Set<TcpSocket>();
  tcp.on('connection', (socket: TcpSocket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Each message is preceded by its length in two bytes (RFC 1035 4.2.2); several may follow.
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        void respond(Buffer.from(message), 'tcp').then((response) => {
          if (!response || socket.destroyed) return;
          const framed = Buffer.alloc(2 + response.length);
          framed.writeUInt16BE(response.length, 0);
          response.copy(framed, 2);
          socket.write(framed);
        });
      }
    });
  });

  return {
    host: HOST,
    port,
    control,
    answerer,
    close: async () => {
      for (const socket of tcpSockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

/** Binds UDP first (an ephemeral port when 0), then TCP on the same number; retries a taken one. */
async function bindBoth(port: number): Promise<{ udp: Socket; tcp: Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket('udp4');
    const udpPort = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, HOST, () => {
        udp.off('error', reject);
        resolve(udp.address().port);
      });
    });
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udpPort, HOST, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port: udpPort };
    } catch (error) {
      // The TCP side of this ephemeral port is taken: start over on fresh sockets.
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (port !== 0 || attempt >= 5) throw error;
    }
  }
}
