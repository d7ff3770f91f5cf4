/**
 * `failover iam-policy`: the least-privilege AWS IAM policy and the Google Cloud permissions that
 * the given runbooks need, from their step kinds and the config. Statements are grouped by access
 * (read first, then write), service and resource, so a security review can read what each allows.
 */
import type { Config } from '../../config/schema.js';
import { FailoverError } from '../../engine/errors.js';
import { Unknown } from '../../runbook/expressions.js';
import { flattenSteps, type LoadedRunbook } from '../../runbook/load.js';
import { isGroup } from '../../runbook/schema.js';
import { decided, scopeWith } from '../runbook/rules.js';
import { type Access, AWS_ACTIONS, type AwsAction, GCP_PERMISSIONS, type GcpPermission } from './catalog.js';
import { type AwsNeed, type Need, type NeedContext, STEP_NEEDS } from './needs.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface GcpPermissions {
  /** Permissions to put in a custom role (exactly what failover calls). */
  permissions: string[];
  /** The resources they are used on (grant on their project; an IAM condition on resource.name can narrow further). */
  resources: string[];
  /** APIs the calls go to. */
  apis: string[];
  role: {
    /** A custom role with exactly these permissions: the least privilege. */
    custom: { title: string; description: string; includedPermissions: string[] } | null;
    /** The narrowest predefined roles that contain them (broader than the custom role). */
    predefined: string[];
  };
}

export interface IamPolicyReport {
  /** The runbooks the policy is for, by name. */
  runbooks: string[];
  aws: PolicyDocument;
  gcp: GcpPermissions;
  /** Which steps need each action or permission: `to-aws/shift (route53.set-weights)`. */
  usedBy: Record<string, string[]>;
  /** What the wildcards stand for and how to narrow them. */
  notes: string[];
}

const SERVICE_LABEL: Record<string, string> = { route53: 'Route53', eks: 'Eks' };
const TYPE_LABEL: Record<string, string> = {
  trafficpolicyinstance: 'TrafficPolicyInstances',
  trafficpolicy: 'TrafficPolicies',
  hostedzone: 'HostedZone',
  healthcheck: 'HealthChecks',
  change: 'Changes',
  cluster: 'Cluster',
  nodegroup: 'NodeGroups',
  '*': 'Unscoped',
};

/** `a` grants at least what `b` does (a trailing `*` wildcard). */
function covers(a: string, b: string): boolean {
  return a === b || (a.endsWith('*') && b.startsWith(a.slice(0, -1)));
}

function minimalResources(resources: Iterable<string>): string[] {
  const all = [...new Set(resources)];
  return all.filter((r) => !all.some((other) => other !== r && covers(other, r))).sort();
}

interface Grant {
  action: AwsAction;
  resources: Set<string>;
  condition?: AwsNeed['condition'];
  /** Set when the same action came with different conditions: then none is kept (the broader grant). */
  conditionConflict: boolean;
}

function statementsOf(grants: Iterable<Grant>): PolicyStatement[] {
  const groups = new Map<
    string,
    {
      access: Access;
      service: string;
      type: string;
      actions: string[];
      resources: string[];
      condition?: AwsNeed['condition'];
    }
  >();
  for (const grant of grants) {
    const { access, resource: type } = AWS_ACTIONS[grant.action];
    const service = grant.action.split(':')[0] as string;
    const resources = minimalResources(grant.resources);
    const condition = grant.conditionConflict ? undefined : grant.condition;
    const key = [access, service, type, resources.join(','), JSON.stringify(condition ?? null)].join('|');
    const group = groups.get(key) ?? {
      access,
      service,
      type,
      actions: [],
      resources,
      ...(condition ? { condition } : {}),
    };
    group.actions.push(grant.action);
    groups.set(key, group);
  }
  const ordered = [...groups.values()].sort(
    (a, b) =>
      (a.access === b.access ? 0 : a.access === 'read' ? -1 : 1) ||
      a.service.localeCompare(b.service) ||
      a.type.localeCompare(b.type),
  );
  const sids = new Map<string, number>();
  return ordered.map((group) => {
    const base = `${SERVICE_LABEL[group.service] ?? group.service}${group.access === 'read' ? 'Read' : 'Write'}${TYPE_LABEL[group.type] ?? 'Resources'}`;
    const count = (sids.get(base) ?? 0) + 1;
    sids.set(base, count);
    const resource = group.resources.length === 1 && group.resources[0] === '*' ? '*' : group.resources;
    return {
      Sid: count === 1 ? base : `${base}${count}`,
      Effect: 'Allow' as const,
      Action: [...group.actions].sort(),
      Resource: resource,
      ...(group.condition ? { Condition: group.condition } : {}),
    };
  });
}

/**
 * The permissions the runbooks need with this config (or, without one, with every mode assumed and
 * wildcards where the config would name resources).
 */
