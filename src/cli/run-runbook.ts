/**
 * Runs a runbook for `run`, `plan`, `resume`, `to-aws`, `to-gcp` and the drills: load, plan,
 * confirm, apply, report. Owns signal handling and turns the result into an exit code.
 */
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import { executeRun, type RunResult } from '../engine/engine.js';
import { FailoverError } from '../engine/errors.js';
import { type EngineEvent, type Json, outcomeLabel } from '../engine/events.js';
import { Journal, newRunId, type ResumeState } from '../engine/journal.js';
import type { RunPlan } from '../engine/plan.js';
import type { PlanAudit, StepGuard } from '../engine/saved-plan.js';
import { describeRetry, RetryTally } from '../providers/call-retries.js';
import { createNotifier, type NotificationKind } from '../providers/notify/index.js';
import type { Ports } from '../providers/ports.js';
import { HUMAN_DECISION_MS } from '../report/model.js';
import { type LoadedRunbook, loadRunbook, resolveParams } from '../runbook/load.js';
import { createRegistry } from '../steps/registry.js';
import type { StepRegistry } from '../steps/types.js';
import { formatMs } from '../util/duration.js';
import { type CommandContext, operatorName } from './context.js';
import { EXIT, type ExitCode, exitCodeForOutcome } from './exit-codes.js';
import { markHangUp, runForcedExitCleanups, STOP_SIGNALS } from './forced-exit.js';
import type { Io } from './io.js';
import { auditProblems, auditTextProblem, TEXT_LIMITS, throwIfProblems } from './options.js';
import { expectedDuration } from './past-runs.js';
import { renderPlan } from './render/plan.js';
import { buildRecap, recapIsEmpty, renderRecap } from './render/recap.js';
import { promptSummary, renderPromptSummary } from './render/summary.js';
import { createReporter } from './reporter.js';
import { readStateNow, renderStateNow } from './state-now.js';

export interface RunRequest {
  runbookFile: string;
  params: Record<string, unknown>;
  operator?: string;
  incident?: string;
  reason?: string;
  /** Print the plan on stdout and stop (also set by --dry-run). */
  planOnly: boolean;
  runId?: string;
  resume?: ResumeState;
  /** For tests and the sandbox: ports to use instead of the real ones. */
  ports?: Ports;
  registry?: StepRegistry;
  /** Print nothing on stdout: the caller (drill, demo) reports. */
  quiet?: boolean;
  /** Write no journal (`--plan-out`: a plan is saved, no run is recorded). Only with planOnly. */
  noJournal?: boolean;
  /** Applying a saved plan: its audit (trailers, journal, report) and the check of each step against it. */
  savedPlan?: { audit: PlanAudit; guard?: StepGuard };
}

export interface RunOutcomeInfo {
  exitCode: ExitCode;
  result: RunResult;
  /** Empty when no journal was written (noJournal). */
  journalFile: string;
  /** What the run was made of, for callers that save the plan. */
  context: {
    ports: Ports;
    config: Config;
    configFile: string;
    loaded: LoadedRunbook;
    params: Record<string, Json>;
    operator: string;
  };
}

