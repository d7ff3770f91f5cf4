/**
 * Route 53 over @aws-sdk/client-route-53: weights (Traffic Flow or weighted record sets) and
 * health checks. The reader and the writer share one client (and its token bucket) per set of
 * ports; the reader can only send Get and List commands, and the writer is only built when the
 * engine opens the write side, which a dry-run never does.
 */
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { invalidInput } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { awsError } from '../aws.js';
import type { AdapterOptions } from '../options.js';
import { describeDnsTarget } from './dns-target.js';
import { policyFacts } from './facts.js';
import type { HealthCheckState, Route53Reader, Route53Writer } from './port.js';
import { RecordSets } from './record-sets.js';
import { type Route53Session, readOnly, route53Session } from './session.js';
import { TrafficFlow } from './traffic-flow.js';

const { GetHealthCheckStatusCommand } = requireCommonJs('@aws-sdk/client-route-53') as typeof Route53Sdk;

function modeOf(session: Route53Session): TrafficFlow | RecordSets {
  return session.route53.mode === 'record-sets' ? new RecordSets(session) : new TrafficFlow(session);
}

/** Healthy when a majority of the health checkers report Success. */
async function healthChecks(session: Route53Session, signal?: AbortSignal): Promise<HealthCheckState[]> {
  const entries = Object.entries(session.route53.healthChecks);
  return Promise.all(
    entries.map(async ([role, id]) => {
      const resource = `Route 53 health check ${id} (route53.healthChecks.${role})`;
      try {
        const out = await session.client.send(
          readOnly(new GetHealthCheckStatusCommand({ HealthCheckId: id })),
          {
            abortSignal: signal,
          },
        );
        const statuses = (out.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? '');
        const successes = statuses.filter((s) => s.startsWith('Success')).length;
        const healthy = successes * 2 > statuses.length;
        const failure = statuses.find((s) => !s.startsWith('Success'));
        const summary =
          statuses.length === 0
            ? 'no checker observations (a calculated or metric health check has none)'
            : `${successes}/${statuses.length} checkers report Success${!healthy && failure ? `; e.g. ${failure}` : ''}`;
        return { role, id, healthy, summary };
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchHealthCheck') {
          throw invalidInput('FO_ROUTE53_E3430', `${resource} does not exist`, {
            hint: `fix route53.healthChecks.${role} (\`aws route53 list-health-checks\` lists them)`,
            cause: error,
          });
        }
        throw awsError(error, 'Route 53', resource);
      }
    }),
  );
}

/** The read side. `client` replaces the one built from the config (tests add middleware to it). */
export function createRoute53Reader(options: AdapterOptions, client?: Route53Client): Route53Reader {
  const session = route53Session(options, client);
  return {
    describeWeights: (signal) => modeOf(session).describe(signal),
    planWeights: (to, signal) => modeOf(session).plan(to, signal),
    healthChecks: (signal) => healthChecks(session, signal),
    dnsTarget: (signal) => describeDnsTarget(session, signal),
    policyFacts: (targets, signal) => policyFacts(session, targets, signal),
  };
}

/** The write side: only the engine's apply context builds it. */
export function createRoute53Writer(options: AdapterOptions, client?: Route53Client): Route53Writer {
  const session = route53Session(options, client);
  return {
    async applyWeights(plan, progress) {
      const mode = modeOf(session);
      if ((mode instanceof RecordSets ? 'record-sets' : 'traffic-flow') !== plan.mode) {
        throw invalidInput(
          'FO_ROUTE53_E3431',
          `the plan was made in ${plan.mode} mode, but route53.mode is ${session.route53.mode}`,
          { hint: 'plan again with the current config' },
        );
      }
      return mode.apply(plan, progress);
    },
    async restoreWeights(undo: Json, progress) {
      const mode = (undo as { mode?: string } | null)?.mode;
      if (mode === 'record-sets') return new RecordSets(session).restore(undo, progress);
      if (mode === 'traffic-flow') return new TrafficFlow(session).restore(undo, progress);
      throw invalidInput('FO_ROUTE53_E3432', 'nothing to restore: the undo data names no Route 53 mode', {
        hint: 'the journal entry is incomplete; restore the weights by hand (failover status shows them)',
      });
    },
  };
}
