import { invalidInput } from '../../engine/errors.js';
import { journalFile, listRuns, readJournal, resumeStateOf, summarize } from '../../engine/journal.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import type { ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { durationFlagProblem, TIMEOUT_BOUNDS, throwIfProblems } from '../options.js';
import { runRunbook } from '../run-runbook.js';

/**
 * `failover resume RUN_ID`: re-plans the same runbook with the same parameters under the same run
 * id. Steps converge, so what was done is detected and not repeated; outputs of completed steps
 * (commit SHAs, previous policy versions) come from the journal.
 */
export default async function resume(
  globals: GlobalOptions,
  runId: string,
  options: { forward?: boolean; timeout?: string } = {},
): Promise<ExitCode> {
  const ctx = createContext({ ...globals });
  const io = new Io(globals, ctx.redactor);
  try {
    if (options.timeout !== undefined) {
      const problem = durationFlagProblem('--timeout', options.timeout, TIMEOUT_BOUNDS);
      throwIfProblems(problem ? [problem] : []);
    }
    if (!globals.config && !ctx.env.FAILOVER_CONFIG) {
      // Use the config the run was started with, unless told otherwise.
      const probe = summarize('', readJournal(journalFile(ctx.stateDir(ctx.config(false).config), runId)));
      if (probe?.configFile) globals.config = probe.configFile;
    }
    const stateDir = ctx.stateDir(ctx.config(false).config);
    const file = journalFile(stateDir, runId);
    const events = readJournal(file);
    const summary = summarize(file, events);
    if (!summary)
      throw invalidInput('FO_JOURNAL_E2303', `the journal of run ${runId} has no start record`, {
        hint: 'the file may be damaged; start a new run',
      });
    if (summary.outcome === 'succeeded') {
      io.err(io.colors.green(`run ${runId} already succeeded; nothing to resume`));
      return 0;
    }
    if (summary.dryRun)
      throw invalidInput('FO_JOURNAL_E2304', `run ${runId} was a dry-run; there is nothing to resume`, {
        hint: 'start a real run',
      });
    // A later run that finished (a failback after this failover was cut short) decided where
    // things stand: resuming this one would undo it. Going forward must be a decision.
    const later = listRuns(stateDir).filter(
      (run) =>
        !run.dryRun &&
        run.runId !== runId &&
        run.outcome === 'succeeded' &&
        Date.parse(run.startedAt) > Date.parse(summary.startedAt),
    );
    if (later.length > 0 && !options.forward) {
      const newest = later.at(-1)!;
      throw invalidInput(
        'FO_JOURNAL_E2312',
        `run ${newest.runId} (${newest.runbook}) ran after run ${runId} and succeeded: resuming ${runId} would go forward with ${summary.runbook} over it`,
        {
          hint: `\`failover status\` shows where things stand; to go forward with ${summary.runbook} anyway, run \`failover resume ${runId} --forward\` (or start a new \`failover ${summary.runbook}\`). Nothing was changed`,
        },
      );
    }
    // A run whose rollback failed is half way back: going forward must be a decision, not a default.
    const rollbackFailed = [
      ...new Set(events.flatMap((e) => (e.type === 'step.rollback.failed' ? [e.stepId] : []))),
    ];
    if (rollbackFailed.length && !options.forward) {
      const back =
        summary.runbook === 'to-aws'
          ? 'failover to-gcp'
          : summary.runbook === 'to-gcp'
            ? 'failover to-aws'
            : undefined;
      throw invalidInput(
        'FO_JOURNAL_E2310',
        `the rollback of run ${runId} failed at ${rollbackFailed.join(', ')}: resuming would go forward with ${summary.runbook}`,
        {
          hint: `to go forward, run \`failover resume ${runId} --forward\`${back ? `; to go back instead, run \`${back}\`, which converges from the real state` : ''}; \`failover status\` shows where things stand`,
        },
      );
    }
    // The cause of a timed-out wait may be fixed, or the wait may simply need longer: the operator
    // can give the resumed steps another timeout. Only a runbook with a `timeout` param has one.
    let params = summary.params;
    if (options.timeout !== undefined) {
      if (!('timeout' in params))
        throw invalidInput(
          'FO_JOURNAL_E2311',
          `--timeout has nothing to set: runbook ${summary.runbook} has no \`timeout\` parameter`,
          { hint: "leave --timeout out; the runbook's own step timeouts apply. Nothing was changed" },
        );
      const timeout = options.timeout.trim();
      io.err(`timeout ${timeout} for the resumed steps (the run had ${String(params.timeout)})`);
      params = { ...params, timeout };
    }
    const started = events.find((e) => e.type === 'run.started');
    const origin = started?.type === 'run.started' ? started : undefined;
    const resumeCtx = createContext(globals, ctx.env);
    const { exitCode } = await runRunbook(io, resumeCtx, {
      runbookFile: summary.runbookFile,
      params,
      operator: origin?.operator,
      incident: origin?.incident,
      reason: origin?.reason,
      planOnly: false,
      runId,
      resume: resumeStateOf(runId, events),
      // A resumed apply of a saved plan keeps its audit in the trailers; its steps converge as usual.
      ...(origin?.savedPlan ? { savedPlan: { audit: origin.savedPlan } } : {}),
    });
    return exitCode;
  } catch (error) {
    return reportError(io, error);
  }
}
