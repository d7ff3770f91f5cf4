/**
 * The Route 53 state of the write-up: `admin.example.com` served by a Traffic Flow policy whose
 * weighted rule sends (almost) everything to GKE and nothing to the AWS standby, each side with a
 * health check; plus the same split as weighted record sets (`app.example.com`) for the
 * alternative mode. Addresses are from documentation ranges and never contacted.
 */
import { randomUUID } from 'node:crypto';
import type { TrafficPolicyDocument } from './document.js';
import type { Route53Model } from './model.js';

export interface WriteupSeedOptions {
  /** Default `example.com.` */
  zoneName?: string;
  /** The Traffic Flow name. Default `admin.<zone>` */
  instanceName?: string;
  /** The weighted record set name. Default `app.<zone>` */
  recordName?: string;
  /** Default `admin-example-com` */
  policyName?: string;
  /** Address of the GKE ingress (an A record value). Default 203.0.113.10 */
  gkeAddress?: string;
  /** DNS name of the AWS ALB. */
  awsAlbDnsName?: string;
  /** Hosted zone of the ALB, for alias records (ap-northeast-1 ALBs by default). */
  awsAlbHostedZoneId?: string;
  /** Default 60 */
  ttl?: number;
  /** Default { gke: 255, aws: 0 } */
  weights?: { gke: number; aws: number };
  /** Finish propagation so the instance is Applied and changes INSYNC at once. Default true. */
  settle?: boolean;
  /**
   * Traffic policy instances sharing the policy (a fleet: one per hostname). The first is
   * `instanceName`, the others `<first label>-<n>.<zone>`. Default 1.
   */
  instances?: number;
}

export interface WriteupSeed {
  /** Bare zone id (`Z…`), as SDK callers pass it. */
  hostedZoneId: string;
  zoneName: string;
  trafficPolicyId: string;
  trafficPolicyInstanceIds: string[];
  healthCheckIds: { gke: string; aws: string };
  recordSet: { name: string; type: 'A'; setIdentifiers: { gcp: 'gke'; aws: 'aws' } };
}

export const WRITEUP_DEFAULTS = {
  zoneName: 'example.com.',
  policyName: 'admin-example-com',
  gkeAddress: '203.0.113.10',
  awsAlbDnsName: 'k8s-admin-ingress-0a1b2c3d4e-1234567890.ap-northeast-1.elb.amazonaws.com',
  awsAlbHostedZoneId: 'Z14GRHDCWA56QT',
  ttl: 60,
} as const;

/** The policy document of the write-up: weighted rule `split` over endpoints `gke` and `aws`. */
export function writeupPolicyDocument(options: {
  gkeAddress: string;
  awsAlbDnsName: string;
  gkeHealthCheckId: string;
  awsHealthCheckId: string;
  weights: { gke: number; aws: number };
}): string {
  const document: TrafficPolicyDocument = {
    AWSPolicyFormatVersion: '2015-10-01',
    RecordType: 'A',
    Endpoints: {
      gke: { Type: 'value', Value: options.gkeAddress },
      aws: { Type: 'application-load-balancer', Value: options.awsAlbDnsName },
    },
    StartRule: 'split',
    Rules: {
      split: {
        RuleType: 'weighted',
        Items: [
          {
            EndpointReference: 'gke',
            // Written as strings, as the Traffic Flow editor does.
            Weight: String(options.weights.gke),
            EvaluateTargetHealth: true,
            HealthCheck: options.gkeHealthCheckId,
          },
          {
            EndpointReference: 'aws',
            Weight: String(options.weights.aws),
            EvaluateTargetHealth: true,
            HealthCheck: options.awsHealthCheckId,
          },
        ],
      },
    },
  };
  return JSON.stringify(document, null, 2);
}

