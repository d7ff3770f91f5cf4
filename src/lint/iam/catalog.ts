/**
 * The cloud permissions failover can use, with what IAM needs to know about each: access level and
 * the resource type an AWS action can be scoped to (from the AWS Service Authorization Reference for
 * route53 and eks; an action with resource type `*` supports no resource-level permission).
 */

export type Access = 'read' | 'write';

export type AwsResourceType =
  | 'trafficpolicyinstance'
  | 'trafficpolicy'
  | 'hostedzone'
  | 'healthcheck'
  | 'change'
  | 'cluster'
  | 'nodegroup'
  | '*';

export interface AwsActionInfo {
  access: Access;
  resource: AwsResourceType;
}

export const AWS_ACTIONS = {
  'route53:GetTrafficPolicyInstance': { access: 'read', resource: 'trafficpolicyinstance' },
  'route53:ListTrafficPolicyInstances': { access: 'read', resource: '*' },
  'route53:ListTrafficPolicyInstancesByHostedZone': { access: 'read', resource: 'hostedzone' },
  'route53:ListTrafficPolicyInstancesByPolicy': { access: 'read', resource: 'trafficpolicy' },
  'route53:GetTrafficPolicy': { access: 'read', resource: 'trafficpolicy' },
  'route53:ListTrafficPolicies': { access: 'read', resource: '*' },
  'route53:CreateTrafficPolicyVersion': { access: 'write', resource: 'trafficpolicy' },
  'route53:UpdateTrafficPolicyInstance': { access: 'write', resource: 'trafficpolicyinstance' },
  'route53:GetHealthCheckStatus': { access: 'read', resource: 'healthcheck' },
  'route53:ListResourceRecordSets': { access: 'read', resource: 'hostedzone' },
  'route53:ChangeResourceRecordSets': { access: 'write', resource: 'hostedzone' },
  'route53:GetChange': { access: 'read', resource: 'change' },
  'route53:GetHostedZone': { access: 'read', resource: 'hostedzone' },
  'eks:DescribeCluster': { access: 'read', resource: 'cluster' },
  'eks:ListNodegroups': { access: 'read', resource: 'cluster' },
  'eks:DescribeNodegroup': { access: 'read', resource: 'nodegroup' },
} as const satisfies Record<string, AwsActionInfo>;

export type AwsAction = keyof typeof AWS_ACTIONS;

export interface GcpPermissionInfo {
  access: Access;
  /** The API that must be enabled (and reachable) for the call. */
  api: string;
  /** The narrowest predefined role that contains it. */
  role: string;
}

export const GCP_PERMISSIONS = {
  'container.clusters.get': {
    access: 'read',
    api: 'container.googleapis.com',
    role: 'roles/container.clusterViewer',
  },
  'gkemulticloud.awsClusters.get': {
    access: 'read',
    api: 'gkemulticloud.googleapis.com',
    role: 'roles/gkemulticloud.viewer',
  },
  'gkemulticloud.awsNodePools.list': {
    access: 'read',
    api: 'gkemulticloud.googleapis.com',
    role: 'roles/gkemulticloud.viewer',
  },
} as const satisfies Record<string, GcpPermissionInfo>;

export type GcpPermission = keyof typeof GCP_PERMISSIONS;
