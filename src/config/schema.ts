/**
 * The configuration: where things are (clouds, DNS, GitOps, Argo CD, probes, notifications).
 * What to do lives in runbooks. Secrets never live here: the config names the environment
 * variables that hold them.
 */

import { DURATION_PATTERN, durationProblem } from '../util/duration.js';
import { z } from '../util/zod.js';
import { branchNameProblem, lockRefProblem } from './git-refs.js';

const Url = z.string().url();
/** A duration in the config: `30s`, `5m`, `1h`, `250ms` (checked when the config loads, not mid-run). */
const DurationText = z
  .string()
  .regex(DURATION_PATTERN, 'a duration such as 30s, 5m, 1h or 250ms')
  .superRefine((value, ctx) => {
    const problem = DURATION_PATTERN.test(value) ? durationProblem(value) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const EnvVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (A-Z, 0-9, _), not its value');

/** A weight as Route 53 takes it (0–255) or as a percentage string such as "40%". */
export const Weight = z.union([
  z.number().int().min(0).max(255),
  z.string().regex(/^(100(\.0+)?|[1-9]?[0-9](\.[0-9]+)?)%$/, 'a percentage such as "40%" (0–100%)'),
]);

/** How a role (gcp or aws) maps onto the traffic policy document. */
const RoleRef = z.union([
  z.string().min(1).describe('endpoint id in the policy document'),
  z.strictObject({ endpoint: z.string().min(1) }),
  z.strictObject({ rule: z.string().min(1) }),
]);

const TrafficPolicyInstanceRef = z.union([
  z.string().min(1).describe('traffic policy instance id'),
  z.strictObject({ id: z.string().min(1) }),
  z.strictObject({
    name: z.string().min(1).describe('DNS name, e.g. admin.example.com.'),
    hostedZoneId: z.string().optional(),
  }),
]);

export const Route53Config = z.strictObject({
  mode: z.enum(['traffic-flow', 'record-sets']).default('traffic-flow'),
  /** Endpoint override (emulators, VPC endpoints). The SDK's AWS_ENDPOINT_URL_ROUTE_53 also works. */
  endpoint: Url.optional(),
  trafficFlow: z
    .strictObject({
      instances: z.array(TrafficPolicyInstanceRef).min(1),
      /** Id of the weighted rule in the document; default: the only weighted rule. */
      rule: z.string().optional(),
      roles: z.strictObject({ gcp: RoleRef, aws: RoleRef }),
      /** Seconds between GetTrafficPolicyInstance polls while waiting for Applied. */
      pollInterval: z.number().positive().default(2),
    })
    .optional(),
  recordSets: z
    .strictObject({
      hostedZoneId: z.string().min(1),
      name: z.string().min(1),
      type: z.enum(['A', 'AAAA', 'CNAME']).default('CNAME'),
      setIdentifiers: z.strictObject({ gcp: z.string().min(1), aws: z.string().min(1) }),
      pollInterval: z.number().positive().default(2),
    })
    .optional(),
  healthChecks: z.record(z.string(), z.string()).default({}),
  /**
   * Client-side token buckets for every Route 53 call of a run: the account's (requests per second
   * and burst; by default below Route 53's 10/s and 50 so other automation keeps headroom) and,
   * per operation, tighter ones (defaults: the Developer Guide's, e.g. GetHealthCheckStatus 1/s).
   */
  rateLimit: z
    .strictObject({
      perSecond: z.number().positive().default(8),
      burst: z.number().int().positive().default(10),
      operations: z
        .record(
          z.string().regex(/^[A-Z][A-Za-z]+$/, 'a Route 53 operation name, e.g. UpdateTrafficPolicyInstance'),
          z.strictObject({ perSecond: z.number().positive(), burst: z.number().int().positive() }),
        )
        .optional(),
    })
    .default({ perSecond: 8, burst: 10 }),
});

export const AwsConfig = z.strictObject({
  region: z.string().min(1).default('us-east-1'),
  profile: z.string().optional(),
});

export const EksConfig = z.strictObject({
  cluster: z.string().min(1),
  endpoint: Url.optional(),
  /** Node groups that must be ACTIVE with capacity; default: every node group of the cluster. */
  nodeGroups: z.array(z.string()).optional(),
});

export const GkeConfig = z.strictObject({
  project: z.string().min(1),
  location: z.string().min(1),
  cluster: z.string().min(1),
  /** `host:port` of the API (emulators); default: container.googleapis.com. */
  endpoint: z.string().optional(),
});

export const AnthosAwsConfig = z.strictObject({
  project: z.string().min(1),
  location: z.string().min(1),
  cluster: z.string().min(1),
  endpoint: z.string().optional(),
});

export const StandbyEntries = z.strictObject({
  /** Patch entries whose `path` matches one of these (basename or full path) mean "standby". */
  patchPaths: z
    .array(z.string())
    .default(['cronjob-suspend.yml', 'cronjob-suspend.yaml', 'replicas-zero.yml', 'replicas-zero.yaml']),
  /** Components whose path matches one of these mean "standby". */
  components: z.array(z.string()).default(['standby', 'components/standby']),
  /**
   * Items of an overlay's `replicas:` field with `count: 0` mean "standby" too: activation removes
   * them, standby restores them. Set false when an aws overlay keeps a workload at 0 for good that way.
   */
  replicasField: z.boolean().default(true),
});

/** Git would read a value that starts with `-` as an option (`--upload-pack=…` runs a command). */
const notAnOption = (what: string) =>
  z
    .string()
    .min(1)
    .refine((value) => !value.startsWith('-'), {
      message: `${what} must not start with "-": git would read it as an option`,
    });

export const GitopsConfig = z.strictObject({
  /** A URL (https://, ssh://, file://), an scp-like address (git@host:org/repo.git) or a path. */
  repo: notAnOption('the repository'),
  branch: z
    .string()
    .superRefine((value, ctx) => {
      const problem = branchNameProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `the branch ${problem}` });
    })
    .default('main'),
  awsOverlay: z.string().min(1).default('overlays/aws'),
  gcpOverlay: z.string().min(1).default('overlays/gke'),
  standby: StandbyEntries.default({
    patchPaths: ['cronjob-suspend.yml', 'cronjob-suspend.yaml', 'replicas-zero.yml', 'replicas-zero.yaml'],
    components: ['standby', 'components/standby'],
    replicasField: true,
  }),
  /** Ref in the remote that holds the run lock. */
  lockRef: z
    .string()
    .superRefine((value, ctx) => {
      const problem = lockRefProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `the lock ref ${problem}` });
    })
    .default('refs/failover/lock'),
  lockTtl: DurationText.default('30m'),
  /** Where the cache clone lives (a relative path: from the config file); default: under the state directory. */
  cacheDir: z.string().optional(),
  author: z.strictObject({ name: z.string(), email: z.string() }).optional(),
  pushAttempts: z.number().int().min(1).max(20).default(5),
});

