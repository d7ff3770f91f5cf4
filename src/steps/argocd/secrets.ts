/**
 * ExternalSecrets and failed syncs in the wait's judgement. An ExternalSecret that cannot sync
 * never writes its Secret, and every pod that reads or mounts that Secret stays unstarted: the
 * wait names the ExternalSecret and its Ready condition (`waiting for ExternalSecret
 * admin/db-credentials: SecretSyncedError …`) instead of a bare ready count. A sync of the wanted
 * revision that failed is final (auto-sync does not retry a revision it failed on), so the wait can
 * say why at once.
 */
import type { AppState, ExternalSecretState, WorkloadState } from '../../providers/argocd/port.js';
import { sameRevision, shortRevision, syncedAsGitWants } from './condition.js';

const ref = (es: { name: string; namespace?: string }) =>
  `${es.namespace ? `${es.namespace}/` : ''}${es.name}`;

/** Why an ExternalSecret is not Ready, or undefined when it is. */
export function externalSecretProblem(es: ExternalSecretState): string | undefined {
  if (es.missing) return 'not created yet';
  if (es.ready === true) return undefined;
  if (es.ready === false) return `${es.reason ?? 'not ready'}${es.message ? ` ${es.message}` : ''}`;
  return 'not synced yet (no Ready condition)';
}

/** The ExternalSecret a not-ready workload waits for: one whose Secret it needs and that was never written. */
export function secretWait(
  workload: WorkloadState,
  externalSecrets: readonly ExternalSecretState[] | undefined,
): { text: string } | undefined {
  if (!workload.secrets?.length || !externalSecrets?.length) return undefined;
  for (const name of workload.secrets) {
    const es = externalSecrets.find(
      (e) => e.secret === name && (!workload.namespace || !e.namespace || e.namespace === workload.namespace),
    );
    if (!es || es.secretExists) continue;
    return {
      text: `waiting for ExternalSecret ${ref(es)}: ${externalSecretProblem(es) ?? 'Secret not written yet'}`,
    };
  }
  return undefined;
}

/**
 * The last sync failed at the wanted revision (or, without one, at the revision the app compares
 * with) and nothing runs now: Argo CD's reason in one line, each failed resource with its message.
 */
export function syncFailureAt(
  app: AppState,
  revision: string | undefined,
  contains: boolean,
): string | undefined {
  const failure = app.syncFailure;
  if (!failure || app.operationInFlight || syncedAsGitWants(app)) return undefined;
  const at = failure.revision;
  const wanted = revision ?? app.revision;
  if (!at || !wanted) return undefined;
  const current =
    sameRevision(at, wanted) || (contains && app.revision !== undefined && sameRevision(at, app.revision));
  if (!current) return undefined;
  const why = failure.resources.length
    ? failure.resources.map((r) => `${r.kind} ${ref(r)}: ${r.message}`).join('; ')
    : failure.message;
  return `${app.name}: sync to ${shortRevision(at)} ${failure.phase === 'Error' ? 'errored' : 'failed'}: ${why}`;
}
