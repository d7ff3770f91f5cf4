/**
 * `failover iam-policy`: the policy is derived from step kinds and config, and it is kept honest by
 * scanning the adapters: every cloud operation they call (AWS SDK `new XxxCommand(`, waiters, the
 * Google clients' RPC methods) must be granted by the policy for the shipped runbooks, so an adapter
 * that starts calling something new fails here until the policy map grants it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { main } from '../../src/cli/main.js';
import { Config } from '../../src/config/schema.js';
import {
  AWS_ACTIONS,
  buildIamPolicy,
  formatIamPolicy,
  type IamPolicyReport,
  normalizeRecordName,
  type PolicyDocument,
  policyAllows,
  STEP_NEEDS,
} from '../../src/lint/iam/index.js';
import { type LoadedRunbook, loadRunbook, parseRunbook } from '../../src/runbook/load.js';
import { createRegistry } from '../../src/steps/registry.js';
import { defineStep, type StepKind } from '../../src/steps/types.js';
import { shippedRunbook } from '../../src/util/package-root.js';

const ROOT = join(import.meta.dirname, '..', '..');
const registry = createRegistry();
const shipped = ['to-aws', 'to-gcp', 'drill'].map((name) => loadRunbook(shippedRunbook(name), registry));

// ── the scanner: which cloud operations do the adapters call? ───────────────────────────────────

/** IAM service prefix of each AWS SDK client package the adapters may import. */
const AWS_PACKAGES: Record<string, string> = {
  '@aws-sdk/client-route-53': 'route53',
  '@aws-sdk/client-eks': 'eks',
};
/** SDK waiters poll an operation of their own. */
const AWS_WAITERS: Record<string, string> = { waitUntilResourceRecordSetsChanged: 'GetChange' };
/** Google RPCs (package.Service.Rpc) → the IAM permission each one checks. */
const GOOGLE_RPC_PERMISSIONS: Record<string, string> = {
  'google.container.v1.ClusterManager.GetCluster': 'container.clusters.get',
  'google.cloud.gkemulticloud.v1.AwsClusters.GetAwsCluster': 'gkemulticloud.awsClusters.get',
  'google.cloud.gkemulticloud.v1.AwsClusters.ListAwsNodePools': 'gkemulticloud.awsNodePools.list',
};
const GOOGLE_PACKAGES = ['container', 'gkemulticloud'];

interface Operation {
  file: string;
  cloud: 'aws' | 'gcp';
  /** `route53:GetChange`, `container.clusters.get`. */
  permission: string;
  /** What the source calls. */
  call: string;
}

/** Names imported (as values) from a package: `import { A, B as C, type D } from 'pkg'`. */
function importsFrom(source: string, pkg: string): Map<string, string> {
  const names = new Map<string, string>();
  const pattern = new RegExp(
    // `import { A } from 'pkg'` or, for the SDKs loaded through require (src/util/commonjs.ts),
    // `const { A } = requireCommonJs('pkg')`.
    `(?:import|const)\\s*\\{([^}]*)\\}\\s*(?:from|=\\s*requireCommonJs\\()\\s*['"]${pkg.replace(/[/\\-]/g, '\\$&')}['"]`,
    'g',
  );
  for (const match of source.matchAll(pattern)) {
    for (const part of (match[1] ?? '').split(',')) {
      const item = part.trim();
      if (!item || item.startsWith('type ')) continue;
      const [name, alias] = item.split(/\s+as\s+/);
      names.set((alias ?? name ?? '').trim(), (name ?? '').trim());
    }
  }
  return names;
}

function googleRpcs(pkg: string): { rpc: string; method: string }[] {
  const metadata = JSON.parse(
    readFileSync(
      join(ROOT, 'node_modules', '@google-cloud', pkg, 'build', 'src', 'v1', 'gapic_metadata.json'),
      'utf8',
    ),
  ) as {
    protoPackage: string;
    services: Record<string, { clients: { grpc: { rpcs: Record<string, { methods: string[] }> } } }>;
  };
  return Object.entries(metadata.services).flatMap(([service, { clients }]) =>
    Object.entries(clients.grpc.rpcs).flatMap(([rpc, { methods }]) =>
      methods.map((method) => ({ rpc: `${metadata.protoPackage}.${service}.${rpc}`, method })),
    ),
  );
}

