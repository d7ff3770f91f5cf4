/**
 * Amazon EKS over REST-JSON (restJson1, API version 2017-11-01): the read operations for clusters
 * and managed node groups, with errors as `x-amzn-errortype` + `{"message": …}` like the service.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorControl } from '../common/control.js';
import { readBody } from '../common/http-server.js';
import type { EksCluster, EksHealthIssue, EksModel, EksNodegroup } from './model.js';

type Params = Record<string, string>;

interface Answer {
  status: number;
  body: object;
  /** Error type for the `x-amzn-errortype` header; absent on success. */
  errorType?: string;
}

interface Route {
  method: string;
  /** Path template from the botocore model, e.g. `/clusters/{name}/node-groups`. */
  path: string;
  operation: string;
  mutating: boolean;
  /** Absent for operations the emulator knows by name but does not implement. */
  handle?: (model: EksModel, params: Params, query: URLSearchParams) => Answer;
}

class EksError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

const notFoundCluster = (name: string) =>
  new EksError(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`, {
    clusterName: name,
  });

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function issuesJson(issues: EksHealthIssue[]): object[] {
  return issues.map((issue) => ({
    code: issue.code,
    message: issue.message,
    resourceIds: issue.resourceIds ?? [],
  }));
}

/** Sandbox stand-in for the base64 PEM AWS returns. */
const CERTIFICATE_DATA = Buffer.from(
  '-----BEGIN CERTIFICATE-----\nZmFpbG92ZXIgc2FuZGJveA==\n-----END CERTIFICATE-----\n',
).toString('base64');

export function clusterJson(cluster: EksCluster, region: string): object {
  return {
    name: cluster.name,
    arn: cluster.arn,
    createdAt: epochSeconds(cluster.createdAt),
    version: cluster.version,
    endpoint: cluster.endpoint,
    roleArn: cluster.roleArn,
    resourcesVpcConfig: {
      subnetIds: cluster.subnetIds,
      securityGroupIds: [],
      clusterSecurityGroupId: `sg-${cluster.endpointId.slice(8, 25)}`,
      vpcId: cluster.vpcId,
      endpointPublicAccess: true,
      endpointPrivateAccess: true,
      publicAccessCidrs: ['0.0.0.0/0'],
    },
    kubernetesNetworkConfig: {
      serviceIpv4Cidr: '172.20.0.0/16',
      ipFamily: 'ipv4',
      elasticLoadBalancing: { enabled: false },
    },
    logging: {
      clusterLogging: [
        { types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false },
      ],
    },
    identity: {
      oidc: { issuer: `https://oidc.eks.${region}.amazonaws.com/id/${cluster.endpointId.toUpperCase()}` },
    },
    status: cluster.status,
    certificateAuthority: { data: CERTIFICATE_DATA },
    platformVersion: cluster.platformVersion,
    tags: cluster.tags,
    health: { issues: issuesJson(cluster.healthIssues) },
    accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
    upgradePolicy: { supportType: 'EXTENDED' },
  };
}

export function nodegroupJson(nodegroup: EksNodegroup): object {
  return {
    nodegroupName: nodegroup.nodegroupName,
    nodegroupArn: nodegroup.nodegroupArn,
    clusterName: nodegroup.clusterName,
    version: nodegroup.version,
    releaseVersion: nodegroup.releaseVersion,
    createdAt: epochSeconds(nodegroup.createdAt),
    modifiedAt: epochSeconds(nodegroup.modifiedAt),
    status: nodegroup.status,
    capacityType: nodegroup.capacityType,
    scalingConfig: { ...nodegroup.scalingConfig },
    instanceTypes: nodegroup.instanceTypes,
    subnets: nodegroup.subnets,
    amiType: nodegroup.amiType,
    nodeRole: nodegroup.nodeRole,
    labels: nodegroup.labels,
    resources: { autoScalingGroups: [{ name: nodegroup.autoScalingGroupName }] },
    diskSize: nodegroup.diskSize,
    health: { issues: issuesJson(nodegroup.healthIssues) },
    updateConfig: { maxUnavailable: 1 },
    tags: nodegroup.tags,
  };
}

/**
 * One page of names. The token is opaque to clients (as in EKS); here it is the offset of the
 * next page. maxResults is 1–100 (default 100) per the model.
 */
function paginate(names: string[], query: URLSearchParams): { page: string[]; nextToken?: string } {
  const maxResultsParam = query.get('maxResults');
  const maxResults = maxResultsParam === null ? 100 : Number(maxResultsParam);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    throw new EksError(400, 'InvalidParameterException', 'maxResults must be an integer between 1 and 100.');
  }
  const token = query.get('nextToken');
  const offset = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0 || offset > names.length) {
    throw new EksError(400, 'InvalidParameterException', 'The nextToken provided is invalid.');
  }
  const page = names.slice(offset, offset + maxResults);
  const next = offset + page.length;
  return next < names.length
    ? { page, nextToken: Buffer.from(String(next), 'utf8').toString('base64url') }
    : { page };
}