export function seedWriteupScenario(model: Route53Model, options: WriteupSeedOptions = {}): WriteupSeed {
  const zoneName = options.zoneName ?? WRITEUP_DEFAULTS.zoneName;
  const zoneSuffix = zoneName.endsWith('.') ? zoneName : `${zoneName}.`;
  const instanceName = options.instanceName ?? `admin.${zoneSuffix}`;
  const recordName = options.recordName ?? `app.${zoneSuffix}`;
  const gkeAddress = options.gkeAddress ?? WRITEUP_DEFAULTS.gkeAddress;
  const albDnsName = options.awsAlbDnsName ?? WRITEUP_DEFAULTS.awsAlbDnsName;
  const albZoneId = options.awsAlbHostedZoneId ?? WRITEUP_DEFAULTS.awsAlbHostedZoneId;
  const ttl = options.ttl ?? WRITEUP_DEFAULTS.ttl;
  const weights = options.weights ?? { gke: 255, aws: 0 };
  const seedId = randomUUID();

  const zone = model.createHostedZone({
    Name: zoneSuffix,
    CallerReference: `seed-zone-${seedId}`,
    HostedZoneConfig: { Comment: 'failover sandbox: the write-up zone' },
  });
  const hostedZoneId = zone.HostedZone.Id.replace('/hostedzone/', '');

  const gke = model.createHealthCheck({
    CallerReference: `seed-gke-${seedId}`,
    HealthCheckConfig: {
      Type: 'HTTPS',
      IPAddress: gkeAddress,
      FullyQualifiedDomainName: instanceName.replace(/\.$/, ''),
      ResourcePath: '/healthz',
    },
  }).HealthCheck;
  const aws = model.createHealthCheck({
    CallerReference: `seed-aws-${seedId}`,
    HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: albDnsName, ResourcePath: '/healthz' },
  }).HealthCheck;

  const policy = model.createTrafficPolicy({
    Name: options.policyName ?? WRITEUP_DEFAULTS.policyName,
    Document: writeupPolicyDocument({
      gkeAddress,
      awsAlbDnsName: albDnsName,
      gkeHealthCheckId: gke.Id,
      awsHealthCheckId: aws.Id,
      weights,
    }),
    Comment: 'GKE active, AWS warm standby',
  });
  const [host, ...rest] = instanceName.split('.');
  const instanceIds: string[] = [];
  for (let n = 1; n <= Math.max(1, options.instances ?? 1); n++) {
    const instance = model.createTrafficPolicyInstance({
      HostedZoneId: hostedZoneId,
      Name: n === 1 ? instanceName : [`${host}-${n}`, ...rest].join('.'),
      TTL: ttl,
      TrafficPolicyId: policy.Id,
      TrafficPolicyVersion: policy.Version,
    });
    instanceIds.push(instance.Id);
  }

  model.changeResourceRecordSets(hostedZoneId, {
    Comment: 'failover sandbox: weighted record sets',
    Changes: [
      {
        Action: 'CREATE',
        ResourceRecordSet: {
          Name: recordName,
          Type: 'A',
          SetIdentifier: 'gke',
          Weight: weights.gke,
          TTL: ttl,
          ResourceRecords: [{ Value: gkeAddress }],
          HealthCheckId: gke.Id,
        },
      },
      {
        Action: 'CREATE',
        ResourceRecordSet: {
          Name: recordName,
          Type: 'A',
          SetIdentifier: 'aws',
          Weight: weights.aws,
          AliasTarget: {
            HostedZoneId: albZoneId,
            DNSName: `dualstack.${albDnsName}`,
            EvaluateTargetHealth: true,
          },
          HealthCheckId: aws.Id,
        },
      },
    ],
  });

  if (options.settle ?? true) model.completePropagation();

  return {
    hostedZoneId,
    zoneName: zoneSuffix,
    trafficPolicyId: policy.Id,
    trafficPolicyInstanceIds: instanceIds,
    healthCheckIds: { gke: gke.Id, aws: aws.Id },
    recordSet: { name: recordName, type: 'A', setIdentifiers: { gcp: 'gke', aws: 'aws' } },
  };
}
