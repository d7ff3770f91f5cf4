/**
 * Route 53 errors as the service reports them: a code from the botocore model, the HTTP status
 * the model gives it, and whether the caller (Sender) or the service (Receiver) is at fault.
 */

/** HTTP status per error code, from `service-2.json` (`error.httpStatusCode`, default 400). */
const STATUS_BY_CODE = {
  ConcurrentModification: 400,
  ConflictingTypes: 400,
  HealthCheckAlreadyExists: 409,
  HostedZoneAlreadyExists: 409,
  InvalidChangeBatch: 400,
  InvalidDomainName: 400,
  InvalidInput: 400,
  InvalidTrafficPolicyDocument: 400,
  NoSuchChange: 404,
  NoSuchHealthCheck: 404,
  NoSuchHostedZone: 404,
  NoSuchTrafficPolicy: 404,
  NoSuchTrafficPolicyInstance: 404,
  PriorRequestNotComplete: 400,
  TooManyTrafficPolicyVersionsForCurrentPolicy: 400,
  TrafficPolicyAlreadyExists: 409,
  TrafficPolicyInstanceAlreadyExists: 409,
  // Common AWS errors, not in the model's shapes.
  Throttling: 400,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  NotImplemented: 501,
} as const satisfies Record<string, number>;

export type Route53ErrorCode = keyof typeof STATUS_BY_CODE;

export class Route53Error extends Error {
  readonly status: number;
  readonly type: 'Sender' | 'Receiver';

  constructor(
    readonly code: Route53ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
    this.status = STATUS_BY_CODE[code];
    this.type = this.status >= 500 ? 'Receiver' : 'Sender';
  }
}
