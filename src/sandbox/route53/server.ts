/**
 * The HTTP front of the Route 53 emulator: routes `/2013-04-01/...` requests to operations
 * (the table is in routes.ts), applies the control knobs (latency, outage, injected faults) and the
 * token bucket, calls the model, and writes REST-XML answers. Every request lands in `control.log`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorControl } from '../common/control.js';
import { readBody } from '../common/http-server.js';
import { Route53Error } from './errors.js';
import type { Route53Model } from './model.js';
import { matchRoute } from './routes.js';
import type { Route53Throttling } from './throttling.js';
import { buildDocument, buildError } from './xml.js';

/** Create*, Change*, Update* and Delete* change state; everything else only reads. */
export function isMutatingOperation(operation: string): boolean {
  return /^(Create|Change|Update|Delete)/.test(operation);
}

/**
 * Record changes a request makes, for the change-throughput bucket: each Change of a batch (an
 * UPSERT counts twice), one per traffic policy instance created, updated or deleted.
 */
export function changeCount(operation: string, body: string): number {
  if (operation === 'ChangeResourceRecordSets') {
    let count = 0;
    for (const match of body.matchAll(/<Action>\s*([A-Z]+)\s*<\/Action>/g))
      count += match[1] === 'UPSERT' ? 2 : 1;
    return count;
  }
  return /^(Create|Update|Delete)TrafficPolicyInstance$/.test(operation) ? 1 : 0;
}

export function createRoute53Handler(
  model: Route53Model,
  control: EmulatorControl,
  throttling: Route53Throttling,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const matched = matchRoute(method, url.pathname);
    const operation = matched?.route.operation ?? 'Unknown';

    let status: number;
    let xml: string;
    let errorCode: string | undefined;
    const headers: Record<string, string> = { 'content-type': 'text/xml', 'x-amzn-requestid': requestId };
    try {
      await control.delay();
      if (control.knobs.outage) throw new Route53Error('ServiceUnavailable', 'Service Unavailable');
      if (!matched) {
        throw new Route53Error(
          'NotImplemented',
          `The Route 53 emulator does not model ${method} ${url.pathname}`,
        );
      }
      if (throttling.admit(operation, changeCount(operation, body)) !== undefined) {
        throw new Route53Error('Throttling', 'Rate exceeded');
      }
      const fault = control.takeFault(operation, ['throttle', 'server-error']);
      if (fault === 'throttle') throw new Route53Error('Throttling', 'Rate exceeded');
      if (fault === 'server-error') {
        throw new Route53Error('InternalFailure', 'An internal error occurred. Try again later.');
      }
      const result = matched.route.run(model, {
        params: matched.params,
        query: url.searchParams,
        body,
        origin: `http://${req.headers.host ?? '127.0.0.1'}`,
      });
      status = result.status ?? 200;
      xml = buildDocument(result.root, result.content);
      if (result.location) headers.location = result.location;
    } catch (error) {
      const failure =
        error instanceof Route53Error
          ? error
          : new Route53Error('InternalFailure', error instanceof Error ? error.message : String(error));
      status = failure.status;
      errorCode = failure.code;
      xml = buildError(failure, requestId);
    }
    control.log.record({
      service: control.service,
      operation,
      mutating: isMutatingOperation(operation),
      status,
      ...(errorCode !== undefined ? { error: errorCode } : {}),
    });
    res.writeHead(status, headers);
    res.end(xml);
  };
}
