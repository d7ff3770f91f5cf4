/**
 * `failover approve PLAN.json --operator NAME`: shows the saved plan, asks for a typed
 * confirmation (`--yes` in automation) and records the approval of that exact plan hash by NAME
 * in the GitOps remote (a ref per approver beside the run lock), so that a colleague on another
 * machine can approve and `failover apply --require-approval` finds it.
 */
import { hostname } from 'node:os';
import { FailoverError, invalidInput } from '../../engine/errors.js';
import { readSavedPlan, shortHash } from '../../engine/saved-plan.js';
import { createContext, operatorName } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { auditProblems, auditTextProblem, TEXT_LIMITS, throwIfProblems } from '../options.js';
import { loadPlanConfig, renderSavedPlan } from '../saved-plans.js';

export default async function approve(
  globals: GlobalOptions,
  file: string,
  options: { operator?: string },
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    throwIfProblems(auditProblems({ operator: options.operator }));
    const saved = readSavedPlan(file);
    const operator = operatorName(options.operator, ctx.env);
    const problem = auditTextProblem('the operator name', operator, TEXT_LIMITS.operator);
    if (problem) throwIfProblems([{ ...problem, hint: `${problem.hint ?? ''}; or pass --operator NAME` }]);
    const { config } = loadPlanConfig(ctx, io, saved);
    if (!config.gitops)
      throw invalidInput(
        'FO_PLAN_E2421',
        'approvals are kept in the GitOps remote, and the config has no `gitops` section',
        {
          hint: 'add gitops.repo to the config (the repository Argo CD pulls from)',
        },
      );
    const c = io.colors;
    // The approver sees what they approve: the whole plan, on stderr like every run's plan.
    if (io.options.output === 'text') io.err(renderSavedPlan(saved, c));
    if (!io.canConfirm)
      throw invalidInput(
        'FO_PLAN_E2422',
        'approving asks for a typed confirmation, but there is no terminal to ask on',
        {
          hint: 'pass --yes to approve in automation, or run from an interactive terminal; nothing was recorded',
        },
      );
    const confirmed =
      io.options.yes && io.options.output === 'json'
        ? true
        : await io.confirm({
            message: `Approve plan ${shortHash(saved.hash)} (${saved.command}) as ${operator}?`,
            expect: 'approve',
          });
    if (!confirmed)
      throw new FailoverError('FO_PLAN_E2423', 'aborted', 'not approved: nothing was recorded', {
        hint: 'run the command again to approve',
      });
    const ports = (await import('../../providers/index.js')).createPorts({
      config,
      env: ctx.env,
      redactor: ctx.redactor,
      runId: saved.runId,
    });
    const git = ports.openWrite().git;
    if (!git.recordApproval)
      throw invalidInput('FO_PLAN_E2424', 'this GitOps adapter cannot record approvals', {});
    const approvedAt = new Date().toISOString();
    const result = await git.recordApproval({
      planHash: saved.hash,
      operator,
      host: hostname(),
      approvedAt,
      command: saved.command,
    });
    if (io.options.output === 'json') {
      io.json({
        planFile: file,
        hash: saved.hash,
        approvedBy: operator,
        approvedAt: result.existing?.approvedAt ?? approvedAt,
        ref: result.ref,
        created: result.created,
        exitCode: EXIT.ok,
      });
      return EXIT.ok;
    }
    io.out(
      result.created
        ? c.green(`✓ plan ${saved.hash} approved by ${operator} (${result.ref})`)
        : c.green(
            `✓ plan ${saved.hash} was approved by ${operator} already${result.existing ? ` at ${result.existing.approvedAt}` : ''} (${result.ref})`,
          ),
    );
    if (operator === saved.operator)
      io.out(c.dim('  note: you made this plan; its approval counts only when someone else applies it'));
    io.out(c.dim(`  apply: failover apply ${file} --require-approval`));
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}
