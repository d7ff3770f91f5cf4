/**
 * The REST operations of the Route 53 emulator: which method and `/2013-04-01/...` path name which
 * operation, how its query and XML body become a model call, and what XML content it answers.
 * It stands apart from server.ts, the HTTP front (knobs, token bucket, envelope, log), because the
 * table grows with every modelled operation while the front stays the same for all of them.
 */
import { Route53Error } from './errors.js';
import type { Route53Model } from './model.js';
import { testDnsAnswer } from './test-dns-answer.js';
import {
  changeInfoXml,
  delegationSetXml,
  healthCheckXml,
  hostedZoneXml,
  observationXml,
  parseRequest,
  readChangeBatch,
  readCreateHealthCheck,
  readCreateHostedZone,
  readText,
  requiredInteger,
  requiredText,
  resourceRecordSetXml,
  trafficPolicyInstanceXml,
  trafficPolicySummaryXml,
  trafficPolicyXml,
  vpcXml,
  type XmlElement,
} from './xml.js';

const API_PREFIX = '/2013-04-01';

export interface OperationRequest {
  params: string[];
  query: URLSearchParams;
  body: string;
  /** `http://host:port`, for Location headers. */
  origin: string;
}

export interface OperationResult {
  status?: number;
  root: string;
  content: XmlElement;
  location?: string;
}

export interface Route {
  method: string;
  path: RegExp;
  operation: string;
  run(model: Route53Model, request: OperationRequest): OperationResult;
}

/** The route for a request, with its path parameters decoded; undefined outside the API. */
export function matchRoute(method: string, pathname: string): { route: Route; params: string[] } | undefined {
  if (!pathname.startsWith(`${API_PREFIX}/`)) return undefined;
  const path = pathname.slice(API_PREFIX.length);
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const match = route.path.exec(path);
    if (match) return { route, params: match.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return undefined;
}

function param(request: OperationRequest, index: number): string {
  return request.params[index] ?? '';
}

/** MaxItems as Route 53 reads it: a decimal string; larger values are capped at the maximum. */
function maxItems(query: URLSearchParams, defaultValue: number, maximum = defaultValue): number {
  const value = query.get('maxitems');
  if (value === null) return defaultValue;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new Route53Error('InvalidInput', `MaxItems must be a positive integer (got '${value}').`);
  }
  return Math.min(Number(value), maximum);
}

function optional(query: URLSearchParams, name: string): string | undefined {
  return query.get(name) ?? undefined;
}

function version(value: string, name = 'Version'): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) {
    throw new Route53Error('InvalidInput', `${name} must be an integer from 1 to 1000 (got '${value}').`);
  }
  return Number(value);
}

