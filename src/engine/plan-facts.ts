/**
 * The facts a saved plan is based on, read with the read ports only: the GitOps branch head and
 * the tree of each overlay, each Route 53 target (instance state, policy version, weights), each
 * traffic policy's latest version and the digest of the document in use, each Argo CD app's
 * revision, and the digests of the runbook and the config. Read at plan time and again before the
 * apply: any difference is drift.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { ReadPorts } from '../providers/ports.js';
import type { Role } from '../providers/types.js';
import { toFailoverError } from './errors.js';
import { canonicalJson, type PlanFact, sha256 } from './saved-plan.js';

function unreadable(id: string, what: string, error: unknown): PlanFact {
  return { id, what, value: `unreadable (${toFailoverError(error).message})`, unreadable: true };
}

/** The runbook's bytes: a changed procedure is drift too. */
export function runbookFact(file: string): PlanFact {
  const what = `runbook ${file}`;
  try {
    return { id: 'runbook', what, value: sha256(readFileSync(file)) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      id: 'runbook',
      what,
      value: code === 'ENOENT' ? 'missing' : `unreadable (${code ?? String(error)})`,
    };
  }
}

/** The config as loaded (environment overrides included), without where this machine keeps state. */
export function configFact(config: Config): PlanFact {
  const { stateDir: _stateDir, ...rest } = config;
  const gitops = rest.gitops ? { ...rest.gitops, cacheDir: undefined } : undefined;
  return { id: 'config', what: 'config', value: sha256(canonicalJson({ ...rest, gitops })) };
}

export async function collectFacts(
  read: ReadPorts,
  config: Config,
  signal?: AbortSignal,
): Promise<PlanFact[]> {
  const tasks: Promise<PlanFact[]>[] = [];
  if (config.gitops) {
    const gitops = config.gitops;
    tasks.push(
      (async () => {
        const roles: Role[] = ['aws', 'gcp'];
        const out: PlanFact[] = [];
        for (const role of roles) {
          const what = `${role} overlay`;
          try {
            if (!read.git.overlayDigest) break;
            const digest = await read.git.overlayDigest(role, signal);
            if (role === 'aws')
              out.push({ id: 'git.head', what: `git branch ${digest.branch}`, value: digest.revision });
            out.push({
              id: `git.overlay.${role}`,
              what: `${what} ${digest.path}`,
              value: `tree ${digest.tree}`,
            });
          } catch (error) {
            if (role === 'aws') out.push(unreadable('git.head', `git branch ${gitops.branch}`, error));
            out.push(unreadable(`git.overlay.${role}`, what, error));
          }
        }
        return out;
      })(),
    );
  }
  if (config.route53) {
    tasks.push(
      (async () => {
        let targets: Awaited<ReturnType<ReadPorts['route53']['describeWeights']>>;
        try {
          targets = await read.route53.describeWeights(signal);
        } catch (error) {
          return [unreadable('route53', 'route53 weights', error)];
        }
        const out: PlanFact[] = targets.map((t) => ({
          id: `route53.${t.kind === 'traffic-policy-instance' ? 'instance' : 'records'}.${t.id}`,
          what: `${t.kind === 'traffic-policy-instance' ? 'traffic policy instance' : 'weighted records'} ${t.id} (${t.name})`,
          value: [
            t.state,
            t.detail.policyId !== undefined
              ? `policy ${t.detail.policyId} version ${t.detail.policyVersion}`
              : '',
            `weights gcp ${t.weights.gcp} / aws ${t.weights.aws}`,
          ]
            .filter(Boolean)
            .join(', '),
        }));
        if (read.route53.policyFacts) {
          try {
            for (const policy of await read.route53.policyFacts(targets, signal)) {
              out.push({
                id: `route53.policy.${policy.policyId}`,
                what: `traffic policy ${policy.policyId}`,
                value: `latest version ${policy.latestVersion}`,
              });
              for (const v of policy.versions)
                out.push({
                  id: `route53.policy.${policy.policyId}.v${v.version}`,
                  what: `traffic policy ${policy.policyId} version ${v.version} document`,
                  value: `sha256:${v.documentSha256}`,
                });
            }
          } catch (error) {
            out.push(unreadable('route53.policy', 'traffic policies', error));
          }
        }
        return out;
      })(),
    );
  }
  if (config.argocd) {
    const roles: Role[] = config.argocd.gcpApps ? ['aws', 'gcp'] : ['aws'];
    for (const role of roles)
      tasks.push(
        (async () => {
          try {
            const apps = await read.argocd.apps(role, { signal });
            return apps.map((app) => ({
              id: `argocd.${role}.${app.name}`,
              what: `Argo CD app ${app.name}`,
              value: `revision ${app.revision ?? 'none'}`,
            }));
          } catch (error) {
            return [unreadable(`argocd.${role}`, `${role} Argo CD apps`, error)];
          }
        })(),
      );
  }
  const facts = (await Promise.all(tasks)).flat();
  return [configFact(config), ...facts].sort((a, b) => a.id.localeCompare(b.id));
}
