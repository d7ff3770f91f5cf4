/**
 * `failover to-aws` and `failover to-gcp`: the shipped runbooks with their options as flags.
 */

import type { Problem } from '../../engine/errors.js';
import { shippedRunbook } from '../../util/package-root.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import type { ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import {
  auditProblems,
  durationFlagProblem,
  PAUSE_BOUNDS,
  paramProblems,
  reportTargetProblems,
  TIMEOUT_BOUNDS,
  throwIfProblems,
} from '../options.js';
import { parseReportTargets, type ReportTarget, reportDocument, writeReports } from '../reports.js';
import { runRunbook } from '../run-runbook.js';
import { stagesProblems } from '../stages-option.js';

export interface FailoverOptions {
  incident?: string;
  reason?: string;
  operator?: string;
  force?: boolean;
  stages?: string;
  pauseBetweenStages?: string;
  timeout?: string;
  rollback: boolean;
  breakLock?: boolean;
  param?: Record<string, string>;
  report?: string[];
  /** Write the plan to this file and change nothing (`failover apply FILE` runs it later). */
  planOut?: string;
}

export function failoverParams(
  options: FailoverOptions,
  direction: 'to-aws' | 'to-gcp',
): Record<string, unknown> {
  return {
    ...options.param,
    ...(options.force ? { force: 'true' } : {}),
    ...(options.stages ? { stages: options.stages } : {}),
    ...(options.pauseBetweenStages ? { pauseBetweenStages: options.pauseBetweenStages } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
    ...(direction === 'to-aws' && !options.rollback ? { rollback: 'false' } : {}),
    ...(options.breakLock ? { breakLock: 'true' } : {}),
  };
}

/** `--pause-between-stages`: a duration with a unit, and only where there are gates to pause before. */
function pauseProblems(options: FailoverOptions): Problem[] {
  if (options.pauseBetweenStages === undefined) return [];
  const problem = durationFlagProblem('--pause-between-stages', options.pauseBetweenStages, PAUSE_BOUNDS);
  if (problem) return [problem];
  const stages = (options.stages ?? '').split(',').filter((s) => s.trim() !== '');
  return stages.length > 1
    ? []
    : [
        {
          path: '--pause-between-stages',
          message: '--pause-between-stages pauses between stages, and there is only one',
          hint: 'add --stages with more than one stage, e.g. --stages 10,50,100',
        },
      ];
}

/**
 * Every flag of to-aws, to-gcp and drill checked before any work, each problem naming its flag;
 * returns the report targets.
 */
export function checkFailoverOptions(options: FailoverOptions): ReportTarget[] {
  const targets = parseReportTargets(options.report ?? []);
  const problems = [
    ...auditProblems(options),
    ...(options.stages !== undefined ? stagesProblems('--stages', options.stages) : []),
    ...pauseProblems(options),
    ...[
      options.timeout === undefined
        ? undefined
        : durationFlagProblem('--timeout', options.timeout, TIMEOUT_BOUNDS),
    ].filter((p) => p !== undefined),
    ...paramProblems(options.param),
    ...reportTargetProblems(targets),
  ];
  throwIfProblems(problems);
  return targets;
}

async function runDirection(
  direction: 'to-aws' | 'to-gcp',
  globals: GlobalOptions,
  options: FailoverOptions,
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const targets = checkFailoverOptions(options);
    if (options.force) {
      io.err(
        io.colors.bgRed(io.colors.white(' --force ')) +
          io.colors.red(
            ` failed ${direction === 'to-aws' ? 'AWS' : 'GKE'} checks will not stop this run; they are recorded in the journal and the report`,
          ),
      );
    }
    const request = {
      runbookFile: shippedRunbook(direction),
      params: failoverParams(options, direction),
      operator: options.operator,
      incident: options.incident,
      reason: options.reason,
    };
    if (options.planOut !== undefined) {
      const { planToFile } = await import('../saved-plans.js');
      return await planToFile(io, ctx, request, direction, options.planOut);
    }
    const outcome = await runRunbook(io, ctx, { ...request, planOnly: false });
    if (targets.length) {
      for (const path of writeReports(
        targets,
        reportDocument(`failover ${direction}`, [outcome.journalFile]),
      ))
        io.err(io.colors.dim(`report: ${path}`));
    }
    return outcome.exitCode;
  } catch (error) {
    return reportError(io, error);
  }
}

export const toAws = (globals: GlobalOptions, options: FailoverOptions) =>
  runDirection('to-aws', globals, options);
export const toGcp = (globals: GlobalOptions, options: FailoverOptions) =>
  runDirection('to-gcp', globals, options);