export async function runRunbook(io: Io, ctx: CommandContext, request: RunRequest): Promise<RunOutcomeInfo> {
  // Texts that go into commits and the journal, checked before anything is read.
  throwIfProblems(
    auditProblems({ reason: request.reason, incident: request.incident, operator: request.operator }),
  );
  const operator = operatorName(request.operator, ctx.env);
  if (request.operator === undefined) {
    const source = ctx.env.FAILOVER_OPERATOR
      ? 'FAILOVER_OPERATOR'
      : 'the operator name (git user.name or login)';
    const problem = auditTextProblem(source, operator, TEXT_LIMITS.operator);
    if (problem) throwIfProblems([{ ...problem, hint: `${problem.hint ?? ''}; or pass --operator NAME` }]);
  }
  const registry = request.registry ?? createRegistry();
  const loaded: LoadedRunbook = loadRunbook(request.runbookFile, registry);
  const params = resolveParams(loaded, request.params);
  const external = usesExternalSystems(loaded);
  const { config, file: configFile } = ctx.config(external);
  const runId = request.runId ?? newRunId();
  const stateDir = ctx.stateDir(config);
  const dryRun = request.planOnly || Boolean(io.options.dryRun);
  const journal = request.noJournal && dryRun ? undefined : new Journal(stateDir, runId, ctx.redactor);
  const reporter = createReporter(io, journal, {
    showPlan: !dryRun && io.options.output === 'text',
    // log-update and its ANSI helpers take about 75 ms to load: only for a terminal that shows them.
    ...(io.live ? { liveTree: (await import('./render/tree.js')).LiveTree } : {}),
  });
  // The adapters load the cloud SDKs: only when the runbook talks to the outside world.
  const ports =
    request.ports ??
    (external
      ? (await import('../providers/index.js')).createPorts({
          config,
          env: ctx.env,
          redactor: ctx.redactor,
          runId,
        })
      : { read: {} as Ports['read'], openWrite: () => ({}) as ReturnType<Ports['openWrite']> });

  const notifier = dryRun ? undefined : createNotifier(config, ctx.env, ctx.redactor);
  const pending: Promise<void>[] = [];
  const notify = (kind: NotificationKind, detail?: string, warnings?: string[]) => {
    if (!notifier || notifier.channels.length === 0) return;
    pending.push(
      notifier
        .notify({
          kind,
          runId,
          runbook: loaded.runbook.name,
          operator,
          incident: request.incident,
          reason: request.reason,
          detail,
          ...(warnings?.length ? { warnings } : {}),
        })
        .then((results) => {
          for (const r of results.filter((x) => !x.ok))
            io.warn('FO_NOTIFY_W7001', `notification to ${r.channel} failed (${r.error}); the run goes on`);
        }),
    );
  };

  const resumeCommand = `failover resume ${runId}${io.options.config ? ` --config ${io.options.config}` : ''}`;
  const interrupt = new AbortController();
  // A journal that cannot be written stops the run before its next change; `finally` still runs.
  if (journal)
    journal.onWriteFailure = (error) => {
      reporter.pause();
      io.warn(
        'FO_JOURNAL_E2309',
        `the journal ${journal.file} cannot be written (${error.code ?? error.message}): stopping before the next change; the finally steps still run`,
      );
      interrupt.abort(
        new FailoverError(
          'FO_JOURNAL_E2309',
          'step-failed',
          `the journal could not be written (${error.code ?? error.message}); the run stopped before its next change`,
          { hint: 'free space or fix the permissions of the state directory, then resume' },
        ),
      );
    };
  let signals = 0;
  // Once a second signal came, its exit owns the end: a run that finishes meanwhile waits for it
  // (it gives the lock back, records the end and reads the state back, then exits 3) instead of
  // exiting under it half-way.
  let secondExit: Promise<never> | undefined;
  const awaitSecondExit = async () => {
    if (secondExit) await secondExit;
  };
  // `note` replaces the usual line where the interrupt came at a question (nothing runs then).
  const onSignal = (signal: NodeJS.Signals, note?: string) => {
    signals += 1;
    if (signal === 'SIGHUP') markHangUp();
    if (signals === 2) {
      reporter.close();
      secondExit = exitAfterSecondSignal(io, { signal, runId, journal, ports, config, resumeCommand });
      return;
    }
    if (signals > 2) process.exit(EXIT.aborted);
    reporter.pause();
    // With --output json, stderr carries only NDJSON events; run.interrupted tells the same there.
    if (io.options.output !== 'json')
      io.err(
        io.colors.yellow(
          note ??
            `${signal}: stopping after the current call (up to 10s); press Ctrl-C again to exit at once`,
        ),
      );
    interrupt.abort(signal);
  };
  // Node passes the signal's number as a second argument: not a note.
  const onProcessSignal = (signal: NodeJS.Signals) => onSignal(signal);
  // SIGHUP too: a closed terminal or a dropped SSH session stops the run as SIGTERM does (lock
  // given back, the journal's end written), instead of killing it where it stands.
  for (const name of STOP_SIGNALS) process.on(name, onProcessSignal);
  const detachSignals = () => {
    for (const name of STOP_SIGNALS) process.off(name, onProcessSignal);
  };

  let result: RunResult;
  let plan: RunPlan | undefined;
  // The clients' own retries (throttling, 5xx, network): one line each with --verbose, a count after.
  const retries = new RetryTally((retry) => io.verbose(`  retry: ${describeRetry(retry)}`));
  try {
    result = await executeRun({
      loaded,
      params: params as Record<string, Json>,
      config,
      configFile: configFile || undefined,
      registry,
      ports,
      run: {
        id: runId,
        operator,
        incident: request.incident,
        reason: request.reason,
        dryRun,
        runbook: loaded.runbook.name,
        host: hostname(),
        ...(request.savedPlan ? { plan: request.savedPlan.audit } : {}),
      },
      ...(request.savedPlan?.guard ? { guard: request.savedPlan.guard } : {}),
      emit: (event) => {
        reporter.emit(event);
        if (event.type === 'run.planned') plan = event.plan;
        if (event.type === 'run.started') notify('started');
        if (event.type === 'run.finished' && event.outcome !== 'planned')
          notify(
            event.outcome as NotificationKind,
            event.error?.message,
            event.warnings?.map((w) => w.message),
          );
      },
      confirm: async (req) => {
        reporter.pause();
        // Io.confirm notes "confirmed by --yes" as text on stderr, which must stay NDJSON in JSON mode.
        if (io.options.yes && io.options.output === 'json') return true;
        // The plan scrolled by: what the answer lets happen, in a few lines right above the question.
        if (!io.options.yes && io.interactive && plan && io.options.output === 'text')
          io.err(
            `\n${renderPromptSummary(promptSummary(plan, expectedDuration(stateDir, loaded.runbook.name, runId)), io.colors)}\n`,
          );
        return io.confirm(req, interrupt.signal);
      },
      // A gate between traffic stages asks only a person at a terminal; with --yes, without a
      // terminal or with --output json its own checks decide. Ctrl-C at the question is Ctrl-C.
      decide: async (req) => {
        if (io.options.yes || io.options.output === 'json' || !io.interactive) return undefined;
        reporter.pause();
        const answer = await io.choose(req, interrupt.signal);
        if (answer !== undefined) return answer;
        if (!interrupt.signal.aborted)
          onSignal('SIGINT', 'SIGINT at the stage gate: stopping here; traffic stays at this stage');
        throw new FailoverError('FO_ENGINE_E1038', 'aborted', 'interrupted at the question of a stage gate');
      },
      // With --output json both streams carry JSON only: a prompt would break them, so the run
      // asks for --yes instead of asking the question.
      canConfirm: io.options.output === 'json' ? Boolean(io.options.yes) : io.canConfirm,
      ...(io.options.output === 'json' && !io.options.yes
        ? {
            cannotConfirm: {
              reason: 'with --output json no question is asked (stdout and stderr carry JSON only)',
              hint: 'pass --yes to confirm, or run without --output json to answer the prompt',
            },
          }
        : !io.canConfirm && io.stdin.isTTY && io.stderr.isTTY && ctx.env.CI
          ? {
              // On a real terminal the reason is CI, not a missing terminal: say so.
              cannotConfirm: {
                reason: `CI=${ctx.env.CI} is set, so failover asks nothing even on this terminal`,
                hint: 'pass --yes to confirm in automation, or unset CI to answer at this terminal',
              },
            }
          : {}),
      interrupt: interrupt.signal,
      resume: request.resume,
      resumeCommand,
    });
  } catch (error) {
    await awaitSecondExit();
    detachSignals();
    throw error;
  } finally {
    retries.close();
    await Promise.all(pending);
    reporter.close();
  }
  await awaitSecondExit();
  // The handlers stay until the command ends: a second Ctrl-C during the read-back below still
  // exits 3 with the lock and the resume command, instead of killing the process by the signal.
  try {
    const outcome = await reportRun();
    await awaitSecondExit();
    return outcome;
  } finally {
    detachSignals();
  }

  async function reportRun(): Promise<RunOutcomeInfo> {
    // A run stopped by its journal failed (exit 1), it was not aborted by the operator.
    const exitCode = journal?.writeError
      ? EXIT.failed
      : exitCodeForOutcome(result.outcome, result.error?.category);
    const info: RunOutcomeInfo = {
      exitCode,
      result,
      journalFile: journal?.file ?? '',
      context: { ports, config, configFile, loaded, params: params as Record<string, Json>, operator },
    };
    if (request.quiet) return info;
    // A run that changed something and did not succeed: say where things really stand.
    const stateNow =
      !dryRun &&
      external &&
      result.madeProgress &&
      result.outcome !== 'succeeded' &&
      result.outcome !== 'planned'
        ? await readStateNow(ports.read, config)
        : undefined;
    const recap = dryRun
      ? undefined
      : buildRecap({
          runbook: loaded.runbook.name,
          outcome: result.outcome,
          plan: result.plan,
          outputs: result.outputs,
          warnings: result.warnings,
          rolledBack: result.rolledBack,
          incident: request.incident,
          ...(io.options.config ? { configArg: ` --config ${io.options.config}` } : {}),
        });
    const decisionMs = decisionTimeOf(result);
    if (io.options.output === 'json') {
      io.json({
        runId,
        runbook: loaded.runbook.name,
        // A warning leads: scripts that read only the first fields still see it.
        ...(result.warnings.length ? { warning: result.warnings[0]!.message } : {}),
        outcome: outcomeLabel(result.outcome, result.warnings),
        exitCode,
        warnings: result.warnings,
        durationMs: result.durationMs,
        decisionMs,
        failedSteps: result.failedSteps,
        rolledBack: result.rolledBack,
        outputs: result.outputs,
        ...(recap ? { recap } : {}),
        ...(dryRun ? { plan: result.plan } : {}),
        ...(result.error
          ? {
              error: {
                code: result.error.code,
                message: result.error.message,
                hint: result.error.hint,
                problems: result.error.problems,
              },
            }
          : {}),
        ...(stateNow ? { stateNow } : {}),
        ...(retries.total ? { retries: { total: retries.total, calls: retries.lines() } } : {}),
        ...(journal ? { journal: journal.file } : {}),
      });
      return info;
    }
    const c = io.colors;
    if (dryRun) {
      io.out(renderPlan(result.plan, c));
      io.out(
        result.error
          ? c.red(`\n✗ ${result.error.message}`)
          : c.green(
              `\n✓ dry-run: nothing was changed; ${result.plan.steps.filter((s) => s.mutating && !s.plan?.converged && !s.skipped).length} step(s) would change something`,
            ),
      );
      return info;
    }
    const warned = result.outcome === 'succeeded' && result.warnings.length > 0;
    const color =
      result.outcome === 'succeeded' && !warned
        ? c.green
        : result.outcome === 'rolled-back' || warned
          ? c.yellow
          : c.red;
    // What the run did not do comes first, before the outcome line: it is what the operator must act on.
    for (const warning of warned ? result.warnings : []) io.out(c.yellow(`⚠ ${warning.message}`));
    io.out(
      `${color(`${result.outcome === 'succeeded' ? (warned ? '⚠' : '✓') : '✗'} ${loaded.runbook.name}: ${outcomeLabel(result.outcome, result.warnings)}`)} in ${formatMs(result.durationMs - decisionMs)}${decisionMs >= HUMAN_DECISION_MS ? ` ${c.dim(`(+ ${formatMs(decisionMs)} decision time)`)}` : ''} ${c.dim(`(run ${runId})`)}`,
    );
    for (const warning of warned ? result.warnings : [])
      if (warning.hint) io.out(c.dim(`  ${warning.stepId}: ${warning.hint}`));
    if (result.rolledBack.length) io.out(c.yellow(`  rolled back: ${result.rolledBack.join(', ')}`));
    if (retries.total)
      io.out(c.dim(`  retried by the cloud clients ${retries.total}×: ${retries.lines().join('; ')}`));
    // What the run leaves behind, so the operator knows where things stand before deciding.
    if (result.outcome !== 'succeeded' && result.changed.length)
      io.out(c.yellow(`  changed and still in place: ${result.changed.join(', ')}`));
    if (result.error) {
      io.out(c.red(`  ${result.error.message}`));
      for (const problem of result.error.problems)
        io.out(c.red(`    ${problem.path ?? ''} ${problem.message}`));
      if (result.error.hint) io.out(c.dim(`  hint: ${result.error.hint}`));
    }
    if (stateNow) for (const line of renderStateNow(stateNow, runId, c)) io.out(line);
    const hintHasResume = result.error?.hint?.includes(resumeCommand) ?? false;
    if (
      (result.outcome === 'failed' || result.outcome === 'interrupted') &&
      result.madeProgress &&
      !hintHasResume
    )
      io.out(c.dim(`  resume: ${resumeCommand}`));
    else if (result.outcome === 'failed' && !result.madeProgress)
      io.out(c.dim('  no step ran: fix the cause and run the command again'));
    if (journal?.writeError)
      io.out(
        c.red(
          `  the journal is incomplete from the failed write on: \`failover resume\` re-plans from the real state, so it still converges`,
        ),
      );
    if (recap && !recapIsEmpty(recap)) io.out(`\n${renderRecap(recap, c)}\n`);
    if (journal) io.out(c.dim(`  journal: ${journal.file}`));
    return info;
  }
}

