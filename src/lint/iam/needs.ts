/**
 * What each step kind calls in the clouds, as IAM actions on resources, derived from the config
 * (its ids and names become ARNs; what the config does not name becomes a wildcard, with a note).
 * Every registered step kind has an entry, even when it needs nothing: a test keeps the registry and
 * this table in step, and another scans the adapters' SDK calls against the resulting policy.
 */
import type { Config } from '../../config/schema.js';
import type { AwsAction, GcpPermission } from './catalog.js';

export interface AwsNeed {
  cloud: 'aws';
  action: AwsAction;
  resources: string[];
  /** IAM condition block, e.g. the record names ChangeResourceRecordSets may touch. */
  condition?: Record<string, Record<string, string[]>>;
}

export interface GcpNeed {
  cloud: 'gcp';
  permission: GcpPermission;
  resource: string;
}

export type Need = AwsNeed | GcpNeed;

/** The config, or undefined when none is given: then every mode is assumed and ids are wildcards. */
export interface NeedContext {
  config: Config | undefined;
  /** Explanations of the wildcards used (collected once each). */
  note(text: string): void;
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function route53Arn(ctx: NeedContext, type: string, id: string): string {
  return `arn:${partitionOf(ctx.config?.aws.region ?? '')}:route53:::${type}/${id}`;
}

const strip = (id: string, prefix: string) => id.replace(new RegExp(`^/?${prefix}/`), '');

/** Route 53 weighted record names as the ChangeResourceRecordSets condition keys want them. */
export function normalizeRecordName(name: string): string {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return lower.replace(/[^a-z0-9_.-]/g, (ch) => `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

// ── Route 53 ────────────────────────────────────────────────────────────────────────────────────

type Mode = 'traffic-flow' | 'record-sets';

function modes(ctx: NeedContext): Mode[] {
  if (!ctx.config) {
    ctx.note(
      'no config given: both Route 53 modes (Traffic Flow and weighted record sets) are included; pass --config to narrow the policy to the configured mode and resources',
    );
    return ['traffic-flow', 'record-sets'];
  }
  const route53 = ctx.config.route53;
  if (!route53) {
    ctx.note(
      'the config has no route53 section: no Route 53 permission is included (route53 steps cannot run)',
    );
    return [];
  }
  return [route53.mode];
}

interface InstanceRefs {
  ids: string[];
  /** Zones of the instances named by DNS name with a hostedZoneId. */
  zones: string[];
  /** Some instance is named by DNS name without a zone (found by listing the account's instances). */
  listed: boolean;
  /** The ids are not all known from the config. */
  unknownIds: boolean;
}

function instanceRefs(ctx: NeedContext): InstanceRefs {
  const instances = ctx.config?.route53?.trafficFlow?.instances;
  if (!instances) return { ids: [], zones: [], listed: true, unknownIds: true };
  const refs: InstanceRefs = { ids: [], zones: [], listed: false, unknownIds: false };
  for (const ref of instances) {
    if (typeof ref === 'string') refs.ids.push(ref);
    else if ('id' in ref) refs.ids.push(ref.id);
    else {
      refs.unknownIds = true;
      if (ref.hostedZoneId) refs.zones.push(strip(ref.hostedZoneId, 'hostedzone'));
      else refs.listed = true;
    }
  }
  return refs;
}

/** Instances named by DNS name are found by listing: their ids are only known at run time. */
function instanceArns(ctx: NeedContext): string[] {
  const refs = instanceRefs(ctx);
  if (!refs.unknownIds) return refs.ids.map((id) => route53Arn(ctx, 'trafficpolicyinstance', id));
  ctx.note(
    'traffic policy instances: trafficpolicyinstance/* because the config names them by DNS name (or no config was given); list route53.trafficFlow.instances by id to scope them',
  );
  return [route53Arn(ctx, 'trafficpolicyinstance', '*')];
}

function trafficPolicyArn(ctx: NeedContext): string {
  ctx.note(
    'traffic policies: trafficpolicy/* because the policy id is read from the instance at run time; replace * with the policy id to narrow it',
  );
  return route53Arn(ctx, 'trafficpolicy', '*');
}

/** Above this many instances the adapter reads them with ListTrafficPolicyInstances (instances.ts). */
const BULK_READ_ABOVE = 3;

function trafficFlowReads(ctx: NeedContext): AwsNeed[] {
  const refs = instanceRefs(ctx);
  const needs: AwsNeed[] = [
    { cloud: 'aws', action: 'route53:GetTrafficPolicyInstance', resources: instanceArns(ctx) },
  ];
  // Instances named by DNS name are found by listing; a fleet (more than 3) is read in bulk.
  if (refs.listed || refs.ids.length > BULK_READ_ABOVE)
    needs.push({ cloud: 'aws', action: 'route53:ListTrafficPolicyInstances', resources: ['*'] });
  if (refs.zones.length > 0 || !ctx.config) {
    needs.push({
      cloud: 'aws',
      action: 'route53:ListTrafficPolicyInstancesByHostedZone',
      resources: ctx.config
        ? refs.zones.map((zone) => route53Arn(ctx, 'hostedzone', zone))
        : [route53Arn(ctx, 'hostedzone', '*')],
    });
  }
  needs.push({ cloud: 'aws', action: 'route53:GetTrafficPolicy', resources: [trafficPolicyArn(ctx)] });
  // The joint wait for Applied polls the instances of each policy in bulk.
  needs.push({
    cloud: 'aws',
    action: 'route53:ListTrafficPolicyInstancesByPolicy',
    resources: [trafficPolicyArn(ctx)],
  });
  // A saved plan records each policy's latest version, and `apply` re-reads it (drift).
  needs.push({ cloud: 'aws', action: 'route53:ListTrafficPolicies', resources: ['*'] });
  return needs;
}

function trafficFlowWrites(ctx: NeedContext): AwsNeed[] {
  return [
    { cloud: 'aws', action: 'route53:CreateTrafficPolicyVersion', resources: [trafficPolicyArn(ctx)] },
    { cloud: 'aws', action: 'route53:UpdateTrafficPolicyInstance', resources: instanceArns(ctx) },
  ];
}

function recordZone(ctx: NeedContext): string {
  const zone = ctx.config?.route53?.recordSets?.hostedZoneId;
  return route53Arn(ctx, 'hostedzone', zone ? strip(zone, 'hostedzone') : '*');
}

function recordSetsReads(ctx: NeedContext): AwsNeed[] {
  return [{ cloud: 'aws', action: 'route53:ListResourceRecordSets', resources: [recordZone(ctx)] }];
}

function recordSetsWrites(ctx: NeedContext): AwsNeed[] {
  const rs = ctx.config?.route53?.recordSets;
  // failover only UPSERTs the two weighted records of the configured name and type.
  const condition: AwsNeed['condition'] = rs
    ? {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [normalizeRecordName(rs.name)],
          'route53:ChangeResourceRecordSetsRecordTypes': [rs.type],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      }
    : { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsActions': ['UPSERT'] } };
  return [
    { cloud: 'aws', action: 'route53:ChangeResourceRecordSets', resources: [recordZone(ctx)], condition },
    // Change ids are only known after the change; IAM scopes GetChange by change id.
    { cloud: 'aws', action: 'route53:GetChange', resources: [route53Arn(ctx, 'change', '*')] },
  ];
}

function weightReads(ctx: NeedContext): AwsNeed[] {
  return modes(ctx).flatMap((mode) =>
    mode === 'traffic-flow' ? trafficFlowReads(ctx) : recordSetsReads(ctx),
  );
}

function weightWrites(ctx: NeedContext): AwsNeed[] {
  return modes(ctx).flatMap((mode) =>
    mode === 'traffic-flow' ? trafficFlowWrites(ctx) : recordSetsWrites(ctx),
  );
}

function healthChecks(ctx: NeedContext): AwsNeed[] {
  if (!ctx.config) {
    return [
      {
        cloud: 'aws',
        action: 'route53:GetHealthCheckStatus',
        resources: [route53Arn(ctx, 'healthcheck', '*')],
      },
    ];
  }
  const ids = Object.values(ctx.config.route53?.healthChecks ?? {});
  if (ids.length === 0) return [];
  return [
    {
      cloud: 'aws',
      action: 'route53:GetHealthCheckStatus',
      resources: ids.map((id) => route53Arn(ctx, 'healthcheck', id)),
    },
  ];
}

// ── clusters ────────────────────────────────────────────────────────────────────────────────────

function eksReads(ctx: NeedContext): AwsNeed[] {
  if (ctx.config && !ctx.config.eks) {
    ctx.note('the config has no eks section: no EKS permission is included');
    return [];
  }
  const region = ctx.config?.aws.region ?? '*';
  const cluster = ctx.config?.eks?.cluster ?? '*';
  const base = `arn:${partitionOf(region)}:eks:${region}:*`;
  ctx.note(
    'EKS ARNs use * for the account id (the config does not name it); replace it with the account id of the standby cluster',
  );
  const nodeGroups = ctx.config?.eks?.nodeGroups;
  const needs: AwsNeed[] = [
    { cloud: 'aws', action: 'eks:DescribeCluster', resources: [`${base}:cluster/${cluster}`] },
  ];
  // Without configured node groups, every node group of the cluster is listed and described.
  if (!nodeGroups)
    needs.push({ cloud: 'aws', action: 'eks:ListNodegroups', resources: [`${base}:cluster/${cluster}`] });
  needs.push({
    cloud: 'aws',
    action: 'eks:DescribeNodegroup',
    resources: (nodeGroups ?? ['*']).map((ng) => `${base}:nodegroup/${cluster}/${ng}/*`),
  });
  return needs;
}

function gkeReads(ctx: NeedContext): GcpNeed[] {
  if (ctx.config && !ctx.config.gke) return [];
  const gke = ctx.config?.gke;
  return [
    {
      cloud: 'gcp',
      permission: 'container.clusters.get',
      resource: gke
        ? `projects/${gke.project}/locations/${gke.location}/clusters/${gke.cluster}`
        : 'projects/*/locations/*/clusters/*',
    },
  ];
}

function anthosReads(ctx: NeedContext): GcpNeed[] {
  if (ctx.config && !ctx.config.anthosAws) return [];
  const anthos = ctx.config?.anthosAws;
  const cluster = anthos
    ? `projects/${anthos.project}/locations/${anthos.location}/awsClusters/${anthos.cluster}`
    : 'projects/*/locations/*/awsClusters/*';
  return [
    { cloud: 'gcp', permission: 'gkemulticloud.awsClusters.get', resource: cluster },
    { cloud: 'gcp', permission: 'gkemulticloud.awsNodePools.list', resource: cluster },
  ];
}

/** The AWS-side cluster the status snapshot reads: EKS when configured (or assumed), else Anthos. */
function awsClusterReads(ctx: NeedContext): Need[] {
  if (!ctx.config || ctx.config.eks) return eksReads(ctx);
  return ctx.config.anthosAws ? anthosReads(ctx) : [];
}

function snapshotReads(ctx: NeedContext): Need[] {
  return [...gkeReads(ctx), ...awsClusterReads(ctx), ...weightReads(ctx), ...healthChecks(ctx)];
}

/** The DNS verification reads the weights, the health checks and the hosted zone's name servers (GetHostedZone). */
function dnsVerifyReads(ctx: NeedContext): AwsNeed[] {
  const zones = new Set<string>();
  const rsZone = ctx.config?.route53?.recordSets?.hostedZoneId;
  if (rsZone) zones.add(strip(rsZone, 'hostedzone'));
  for (const ref of ctx.config?.route53?.trafficFlow?.instances ?? []) {
    if (typeof ref === 'object' && 'hostedZoneId' in ref && ref.hostedZoneId) {
      zones.add(strip(ref.hostedZoneId, 'hostedzone'));
    }
  }
  // An instance named by id lives in a zone the config does not name.
  const named = ctx.config?.route53?.mode === 'record-sets' ? [...zones] : [];
  return [
    ...weightReads(ctx),
    // A side failing its health check gets no answers: the expected shares read them.
    ...healthChecks(ctx),
    {
      cloud: 'aws',
      action: 'route53:GetHostedZone',
      resources:
        named.length > 0
          ? named.map((zone) => route53Arn(ctx, 'hostedzone', zone))
          : [route53Arn(ctx, 'hostedzone', '*')],
    },
  ];
}

const nothing = (): Need[] => [];

/** Step kind → what it calls in AWS and Google Cloud (plan, apply and rollback together). */
export const STEP_NEEDS: Readonly<Record<string, (ctx: NeedContext) => Need[]>> = {
  'route53.set-weights': (ctx) => [
    ...weightReads(ctx),
    ...weightWrites(ctx),
    ...healthChecks(ctx),
    // The gate between stages samples the DNS answers when the config verifies DNS.
    ...(!ctx.config || ctx.config.verify?.dns ? dnsVerifyReads(ctx) : []),
  ],
  'check.route53-policy': weightReads,
  'check.route53-health': healthChecks,
  'check.eks-cluster': eksReads,
  'check.gke-cluster': gkeReads,
  'check.anthos-aws-cluster': anthosReads,
  'status.snapshot': snapshotReads,
  // Git, Argo CD, HTTP probes and the terminal: no cloud permission.
  'gitops.set-standby': nothing,
  'lock.acquire': nothing,
  'lock.release': nothing,
  'check.lock': nothing,
  'check.overlay': nothing,
  'check.portability': nothing,
  'check.standby': nothing,
  'check.argocd-apps': nothing,
  'argocd.wait': nothing,
  'check.http': nothing,
  // Datadog or Prometheus, with their own keys: no cloud permission.
  'check.metric': nothing,
  'verify.dns': dnsVerifyReads,
  approve: nothing,
  echo: nothing,
  note: nothing,
  wait: nothing,
};
