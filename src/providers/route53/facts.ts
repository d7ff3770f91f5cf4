/**
 * What a saved plan of a weight change was based on, read again before it is applied: for each
 * traffic policy an instance uses, its latest version (a new version means someone is editing
 * the policy) and the sha256 of the document of the version in use.
 */

import { createHash } from 'node:crypto';
import type * as Route53Sdk from '@aws-sdk/client-route-53';
import type { ListTrafficPoliciesCommandOutput } from '@aws-sdk/client-route-53';
import { stepFailed } from '../../engine/errors.js';
import { requireCommonJs } from '../../util/commonjs.js';
import { awsError } from '../aws.js';
import type { WeightTarget } from './port.js';
import { type Route53Session, readOnly } from './session.js';

const { ListTrafficPoliciesCommand } = requireCommonJs('@aws-sdk/client-route-53') as typeof Route53Sdk;

export interface PolicyFact {
  policyId: string;
  latestVersion: number;
  /** The version each instance uses and the sha256 of its document. */
  versions: { version: number; documentSha256: string }[];
}

const PAGE_LIMIT = 50;

async function latestVersions(session: Route53Session, wanted: Set<string>, signal?: AbortSignal) {
  const found = new Map<string, number>();
  let marker: string | undefined;
  for (let page = 0; page < PAGE_LIMIT; page++) {
    let out: ListTrafficPoliciesCommandOutput;
    try {
      out = await session.client.send(
        readOnly(new ListTrafficPoliciesCommand({ ...(marker ? { TrafficPolicyIdMarker: marker } : {}) })),
        { abortSignal: signal },
      );
    } catch (error) {
      throw awsError(error, 'Route 53', 'traffic policies');
    }
    for (const summary of out.TrafficPolicySummaries ?? [])
      if (summary.Id && wanted.has(summary.Id)) found.set(summary.Id, summary.LatestVersion ?? 0);
    if (found.size === wanted.size || !out.IsTruncated) return found;
    marker = out.TrafficPolicyIdMarker;
  }
  throw stepFailed('FO_ROUTE53_E3450', `traffic policies: more than ${PAGE_LIMIT} pages`);
}

/** Facts of the policies behind Traffic Flow targets; none for weighted record sets. */
export async function policyFacts(
  session: Route53Session,
  targets: readonly WeightTarget[],
  signal?: AbortSignal,
): Promise<PolicyFact[]> {
  const used = new Map<string, Set<number>>();
  for (const target of targets) {
    if (target.kind !== 'traffic-policy-instance') continue;
    const id = String(target.detail.policyId ?? '');
    const version = Number(target.detail.policyVersion);
    if (!id || !Number.isFinite(version)) continue;
    used.set(id, (used.get(id) ?? new Set()).add(version));
  }
  if (used.size === 0) return [];
  const latest = await latestVersions(session, new Set(used.keys()), signal);
  const facts: PolicyFact[] = [];
  for (const [policyId, versions] of [...used].sort(([a], [b]) => a.localeCompare(b))) {
    const read = await Promise.all(
      [...versions]
        .sort((a, b) => a - b)
        .map(async (version) => {
          const { document } = await session.policyVersion(policyId, version, signal);
          return { version, documentSha256: createHash('sha256').update(document).digest('hex') };
        }),
    );
    facts.push({ policyId, latestVersion: latest.get(policyId) ?? 0, versions: read });
  }
  return facts;
}