/** The cloud operations one source file calls; throws for a call it cannot attribute. */
function scanSource(source: string, file: string): Operation[] {
  const ops: Operation[] = [];
  const imported = new Map<string, { service: string; name: string }>();
  for (const [pkg, service] of Object.entries(AWS_PACKAGES)) {
    for (const [local, name] of importsFrom(source, pkg)) imported.set(local, { service, name });
  }
  for (const pkg of source.matchAll(/['"](@aws-sdk\/client-[a-z0-9-]+)['"]/g)) {
    if (!((pkg[1] as string) in AWS_PACKAGES))
      throw new Error(`${file}: imports ${pkg[1]}: add its IAM prefix to AWS_PACKAGES`);
  }
  for (const match of source.matchAll(/new\s+(\w+Command)\s*\(/g)) {
    const found = imported.get(match[1] as string);
    if (!found) throw new Error(`${file}: new ${match[1]}(…) is not imported from a known AWS SDK client`);
    ops.push({
      file,
      cloud: 'aws',
      permission: `${found.service}:${found.name.replace(/Command$/, '')}`,
      call: match[0],
    });
  }
  for (const match of source.matchAll(/\b(waitUntil\w+|paginate\w+)\s*\(/g)) {
    const found = imported.get(match[1] as string);
    if (!found) continue;
    const operation = found.name.startsWith('paginate')
      ? found.name.slice('paginate'.length)
      : AWS_WAITERS[found.name];
    if (!operation) throw new Error(`${file}: ${found.name} polls an operation AWS_WAITERS does not name`);
    ops.push({ file, cloud: 'aws', permission: `${found.service}:${operation}`, call: match[0] });
  }
  for (const pkg of GOOGLE_PACKAGES) {
    if (!source.includes(`'@google-cloud/${pkg}'`)) continue;
    for (const { rpc, method } of googleRpcs(pkg)) {
      if (!new RegExp(`\\.${method}\\s*\\(`).test(source)) continue;
      const permission = GOOGLE_RPC_PERMISSIONS[rpc];
      if (!permission)
        throw new Error(
          `${file}: calls ${rpc} (.${method}); add its IAM permission to GOOGLE_RPC_PERMISSIONS`,
        );
      ops.push({ file, cloud: 'gcp', permission, call: `.${method}(` });
    }
  }
  return ops;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts')
      ? [path]
      : [];
  });
}

const scanned: Operation[] = sourceFiles(join(ROOT, 'src', 'providers')).flatMap((path) =>
  scanSource(readFileSync(path, 'utf8'), relative(ROOT, path)),
);

function grants(report: IamPolicyReport, op: Pick<Operation, 'cloud' | 'permission'>): boolean {
  return op.cloud === 'aws'
    ? policyAllows(report.aws, op.permission)
    : report.gcp.permissions.includes(op.permission);
}

// ── sample configs ──────────────────────────────────────────────────────────────────────────────

/**
 * Traffic Flow (instances by id, by name in a zone, by name alone), EKS without node groups, GKE,
 * and the DNS verification with every default (the hosted zone's name servers).
 */
const trafficFlowEks = Config.parse({
  aws: { region: 'eu-west-1' },
  route53: {
    mode: 'traffic-flow',
    trafficFlow: {
      instances: [
        'inst-1',
        { id: 'inst-2' },
        { name: 'admin.example.com.', hostedZoneId: '/hostedzone/ZONE1' },
        { name: 'api.example.com.' },
      ],
      roles: { gcp: 'gke', aws: 'aws' },
    },
    healthChecks: { gcp: 'hc-gcp', aws: 'hc-aws' },
  },
  eks: { cluster: 'standby' },
  gke: { project: 'prod', location: 'asia-northeast1', cluster: 'admin' },
  verify: { dns: {} },
});

/** Weighted record sets, Anthos clusters on AWS instead of EKS, GKE. */
const recordSetsAnthos = Config.parse({
  aws: { region: 'us-east-1' },
  route53: {
    mode: 'record-sets',
    recordSets: {
      hostedZoneId: '/hostedzone/Z123',
      name: 'App.Example.com.',
      type: 'A',
      setIdentifiers: { gcp: 'gke', aws: 'aws' },
    },
    healthChecks: { aws: 'hc-aws' },
  },
  anthosAws: { project: 'prod', location: 'us-east4', cluster: 'standby-anthos' },
  gke: { project: 'prod', location: 'asia-northeast1', cluster: 'admin' },
});

const SCENARIOS = {
  'traffic flow + EKS': buildIamPolicy(shipped, trafficFlowEks),
  'record sets + Anthos': buildIamPolicy(shipped, recordSetsAnthos),
  'no config': buildIamPolicy(shipped, undefined),
} as const;
type Scenario = keyof typeof SCENARIOS;

/** Which configs make each adapter file run; a new file that calls a cloud must be added here. */
const FILE_SCENARIOS: Record<string, Scenario[]> = {
  'src/providers/route53/adapter.ts': ['traffic flow + EKS', 'record sets + Anthos'],
  'src/providers/route53/session.ts': ['traffic flow + EKS'],
  'src/providers/route53/traffic-flow.ts': ['traffic flow + EKS'],
  'src/providers/route53/record-sets.ts': ['record sets + Anthos'],
  'src/providers/route53/dns-target.ts': ['traffic flow + EKS'],
  'src/providers/route53/facts.ts': ['traffic flow + EKS'],
  'src/providers/route53/instances.ts': ['traffic flow + EKS'],
  'src/providers/eks/adapter.ts': ['traffic flow + EKS'],
  'src/providers/gke/adapter.ts': ['traffic flow + EKS', 'record sets + Anthos'],
  'src/providers/anthos-aws/adapter.ts': ['record sets + Anthos'],
};

describe('the policy grants what the adapters call', () => {
  it('the scan finds the operations (it is not vacuous)', () => {
    const found = new Set(scanned.map((o) => o.permission));
    for (const expected of [
      'route53:GetTrafficPolicyInstance',
      'route53:CreateTrafficPolicyVersion',
      'route53:UpdateTrafficPolicyInstance',
      'route53:GetTrafficPolicy',
      'route53:ChangeResourceRecordSets',
      'route53:GetChange',
      'route53:GetHealthCheckStatus',
      'eks:DescribeCluster',
      'eks:DescribeNodegroup',
      'container.clusters.get',
      'gkemulticloud.awsClusters.get',
    ]) {
      expect(found, expected).toContain(expected);
    }
  });

  it('only src/providers talks to the clouds, so scanning it covers every call', () => {
    const outside = sourceFiles(join(ROOT, 'src'))
      .filter((path) => !relative(ROOT, path).startsWith(join('src', 'providers')))
      .filter((path) =>
        /(from\s+|import\s*\(\s*)['"](@aws-sdk\/client-[a-z0-9-]+|@google-cloud\/[a-z0-9-]+)['"]/.test(
          readFileSync(path, 'utf8'),
        ),
      )
      .map((path) => relative(ROOT, path));
    expect(outside).toEqual([]);
  });

  it('every adapter file that calls a cloud is mapped to the configs that make it run', () => {
    const files = [...new Set(scanned.map((o) => o.file))].sort();
    expect(files.filter((file) => !(file in FILE_SCENARIOS))).toEqual([]);
  });

  it.each(Object.keys(SCENARIOS) as Scenario[])(
    '%s: every operation its adapters call is granted',
    (scenario) => {
      const report = SCENARIOS[scenario];
      const relevant =
        scenario === 'no config'
          ? scanned
          : scanned.filter((o) => FILE_SCENARIOS[o.file]?.includes(scenario));
      expect(relevant.length).toBeGreaterThan(0);
      const missing = relevant
        .filter((op) => !grants(report, op))
        .map((o) => `${o.file}: ${o.call} needs ${o.permission}`);
      expect(missing).toEqual([]);
    },
  );

  it('catches an adapter that starts calling an operation the policy does not grant', () => {
    const source = `import { DeleteHostedZoneCommand, GetChangeCommand } from '@aws-sdk/client-route-53';
      await client.send(new GetChangeCommand({ Id: id }));
      await client.send(new DeleteHostedZoneCommand({ Id: zone }));`;
    const ops = scanSource(source, 'src/providers/route53/new.ts');
    expect(ops.map((o) => o.permission)).toEqual(['route53:GetChange', 'route53:DeleteHostedZone']);
    expect(ops.filter((op) => !grants(SCENARIOS['no config'], op)).map((o) => o.permission)).toEqual([
      'route53:DeleteHostedZone',
    ]);
    const google = `import type { ClusterManagerClient } from '@google-cloud/container';
      await client.deleteCluster({ name });`;
    expect(() => scanSource(google, 'src/providers/gke/new.ts')).toThrow(/DeleteCluster/);
    expect(() => scanSource(`import { S3Client } from '@aws-sdk/client-s3';`, 'x.ts')).toThrow(
      /AWS_PACKAGES/,
    );
  });

  it('every registered step kind has an IAM mapping, and the map names no unknown kind', () => {
    expect([...registry.keys()].filter((kind) => !(kind in STEP_NEEDS))).toEqual([]);
    expect(Object.keys(STEP_NEEDS).filter((kind) => !registry.has(kind))).toEqual([]);
  });
});

function statement(policy: PolicyDocument, action: string) {
  return policy.Statement.filter((s) => s.Action.includes(action));
}

describe('resources from the config', () => {
  it('Traffic Flow + EKS: ARNs of the configured instances, health checks and cluster', () => {
    const ids = Config.parse({
      aws: { region: 'eu-west-1' },
      route53: {
        trafficFlow: { instances: ['inst-1', { id: 'inst-2' }], roles: { gcp: 'gke', aws: 'aws' } },
        healthChecks: { gcp: 'hc-gcp', aws: 'hc-aws' },
      },
      eks: { cluster: 'standby', nodeGroups: ['ng-a', 'ng-b'] },
      gke: { project: 'prod', location: 'asia-northeast1', cluster: 'admin' },
    });
    const { aws, gcp, notes } = buildIamPolicy(shipped, ids);
    const instances = [
      'arn:aws:route53:::trafficpolicyinstance/inst-1',
      'arn:aws:route53:::trafficpolicyinstance/inst-2',
    ];
    expect(statement(aws, 'route53:GetTrafficPolicyInstance')[0]?.Resource).toEqual(instances);
    expect(statement(aws, 'route53:UpdateTrafficPolicyInstance')[0]?.Resource).toEqual(instances);
    expect(statement(aws, 'route53:GetTrafficPolicy')[0]?.Resource).toEqual([
      'arn:aws:route53:::trafficpolicy/*',
    ]);
    expect(statement(aws, 'route53:GetHealthCheckStatus')[0]?.Resource).toEqual([
      'arn:aws:route53:::healthcheck/hc-aws',
      'arn:aws:route53:::healthcheck/hc-gcp',
    ]);
    expect(statement(aws, 'eks:DescribeCluster')[0]?.Resource).toEqual([
      'arn:aws:eks:eu-west-1:*:cluster/standby',
    ]);
    expect(statement(aws, 'eks:DescribeNodegroup')[0]?.Resource).toEqual([
      'arn:aws:eks:eu-west-1:*:nodegroup/standby/ng-a/*',
      'arn:aws:eks:eu-west-1:*:nodegroup/standby/ng-b/*',
    ]);
    // Node groups named in the config are not listed; instances given by id are not listed either.
    for (const action of [
      'eks:ListNodegroups',
      'route53:ListTrafficPolicyInstances',
      'route53:ListResourceRecordSets',
      'route53:ChangeResourceRecordSets',
    ]) {
      expect(policyAllows(aws, action), action).toBe(false);
    }
    expect(gcp.permissions).toEqual(['container.clusters.get']);
    expect(gcp.resources).toEqual(['projects/prod/locations/asia-northeast1/clusters/admin']);
    expect(gcp.role.predefined).toEqual(['roles/container.clusterViewer']);
    expect(notes.join('\n')).toMatch(/trafficpolicy\/\*/);
    expect(notes.join('\n')).not.toMatch(/trafficpolicyinstance\/\*/);
  });

  it('instances named by DNS name: listed, so their ids become a wildcard', () => {
    const { aws } = SCENARIOS['traffic flow + EKS'];
    expect(statement(aws, 'route53:GetTrafficPolicyInstance')[0]?.Resource).toEqual([
      'arn:aws:route53:::trafficpolicyinstance/*',
    ]);
    expect(statement(aws, 'route53:ListTrafficPolicyInstances')[0]?.Resource).toBe('*');
    expect(statement(aws, 'route53:ListTrafficPolicyInstancesByHostedZone')[0]?.Resource).toEqual([
      'arn:aws:route53:::hostedzone/ZONE1',
    ]);
  });

  it('record sets: the zone, UPSERT of the configured name and type only, GetChange on changes', () => {
    const { aws, gcp } = SCENARIOS['record sets + Anthos'];
    const [change] = statement(aws, 'route53:ChangeResourceRecordSets');
    expect(change?.Resource).toEqual(['arn:aws:route53:::hostedzone/Z123']);
    expect(change?.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['app.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
    expect(statement(aws, 'route53:ListResourceRecordSets')[0]?.Resource).toEqual([
      'arn:aws:route53:::hostedzone/Z123',
    ]);
    expect(statement(aws, 'route53:GetChange')[0]?.Resource).toEqual(['arn:aws:route53:::change/*']);
    expect(policyAllows(aws, 'route53:CreateTrafficPolicyVersion')).toBe(false);
    // No eks section: the Anthos cluster is read through Google instead.
    expect(policyAllows(aws, 'eks:DescribeCluster')).toBe(false);
    expect(gcp.permissions).toEqual([
      'container.clusters.get',
      'gkemulticloud.awsClusters.get',
      'gkemulticloud.awsNodePools.list',
    ]);
    expect(gcp.resources).toContain('projects/prod/locations/us-east4/awsClusters/standby-anthos');
  });

  it('the partition follows the region', () => {
    const china = Config.parse({ aws: { region: 'cn-north-1' }, eks: { cluster: 'c' } });
    const { aws } = buildIamPolicy(shipped, china);
    expect(statement(aws, 'eks:DescribeCluster')[0]?.Resource).toEqual([
      'arn:aws-cn:eks:cn-north-1:*:cluster/c',
    ]);
  });

  it.each([
    ['App.Example.com.', 'app.example.com'],
    ['*.example.com', '\\052.example.com'],
    ['under_score-ok.example.com', 'under_score-ok.example.com'],
  ])('record name %s is normalized as the condition key wants: %s', (name, normalized) => {
    expect(normalizeRecordName(name)).toBe(normalized);
  });
});

describe('the policy document', () => {
  it.each(Object.keys(SCENARIOS) as Scenario[])(
    '%s: well formed, reads before writes, known actions only',
    (scenario) => {
      const { aws } = SCENARIOS[scenario];
      const sids = aws.Statement.map((s) => s.Sid);
      expect(new Set(sids).size).toBe(sids.length);
      for (const s of aws.Statement) {
        expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
        expect(s.Effect).toBe('Allow');
        expect(s.Action.length).toBeGreaterThan(0);
        for (const action of s.Action) expect(Object.keys(AWS_ACTIONS)).toContain(action);
      }
      const access = aws.Statement.flatMap((s) =>
        s.Action.map((a) => AWS_ACTIONS[a as keyof typeof AWS_ACTIONS].access),
      );
      expect(access.indexOf('write')).toBeGreaterThan(access.lastIndexOf('read'));
    },
  );

  it('the drill is read-only: its policy has no write action', () => {
    const drill = shipped.filter((r) => r.runbook.name.startsWith('drill'));
    const { aws } = buildIamPolicy(drill, trafficFlowEks);
    const actions = aws.Statement.flatMap((s) => s.Action);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => AWS_ACTIONS[a as keyof typeof AWS_ACTIONS].access === 'write')).toEqual([]);
  });

  it('names the steps behind each permission', () => {
    const { usedBy } = SCENARIOS['traffic flow + EKS'];
    expect(usedBy['route53:UpdateTrafficPolicyInstance']).toEqual([
      'to-aws/shift (route53.set-weights)',
      'to-gcp/shift (route53.set-weights)',
    ]);
  });

  it('a step kind without a mapping is a bug, reported as such', () => {
    const custom: StepKind<unknown> = defineStep({
      kind: 'custom.thing',
      description: 'test kind',
      mutating: false,
      input: z.object({ message: z.string() }),
      plan: async () => ({ summary: '', changes: [], converged: true }),
    });
    const withCustom = createRegistry([custom as StepKind<never>]);
    const loaded: LoadedRunbook = parseRunbook(
      'name: custom\nsteps:\n  - id: a\n    uses: custom.thing\n    with: { message: hi }\n',
      'custom.yaml',
      withCustom,
    );
    expect(() => buildIamPolicy([loaded], undefined)).toThrow(/no IAM mapping for step kind custom.thing/);
  });

  it('the text output is the policy JSON, then the Google Cloud permissions and the notes', () => {
    const text = formatIamPolicy(SCENARIOS['record sets + Anthos']);
    const json = text.slice(text.indexOf('{'), text.indexOf('\n}\n') + 2);
    expect(JSON.parse(json)).toEqual(SCENARIOS['record sets + Anthos'].aws);
    expect(text).toMatch(/gkemulticloud\.awsClusters\.get\s+used by .*check\.anthos-aws-cluster/);
  });
});

describe('failover iam-policy (command)', () => {
  afterEach(() => vi.restoreAllMocks());

  async function run(...args: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['node', 'failover', ...args]);
    return { code, stdout };
  }

  it('--output json prints one object {aws, gcp} for the shipped runbooks', async () => {
    const { code, stdout } = await run(
      '--config',
      'test/fixtures/standby/no-such-config.yaml',
      '-o',
      'json',
      'iam-policy',
    );
    // An explicit config that does not exist is a usage error.
    expect(code).toBe(2);
    const ok = await run('-o', 'json', 'iam-policy');
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout) as IamPolicyReport;
    expect(out.runbooks).toEqual(['to-aws', 'to-gcp', 'drill-rehearsal']);
    expect(out.aws.Version).toBe('2012-10-17');
    expect(out.gcp.permissions).toContain('container.clusters.get');
    expect(stdout).toMatch(/config file not found/);
  });
});
