/**
 * Approvals of saved plans, kept in the GitOps remote beside the run lock: one ref per approver
 * and plan, `<namespace>/approvals/<plan sha256>/<approver id>`, pointing at a parentless commit
 * whose `approval.json` says who approved which plan hash, when and where. A colleague on another
 * machine approves with the same remote; one ref per approver means approvals never overwrite
 * each other, and the push is a compare-and-swap (the ref must not exist yet).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { stepFailed } from '../../engine/errors.js';
import { z } from '../../util/zod.js';
import { type GitCache, MissingRemoteRef } from './cache.js';
import { displayUrl } from './cli.js';
import { auditLine } from './message.js';

const APPROVAL_FILE = 'approval.json';

export interface PlanApproval {
  planHash: string;
  operator: string;
  host: string;
  approvedAt: string;
  /** `to-aws`, `run my.yaml`: what the approver saw. */
  command: string;
}

const ApprovalJson = z.object({
  format: z.literal('failover-approval/1'),
  planHash: z.string(),
  operator: z.string().min(1),
  host: z.string(),
  approvedAt: z.string(),
  command: z.string().default(''),
});

/** `sha256:<hex>` → `<hex>`; refuses anything else (it becomes part of a ref name). */
function hexOf(planHash: string): string {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(planHash)?.[1];
  if (!hex) throw new Error(`not a plan hash: ${planHash}`);
  return hex;
}

/** Approver names are free text; the ref holds a digest of the name, the commit holds the name. */
export function approverId(operator: string): string {
  return createHash('sha256').update(auditLine(operator)).digest('hex').slice(0, 16);
}

/** The approvals namespace beside the lock ref: `refs/failover/lock` → `refs/failover/approvals`. */
export function approvalsNamespace(lockRef: string): string {
  return `${posix.dirname(lockRef)}/approvals`;
}

export class PlanApprovals {
  constructor(
    private readonly cache: GitCache,
    readonly namespace: string,
  ) {}

  refOf(planHash: string, operator: string): string {
    return `${this.namespace}/${hexOf(planHash)}/${approverId(operator)}`;
  }

  /** Every valid approval of this plan hash in the remote (one per approver), oldest first. */
  async list(planHash: string, signal?: AbortSignal): Promise<PlanApproval[]> {
    const hex = hexOf(planHash);
    const pattern = `${this.namespace}/${hex}/*`;
    const advertised = await this.cache.remoteRefs(pattern, signal);
    if (advertised.length === 0) return [];
    const missing = [];
    for (const entry of advertised) if (!(await this.cache.hasObject(entry.sha))) missing.push(entry);
    if (missing.length > 0) {
      try {
        await this.cache.fetchRefspec(`+${pattern}:refs/failover-cache/approvals/${hex}/*`, signal, () => ({
          missing: pattern,
        }));
      } catch (error) {
        if (!(error instanceof MissingRemoteRef)) throw error;
      }
    }
    const out: PlanApproval[] = [];
    for (const entry of advertised) {
      const text = await this.cache.readFile(entry.sha, APPROVAL_FILE).catch(() => undefined);
      if (!text) continue;
      let parsed: ReturnType<typeof ApprovalJson.safeParse>;
      try {
        parsed = ApprovalJson.safeParse(JSON.parse(text));
      } catch {
        continue;
      }
      // Only an approval of this very hash, stored under the name it claims, counts.
      if (!parsed.success || parsed.data.planHash !== planHash) continue;
      if (entry.ref !== this.refOf(planHash, parsed.data.operator)) continue;
      const { format: _format, ...approval } = parsed.data;
      out.push(approval);
    }
    return out.sort((a, b) => a.approvedAt.localeCompare(b.approvedAt));
  }

  /**
   * Records an approval. `created: false` when this approver had approved this plan already (the
   * earlier approval stays). Throws when the remote refuses the ref.
   */
  async record(
    approval: PlanApproval,
    signal?: AbortSignal,
  ): Promise<{ ref: string; created: boolean; existing?: PlanApproval }> {
    const ref = this.refOf(approval.planHash, approval.operator);
    const json = `${JSON.stringify({ format: 'failover-approval/1', ...approval }, null, 2)}\n`;
    const name = auditLine(approval.operator) || 'failover';
    const commit = await this.cache.commitDetached({
      file: APPROVAL_FILE,
      content: json,
      message: `failover approval: plan ${hexOf(approval.planHash).slice(0, 12)} (${auditLine(approval.command)}) approved by ${name}\n\n${json}`,
      env: {
        GIT_AUTHOR_NAME: name,
        GIT_AUTHOR_EMAIL: 'failover@localhost',
        GIT_COMMITTER_NAME: name,
        GIT_COMMITTER_EMAIL: 'failover@localhost',
        GIT_AUTHOR_DATE: approval.approvedAt,
        GIT_COMMITTER_DATE: approval.approvedAt,
      },
    });
    const outcome = await this.cache.push(commit, ref, { lease: '', ...(signal ? { signal } : {}) });
    if (outcome.ok) return { ref, created: true };
    if (outcome.reason === 'moved') {
      const existing = (await this.list(approval.planHash, signal)).find(
        (a) => approverId(a.operator) === approverId(approval.operator),
      );
      return { ref, created: false, ...(existing ? { existing } : {}) };
    }
    throw stepFailed(
      'FO_PLAN_E2420',
      `the GitOps remote ${displayUrl(this.cache.url)} refused the approval ref ${ref}: ${[outcome.detail, ...outcome.remote].join(' / ')}`,
      {
        hint: `allow pushing refs under ${this.namespace}/ to the repository (a push rule or ref protection may block refs outside refs/heads)`,
      },
    );
  }
}
