/** Google API (gRPC) errors turned into errors that name the resource and the fix. */
import { FailoverError, invalidInput, stepFailed } from '../../engine/errors.js';

interface GrpcLikeError {
  code?: number;
  details?: string;
  message?: string;
  name?: string;
}

// gRPC status codes.
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

export function googleError(thrown: unknown, service: string, resource: string): FailoverError {
  if (FailoverError.is(thrown)) return thrown;
  const error = (thrown ?? {}) as GrpcLikeError;
  const message = error.details || error.message || String(thrown);
  if (error.name === 'AbortError')
    return new FailoverError('FO_GCP_E3301', 'aborted', `${service}: call for ${resource} was interrupted`, {
      cause: thrown,
    });
  if (/Could not load the default credentials|Unable to detect a Project Id/i.test(message)) {
    return invalidInput('FO_GCP_E3302', `${service}: no Google credentials to read ${resource}`, {
      hint: 'run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS',
      cause: thrown,
    });
  }
  switch (error.code) {
    case NOT_FOUND:
      return invalidInput('FO_GCP_E3303', `${service}: ${resource} not found: ${message}`, {
        hint: 'check project, location and cluster in the config',
        cause: thrown,
      });
    case PERMISSION_DENIED:
    case UNAUTHENTICATED:
      return invalidInput('FO_GCP_E3304', `${service}: not allowed to read ${resource}: ${message}`, {
        hint: 'check the Google identity and that it has the permissions `failover iam-policy` lists',
        cause: thrown,
      });
    case UNAVAILABLE:
    case DEADLINE_EXCEEDED:
      return stepFailed('FO_GCP_E3305', `${service}: unreachable while reading ${resource}: ${message}`, {
        retryable: true,
        cause: thrown,
      });
    default:
      return stepFailed('FO_GCP_E3306', `${service}: error reading ${resource}: ${message}`, {
        retryable: true,
        cause: thrown,
      });
  }
}
