/**
 * Semantic rules for the config, beyond its schema: settings that parse but would make a failover
 * fail (or pass without evidence) at the worst moment. Each rule is a function of the parsed config
 * and the environment; findings point at the field in the file.
 */
import type { Config } from '../../config/schema.js';
import type { PathSegment } from '../../util/yaml-source.js';
import type { LintRule, Severity } from './types.js';

export interface ConfigIssue {
  rule: LintRule;
  severity: Severity;
  /** Field the issue is about; the closest existing node is reported when it is absent. */
  path: PathSegment[];
  message: string;
  fix?: string;
}

type ConfigRule = (config: Config, env: NodeJS.ProcessEnv) => ConfigIssue[];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const route53Rules: ConfigRule = (config) => {
  const route53 = config.route53;
  if (!route53) {
    return [
      {
        rule: 'route53-missing',
        severity: 'warning',
        path: [],
        message:
          'no `route53` section: route53.set-weights and the Route 53 checks cannot run, so no runbook can move traffic',
        fix: 'add route53 (mode, and trafficFlow or recordSets)',
      },
    ];
  }
  const issues: ConfigIssue[] = [];
  if (route53.mode === 'traffic-flow' && !route53.trafficFlow) {
    issues.push({
      rule: 'route53-mode-section',
      severity: 'error',
      path: ['route53', 'mode'],
      message:
        'route53.mode is traffic-flow, but route53.trafficFlow is missing: weights cannot be read or changed',
      fix: 'add route53.trafficFlow (instances, roles), or set route53.mode: record-sets',
    });
  }
  if (route53.mode === 'record-sets' && !route53.recordSets) {
    issues.push({
      rule: 'route53-mode-section',
      severity: 'error',
      path: ['route53', 'mode'],
      message:
        'route53.mode is record-sets, but route53.recordSets is missing: weights cannot be read or changed',
      fix: 'add route53.recordSets (hostedZoneId, name, type, setIdentifiers), or set route53.mode: traffic-flow',
    });
  }
  if (route53.trafficFlow && route53.recordSets) {
    const unused = route53.mode === 'traffic-flow' ? 'recordSets' : 'trafficFlow';
    issues.push({
      rule: 'route53-mode-section',
      severity: 'warning',
      path: ['route53', unused],
      message: `route53.${unused} is ignored: route53.mode is ${route53.mode}`,
      fix: `remove route53.${unused}, or switch route53.mode`,
    });
  }
  if (route53.trafficFlow && same(route53.trafficFlow.roles.gcp, route53.trafficFlow.roles.aws)) {
    issues.push({
      rule: 'route53-roles',
      severity: 'error',
      path: ['route53', 'trafficFlow', 'roles'],
      message:
        'route53.trafficFlow.roles.gcp and .aws name the same target: moving traffic would change nothing',
      fix: 'give each role its own endpoint (or rule) of the weighted rule',
    });
  }
  if (route53.recordSets && route53.recordSets.setIdentifiers.gcp === route53.recordSets.setIdentifiers.aws) {
    issues.push({
      rule: 'route53-roles',
      severity: 'error',
      path: ['route53', 'recordSets', 'setIdentifiers'],
      message: 'route53.recordSets.setIdentifiers.gcp and .aws are the same record',
      fix: 'set each to the SetIdentifier of its own weighted record',
    });
  }
  for (const role of Object.keys(route53.healthChecks)) {
    if (role === 'gcp' || role === 'aws') continue;
    issues.push({
      rule: 'health-check-role',
      severity: 'warning',
      path: ['route53', 'healthChecks', role],
      message: `route53.healthChecks.${role}: the health gate between stages and check.route53-health look up the roles gcp and aws; "${role}" is never used as a side`,
      fix: 'key the health checks by side: gcp, aws',
    });
  }
  return issues;
};

const PROBE_USE: Record<'aws' | 'gcp' | 'public', string> = {
  aws: 'to-aws probes the AWS ingress before moving traffic (and gates stages on it)',
  gcp: 'to-gcp probes the GKE ingress before moving traffic back',
  public: 'both runbooks verify the public name after moving traffic',
};

const probeRules: ConfigRule = (config) =>
  (['aws', 'gcp', 'public'] as const)
    .filter((side) => config.probes[side].length === 0)
    .map((side) => ({
      rule: 'probes-empty' as const,
      severity: 'warning' as const,
      path: ['probes', side],
      message: `probes.${side} is empty: ${PROBE_USE[side]}; a required check.http with nothing to probe fails, one that is not required proves nothing`,
      fix: `add at least one probe under probes.${side} (url, and host for the public Host header)`,
    }));