const routes: Route[] = [
  {
    method: 'GET',
    path: '/clusters',
    operation: 'ListClusters',
    mutating: false,
    handle: (model, _params, query) => {
      const { page, nextToken } = paginate(model.clusterNames(), query);
      return { status: 200, body: { clusters: page, ...(nextToken ? { nextToken } : {}) } };
    },
  },
  {
    method: 'GET',
    path: '/clusters/{name}',
    operation: 'DescribeCluster',
    mutating: false,
    handle: (model, { name = '' }) => {
      const cluster = model.getCluster(name);
      if (!cluster) throw notFoundCluster(name);
      return { status: 200, body: { cluster: clusterJson(cluster, model.region) } };
    },
  },
  {
    method: 'GET',
    path: '/clusters/{name}/node-groups',
    operation: 'ListNodegroups',
    mutating: false,
    handle: (model, { name = '' }, query) => {
      if (!model.getCluster(name)) throw notFoundCluster(name);
      const { page, nextToken } = paginate(model.nodegroupNames(name), query);
      return { status: 200, body: { nodegroups: page, ...(nextToken ? { nextToken } : {}) } };
    },
  },
  {
    method: 'GET',
    path: '/clusters/{name}/node-groups/{nodegroupName}',
    operation: 'DescribeNodegroup',
    mutating: false,
    handle: (model, { name = '', nodegroupName = '' }) => {
      if (!model.getCluster(name)) throw notFoundCluster(name);
      const nodegroup = model.getNodegroup(name, nodegroupName);
      if (!nodegroup) {
        throw new EksError(
          404,
          'ResourceNotFoundException',
          `No node group found for name: ${nodegroupName}.`,
          {
            clusterName: name,
            nodegroupName,
          },
        );
      }
      return { status: 200, body: { nodegroup: nodegroupJson(nodegroup) } };
    },
  },
  // Known by name so the request log says what a client tried; answered 501 (not modelled).
  { method: 'POST', path: '/clusters', operation: 'CreateCluster', mutating: true },
  { method: 'DELETE', path: '/clusters/{name}', operation: 'DeleteCluster', mutating: true },
  {
    method: 'POST',
    path: '/clusters/{name}/update-config',
    operation: 'UpdateClusterConfig',
    mutating: true,
  },
  { method: 'POST', path: '/clusters/{name}/updates', operation: 'UpdateClusterVersion', mutating: true },
  { method: 'POST', path: '/clusters/{name}/node-groups', operation: 'CreateNodegroup', mutating: true },
  {
    method: 'DELETE',
    path: '/clusters/{name}/node-groups/{nodegroupName}',
    operation: 'DeleteNodegroup',
    mutating: true,
  },
  {
    method: 'POST',
    path: '/clusters/{name}/node-groups/{nodegroupName}/update-config',
    operation: 'UpdateNodegroupConfig',
    mutating: true,
  },
  {
    method: 'POST',
    path: '/clusters/{name}/node-groups/{nodegroupName}/update-version',
    operation: 'UpdateNodegroupVersion',
    mutating: true,
  },
];

function matchPath(template: string, segments: string[]): Params | undefined {
  const parts = template.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: Params = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith('{')) params[part.slice(1, -1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

function findRoute(method: string, segments: string[]): { route: Route; params: Params } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPath(route.path, segments);
    if (params) return { route, params };
  }
  return undefined;
}

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

const FAULT_ANSWERS = {
  throttle: new EksError(429, 'ThrottlingException', 'Rate exceeded'),
  'server-error': new EksError(500, 'ServerException', 'An internal error occurred. Try again later.'),
} as const;

export function createEksHandler(
  model: EksModel,
  control: EmulatorControl,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    // Read (and ignore) the body mutating calls send, so keep-alive connections stay usable.
    await readBody(req);
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://eks.local');
    const segments = decodeSegments(url.pathname);
    const found = segments ? findRoute(method, segments) : undefined;
    const operation = found?.route.operation ?? 'Unknown';
    // Anything unrecognised that is not a GET might change state: count it as mutating.
    const mutating = found ? found.route.mutating : method !== 'GET';

    await control.delay();
    let answer: Answer;
    try {
      answer = answerRequest(model, control, operation, found, url.searchParams);
    } catch (error) {
      if (!(error instanceof EksError)) throw error;
      answer = {
        status: error.status,
        errorType: error.errorType,
        body: { ...error.fields, message: error.message },
      };
    }
    control.log.record({
      service: control.service,
      operation,
      mutating,
      status: answer.status,
      ...(answer.errorType ? { error: answer.errorType } : {}),
    });
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
      ...(answer.errorType ? { 'x-amzn-errortype': answer.errorType } : {}),
    });
    res.end(payload);
  };
}

function answerRequest(
  model: EksModel,
  control: EmulatorControl,
  operation: string,
  found: { route: Route; params: Params } | undefined,
  query: URLSearchParams,
): Answer {
  if (control.knobs.outage) throw new EksError(503, 'ServiceUnavailableException', 'Service Unavailable');
  const fault = control.takeFault(operation, ['throttle', 'server-error']);
  if (fault === 'throttle' || fault === 'server-error') throw FAULT_ANSWERS[fault];
  if (!found) throw new EksError(404, 'UnknownOperationException', 'Unknown operation.');
  if (!found.route.handle) {
    throw new EksError(501, 'NotImplementedException', `${operation} is not implemented by the EKS sandbox.`);
  }
  return found.route.handle(model, found.params, query);
}
