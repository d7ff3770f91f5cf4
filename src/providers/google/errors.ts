/**
 * Google API (gRPC) errors turned into errors that name the resource, say in a sentence what the
 * status code means, and the fix to try. The raw status name stays in the message for searching.
 */
import { FailoverError, invalidInput, stepFailed } from '../../engine/errors.js';

interface GrpcLikeError {
  code?: number;
  details?: string;
  message?: string;
  name?: string;
}

interface GrpcStatus {
  name: string;
  /** What happened to {resource}, after "<service>: ". */
  says: string;
  hint: string;
  /** Whether trying again later can help. */
  transient: boolean;
}

const RETRY_LATER = 'failover retries it; if it persists, check https://status.cloud.google.com';
const NETWORK =
  'check the network path to Google Cloud (VPN, proxy, firewall) or the endpoint override in the config';

/** The gRPC status codes (grpc/doc/statuscodes.md), in the words of someone reading a cluster. */
const STATUS: Record<number, GrpcStatus> = {
  1: {
    name: 'CANCELLED',
    says: 'the call was cancelled reading {resource}',
    hint: RETRY_LATER,
    transient: true,
  },
  2: {
    name: 'UNKNOWN',
    says: 'an unknown server error reading {resource}',
    hint: RETRY_LATER,
    transient: true,
  },
  3: {
    name: 'INVALID_ARGUMENT',
    says: 'the request was refused as invalid for {resource}',
    hint: 'check project, location (a region or zone, e.g. europe-west1) and cluster in the config',
    transient: false,
  },
  4: {
    name: 'DEADLINE_EXCEEDED',
    says: 'no answer in time reading {resource}',
    hint: NETWORK,
    transient: true,
  },
  5: {
    name: 'NOT_FOUND',
    says: '{resource} not found',
    hint: 'check project, location and cluster in the config',
    transient: false,
  },
  6: {
    name: 'ALREADY_EXISTS',
    says: 'a conflict (already exists) on {resource}',
    hint: RETRY_LATER,
    transient: false,
  },
  7: {
    name: 'PERMISSION_DENIED',
    says: 'not allowed to read {resource}',
    hint: 'check the Google identity and that it has the permissions `failover iam-policy` lists',
    transient: false,
  },
  8: {
    name: 'RESOURCE_EXHAUSTED',
    says: 'a quota or rate limit was reached reading {resource}',
    hint: 'failover retries it; check the API quotas of the project in the Google Cloud console',
    transient: true,
  },
  9: {
    name: 'FAILED_PRECONDITION',
    says: '{resource} is not in a state that allows reading it',
    hint: 'check that the cluster exists and is not being created or deleted (gcloud container clusters describe)',
    transient: false,
  },
  10: {
    name: 'ABORTED',
    says: 'the call was aborted by a concurrent change to {resource}',
    hint: RETRY_LATER,
    transient: true,
  },
  11: {
    name: 'OUT_OF_RANGE',
    says: 'a value out of range for {resource}',
    hint: 'check the config',
    transient: false,
  },
  12: {
    name: 'UNIMPLEMENTED',
    says: 'the endpoint does not offer this call for {resource}',
    hint: 'check the endpoint override in the config: it must serve the Google API version the client speaks',
    transient: false,
  },
  13: {
    name: 'INTERNAL',
    says: "an internal error on Google's side reading {resource}",
    hint: RETRY_LATER,
    transient: true,
  },
  14: { name: 'UNAVAILABLE', says: 'unreachable while reading {resource}', hint: NETWORK, transient: true },
  15: {
    name: 'DATA_LOSS',
    says: 'data loss reported reading {resource}',
    hint: RETRY_LATER,
    transient: false,
  },
  16: {
    name: 'UNAUTHENTICATED',
    says: 'the credentials were refused (missing or expired) reading {resource}',
    hint: 'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file',
    transient: false,
  },
};

/** The status text without gRPC's "14 UNAVAILABLE: " prefix (the name is said once, in our words). */
function detailOf(error: GrpcLikeError, thrown: unknown): string {
  const text = error.details || error.message || String(thrown);
  return text.replace(/^\d+ [A-Z_]+: /, '');
}

export function googleError(thrown: unknown, service: string, resource: string): FailoverError {
  if (FailoverError.is(thrown)) return thrown;
  const error = (thrown ?? {}) as GrpcLikeError;
  const detail = detailOf(error, thrown);
  if (error.name === 'AbortError')
    return new FailoverError('FO_GCP_E3301', 'aborted', `${service}: call for ${resource} was interrupted`, {
      cause: thrown,
    });
  if (/Could not load the default credentials|Unable to detect a Project Id/i.test(detail)) {
    return invalidInput('FO_GCP_E3302', `${service}: no Google credentials to read ${resource}`, {
      hint: 'run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS',
      cause: thrown,
    });
  }
  const status = error.code === undefined ? undefined : STATUS[error.code];
  if (!status) {
    return stepFailed('FO_GCP_E3306', `${service}: error reading ${resource}: ${detail}`, {
      retryable: true,
      cause: thrown,
    });
  }
  const message = `${service}: ${status.says.replace('{resource}', resource)} (gRPC ${status.name}): ${detail}`;
  switch (status.name) {
    case 'NOT_FOUND':
      return invalidInput('FO_GCP_E3303', message, { hint: status.hint, cause: thrown });
    case 'PERMISSION_DENIED':
    case 'UNAUTHENTICATED':
      return invalidInput('FO_GCP_E3304', message, { hint: status.hint, cause: thrown });
    case 'UNAVAILABLE':
    case 'DEADLINE_EXCEEDED':
      return stepFailed('FO_GCP_E3305', message, { hint: status.hint, retryable: true, cause: thrown });
    default:
      return stepFailed('FO_GCP_E3306', message, {
        hint: status.hint,
        retryable: status.transient,
        cause: thrown,
      });
  }
}