const envRules: ConfigRule = (config, env) => {
  const issues: ConfigIssue[] = [];
  const check = (name: string | undefined, path: PathSegment[], what: string) => {
    if (name && !env[name]) {
      issues.push({
        rule: 'env-unset',
        severity: 'warning',
        path,
        message: `${name} is not set in this environment: ${what}`,
        fix: `set ${name} (in the environment or a .env file; .env.example lists the variables)`,
      });
    }
  };
  if (config.argocd)
    check(config.argocd.tokenEnv, ['argocd', 'tokenEnv'], 'Argo CD calls will be refused (401)');
  check(
    config.notifications.slack?.webhookUrlEnv,
    ['notifications', 'slack', 'webhookUrlEnv'],
    'no Slack message will be sent',
  );
  check(
    config.notifications.datadog?.apiKeyEnv,
    ['notifications', 'datadog', 'apiKeyEnv'],
    'no Datadog event will be sent',
  );
  const metrics = config.metrics;
  if (metrics) {
    const sides = [metrics.aws, metrics.gcp];
    const gates = sides.some((side) => side.errorRate || side.monitors);
    // Downtimes are Datadog's whatever the gates read.
    if ((gates && metrics.provider === 'datadog') || sides.some((side) => side.downtime)) {
      const what = 'the metric gates and game-day downtimes cannot read or write Datadog';
      check(metrics.datadog.apiKeyEnv, ['metrics', 'datadog', 'apiKeyEnv'], what);
      check(metrics.datadog.appKeyEnv, ['metrics', 'datadog', 'appKeyEnv'], what);
    }
    if (gates && metrics.provider === 'prometheus')
      check(
        metrics.prometheus?.bearerTokenEnv,
        ['metrics', 'prometheus', 'bearerTokenEnv'],
        'Prometheus queries will be refused (401)',
      );
  }
  return issues;
};

const sectionRules: ConfigRule = (config) => {
  const issues: ConfigIssue[] = [];
  const missing = (section: string, what: string, fix: string) =>
    issues.push({
      rule: 'section-missing',
      severity: 'warning',
      path: [],
      message: `no \`${section}\` section: ${what}`,
      fix,
    });
  if (!config.gitops)
    missing('gitops', 'the AWS overlay cannot be toggled and no lock can be taken', 'add gitops.repo');
  if (!config.argocd) {
    missing(
      'argocd',
      'nothing can confirm that the AWS workloads really run before traffic moves',
      'add argocd.server and argocd.awsApps',
    );
  }
  if (!config.eks && !config.anthosAws) {
    missing(
      'eks',
      'the AWS cluster cannot be checked before a failover',
      'add eks.cluster (or anthosAws for Anthos clusters on AWS)',
    );
  }
  if (!config.gke)
    missing('gke', 'GKE cannot be checked before a failback', 'add gke.project, gke.location, gke.cluster');
  if (config.anthosAws && !config.eks) {
    issues.push({
      rule: 'anthos-gcp-dependency',
      severity: 'warning',
      path: ['anthosAws'],
      message:
        'the AWS cluster is checked through the GKE Multi-Cloud API (gkemulticloud.googleapis.com), a Google Cloud API: during a Google Cloud incident that check may fail although the cluster on AWS is fine',
      fix: 'keep the AWS cluster check of to-aws informative (`required: false`) and gate on probes.aws, which reach AWS directly',
    });
  }
  if (config.gitops) {
    if (config.gitops.awsOverlay === config.gitops.gcpOverlay) {
      issues.push({
        rule: 'overlays',
        severity: 'error',
        path: ['gitops', 'gcpOverlay'],
        message:
          'gitops.awsOverlay and gitops.gcpOverlay are the same path: a failover would toggle the side it moves traffic to',
        fix: 'point each at its own overlay directory',
      });
    }
    const { patchPaths, components } = config.gitops.standby;
    if (patchPaths.length === 0 && components.length === 0) {
      issues.push({
        rule: 'standby-entries',
        severity: 'error',
        path: ['gitops', 'standby'],
        message: 'gitops.standby names no patch and no component: no overlay can be recognised as in standby',
        fix: 'list the standby patch file names (patchPaths) or the standby component (components)',
      });
    }
  }
  return issues;
};

export const CONFIG_RULES: readonly ConfigRule[] = [route53Rules, probeRules, envRules, sectionRules];

export function lintConfigRules(config: Config, env: NodeJS.ProcessEnv): ConfigIssue[] {
  return CONFIG_RULES.flatMap((rule) => rule(config, env));
}
