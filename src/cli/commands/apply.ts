/**
 * `failover apply PLAN.json`: runs a saved plan exactly as planned. First the file is checked (its
 * hash, exit 2 when tampered or truncated); then every fact the plan rests on is read again and
 * compared (drift: exit 1, nothing sent that changes anything); then, when required, an approval
 * by someone other than the applier must be in the GitOps remote. Only then the run starts, with
 * the usual lock, journal, confirmation, report and resume, under the run id the plan reserved;
 * each step is checked against its saved plan just before it changes anything.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stepFailed } from '../../engine/errors.js';
import { collectFacts, runbookFact } from '../../engine/plan-facts.js';
import {
  compareFacts,
  driftError,
  type PlanAudit,
  readSavedPlan,
  shortHash,
  stepGuard,
} from '../../engine/saved-plan.js';
import { approverId, type PlanApproval } from '../../providers/git/approvals.js';
import { createRegistry } from '../../steps/registry.js';
import { createContext, operatorName } from '../context.js';
import { reportError } from '../errors.js';
import type { ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { auditProblems, reportTargetProblems, throwIfProblems } from '../options.js';
import { parseReportTargets, reportDocument, writeReports } from '../reports.js';
import { runRunbook } from '../run-runbook.js';
import { loadPlanConfig } from '../saved-plans.js';

export interface ApplyOptions {
  operator?: string;
  requireApproval?: boolean;
  report?: string[];
}

export default async function apply(
  globals: GlobalOptions,
  file: string,
  options: ApplyOptions,
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const targets = parseReportTargets(options.report ?? []);
    throwIfProblems([...auditProblems({ operator: options.operator }), ...reportTargetProblems(targets)]);
    const saved = readSavedPlan(file);
    const operator = operatorName(options.operator, ctx.env);
    const { config } = loadPlanConfig(ctx, io, saved);
    const stateDir = ctx.stateDir(config);
    if (existsSync(join(stateDir, 'runs', `${saved.runId}.ndjson`)))
      throw stepFailed(
        'FO_PLAN_E2413',
        `the plan ${file} was applied already, as run ${saved.runId}: a plan is applied once`,
        {
          hint: `\`failover resume ${saved.runId}\` continues that run; for a new change make a new plan`,
        },
      );
    const c = io.colors;
    io.err(
      c.bold(
        `applying plan ${saved.hash} (${saved.command}) made by ${saved.operator} at ${saved.createdAt}`,
      ),
    );
    const ports = (await import('../../providers/index.js')).createPorts({
      config,
      env: ctx.env,
      redactor: ctx.redactor,
      runId: saved.runId,
    });

    // 1. The world must still be the one the plan was made from.
    const now = [runbookFact(saved.runbook.file), ...(await collectFacts(ports.read, config))];
    const { drifted, unverified } = compareFacts(saved.facts, now);
    for (const line of unverified) io.warn('FO_PLAN_W2414', `not re-checked (unreadable): ${line}`);
    if (drifted.length > 0) throw driftError(file, drifted);
    io.err(c.dim(`no drift: ${saved.facts.length - unverified.length} fact(s) as planned`));

    // 2. Four eyes: an approval of this very hash by someone other than the applier.
    const required = Boolean(options.requireApproval || config.approval?.required);
    let approvals: PlanApproval[] = [];
    if (config.gitops && ports.read.git.approvals) approvals = await ports.read.git.approvals(saved.hash);
    const others = approvals.filter((a) => approverId(a.operator) !== approverId(operator));
    if (required && others.length === 0) {
      const self = approvals.length > 0;
      throw stepFailed(
        'FO_PLAN_E2412',
        self
          ? `refused: the plan ${shortHash(saved.hash)} is approved only by ${operator}, who applies it: self-approval does not count; an approval by someone else is required; nothing was changed`
          : `refused: the plan ${shortHash(saved.hash)} has no approval; an approval by someone other than ${operator} is required; nothing was changed`,
        {
          hint: `a colleague reviews it and runs \`failover approve ${file} --operator NAME\`, then apply again`,
        },
      );
    }
    if (others.length)
      io.err(c.dim(`approved by ${others.map((a) => `${a.operator} (${a.approvedAt})`).join(', ')}`));

    const audit: PlanAudit = {
      hash: saved.hash,
      plannedBy: saved.operator,
      plannedAt: saved.createdAt,
      approvedBy: others.map((a) => a.operator),
    };
    const registry = createRegistry();
    const outcome = await runRunbook(io, ctx, {
      runbookFile: saved.runbook.file,
      params: saved.params,
      operator,
      incident: saved.incident,
      reason: saved.reason,
      planOnly: false,
      // `apply --dry-run` shows what the apply would do now; it records no run, so the plan stays unapplied.
      noJournal: Boolean(globals.dryRun),
      runId: saved.runId,
      ports,
      registry,
      savedPlan: {
        audit,
        // The lock is how every run starts and ends, not a change of the plan.
        guard: stepGuard(saved, (kind) => registry.get(kind)?.independent === true),
      },
    });
    if (targets.length && outcome.journalFile) {
      for (const path of writeReports(
        targets,
        reportDocument(`failover apply ${saved.command}`, [outcome.journalFile]),
      ))
        io.err(c.dim(`report: ${path}`));
    }
    return outcome.exitCode;
  } catch (error) {
    return reportError(io, error);
  }
}
