/**
 * The REST-XML side of the emulator: reading request bodies into typed inputs and writing the
 * model's shapes as response documents, element order and list wrapping as in the botocore model
 * (`<ResourceRecordSets><ResourceRecordSet>…`, `<NameServers><NameServer>…`).
 */
import type * as FastXmlParser from 'fast-xml-parser';
import { requireCommonJs } from '../../util/commonjs.js';
import { Route53Error } from './errors.js';
import type {
  Change,
  ChangeAction,
  ChangeInfo,
  DelegationSet,
  HealthCheck,
  HealthCheckConfig,
  HealthCheckObservation,
  HealthCheckType,
  HostedZone,
  ResourceRecordSet,
  TrafficPolicy,
  TrafficPolicyInstance,
  TrafficPolicySummary,
  VPC,
} from './types.js';

// The one-file CommonJS build loads in about 10 ms against 50 ms for the ESM build, at every
// sandbox start (util/commonjs.ts).
const { XMLBuilder, XMLParser, XMLValidator } = requireCommonJs('fast-xml-parser') as typeof FastXmlParser;

export const XML_NAMESPACE = 'https://route53.amazonaws.com/doc/2013-04-01/';

/** A value the builder can write: scalars, nested elements, or repeated elements (arrays). */
export type XmlValue = string | number | boolean | Date | undefined | XmlElement | XmlElement[] | string[];
export interface XmlElement {
  [name: string]: XmlValue;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
});

/** Request elements that are list members (repeated), by tag name. */
const LIST_MEMBERS = new Set(['Change', 'ResourceRecord', 'ChildHealthCheck', 'Dimension']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  // Values as sent: the SDK writes newlines in a policy document as &#x0A;, and nothing is trimmed.
  htmlEntities: true,
  trimValues: false,
  ignoreDeclaration: true,
  isArray: (name: string, jPath: unknown) =>
    LIST_MEMBERS.has(name) || (typeof jPath === 'string' && jPath.endsWith('.Regions.Region')),
});

/** Drops undefined members and writes dates as ISO 8601 and booleans as true/false. */
function toBuilderValue(value: XmlValue): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return (value as Array<string | XmlElement>).map((v) => toBuilderValue(v));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) out[key] = toBuilderValue(member);
    }
    return out;
  }
  return value;
}

