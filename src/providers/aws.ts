/**
 * Shared set-up of the AWS SDK clients: region, profile, endpoint overrides, retries, and one
 * translation of SDK errors into errors that name the resource and the fix.
 */
import type { Config } from '../config/schema.js';
import { FailoverError, invalidInput, stepFailed } from '../engine/errors.js';

export interface AwsClientSettings {
  region: string;
  profile?: string;
  endpoint?: string;
  maxAttempts: number;
  retryMode: 'standard' | 'adaptive';
}

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
  };
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