const ROUTES: Route[] = [
  {
    method: 'GET',
    path: /^\/testdnsanswer\/?$/,
    operation: 'TestDNSAnswer',
    run: (model, request) => testDnsAnswer(model, request.query),
  },
  {
    method: 'POST',
    path: /^\/hostedzone\/?$/,
    operation: 'CreateHostedZone',
    run(model, request) {
      const input = readCreateHostedZone(parseRequest(request.body, 'CreateHostedZoneRequest'));
      const created = model.createHostedZone(input);
      return {
        status: 201,
        root: 'CreateHostedZoneResponse',
        location: `${request.origin}${API_PREFIX}${created.HostedZone.Id}`,
        content: {
          HostedZone: hostedZoneXml(created.HostedZone),
          ChangeInfo: changeInfoXml(created.ChangeInfo),
          DelegationSet: delegationSetXml(created.DelegationSet),
          VPC: created.VPC ? vpcXml(created.VPC) : undefined,
        },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/hostedzone\/?$/,
    operation: 'ListHostedZones',
    run(model, request) {
      const marker = optional(request.query, 'marker');
      const max = maxItems(request.query, 100);
      const page = model.listHostedZones({ ...(marker !== undefined ? { marker } : {}), maxItems: max });
      return {
        root: 'ListHostedZonesResponse',
        content: {
          HostedZones: { HostedZone: page.items.map(hostedZoneXml) },
          Marker: marker ?? '',
          IsTruncated: page.isTruncated,
          NextMarker: page.next,
          MaxItems: String(max),
        },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/hostedzonesbyname\/?$/,
    operation: 'ListHostedZonesByName',
    run(model, request) {
      const dnsName = optional(request.query, 'dnsname');
      const hostedZoneId = optional(request.query, 'hostedzoneid');
      const max = maxItems(request.query, 100);
      const page = model.listHostedZonesByName({
        ...(dnsName !== undefined ? { dnsName } : {}),
        ...(hostedZoneId !== undefined ? { hostedZoneId } : {}),
        maxItems: max,
      });
      return {
        root: 'ListHostedZonesByNameResponse',
        content: {
          HostedZones: { HostedZone: page.items.map(hostedZoneXml) },
          DNSName: dnsName,
          HostedZoneId: hostedZoneId,
          IsTruncated: page.isTruncated,
          NextDNSName: page.next?.dnsName,
          NextHostedZoneId: page.next?.hostedZoneId,
          MaxItems: String(max),
        },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/hostedzone\/([^/]+)\/?$/,
    operation: 'GetHostedZone',
    run(model, request) {
      const zone = model.getHostedZone(param(request, 0));
      return {
        root: 'GetHostedZoneResponse',
        content: {
          HostedZone: hostedZoneXml(zone.HostedZone),
          DelegationSet: delegationSetXml(zone.DelegationSet),
          VPCs: zone.VPCs ? { VPC: zone.VPCs.map(vpcXml) } : undefined,
        },
      };
    },
  },
  {
    method: 'POST',
    path: /^\/hostedzone\/([^/]+)\/rrset\/?$/,
    operation: 'ChangeResourceRecordSets',
    run(model, request) {
      const batch = readChangeBatch(parseRequest(request.body, 'ChangeResourceRecordSetsRequest'));
      const info = model.changeResourceRecordSets(param(request, 0), batch);
      return { root: 'ChangeResourceRecordSetsResponse', content: { ChangeInfo: changeInfoXml(info) } };
    },
  },
  {
    method: 'GET',
    path: /^\/hostedzone\/([^/]+)\/rrset\/?$/,
    operation: 'ListResourceRecordSets',
    run(model, request) {
      const name = optional(request.query, 'name');
      const type = optional(request.query, 'type');
      const identifier = optional(request.query, 'identifier');
      const max = maxItems(request.query, 300);
      const page = model.listResourceRecordSets(param(request, 0), {
        ...(name !== undefined ? { name } : {}),
        ...(type !== undefined ? { type } : {}),
        ...(identifier !== undefined ? { identifier } : {}),
        maxItems: max,
      });
      return {
        root: 'ListResourceRecordSetsResponse',
        content: {
          ResourceRecordSets: { ResourceRecordSet: page.items.map(resourceRecordSetXml) },
          IsTruncated: page.isTruncated,
          NextRecordName: page.next?.name,
          NextRecordType: page.next?.type,
          NextRecordIdentifier: page.next?.identifier,
          MaxItems: String(max),
        },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/change\/([^/]+)\/?$/,
    operation: 'GetChange',
    run(model, request) {
      return {
        root: 'GetChangeResponse',
        content: { ChangeInfo: changeInfoXml(model.getChange(param(request, 0))) },
      };
    },
  },
  {
    method: 'POST',
    path: /^\/healthcheck\/?$/,
    operation: 'CreateHealthCheck',
    run(model, request) {
      const input = readCreateHealthCheck(parseRequest(request.body, 'CreateHealthCheckRequest'));
      const { HealthCheck } = model.createHealthCheck(input);
      return {
        status: 201,
        root: 'CreateHealthCheckResponse',
        location: `${request.origin}${API_PREFIX}/healthcheck/${HealthCheck.Id}`,
        content: { HealthCheck: healthCheckXml(HealthCheck) },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/healthcheck\/?$/,
    operation: 'ListHealthChecks',
    run(model, request) {
      const marker = optional(request.query, 'marker');
      const max = maxItems(request.query, 100, 1000);
      const page = model.listHealthChecks({ ...(marker !== undefined ? { marker } : {}), maxItems: max });
      return {
        root: 'ListHealthChecksResponse',
        content: {
          HealthChecks: { HealthCheck: page.items.map(healthCheckXml) },
          Marker: marker ?? '',
          IsTruncated: page.isTruncated,
          NextMarker: page.next,
          MaxItems: String(max),
        },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/healthcheck\/([^/]+)\/status\/?$/,
    operation: 'GetHealthCheckStatus',
    run(model, request) {
      const observations = model.getHealthCheckStatus(param(request, 0));
      return {
        root: 'GetHealthCheckStatusResponse',
        content: { HealthCheckObservations: { HealthCheckObservation: observations.map(observationXml) } },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/healthcheck\/([^/]+)\/?$/,
    operation: 'GetHealthCheck',
    run(model, request) {
      return {
        root: 'GetHealthCheckResponse',
        content: { HealthCheck: healthCheckXml(model.getHealthCheck(param(request, 0))) },
      };
    },
  },
  {
    method: 'POST',
    path: /^\/trafficpolicy\/?$/,
    operation: 'CreateTrafficPolicy',
    run(model, request) {
      const body = parseRequest(request.body, 'CreateTrafficPolicyRequest');
      const comment = readText(body, 'Comment');
      const policy = model.createTrafficPolicy({
        Name: requiredText(body, 'Name'),
        Document: requiredText(body, 'Document'),
        ...(comment !== undefined ? { Comment: comment } : {}),
      });
      return {
        status: 201,
        root: 'CreateTrafficPolicyResponse',
        location: `${request.origin}${API_PREFIX}/trafficpolicy/${policy.Id}/${policy.Version}`,
        content: { TrafficPolicy: trafficPolicyXml(policy) },
      };
    },
  },
  {
    method: 'POST',
    path: /^\/trafficpolicy\/([^/]+)\/?$/,
    operation: 'CreateTrafficPolicyVersion',
    run(model, request) {
      const body = parseRequest(request.body, 'CreateTrafficPolicyVersionRequest');
      const comment = readText(body, 'Comment');
      const policy = model.createTrafficPolicyVersion(param(request, 0), {
        Document: requiredText(body, 'Document'),
        ...(comment !== undefined ? { Comment: comment } : {}),
      });
      return {
        status: 201,
        root: 'CreateTrafficPolicyVersionResponse',
        location: `${request.origin}${API_PREFIX}/trafficpolicy/${policy.Id}/${policy.Version}`,
        content: { TrafficPolicy: trafficPolicyXml(policy) },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/trafficpolicy\/([^/]+)\/([^/]+)\/?$/,
    operation: 'GetTrafficPolicy',
    run(model, request) {
      const policy = model.getTrafficPolicy(param(request, 0), version(param(request, 1)));
      return { root: 'GetTrafficPolicyResponse', content: { TrafficPolicy: trafficPolicyXml(policy) } };
    },
  },
  {
    method: 'GET',
    path: /^\/trafficpolicies\/?$/,
    operation: 'ListTrafficPolicies',
    run(model, request) {
      const marker = optional(request.query, 'trafficpolicyid');
      const max = maxItems(request.query, 100);
      const page = model.listTrafficPolicies({ ...(marker !== undefined ? { marker } : {}), maxItems: max });
      return {
        root: 'ListTrafficPoliciesResponse',
        content: {
          TrafficPolicySummaries: { TrafficPolicySummary: page.items.map(trafficPolicySummaryXml) },
          IsTruncated: page.isTruncated,
          // Required even on the last page; there it names the last policy listed.
          TrafficPolicyIdMarker: page.next ?? page.items.at(-1)?.Id ?? marker ?? '',
          MaxItems: String(max),
        },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/trafficpolicies\/([^/]+)\/versions\/?$/,
    operation: 'ListTrafficPolicyVersions',
    run(model, request) {
      const markerText = optional(request.query, 'trafficpolicyversion');
      const marker = markerText === undefined ? undefined : version(markerText, 'TrafficPolicyVersionMarker');
      const max = maxItems(request.query, 100);
      const page = model.listTrafficPolicyVersions(param(request, 0), {
        ...(marker !== undefined ? { marker } : {}),
        maxItems: max,
      });
      return {
        root: 'ListTrafficPolicyVersionsResponse',
        content: {
          TrafficPolicies: { TrafficPolicy: page.items.map(trafficPolicyXml) },
          IsTruncated: page.isTruncated,
          TrafficPolicyVersionMarker: page.next ?? String(page.items.at(-1)?.Version ?? markerText ?? ''),
          MaxItems: String(max),
        },
      };
    },
  },
  {
    method: 'POST',
    path: /^\/trafficpolicyinstance\/?$/,
    operation: 'CreateTrafficPolicyInstance',
    run(model, request) {
      const body = parseRequest(request.body, 'CreateTrafficPolicyInstanceRequest');
      const instance = model.createTrafficPolicyInstance({
        HostedZoneId: requiredText(body, 'HostedZoneId'),
        Name: requiredText(body, 'Name'),
        TTL: requiredInteger(body, 'TTL'),
        TrafficPolicyId: requiredText(body, 'TrafficPolicyId'),
        TrafficPolicyVersion: requiredInteger(body, 'TrafficPolicyVersion'),
      });
      return {
        status: 201,
        root: 'CreateTrafficPolicyInstanceResponse',
        location: `${request.origin}${API_PREFIX}/trafficpolicyinstance/${instance.Id}`,
        content: { TrafficPolicyInstance: trafficPolicyInstanceXml(instance) },
      };
    },
  },
  {
    method: 'GET',
    path: /^\/trafficpolicyinstance\/([^/]+)\/?$/,
    operation: 'GetTrafficPolicyInstance',
    run(model, request) {
      const instance = model.getTrafficPolicyInstance(param(request, 0));
      return {
        root: 'GetTrafficPolicyInstanceResponse',
        content: { TrafficPolicyInstance: trafficPolicyInstanceXml(instance) },
      };
    },
  },
  {
    method: 'POST',
    path: /^\/trafficpolicyinstance\/([^/]+)\/?$/,
    operation: 'UpdateTrafficPolicyInstance',
    run(model, request) {
      const body = parseRequest(request.body, 'UpdateTrafficPolicyInstanceRequest');
      const instance = model.updateTrafficPolicyInstance(param(request, 0), {
        TTL: requiredInteger(body, 'TTL'),
        TrafficPolicyId: requiredText(body, 'TrafficPolicyId'),
        TrafficPolicyVersion: requiredInteger(body, 'TrafficPolicyVersion'),
      });
      return {
        root: 'UpdateTrafficPolicyInstanceResponse',
        content: { TrafficPolicyInstance: trafficPolicyInstanceXml(instance) },
      };
    },
  },
  {
    method: 'DELETE',
    path: /^\/trafficpolicyinstance\/([^/]+)\/?$/,
    operation: 'DeleteTrafficPolicyInstance',
    run(model, request) {
      model.deleteTrafficPolicyInstance(param(request, 0));
      return { root: 'DeleteTrafficPolicyInstanceResponse', content: {} };
    },
  },
  {
    method: 'GET',
    path: /^\/trafficpolicyinstances\/?$/,
    operation: 'ListTrafficPolicyInstances',
    run(model, request) {
      const options = instanceListOptions(request.query);
      const page = model.listTrafficPolicyInstances(options);
      return {
        root: 'ListTrafficPolicyInstancesResponse',
        content: instanceListXml(page, options.maxItems, true),
      };
    },
  },
  {
    method: 'GET',
    path: /^\/trafficpolicyinstances\/hostedzone\/?$/,
    operation: 'ListTrafficPolicyInstancesByHostedZone',
    run(model, request) {
      const { hostedZoneId: _ignored, ...options } = instanceListOptions(request.query);
      const zoneId = request.query.get('id');
      if (zoneId === null) throw missingQuery('id');
      const page = model.listTrafficPolicyInstancesByHostedZone(zoneId, options);
      return {
        root: 'ListTrafficPolicyInstancesByHostedZoneResponse',
        content: instanceListXml(page, options.maxItems, false),
      };
    },
  },
  {
    method: 'GET',
    path: /^\/trafficpolicyinstances\/trafficpolicy\/?$/,
    operation: 'ListTrafficPolicyInstancesByPolicy',
    run(model, request) {
      const policyId = request.query.get('id');
      const policyVersion = request.query.get('version');
      if (policyId === null) throw missingQuery('id');
      if (policyVersion === null) throw missingQuery('version');
      const options = instanceListOptions(request.query);
      const page = model.listTrafficPolicyInstancesByPolicy(policyId, version(policyVersion), options);
      return {
        root: 'ListTrafficPolicyInstancesByPolicyResponse',
        content: instanceListXml(page, options.maxItems, true),
      };
    },
  },
];

function missingQuery(name: string): Route53Error {
  return new Route53Error(
    'InvalidInput',
    `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
  );
}

function instanceListOptions(query: URLSearchParams) {
  const hostedZoneId = optional(query, 'hostedzoneid');
  const name = optional(query, 'trafficpolicyinstancename');
  const type = optional(query, 'trafficpolicyinstancetype');
  return {
    ...(hostedZoneId !== undefined ? { hostedZoneId } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(type !== undefined ? { type } : {}),
    maxItems: maxItems(query, 100),
  };
}

function instanceListXml(
  page: ReturnType<Route53Model['listTrafficPolicyInstances']>,
  max: number,
  withZoneMarker: boolean,
): XmlElement {
  return {
    TrafficPolicyInstances: { TrafficPolicyInstance: page.items.map(trafficPolicyInstanceXml) },
    HostedZoneIdMarker: withZoneMarker ? page.next?.hostedZoneId : undefined,
    TrafficPolicyInstanceNameMarker: page.next?.name,
    TrafficPolicyInstanceTypeMarker: page.next?.type,
    IsTruncated: page.isTruncated,
    MaxItems: String(max),
  };
}