export function buildDocument(root: string, content: XmlElement): string {
  const body = builder.build({
    [root]: { '@_xmlns': XML_NAMESPACE, ...(toBuilderValue(content) as object) },
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

export function buildError(error: Route53Error, requestId: string): string {
  return buildDocument('ErrorResponse', {
    Error: { Type: error.type, Code: error.code, Message: error.message },
    RequestId: requestId,
  });
}

// ------------------------------------------------------------------ reading requests

type Parsed = Record<string, unknown>;

/** Parses the body and returns the children of the expected root element. */
export function parseRequest(body: string, root: string): Parsed {
  if (body.trim() === '')
    throw new Route53Error('InvalidInput', `Invalid XML ; the request body must be a ${root} document.`);
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new Route53Error(
      'InvalidInput',
      `Invalid XML ; ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`,
    );
  }
  const document = parser.parse(body) as Parsed;
  const content = document[root];
  if (content === undefined) {
    const found = Object.keys(document).join(', ') || 'nothing';
    throw new Route53Error('InvalidInput', `Invalid XML ; expected root element ${root}, found ${found}.`);
  }
  return isParsed(content) ? content : {};
}

function isParsed(value: unknown): value is Parsed {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(parent: Parsed, name: string): Parsed | undefined {
  const value = parent[name];
  if (value === undefined) return undefined;
  return isParsed(value) ? value : {};
}

function text(parent: Parsed, name: string): string | undefined {
  const value = parent[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

export function requiredText(parent: Parsed, name: string): string {
  const value = text(parent, name);
  if (value === undefined) {
    throw new Route53Error(
      'InvalidInput',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function integer(parent: Parsed, name: string): number | undefined {
  const value = text(parent, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) {
    throw new Route53Error(
      'InvalidInput',
      `Invalid XML ; cvc-datatype-valid.1.2.1: '${value}' is not a valid value for 'integer'.`,
    );
  }
  return Number(value);
}

export function requiredInteger(parent: Parsed, name: string): number {
  requiredText(parent, name);
  return integer(parent, name) as number;
}

function bool(parent: Parsed, name: string): boolean | undefined {
  const value = text(parent, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    throw new Route53Error(
      'InvalidInput',
      `Invalid XML ; cvc-datatype-valid.1.2.1: '${value}' is not a valid value for 'boolean'.`,
    );
  }
  return value === 'true';
}

function list(parent: Parsed | undefined, wrapper: string, member: string): Parsed[] | undefined {
  if (!parent || parent[wrapper] === undefined) return undefined;
  const container = child(parent, wrapper) ?? {};
  const members = container[member];
  if (members === undefined) return [];
  return (Array.isArray(members) ? members : [members]).map((m) => (isParsed(m) ? m : { '#text': m }));
}

function textList(parent: Parsed, wrapper: string, member: string): string[] | undefined {
  const container = child(parent, wrapper);
  if (!container) return undefined;
  const members = container[member];
  if (members === undefined) return [];
  return (Array.isArray(members) ? members : [members]).map((m) => (typeof m === 'string' ? m : String(m)));
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function readCreateHostedZone(body: Parsed) {
  const config = child(body, 'HostedZoneConfig');
  const vpc = child(body, 'VPC');
  return defined({
    Name: requiredText(body, 'Name'),
    CallerReference: requiredText(body, 'CallerReference'),
    HostedZoneConfig: config
      ? defined({ Comment: text(config, 'Comment'), PrivateZone: bool(config, 'PrivateZone') })
      : undefined,
    VPC: vpc ? defined<VPC>({ VPCRegion: text(vpc, 'VPCRegion'), VPCId: text(vpc, 'VPCId') }) : undefined,
  });
}

export function readChangeBatch(body: Parsed): { Comment?: string; Changes: Change[] } {
  const batch = child(body, 'ChangeBatch');
  if (!batch) {
    throw new Route53Error(
      'InvalidInput',
      "1 validation error detected: Value null at 'changeBatch' failed to satisfy constraint: Member must not be null",
    );
  }
  const changes = (list(batch, 'Changes', 'Change') ?? []).map((change) => ({
    Action: requiredText(change, 'Action') as ChangeAction,
    ResourceRecordSet: readRecordSet(child(change, 'ResourceRecordSet') ?? {}),
  }));
  return defined({ Comment: text(batch, 'Comment'), Changes: changes });
}

function readRecordSet(rrs: Parsed): ResourceRecordSet {
  const geo = child(rrs, 'GeoLocation');
  const alias = child(rrs, 'AliasTarget');
  return defined<ResourceRecordSet>({
    Name: requiredText(rrs, 'Name'),
    Type: requiredText(rrs, 'Type'),
    SetIdentifier: text(rrs, 'SetIdentifier'),
    Weight: integer(rrs, 'Weight'),
    Region: text(rrs, 'Region'),
    GeoLocation: geo
      ? defined({
          ContinentCode: text(geo, 'ContinentCode'),
          CountryCode: text(geo, 'CountryCode'),
          SubdivisionCode: text(geo, 'SubdivisionCode'),
        })
      : undefined,
    Failover: text(rrs, 'Failover'),
    MultiValueAnswer: bool(rrs, 'MultiValueAnswer'),
    TTL: integer(rrs, 'TTL'),
    ResourceRecords: list(rrs, 'ResourceRecords', 'ResourceRecord')?.map((r) => ({
      Value: requiredText(r, 'Value'),
    })),
    AliasTarget: alias
      ? {
          HostedZoneId: requiredText(alias, 'HostedZoneId'),
          DNSName: requiredText(alias, 'DNSName'),
          EvaluateTargetHealth: bool(alias, 'EvaluateTargetHealth') ?? false,
        }
      : undefined,
    HealthCheckId: text(rrs, 'HealthCheckId'),
    TrafficPolicyInstanceId: text(rrs, 'TrafficPolicyInstanceId'),
  });
}

export function readCreateHealthCheck(body: Parsed): {
  CallerReference: string;
  HealthCheckConfig: HealthCheckConfig;
} {
  const config = child(body, 'HealthCheckConfig');
  if (!config) {
    throw new Route53Error(
      'InvalidInput',
      "1 validation error detected: Value null at 'healthCheckConfig' failed to satisfy constraint: Member must not be null",
    );
  }
  return {
    CallerReference: requiredText(body, 'CallerReference'),
    HealthCheckConfig: defined<HealthCheckConfig>({
      IPAddress: text(config, 'IPAddress'),
      Port: integer(config, 'Port'),
      Type: requiredText(config, 'Type') as HealthCheckType,
      ResourcePath: text(config, 'ResourcePath'),
      FullyQualifiedDomainName: text(config, 'FullyQualifiedDomainName'),
      SearchString: text(config, 'SearchString'),
      RequestInterval: integer(config, 'RequestInterval'),
      FailureThreshold: integer(config, 'FailureThreshold'),
      MeasureLatency: bool(config, 'MeasureLatency'),
      Inverted: bool(config, 'Inverted'),
      Disabled: bool(config, 'Disabled'),
      HealthThreshold: integer(config, 'HealthThreshold'),
      ChildHealthChecks: textList(config, 'ChildHealthChecks', 'ChildHealthCheck'),
      EnableSNI: bool(config, 'EnableSNI'),
      Regions: textList(config, 'Regions', 'Region'),
    }),
  };
}

export function readText(body: Parsed, name: string): string | undefined {
  return text(body, name);
}

// ------------------------------------------------------------------ writing shapes

export function changeInfoXml(info: ChangeInfo): XmlElement {
  return { Id: info.Id, Status: info.Status, SubmittedAt: info.SubmittedAt, Comment: info.Comment };
}

export function hostedZoneXml(zone: HostedZone): XmlElement {
  return {
    Id: zone.Id,
    Name: zone.Name,
    CallerReference: zone.CallerReference,
    Config: { Comment: zone.Config.Comment, PrivateZone: zone.Config.PrivateZone },
    ResourceRecordSetCount: zone.ResourceRecordSetCount,
  };
}

export function delegationSetXml(set: DelegationSet): XmlElement {
  return { NameServers: { NameServer: set.NameServers } };
}

export function vpcXml(vpc: VPC): XmlElement {
  return { VPCRegion: vpc.VPCRegion, VPCId: vpc.VPCId };
}

export function resourceRecordSetXml(r: ResourceRecordSet): XmlElement {
  return {
    Name: r.Name,
    Type: r.Type,
    SetIdentifier: r.SetIdentifier,
    Weight: r.Weight,
    Region: r.Region,
    GeoLocation: r.GeoLocation
      ? {
          ContinentCode: r.GeoLocation.ContinentCode,
          CountryCode: r.GeoLocation.CountryCode,
          SubdivisionCode: r.GeoLocation.SubdivisionCode,
        }
      : undefined,
    Failover: r.Failover,
    MultiValueAnswer: r.MultiValueAnswer,
    TTL: r.TTL,
    ResourceRecords: r.ResourceRecords
      ? { ResourceRecord: r.ResourceRecords.map((v) => ({ Value: v.Value })) }
      : undefined,
    AliasTarget: r.AliasTarget
      ? {
          HostedZoneId: r.AliasTarget.HostedZoneId,
          DNSName: r.AliasTarget.DNSName,
          EvaluateTargetHealth: r.AliasTarget.EvaluateTargetHealth,
        }
      : undefined,
    HealthCheckId: r.HealthCheckId,
    TrafficPolicyInstanceId: r.TrafficPolicyInstanceId,
  };
}

export function healthCheckXml(check: HealthCheck): XmlElement {
  const c = check.HealthCheckConfig;
  return {
    Id: check.Id,
    CallerReference: check.CallerReference,
    HealthCheckConfig: {
      IPAddress: c.IPAddress,
      Port: c.Port,
      Type: c.Type,
      ResourcePath: c.ResourcePath,
      FullyQualifiedDomainName: c.FullyQualifiedDomainName,
      SearchString: c.SearchString,
      RequestInterval: c.RequestInterval,
      FailureThreshold: c.FailureThreshold,
      MeasureLatency: c.MeasureLatency,
      Inverted: c.Inverted,
      Disabled: c.Disabled,
      HealthThreshold: c.HealthThreshold,
      ChildHealthChecks: c.ChildHealthChecks ? { ChildHealthCheck: c.ChildHealthChecks } : undefined,
      EnableSNI: c.EnableSNI,
      Regions: c.Regions ? { Region: c.Regions } : undefined,
    },
    HealthCheckVersion: check.HealthCheckVersion,
  };
}

export function observationXml(o: HealthCheckObservation): XmlElement {
  return {
    Region: o.Region,
    IPAddress: o.IPAddress,
    StatusReport: { Status: o.StatusReport.Status, CheckedTime: o.StatusReport.CheckedTime },
  };
}

export function trafficPolicyXml(p: TrafficPolicy): XmlElement {
  return {
    Id: p.Id,
    Version: p.Version,
    Name: p.Name,
    Type: p.Type,
    Document: p.Document,
    Comment: p.Comment,
  };
}

export function trafficPolicySummaryXml(s: TrafficPolicySummary): XmlElement {
  return {
    Id: s.Id,
    Name: s.Name,
    Type: s.Type,
    LatestVersion: s.LatestVersion,
    TrafficPolicyCount: s.TrafficPolicyCount,
  };
}

export function trafficPolicyInstanceXml(i: TrafficPolicyInstance): XmlElement {
  return {
    Id: i.Id,
    HostedZoneId: i.HostedZoneId,
    Name: i.Name,
    TTL: i.TTL,
    State: i.State,
    Message: i.Message,
    TrafficPolicyId: i.TrafficPolicyId,
    TrafficPolicyVersion: i.TrafficPolicyVersion,
    TrafficPolicyType: i.TrafficPolicyType,
  };
}