/**
 * How overlays are rendered: always by kustomize itself, as Argo CD renders them. `path` names the
 * binary (a kustomize, or a kubectl); without it `kustomize` and then `kubectl` are looked up on
 * PATH. `buildOptions` are the flags Argo CD is configured with (argocd-cm `kustomize.buildOptions`),
 * e.g. `--load-restrictor LoadRestrictionsNone --enable-helm`, so a plan renders what Argo CD renders.
 */
export const KustomizeConfig = z.strictObject({
  /** A kustomize (or kubectl) binary: a bare name is looked up on PATH, a path is relative to the config file. */
  path: z.string().min(1).optional(),
  /**
   * Where renders are kept for the next command (default: beside the git cache in the state
   * directory). One directory can serve several state directories and repositories: entries are
   * named by content. FAILOVER_KUSTOMIZE_CACHE_DIR overrides.
   */
  cacheDir: z.string().min(1).optional(),
  buildOptions: z
    .union([
      z.string().describe('split on whitespace, as Argo CD does'),
      z.array(z.string().min(1)).describe('one argument per item'),
    ])
    .optional(),
});

const AppSelector = z.union([
  z.array(z.string().min(1)).min(1),
  z.strictObject({ names: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ selector: z.string().min(1).describe('label selector, e.g. cloud=aws') }),
]);