export function buildIamPolicy(
  runbooks: readonly LoadedRunbook[],
  config: Config | undefined,
): IamPolicyReport {
  const notes = new Set<string>();
  const ctx: NeedContext = { config, note: (text) => notes.add(text) };
  const grants = new Map<AwsAction, Grant>();
  const gcp = new Map<GcpPermission, Set<string>>();
  const usedBy = new Map<string, Set<string>>();
  const use = (key: string, by: string) => {
    const set = usedBy.get(key) ?? new Set<string>();
    set.add(by);
    usedBy.set(key, set);
  };

  for (const loaded of runbooks) {
    // A step the config switches off (`when: ${{ config.anthosAws }}`) needs nothing; parameters
    // can change at run time, so only the config decides here.
    const params = Object.fromEntries(
      Object.keys(loaded.runbook.params).map((name) => [name, new Unknown(`params.${name}`)]),
    );
    const scope = scopeWith(params, config as unknown as Record<string, unknown> | undefined);
    for (const { step, path } of flattenSteps(loaded.runbook)) {
      const entry = path[0] === 'steps' ? loaded.runbook.steps[path[1] as number] : undefined;
      const groupWhen = entry && isGroup(entry) ? entry.when : undefined;
      if (config && (decided(step.when, scope) === false || decided(groupWhen, scope) === false)) continue;
      const needsOf = STEP_NEEDS[step.uses];
      if (!needsOf) {
        throw new FailoverError(
          'FO_IAM_E5001',
          'internal',
          `no IAM mapping for step kind ${step.uses} (step ${step.id} of ${loaded.runbook.name})`,
          { hint: 'add the kind to STEP_NEEDS in src/lint/iam/needs.ts' },
        );
      }
      const by = `${loaded.runbook.name}/${step.id} (${step.uses})`;
      for (const need of needsOf(ctx) as Need[]) {
        if (need.cloud === 'gcp') {
          const resources = gcp.get(need.permission) ?? new Set<string>();
          resources.add(need.resource);
          gcp.set(need.permission, resources);
          use(need.permission, by);
          continue;
        }
        const grant = grants.get(need.action) ?? {
          action: need.action,
          resources: new Set(),
          conditionConflict: false,
        };
        if (grant.resources.size === 0) {
          if (need.condition) grant.condition = need.condition;
        } else if (JSON.stringify(grant.condition ?? null) !== JSON.stringify(need.condition ?? null)) {
          grant.conditionConflict = true;
        }
        for (const resource of need.resources) grant.resources.add(resource);
        grants.set(need.action, grant);
        use(need.action, by);
      }
    }
  }

  const permissions = [...gcp.keys()].sort();
  const predefined = [...new Set(permissions.map((p) => GCP_PERMISSIONS[p].role))].sort();
  return {
    runbooks: runbooks.map((r) => r.runbook.name),
    aws: { Version: '2012-10-17', Statement: statementsOf(grants.values()) },
    gcp: {
      permissions,
      resources: minimalResources([...gcp.values()].flatMap((set) => [...set])),
      apis: [...new Set(permissions.map((p) => GCP_PERMISSIONS[p].api))].sort(),
      role: {
        custom:
          permissions.length > 0
            ? {
                title: 'failover (read-only cluster checks)',
                description: `Exactly what failover calls for: ${runbooks.map((r) => r.runbook.name).join(', ')}`,
                includedPermissions: permissions,
              }
            : null,
        predefined,
      },
    },
    usedBy: Object.fromEntries(
      [...usedBy].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()]),
    ),
    notes: [...notes],
  };
}

/** Whether the policy allows `action` on `resource` (`*` asks whether it is allowed on anything). */
export function policyAllows(policy: PolicyDocument, action: string, resource = '*'): boolean {
  return policy.Statement.some((statement) => {
    if (!statement.Action.includes(action)) return false;
    if (resource === '*') return true;
    const resources = typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;
    return resources.some((r) => covers(r, resource));
  });
}

/** The policy as an operator reads it: the JSON to attach, then the Google Cloud side and the notes. */
export function formatIamPolicy(report: IamPolicyReport): string {
  const out = [
    `# AWS IAM policy for ${report.runbooks.join(', ')} (attach to the role failover runs as)`,
    JSON.stringify(report.aws, null, 2),
    '',
  ];
  if (report.gcp.permissions.length > 0) {
    out.push(`# Google Cloud permissions (APIs: ${report.gcp.apis.join(', ')})`);
    const width = Math.max(...report.gcp.permissions.map((p) => p.length));
    for (const permission of report.gcp.permissions) {
      out.push(`  ${permission.padEnd(width)}  used by ${(report.usedBy[permission] ?? []).join(', ')}`);
    }
    out.push(`  on: ${report.gcp.resources.join(', ')}`);
    out.push(
      `  least privilege: a custom role with exactly these permissions; narrowest predefined role(s): ${report.gcp.role.predefined.join(', ')}`,
    );
  } else {
    out.push('# Google Cloud: no permission needed');
  }
  if (report.notes.length > 0) {
    out.push('', '# Notes');
    for (const note of report.notes) out.push(`  - ${note}`);
  }
  return out.join('\n');
}
