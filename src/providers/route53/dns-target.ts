/**
 * What the DNS verification needs from Route 53: the name that carries the weights, its hosted
 * zone's own name servers (GetHostedZone's DelegationSet: the servers that answer for it on the
 * internet, so production needs no extra setting) and what each side answers with — the values
 * of each role's endpoints in the policy document, or of each role's weighted record set (a value
 * or an alias target's DNS name). Read-only.
 */
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import { requireCommonJs } from '../../util/commonjs.js';
import { awsError } from '../aws.js';
import type { Role } from '../types.js';
import type { TrafficPolicyDocument, TrafficPolicyTarget } from './document.js';
import { normalizeRoleRef } from './policy-document.js';
import type { DnsTarget } from './port.js';
import { RecordSets } from './record-sets.js';
import { type Route53Session, readOnly } from './session.js';
import { TrafficFlow } from './traffic-flow.js';

const { GetHostedZoneCommand } = requireCommonJs('@aws-sdk/client-route-53') as typeof Route53Sdk;

const ROLES: Role[] = ['gcp', 'aws'];

export async function describeDnsTarget(session: Route53Session, signal?: AbortSignal): Promise<DnsTarget> {
  let base: Omit<DnsTarget, 'nameServers'>;
  if (session.route53.mode === 'record-sets') {
    const recordSets = new RecordSets(session);
    const pair = await recordSets.read(signal);
    const rs = session.route53.recordSets;
    const sides = Object.fromEntries(
      ROLES.map((role) => {
        const record = pair.records[role];
        const values = record.AliasTarget?.DNSName
          ? [record.AliasTarget.DNSName]
          : (record.ResourceRecords ?? []).map((r) => r.Value ?? '');
        return [role, values.filter(Boolean)];
      }),
    ) as Record<Role, string[]>;
    base = {
      name: rs?.name ?? '',
      type: rs?.type ?? 'A',
      hostedZoneId: (rs?.hostedZoneId ?? '').replace(/^\/hostedzone\//, ''),
      sides,
    };
  } else {
    const flow = new TrafficFlow(session);
    const [instance] = await flow.instances(signal);
    if (!instance) throw new Error('route53.trafficFlow.instances names no instance');
    const version = await session.policyVersion(instance.policyId, instance.version, signal);
    const document = JSON.parse(version.document) as TrafficPolicyDocument;
    const roles = session.route53.trafficFlow?.roles;
    const sides = Object.fromEntries(
      ROLES.map((role) => [role, roles ? valuesOf(document, normalizeRoleRef(roles[role])) : []]),
    ) as Record<Role, string[]>;
    base = { name: instance.name, type: instance.type, hostedZoneId: instance.hostedZoneId, sides };
  }
  try {
    const zone = await session.client.send(readOnly(new GetHostedZoneCommand({ Id: base.hostedZoneId })), {
      abortSignal: signal,
    });
    return { ...base, nameServers: zone.DelegationSet?.NameServers ?? [] };
  } catch (error) {
    throw awsError(error, 'Route 53', `hosted zone ${base.hostedZoneId}`);
  }
}

/** Every endpoint value an endpoint or a rule (through its nested rules) can answer with. */
function valuesOf(document: TrafficPolicyDocument, ref: { endpoint: string } | { rule: string }): string[] {
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (target: TrafficPolicyTarget) => {
    if (target.EndpointReference !== undefined) {
      const value = document.Endpoints?.[target.EndpointReference]?.Value;
      if (value) out.add(value);
    }
    if (target.RuleReference !== undefined && !seen.has(target.RuleReference)) {
      seen.add(target.RuleReference);
      const rule = document.Rules?.[target.RuleReference];
      const targets: (TrafficPolicyTarget | undefined)[] = [
        ...(rule?.Items ?? []),
        rule?.Primary,
        rule?.Secondary,
        ...(rule?.Locations ?? []),
        ...(rule?.Regions ?? []),
        ...(rule?.GeoproximityLocations ?? []),
      ];
      for (const t of targets) if (t) visit(t);
    }
  };
  visit('endpoint' in ref ? { EndpointReference: ref.endpoint } : { RuleReference: ref.rule });
  return [...out];
}
