/**
 * Shared set-up of the AWS SDK clients: region, profile, endpoint overrides, retries, and one
 * translation of SDK errors into errors that name the resource and the fix.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { InitializeMiddleware, Logger } from '@smithy/types';
import type { Config } from '../config/schema.js';
import { FailoverError, invalidInput, stepFailed } from '../engine/errors.js';

export interface AwsClientSettings {
  region: string;
  profile?: string;
  endpoint?: string;
  maxAttempts: number;
  retryMode: 'standard' | 'adaptive';
  logger: Logger;
}

/**
 * The SDK's own log lines (e.g. its warning when AWS_PROFILE and static keys are both set) would
 * land on the operator's terminal in the SDK's words; what they mean is said in the error a
 * credentials failure produces (explainCredentialErrors).
 */
const QUIET_SDK_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Settings for one service client. An endpoint in the config wins; otherwise the SDK reads its own
 * variables (AWS_ENDPOINT_URL_ROUTE_53, AWS_ENDPOINT_URL_EKS, AWS_ENDPOINT_URL).
 */
export function awsClientSettings(
  config: Config,
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv,
): AwsClientSettings {
  const attempts = Number.parseInt(env.AWS_MAX_ATTEMPTS ?? '', 10);
  return {
    region: config.aws.region,
    ...(config.aws.profile ? { profile: config.aws.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    // Throttling, PriorRequestNotComplete and 5xx are retried by the SDK with backoff and jitter.
    maxAttempts: Number.isFinite(attempts) && attempts > 0 ? attempts : 6,
    retryMode: 'adaptive',
    logger: QUIET_SDK_LOGGER,
  };
}

/** The named profile the SDK will read credentials from, if any: the config's wins over AWS_PROFILE. */
function namedProfile(config: Config, env: NodeJS.ProcessEnv): { name: string; from: string } | undefined {
  if (config.aws.profile) return { name: config.aws.profile, from: 'aws.profile in the config' };
  if (env.AWS_PROFILE) return { name: env.AWS_PROFILE, from: 'AWS_PROFILE' };
  return undefined;
}

/** Why no credentials were found, in terms of what the operator set: which profile, looked up where. */
export function credentialsProblem(config: Config, env: NodeJS.ProcessEnv, sdkMessage: string): string {
  const files = [
    env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config'),
    env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), '.aws', 'credentials'),
  ];
  const profile = namedProfile(config, env);
  if (!profile) {
    return `no AWS credentials found (environment variables, ${files.join(', ')}, SSO, instance role): ${sdkMessage}`;
  }
  const present = files.filter((file) => existsSync(file));
  const where = present.length
    ? `looked up in ${present.join(' and ')}`
    : `but neither ${files.join(' nor ')} exists`;
  const keysToo =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? '; AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set too, and the profile takes precedence over them'
      : '';
  return `AWS profile "${profile.name}" (from ${profile.from}) gave no credentials, ${where}${keysToo}: ${sdkMessage}`;
}

/**
 * Rewrites the SDK's "Could not load credentials from any providers" into what was asked for and
 * where it was looked up; the error keeps its name, so awsError still classifies it.
 */
export function explainCredentialErrors<Input extends object, Output extends object>(
  client: {
    middlewareStack: { add(middleware: InitializeMiddleware<Input, Output>, options: object): void };
  },
  config: Config,
  env: NodeJS.ProcessEnv,
): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const sdk = error as SdkError;
        if (sdk?.name === 'CredentialsProviderError' && typeof sdk.message === 'string')
          sdk.message = credentialsProblem(config, env, sdk.message);
        throw error;
      }
    },
    { step: 'initialize', priority: 'high', name: 'failoverExplainCredentials', override: true },
  );
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
]);

/** Turns an SDK error into a FailoverError that says which resource, what happened, and what to do. */
export function awsError(thrown: unknown, service: string, resource: string): FailoverError {
  if (FailoverError.is(thrown)) return thrown;
  const error = (thrown ?? {}) as SdkError;
  const name = error.name ?? 'Error';
  const status = error.$metadata?.httpStatusCode;
  const message = error.message ?? String(thrown);
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new FailoverError('FO_AWS_E3001', 'aborted', `${service}: call for ${resource} was interrupted`, {
      cause: thrown,
    });
  }
  if (name === 'CredentialsProviderError') {
    return invalidInput('FO_AWS_E3006', `${service}: cannot read ${resource}: ${message}`, {
      hint: 'run `aws configure list-profiles` for the profile names and set AWS_PROFILE (or aws.profile) to one of them; `aws sso login --profile NAME` renews an SSO session',
      cause: thrown,
    });
  }
  if (
    CREDENTIAL_ERRORS.has(name) ||
    status === 403 ||
    name === 'AccessDenied' ||
    name === 'AccessDeniedException'
  ) {
    return invalidInput('FO_AWS_E3002', `${service}: not allowed to read ${resource}: ${message}`, {
      hint: 'check AWS credentials (AWS_PROFILE, `aws sso login`) and that the IAM policy from `failover iam-policy` is attached',
      cause: thrown,
    });
  }
  if (name.startsWith('NoSuch') || name === 'ResourceNotFoundException' || status === 404) {
    return invalidInput('FO_AWS_E3003', `${service}: ${resource} not found (${name}): ${message}`, {
      hint: 'check the names and ids in the config, and aws.region',
      cause: thrown,
    });
  }
  const code = error.code ?? '';
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code) ||
    /ECONNREFUSED|ENOTFOUND|socket hang up/.test(message)
  ) {
    return stepFailed('FO_AWS_E3004', `${service}: cannot reach the endpoint for ${resource}: ${message}`, {
      hint: 'check the network path to AWS (VPN, proxy) or the endpoint override in the config',
      retryable: true,
      cause: thrown,
    });
  }
  return stepFailed('FO_AWS_E3005', `${service}: ${name} for ${resource}: ${message}`, {
    retryable: (status ?? 0) >= 500 || name === 'Throttling' || name === 'ThrottlingException',
    cause: thrown,
  });
}
