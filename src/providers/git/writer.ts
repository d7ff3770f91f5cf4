/**
 * The writing half of the GitOps adapter: the standby commit (re-applied on the newest tip and
 * pushed, with retries while the branch moves), the run lock, and plan approvals.
 */
import { invalidInput, stepFailed } from '../../engine/errors.js';
import { ExecError } from '../../util/exec.js';
import type { AdapterOptions } from '../options.js';
import { cronJobsOnBothSides, cronJobsOnBothSidesError } from './activation-checks.js';
import { type GitOps, gitOpsOf, type Overlay, repoFiles } from './adapter.js';
import { approvalsNamespace, PlanApprovals } from './approvals.js';
import { gitMessage } from './cli.js';
import { entryLabel, type ToggleResult } from './kustomization.js';
import type { GitWriter, StandbyPlan } from './port.js';
import type { ReadMode } from './remote-view.js';

/**
 * Refuses a commit that would leave a CronJob unsuspended in both overlays, the invariant of every
 * failover commit, judged on the renders (an entry that suspends one CronJob by name fences no
 * other). A render that fails cannot tell: the plan has already warned of it, and Argo CD could
 * not apply that overlay either.
 */
async function refuseCronJobsOnBothSides(
  gitops: GitOps,
  revision: string,
  overlay: Overlay,
  result: ToggleResult,
): Promise<void> {
  let both: string[];
  try {
    both = await cronJobsOnBothSides(gitops, revision, overlay, result);
  } catch {
    return;
  }
  if (both.length > 0) throw cronJobsOnBothSidesError(overlay, revision, both);
}

/** The toggled entries (with their text) as the plan recorded them, to spot a changed edit. */
function plannedEntries(plan: StandbyPlan): string[] | undefined {
  const data = plan.data as { toggled?: { key?: string; path?: string; text?: string }[] } | null;
  if (!data || typeof data !== 'object' || !Array.isArray(data.toggled)) return undefined;
  return data.toggled.map((e) => `${e.key}:${e.path}:${e.text}`).sort();
}

export function createGitWriter(options: AdapterOptions): GitWriter {
  const gitops = gitOpsOf(options);
  const attempts = gitops.config.pushAttempts;
  return {
    async applyStandby(plan, _meta, signal) {
      const branchRef = `refs/heads/${gitops.config.branch}`;
      const planned = plannedEntries(plan);
      // First on the newest tip this run knows (a fetch or its own push a moment ago): the push
      // is rejected if the branch moved since, and then the edit is re-applied on a fresh fetch.
      let mode: ReadMode = 'shared';
      for (let attempt = 1; attempt <= attempts; ) {
        const revision = await gitops.fetch(signal, mode);
        const overlay = await gitops.readOverlay(revision, plan.role);
        const result = await gitops.toggle(revision, overlay, plan.target, plan.scope);
        if (result.converged) {
          // Nothing to push, so no remote check: "already so" is only said of a fresh fetch.
          if (mode === 'shared') {
            mode = 'fresh';
            continue;
          }
          return { commit: revision, attempts: attempt, changed: false };
        }
        const now = result.toggled.map((e, i) => `${e.key}:${e.path}:${result.toggledTexts[i] ?? ''}`).sort();
        if (planned && planned.join('\n') !== now.join('\n')) {
          const before = plan.entries ?? [];
          const after = result.toggled.map(entryLabel);
          const verb = plan.target === 'active' ? 'remove' : 'restore';
          const what =
            before.join(', ') === after.join(', ')
              ? `the entries ${after.join(', ')} themselves were edited`
              : `the plan was to ${verb} ${before.join(', ') || 'nothing'}; now it would ${verb} ${after.join(', ')}`;
          throw stepFailed(
            'FO_GIT_E3131',
            `the standby entries of ${overlay.file} changed in ${gitops.where} since the plan (planned at ${plan.baseRevision.slice(0, 12)}, now at ${revision.slice(0, 12)}): ${what}`,
            {
              hint: 'someone else edited the same entries: look at the latest commits, then run again to plan on the new state',
              details: { file: overlay.file, planned: before, now: after },
            },
          );
        }
        if (plan.target === 'active') await refuseCronJobsOnBothSides(gitops, revision, overlay, result);
        let commit: string;
        try {
          commit = await gitops.cache.commitFile({
            parent: revision,
            path: overlay.file,
            content: result.text,
            message: plan.commitMessage,
            env: gitops.identityEnv(),
            also: repoFiles(overlay, result),
          });
        } catch (error) {
          if (
            error instanceof ExecError &&
            /tell me who you are|empty ident|identity unknown|auto-detect/i.test(error.stderr)
          ) {
            throw invalidInput('FO_GIT_E3134', 'git has no identity to commit with', {
              hint: 'set gitops.author (name and email) in the config, or `git config --global user.name` and `user.email`',
            });
          }
          throw stepFailed('FO_GIT_E3135', `could not create the commit: ${gitMessage(error)}`);
        }
        // A push that succeeds moves the cache's tracking ref and counts as a fresh read of the tip.
        const outcome = await gitops.cache.push(commit, branchRef, signal ? { signal } : {});
        if (outcome.ok) return { commit, attempts: attempt, changed: true };
        if (outcome.reason === 'refused') {
          throw stepFailed(
            'FO_GIT_E3132',
            `${gitops.where} refused the push of "${plan.commitMessage.split('\n')[0]}": ${[outcome.detail, ...outcome.remote].join(' / ')}`,
            {
              hint: `branch protection or a server hook rejected it: let the failover identity push to ${gitops.config.branch} (or adjust the rule), then run again; nothing was changed`,
              details: { remote: outcome.remote },
            },
          );
        }
        // The branch moved between our fetch and our push: fetch again and re-apply.
        mode = 'fresh';
        attempt++;
      }
      throw stepFailed(
        'FO_GIT_E3133',
        `${gitops.where} kept moving: the commit could not be pushed in ${attempts} attempts`,
        {
          retryable: true,
          hint: 'other commits are landing on the branch right now; run again (or raise gitops.pushAttempts)',
        },
      );
    },

    async acquireLock(lock, { breakStale, signal }) {
      const taken = await gitops.lock.acquire(lock, { breakStale, ...(signal ? { signal } : {}) });
      gitops.keepAlive(lock);
      return taken;
    },

    async releaseLock(runId, signal) {
      gitops.stopKeepAlive();
      return gitops.lock.release(runId, signal);
    },

    recordApproval(approval, signal) {
      return new PlanApprovals(gitops.cache, approvalsNamespace(gitops.config.lockRef)).record(
        approval,
        signal,
      );
    },
  };
}