export const ArgocdConfig = z.strictObject({
  server: Url,
  tokenEnv: EnvVarName.default('ARGOCD_AUTH_TOKEN'),
  awsApps: AppSelector,
  gcpApps: AppSelector.optional(),
  /** Trigger a sync after refresh (for apps without auto-sync). */
  sync: z.boolean().default(false),
  pollInterval: z.number().positive().default(2),
  insecure: z.boolean().default(false),
  /**
   * How long a rollback that resumes one side's CronJobs waits for the other side's cluster to
   * suspend them again (its Argo CD applying the standby commit); past it the CronJobs stay
   * suspended on both sides and the run says so.
   */
  rollbackRestWait: DurationText.default('60s'),
});

export const Probe = z.strictObject({
  name: z.string().min(1).optional(),
  url: Url,
  /** Host header, to probe an endpoint by its own address before DNS points at it. */
  host: z.string().optional(),
  expectStatus: z.union([z.number().int(), z.array(z.number().int())]).default(200),
  bodyMatch: z.string().optional(),
  timeout: DurationText.default('5s'),
  successes: z.number().int().min(1).default(1),
  interval: DurationText.default('1s'),
});

export const ProbesConfig = z.strictObject({
  aws: z.array(Probe).default([]),
  gcp: z.array(Probe).default([]),
  public: z.array(Probe).default([]),
});

export const NotificationsConfig = z.strictObject({
  slack: z.strictObject({ webhookUrlEnv: EnvVarName }).optional(),
  datadog: z
    .strictObject({
      apiKeyEnv: EnvVarName.default('DD_API_KEY'),
      /** Datadog site, as for the metric gates: siteEnv (DD_SITE) overrides it. */
      site: z.string().min(1).default('datadoghq.com'),
      siteEnv: EnvVarName.default('DD_SITE'),
      /** Full URL override (tests, proxies). */
      endpoint: Url.optional(),
      tags: z.array(z.string()).default([]),
    })
    .optional(),
});

/** A range a metric must stay in; either bound may be left open. */
export const ThresholdRange = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'give min, max or both' });

/** What the metric gates and drills read and mute for one side. */
const MetricSide = z.strictObject({
  /** The error-rate gate: a query whose value (percent) must stay in thresholdRange. */
  errorRate: z
    .strictObject({
      query: z.string().min(1),
      thresholdRange: ThresholdRange.default({ max: 1 }),
    })
    .optional(),
  /** Datadog monitors (by tag) that must all be OK. */
  monitors: z.strictObject({ tags: z.array(z.string().min(1)).min(1) }).optional(),
  /** Datadog downtime scheduled while a game day takes this side down. */
  downtime: z
    .strictObject({
      scope: z.array(z.string().min(1)).min(1),
      monitorTags: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});

/** Metric gates (Datadog or Prometheus). Secrets: the config names the variables that hold them. */
export const MetricsConfig = z.strictObject({
  provider: z.enum(['datadog', 'prometheus']).default('datadog'),
  datadog: z
    .strictObject({
      /** Datadog site (datadoghq.com, datadoghq.eu, us5.datadoghq.com…); siteEnv overrides it. */
      site: z.string().min(1).default('datadoghq.com'),
      siteEnv: EnvVarName.default('DD_SITE'),
      apiKeyEnv: EnvVarName.default('DD_API_KEY'),
      appKeyEnv: EnvVarName.default('DD_APP_KEY'),
      /** Full URL override (emulators, proxies). */
      endpoint: Url.optional(),
    })
    .default({ site: 'datadoghq.com', siteEnv: 'DD_SITE', apiKeyEnv: 'DD_API_KEY', appKeyEnv: 'DD_APP_KEY' }),
  prometheus: z
    .strictObject({
      endpoint: Url,
      bearerTokenEnv: EnvVarName.optional(),
    })
    .optional(),
  /** Time between evaluations of a gate, and the window a Datadog query reads. */
  interval: DurationText.default('10s'),
  /** Failed evaluations in a row that fail a gate. */
  failureThreshold: z.number().int().min(1).default(1),
  aws: MetricSide.default({}),
  gcp: MetricSide.default({}),
});

/** A DNS server: `host`, `host:port` or `[ipv6]:port`. */
const DnsServer = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]+|[A-Za-z0-9._-]+)(:\d{1,5})?$/,
    'a DNS server as host, host:port or [ipv6]:port, e.g. 192.0.2.53 or ns-1.awsdns-01.org',
  );

