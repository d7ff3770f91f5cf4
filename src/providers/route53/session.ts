/**
 * One Route 53 client per set of ports, shared by the reader and the writer so that both draw on
 * the same client-side token bucket, plus a cache of policy versions (they are immutable).
 */
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import type { Config, Route53Config } from '../../config/schema.js';
import { FailoverError, invalidInput } from '../../engine/errors.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { awsClientSettings, awsError, explainCredentialErrors } from '../aws.js';
import { reportRetries } from '../call-retries.js';
import type { AdapterOptions } from '../options.js';
import { accountLimiter, limitRequestRate, type Route53Limiter } from './rate-limit.js';

const { GetTrafficPolicyCommand, Route53Client } = requireCommonJs(
  '@aws-sdk/client-route-53',
) as typeof Route53Sdk;
type Route53Client = Route53Sdk.Route53Client;

export interface PolicyVersion {
  id: string;
  version: number;
  name: string;
  document: string;
}

export class Route53Session {
  private readonly versions = new Map<string, Promise<PolicyVersion>>();

  constructor(
    readonly client: Route53Client,
    readonly config: Config,
    readonly route53: Route53Config,
    readonly runId: string,
    /** The account's limiter every call goes through (its stats count requests and throttles). */
    readonly limiter: Route53Limiter,
  ) {}

  /** Policy versions never change, so each one is fetched once. */
  policyVersion(id: string, version: number, signal?: AbortSignal): Promise<PolicyVersion> {
    const key = `${id}/${version}`;
    let found = this.versions.get(key);
    if (!found) {
      found = this.client
        .send(readOnly(new GetTrafficPolicyCommand({ Id: id, Version: version })), { abortSignal: signal })
        .then(({ TrafficPolicy: policy }) => ({
          id,
          version,
          name: policy?.Name ?? '',
          document: policy?.Document ?? '',
        }))
        .catch((error: unknown) => {
          this.versions.delete(key);
          throw awsError(error, 'Route 53', `traffic policy ${id} version ${version}`);
        });
      this.versions.set(key, found);
    }
    return found;
  }

  /** `failover run <id>: …`, cut to the 1,024 characters Route 53 accepts. */
  comment(text: string): string {
    const prefix = `failover run ${this.runId}`;
    const full = text.startsWith(prefix) ? text : `${prefix}: ${text}`;
    return full.length > 1024 ? `${full.slice(0, 1023)}…` : full;
  }
}

/**
 * Guards the read side: only Get* and List* commands pass. The reader sends every call through
 * this, so a bug can never turn a plan into a change.
 */
export function readOnly<C extends object>(command: C): C {
  const name = command.constructor.name;
  if (!/^(Get|List)/.test(name)) {
    throw new FailoverError(
      'FO_ROUTE53_E3499',
      'internal',
      `the Route 53 reader tried to send ${name}, which changes state`,
    );
  }
  return command;
}

const sessions = new WeakMap<AdapterOptions, Route53Session>();

/** The session for these adapter options (created on first use), optionally over a given client. */
export function route53Session(options: AdapterOptions, client?: Route53Client): Route53Session {
  const existing = client ? undefined : sessions.get(options);
  if (existing) return existing;
  const { config, env } = options;
  const route53 = config.route53;
  if (!route53) {
    throw invalidInput('FO_ROUTE53_E3400', 'the config has no `route53` section', {
      hint: 'add route53 (mode, trafficFlow.instances and roles, or recordSets) to the config',
    });
  }
  const settings = awsClientSettings(config, route53.endpoint, env);
  const sdk = client ?? new Route53Client(settings);
  explainCredentialErrors(sdk, config, env);
  reportRetries(sdk, 'Route 53', settings.maxAttempts);
  // One limiter per account: every client of the process that reaches the same account shares it.
  const account = [
    route53.endpoint ?? env.AWS_ENDPOINT_URL_ROUTE_53 ?? env.AWS_ENDPOINT_URL ?? 'route53.amazonaws.com',
    config.aws.profile ?? env.AWS_PROFILE ?? '',
    env.AWS_ACCESS_KEY_ID ?? '',
  ].join('|');
  const limiter = accountLimiter(account, route53.rateLimit);
  limitRequestRate(sdk, limiter);
  const session = new Route53Session(sdk, config, route53, options.runId, limiter);
  if (!client) sessions.set(options, session);
  return session;
}
