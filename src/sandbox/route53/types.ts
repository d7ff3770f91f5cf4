/**
 * The Route 53 shapes the emulator stores and answers with. Member names and nesting mirror the
 * botocore model (`route53/2013-04-01/service-2.json`) so the XML layer can write them as they are
 * and in-process callers see what an SDK caller sees.
 */

export interface ResourceRecord {
  Value: string;
}

export interface AliasTarget {
  HostedZoneId: string;
  DNSName: string;
  EvaluateTargetHealth: boolean;
}

export interface GeoLocation {
  ContinentCode?: string;
  CountryCode?: string;
  SubdivisionCode?: string;
}

export interface ResourceRecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  Region?: string;
  GeoLocation?: GeoLocation;
  Failover?: string;
  MultiValueAnswer?: boolean;
  TTL?: number;
  ResourceRecords?: ResourceRecord[];
  AliasTarget?: AliasTarget;
  HealthCheckId?: string;
  TrafficPolicyInstanceId?: string;
}

export type ChangeAction = 'CREATE' | 'DELETE' | 'UPSERT';

export interface Change {
  Action: ChangeAction;
  ResourceRecordSet: ResourceRecordSet;
}

export interface ChangeInfo {
  /** `/change/C…` */
  Id: string;
  Status: 'PENDING' | 'INSYNC';
  SubmittedAt: Date;
  Comment?: string;
}

export interface HostedZoneConfig {
  Comment?: string;
  PrivateZone: boolean;
}

export interface VPC {
  VPCRegion?: string;
  VPCId?: string;
}

export interface HostedZone {
  /** `/hostedzone/Z…` */
  Id: string;
  Name: string;
  CallerReference: string;
  Config: HostedZoneConfig;
  ResourceRecordSetCount: number;
}

export interface DelegationSet {
  NameServers: string[];
}

export type HealthCheckType =
  | 'HTTP'
  | 'HTTPS'
  | 'HTTP_STR_MATCH'
  | 'HTTPS_STR_MATCH'
  | 'TCP'
  | 'CALCULATED'
  | 'CLOUDWATCH_METRIC'
  | 'RECOVERY_CONTROL';

export interface HealthCheckConfig {
  IPAddress?: string;
  Port?: number;
  Type: HealthCheckType;
  ResourcePath?: string;
  FullyQualifiedDomainName?: string;
  SearchString?: string;
  RequestInterval?: number;
  FailureThreshold?: number;
  MeasureLatency?: boolean;
  Inverted?: boolean;
  Disabled?: boolean;
  HealthThreshold?: number;
  ChildHealthChecks?: string[];
  EnableSNI?: boolean;
  Regions?: string[];
}

export interface HealthCheck {
  /** A UUID, without prefix. */
  Id: string;
  CallerReference: string;
  HealthCheckConfig: HealthCheckConfig;
  HealthCheckVersion: number;
}

export interface HealthCheckObservation {
  Region: string;
  IPAddress: string;
  StatusReport: { Status: string; CheckedTime: Date };
}

export interface TrafficPolicy {
  Id: string;
  Version: number;
  Name: string;
  Type: string;
  Document: string;
  Comment?: string;
}

export interface TrafficPolicySummary {
  Id: string;
  Name: string;
  Type: string;
  LatestVersion: number;
  TrafficPolicyCount: number;
}

/**
 * The model documents Applied, Creating and Failed; the service also reports Updating while an
 * update propagates and Deleting while a delete does (the states terraform-provider-aws waits on).
 */
export type TrafficPolicyInstanceState = 'Applied' | 'Creating' | 'Updating' | 'Deleting' | 'Failed';

export interface TrafficPolicyInstance {
  Id: string;
  /** The bare zone id (`Z…`), as the service returns it here. */
  HostedZoneId: string;
  Name: string;
  TTL: number;
  /** The API's State is a free string; a test knob can report one the service may add later. */
  State: TrafficPolicyInstanceState | (string & {});
  /** Empty unless State is Failed. */
  Message: string;
  TrafficPolicyId: string;
  TrafficPolicyVersion: number;
  TrafficPolicyType: string;
}

/** One page of a list call and where the next page starts. */
export interface Page<T, M> {
  items: T[];
  isTruncated: boolean;
  next?: M;
}
