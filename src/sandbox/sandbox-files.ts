/**
 * The files the sandbox writes for others to read: the failover config that points at the
 * emulators (with its schema modeline), and the fleet's Argo CD Application manifests.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { CONFIG_SCHEMA_FILE } from '../config/json-schema.js';
import { packageRoot } from '../util/package-root.js';
import { SANDBOX_AUTHOR } from './gitops-demo/index.js';
import type { SandboxInfo } from './sandbox.js';

/** `argocd/applications-<side>.yaml`: the fleet's Application manifests, one document each. */
export function fleetApplicationFiles(
  names: { aws: string[]; gke: string[] },
  awsOverlay: string,
  gcpOverlay: string,
): Record<string, string> {
  const files: Record<string, string> = {};
  for (const side of ['aws', 'gke'] as const) {
    const documents = names[side].map((name, index) =>
      stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: 'argocd', labels: { cloud: side === 'aws' ? 'aws' : 'gcp' } },
        spec: {
          project: 'default',
          source: {
            repoURL: 'sandbox-gitops',
            targetRevision: 'main',
            path: side === 'aws' ? awsOverlay : gcpOverlay,
          },
          destination: { namespace: index === 0 ? 'admin' : `admin-${index + 1}` },
          syncPolicy: { automated: {} },
        },
      }),
    );
    files[`argocd/applications-${side}.yaml`] =
      `# The ${side} side's ${names[side].length} applications (written by \`failover sandbox start --apps\`).\n${documents.join('---\n')}`;
  }
  return files;
}

export function sandboxConfigYaml(
  info: SandboxInfo,
  mode: 'traffic-flow' | 'record-sets',
  recordSet: { name: string; type: string; setIdentifiers: { gcp: string; aws: string } },
  kustomizeBuildOptions?: string,
): string {
  const config = {
    aws: { region: 'us-east-1' },
    route53: {
      mode,
      endpoint: info.route53.endpoint,
      trafficFlow: {
        instances: info.route53.trafficPolicyInstanceIds,
        rule: 'split',
        roles: { gcp: 'gke', aws: 'aws' },
        pollInterval: 0.25,
      },
      recordSets: {
        hostedZoneId: info.route53.hostedZoneId,
        name: recordSet.name,
        type: recordSet.type,
        setIdentifiers: recordSet.setIdentifiers,
        pollInterval: 0.25,
      },
      healthChecks: { gcp: info.route53.healthCheckIds.gke, aws: info.route53.healthCheckIds.aws },
    },
    eks: { cluster: info.eks.cluster, endpoint: info.eks.endpoint },
    gke: {
      project: info.gke.project,
      location: info.gke.location,
      cluster: info.gke.cluster,
      endpoint: info.gke.endpoint,
    },
    gitops: {
      repo: info.git.remote,
      branch: info.git.branch,
      awsOverlay: info.git.awsOverlay,
      gcpOverlay: info.git.gcpOverlay,
      // The sandbox must work on a machine without a git identity (CI, a fresh laptop).
      author: { name: SANDBOX_AUTHOR.name, email: SANDBOX_AUTHOR.email },
    },
    argocd: {
      server: info.argocd.endpoint,
      tokenEnv: 'FAILOVER_SANDBOX_ARGOCD_TOKEN',
      awsApps: info.argocd.apps.aws,
      gcpApps: info.argocd.apps.gcp,
      pollInterval: 0.25,
    },
    probes: {
      aws: [
        {
          name: 'aws ingress (by address)',
          url: `${info.apps.aws}/healthz`,
          host: 'admin.example.com',
          interval: '250ms',
        },
      ],
      gcp: [
        {
          name: 'gke ingress (by address)',
          url: `${info.apps.gcp}/healthz`,
          host: 'admin.example.com',
          interval: '250ms',
        },
      ],
      public: [
        {
          name: 'admin.example.com (public name)',
          url: `${info.apps.public}/healthz`,
          successes: 5,
          interval: '100ms',
        },
      ],
    },
    metrics: sandboxMetricsConfig(info),
    // Production leaves servers and addresses out: the hosted zone's own name servers answer, and
    // each side's endpoints in Route 53 say what it answers with.
    verify: {
      dns: {
        servers: [`${info.dns.host}:${info.dns.port}`],
        samples: 20,
        addresses: { gcp: [info.dns.addresses.gcp], aws: [info.dns.addresses.aws] },
      },
    },
    ...(kustomizeBuildOptions ? { kustomize: { buildOptions: kustomizeBuildOptions } } : {}),
    stateDir: 'state',
  };
  // The modeline is what editors (the YAML language server) read to check and complete the file.
  const schema = pathToFileURL(join(packageRoot(), CONFIG_SCHEMA_FILE)).href;
  return `# yaml-language-server: $schema=${schema}\n# Written by \`failover sandbox start\`: points failover at the emulators of this sandbox.\n# Credentials are in .env next to this file.\n${stringify(config)}`;
}

/** The Datadog gate of the sandbox config: each side's 5xx rate in percent, at most 1 %. */
function sandboxMetricsConfig(info: SandboxInfo): object {
  const errorRate = (cloud: string) =>
    `sum:trace.http.request.errors{service:admin,cloud:${cloud}}.as_rate() / sum:trace.http.request.hits{service:admin,cloud:${cloud}}.as_rate() * 100`;
  const side = (cloud: 'gcp' | 'aws') => ({
    errorRate: { query: errorRate(cloud), thresholdRange: { max: 1 } },
    monitors: { tags: ['service:admin', `cloud:${cloud}`] },
    downtime: { scope: [`cloud:${cloud}`], monitorTags: ['service:admin'] },
  });
  return {
    provider: 'datadog',
    datadog: {
      endpoint: info.datadog.endpoint,
      apiKeyEnv: 'FAILOVER_SANDBOX_DD_API_KEY',
      appKeyEnv: 'FAILOVER_SANDBOX_DD_APP_KEY',
    },
    prometheus: { endpoint: info.prometheus.endpoint },
    interval: '500ms',
    failureThreshold: 2,
    aws: side('aws'),
    gcp: side('gcp'),
  };
}
