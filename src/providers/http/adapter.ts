/**
 * HTTP probes with node:http/https, so an endpoint can be probed by its own address with the
 * public Host header (and TLS server name): the standby is checked before DNS points at it.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Probe } from '../../config/schema.js';
import { sleep } from '../../engine/retry.js';
import { toMs } from '../../util/duration.js';
import type { HttpProber, ProbeResult } from './port.js';

interface Answer {
  status: number;
  body: string;
  servedBy?: string;
}

const MAX_BODY = 64 * 1024;

function once(probe: Probe, signal?: AbortSignal): Promise<Answer> {
  const url = new URL(probe.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers: { 'user-agent': 'failover-probe', ...(probe.host ? { host: probe.host } : {}) },
        ...(probe.host && url.protocol === 'https:' ? { servername: probe.host.split(':')[0] } : {}),
        timeout: toMs(probe.timeout),
        signal,
      },
      (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_BODY) body += chunk;
        });
        res.on('end', () => {
          const servedBy = res.headers['x-served-by'];
          resolve({
            status: res.statusCode ?? 0,
            body,
            ...(typeof servedBy === 'string' ? { servedBy } : {}),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${probe.timeout}`)));
    req.on('error', reject);
    req.end();
  });
}

export function describeProbe(probe: Probe): string {
  return probe.name ?? `${probe.url}${probe.host ? ` (Host: ${probe.host})` : ''}`;
}

export function createHttpProber(): HttpProber {
  return {
    async probe(probe, signal) {
      const started = Date.now();
      const expected = Array.isArray(probe.expectStatus) ? probe.expectStatus : [probe.expectStatus];
      const matcher = probe.bodyMatch ? new RegExp(probe.bodyMatch) : undefined;
      const interval = toMs(probe.interval);
      // N consecutive successes; up to two failures are tolerated before giving up.
      const budget = probe.successes + 2;
      let streak = 0;
      let last: Pick<ProbeResult, 'status' | 'error' | 'servedBy'> = {};
      for (let attempt = 1; attempt <= budget && streak < probe.successes; attempt++) {
        if (attempt > 1) await sleep(interval, signal);
        try {
          const answer = await once(probe, signal);
          last = { status: answer.status, ...(answer.servedBy ? { servedBy: answer.servedBy } : {}) };
          if (!expected.includes(answer.status)) {
            last.error = `status ${answer.status}, expected ${expected.join(' or ')}`;
            streak = 0;
          } else if (matcher && !matcher.test(answer.body)) {
            last.error = `body does not match /${probe.bodyMatch}/`;
            streak = 0;
          } else {
            streak += 1;
          }
        } catch (error) {
          if (signal?.aborted) throw error;
          last = { error: error instanceof Error ? error.message : String(error) };
          streak = 0;
        }
        if (probe.successes - streak > budget - attempt) break;
      }
      const ok = streak >= probe.successes;
      return {
        name: describeProbe(probe),
        url: probe.url,
        ok,
        ...(last.status !== undefined ? { status: last.status } : {}),
        ...(!ok && last.error ? { error: last.error } : {}),
        ...(last.servedBy ? { servedBy: last.servedBy } : {}),
        successes: streak,
        wanted: probe.successes,
        durationMs: Date.now() - started,
      };
    },
  };
}