/** Time spent at confirmations and stage gates (the steps' `decisionMs` outputs): not part of the RTO. */
function decisionTimeOf(result: RunResult): number {
  let total = 0;
  for (const step of result.plan.steps) {
    const ms = result.outputs[step.id]?.decisionMs;
    if (typeof ms === 'number') total += ms;
  }
  return total;
}

/** How long the second Ctrl-C waits for the lock to be given back before exiting anyway. */
const SECOND_SIGNAL_RELEASE_MS = 5000;
/** How long the read-back after a second signal may take. */
const SECOND_SIGNAL_READ_MS = 5000;

/**
 * The second Ctrl-C exits now, but first gives the run lock back (bounded: at most 5 s) and
 * records in the journal how the run ended and where the lock stands.
 */
async function exitAfterSecondSignal(
  io: Io,
  run: {
    signal: NodeJS.Signals;
    runId: string;
    journal?: Journal;
    ports: Ports;
    config: Config;
    resumeCommand: string;
  },
): Promise<never> {
  io.err(
    io.colors.red(
      `second ${run.signal}: exiting; giving the run lock back first (at most ${SECOND_SIGNAL_RELEASE_MS / 1000}s)`,
    ),
    'warn',
  );
  let lock: string;
  try {
    const git = run.ports.openWrite().git;
    if (!git) lock = 'this runbook takes no lock';
    else {
      const deadline = AbortSignal.timeout(SECOND_SIGNAL_RELEASE_MS);
      const released = await git.releaseLock(run.runId, deadline);
      // Not released here: the run's own `finally` may have given it back a moment earlier.
      const holder = released ? undefined : await run.ports.read.git.readLock(deadline);
      lock =
        released || !holder
          ? 'the run lock was released'
          : holder.runId === run.runId
            ? `the run lock is still held by this run; \`${run.resumeCommand}\` takes it back`
            : `the run lock is held by run ${holder.runId}, not by this one`;
    }
  } catch (error) {
    lock = `the run lock could NOT be released (${(error as Error).message}); \`${run.resumeCommand}\` takes it back, or another run may take it over with --break-lock`;
  }
  const message = `exited at a second ${run.signal}: ${lock}`;
  io.err(io.colors.red(message), 'warn');
  // Where things stand, read back from the systems themselves (briefly: the operator wants out);
  // a third signal exits at once.
  const state = await readStateNow(
    run.ports.read,
    run.config,
    AbortSignal.timeout(SECOND_SIGNAL_READ_MS),
  ).catch(() => undefined);
  if (state) for (const line of renderStateNow(state, run.runId, io.colors)) io.err(line);
  else io.err(io.colors.dim('the state could not be read back: `failover status` shows it'));
  io.err(io.colors.dim(`resume: ${run.resumeCommand}`));
  // What the command around the run must undo whatever happens (a game day's Datadog downtime).
  await runForcedExitCleanups(SECOND_SIGNAL_RELEASE_MS);
  // Last, right before the exit: the run's own steps may still record something meanwhile (its
  // unlock finishing), and the journal's last line must be how the run ended.
  run.journal?.append({
    type: 'run.finished',
    runId: run.runId,
    at: new Date().toISOString(),
    outcome: 'interrupted',
    durationMs: 0,
    error: {
      code: 'FO_ENGINE_E1037',
      category: 'aborted',
      message,
      hint: `run \`${run.resumeCommand}\` to continue where it stopped`,
    },
  } as EngineEvent);
  process.exit(EXIT.aborted);
}

/** Runbooks with only built-in steps (wait, approve, echo) run without a config file. */
function usesExternalSystems(loaded: LoadedRunbook): boolean {
  const builtin = new Set(['wait', 'approve', 'echo', 'note']);
  const all = loaded.runbook.steps
    .flatMap((s) => ('parallel' in s ? s.parallel : [s]))
    .concat(loaded.runbook.finally);
  return all.some((s) => !builtin.has(s.uses));
}
