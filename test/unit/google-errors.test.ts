/**
 * gRPC status codes from the Google clients become a sentence, the fix to try and the right
 * retry decision; the status name stays in the message, gRPC's "N NAME: " prefix does not repeat.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { googleError } from '../../src/providers/google/errors.js';

/** What @grpc/grpc-js rejects with: an Error whose message repeats code and name before the details. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: {} });
}

const RESOURCE = 'GKE cluster admin-gke';

describe('Google API errors', () => {
  it.each([
    [
      GrpcStatus.UNAVAILABLE,
      'unreachable while reading GKE cluster admin-gke',
      'FO_GCP_E3305',
      true,
      /VPN, proxy/,
    ],
    [GrpcStatus.DEADLINE_EXCEEDED, 'no answer in time reading', 'FO_GCP_E3305', true, /network path/],
    [
      GrpcStatus.NOT_FOUND,
      'GKE cluster admin-gke not found',
      'FO_GCP_E3303',
      false,
      /project, location and cluster/,
    ],
    [GrpcStatus.PERMISSION_DENIED, 'not allowed to read', 'FO_GCP_E3304', false, /failover iam-policy/],
    [
      GrpcStatus.UNAUTHENTICATED,
      'credentials were refused',
      'FO_GCP_E3304',
      false,
      /application-default login/,
    ],
    [GrpcStatus.RESOURCE_EXHAUSTED, 'quota or rate limit', 'FO_GCP_E3306', true, /quotas/],
    [
      GrpcStatus.INTERNAL,
      "internal error on Google's side",
      'FO_GCP_E3306',
      true,
      /status\.cloud\.google\.com/,
    ],
    [GrpcStatus.INVALID_ARGUMENT, 'refused as invalid', 'FO_GCP_E3306', false, /region or zone/],
    [GrpcStatus.UNIMPLEMENTED, 'does not offer this call', 'FO_GCP_E3306', false, /endpoint override/],
    [
      GrpcStatus.FAILED_PRECONDITION,
      'not in a state that allows reading it',
      'FO_GCP_E3306',
      false,
      /created or deleted/,
    ],
  ] as const)('gRPC %s: "%s", %s, retryable %s', (code, says, failoverCode, retryable, hint) => {
    const error = googleError(grpcError(code, 'upstream said no'), 'GKE', RESOURCE);
    expect(error.code).toBe(failoverCode);
    expect(error.message).toContain(says);
    expect(error.message).toContain(`(gRPC ${GrpcStatus[code]}): upstream said no`);
    expect(error.message).not.toMatch(/\d+ [A-Z_]+: /);
    expect(error.hint).toMatch(hint);
    expect(error.retryable).toBe(retryable);
  });

  it('a code outside the table keeps the raw text and stays retryable', () => {
    const error = googleError(Object.assign(new Error('odd'), { code: 99 }), 'GKE', RESOURCE);
    expect(error).toMatchObject({ code: 'FO_GCP_E3306', retryable: true });
    expect(error.message).toBe('GKE: error reading GKE cluster admin-gke: odd');
  });

  it('missing application-default credentials say how to log in', () => {
    const error = googleError(
      new Error('Could not load the default credentials. Browse to …'),
      'GKE',
      RESOURCE,
    );
    expect(error).toMatchObject({ code: 'FO_GCP_E3302', category: 'invalid-input' });
    expect(error.hint).toContain('gcloud auth application-default login');
  });
});