/**
 * The DNS verification: after the weights move, ask the name servers N times what the name
 * answers and count the answers per side. Every value has a default, so `verify: {dns: {}}` is a
 * full setting in production.
 */
export const DnsVerifyConfig = z.strictObject({
  /** The name to ask for; default: the name that carries the weights (the instance or record set). */
  name: z.string().min(1).optional(),
  /** Default: the type of the instance or record set. */
  type: z.enum(['A', 'AAAA', 'CNAME']).optional(),
  /** Default: the hosted zone's own name servers (GetHostedZone's DelegationSet). */
  servers: z.array(DnsServer).min(1).optional(),
  /** Queries per verification. */
  samples: z.number().int().min(1).max(10_000).default(20),
  /** For a split (staged) shift: how far each side's share may be from its weight's share (0–1). */
  tolerance: z.number().min(0).max(1).default(0.1),
  /** Per query; a query that times out is asked once more. */
  timeout: DurationText.default('2s'),
  /**
   * What each side answers with (addresses or DNS names). Default: the values of each side's
   * endpoints or records in Route 53, names resolved by the system's resolver.
   */
  addresses: z
    .strictObject({ gcp: z.array(z.string().min(1)).optional(), aws: z.array(z.string().min(1)).optional() })
    .optional(),
});

export const VerifyConfig = z.strictObject({
  dns: DnsVerifyConfig.optional(),
});

export const Config = z.strictObject({
  $schema: z.string().optional(),
  aws: AwsConfig.default({ region: 'us-east-1' }),
  route53: Route53Config.optional(),
  eks: EksConfig.optional(),
  anthosAws: AnthosAwsConfig.optional(),
  gke: GkeConfig.optional(),
  gitops: GitopsConfig.optional(),
  kustomize: KustomizeConfig.optional(),
  argocd: ArgocdConfig.optional(),
  probes: ProbesConfig.default({ aws: [], gcp: [], public: [] }),
  notifications: NotificationsConfig.default({}),
  /** Metric gates; without this section the shipped runbooks skip them. */
  metrics: MetricsConfig.optional(),
  /** Checks of the outcome seen from outside: DNS answers sampled from the name servers. */
  verify: VerifyConfig.optional(),
  /** Where journals live; FAILOVER_STATE_DIR overrides. */
  stateDir: z.string().optional(),
  /** Saved plans: `required: true` makes `failover apply` need an approval by someone else. */
  approval: z.strictObject({ required: z.boolean().default(false) }).optional(),
});

export type Config = z.infer<typeof Config>;
export type Route53Config = z.infer<typeof Route53Config>;
export type GitopsConfig = z.infer<typeof GitopsConfig>;
export type ArgocdConfig = z.infer<typeof ArgocdConfig>;
export type KustomizeConfig = z.infer<typeof KustomizeConfig>;
export type Probe = z.infer<typeof Probe>;
export type MetricsConfig = z.infer<typeof MetricsConfig>;
export type DnsVerifyConfig = z.infer<typeof DnsVerifyConfig>;
