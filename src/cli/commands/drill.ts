/**
 * `failover drill`: the nightly rehearsal (read-only: would a failover work today?) and the game
 * day (a real round trip with per-phase timings). Both write reports; exit codes suit schedulers.
 */

import { invalidInput, stepFailed } from '../../engine/errors.js';
import { newRunId } from '../../engine/journal.js';
import { planProblems, planWarnings } from '../../engine/plan.js';
import { sleep } from '../../engine/retry.js';
import type { DrillDowntime } from '../../providers/metrics/drill-downtime.js';
import { type StatusVerdict, statusVerdict, verdictLine } from '../../steps/status/verdict.js';
import { formatMs, toMs } from '../../util/duration.js';
import { shippedRunbook } from '../../util/package-root.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { onForcedExit, STOP_SIGNALS } from '../forced-exit.js';
import { type GlobalOptions, Io } from '../io.js';
import { durationFlagProblem, HOLD_BOUNDS } from '../options.js';
import { type parseReportTargets, reportDocument, writeReports } from '../reports.js';
import { runRunbook } from '../run-runbook.js';
import { checkFailoverOptions, type FailoverOptions, failoverParams } from './failover.js';

export interface DrillOptions extends FailoverOptions {
  mode: string;
  hold: string;
}

export default async function drill(globals: GlobalOptions, options: DrillOptions): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const targets = checkFailoverOptions(options);
    if (options.mode !== 'rehearsal' && options.mode !== 'game-day') {
      throw invalidInput('FO_DRILL_E8001', `unknown drill mode "${options.mode}"`, {
        hint: 'use --mode rehearsal (read-only) or --mode game-day (a real round trip)',
      });
    }
    const hold = durationFlagProblem('--hold', options.hold, HOLD_BOUNDS);
    if (hold) throw invalidInput('FO_DRILL_E8002', hold.message, { hint: hold.hint ?? 'e.g. --hold 5m' });
    ctx.config(true);
    return options.mode === 'rehearsal'
      ? await rehearsal(io, ctx, options, targets)
      : await gameDay(io, ctx, options, targets);
  } catch (error) {
    return reportError(io, error);
  }
}

async function rehearsal(
  io: Io,
  ctx: ReturnType<typeof createContext>,
  options: DrillOptions,
  targets: ReturnType<typeof parseReportTargets>,
): Promise<ExitCode> {
  const c = io.colors;
  const journals: string[] = [];
  const lines: string[] = [];
  let failed = false;
  const allWarnings: string[] = [];
  let gkeUnreachable = false;
  let toAwsProblems = 0;
  // Failed over (traffic, overlay and apps on AWS): whether a failover would work is moot, and the
  // checks of normal operation would all fail and advise the wrong fixes. The failback is what can
  // be rehearsed then.
  const onAws = (await stateNowVerdict(ctx).catch(() => undefined))?.verdict === 'aws';
  const legs = [
    ['drill', {}],
    ['to-aws', failoverParams(options, 'to-aws')],
    ['to-gcp', failoverParams(options, 'to-gcp')],
  ] as const;
  for (const [name, params] of onAws ? legs.filter(([leg]) => leg === 'to-gcp') : legs) {
    const outcome = await runRunbook(io, ctx, {
      runbookFile: shippedRunbook(name),
      params,
      planOnly: true,
      quiet: true,
      operator: options.operator,
    });
    journals.push(outcome.journalFile);
    const problems = planProblems(outcome.result.plan);
    // What a real run would report as "succeeded with warnings" is reported the same way here.
    const warnings = planWarnings(outcome.result.plan);
    allWarnings.push(...warnings.map((w) => `${outcome.result.plan.runbook.name}: ${w}`));
    const checks = outcome.result.plan.steps.flatMap((s) => s.plan?.checks ?? []);
    gkeUnreachable ||= outcome.result.plan.steps.some(
      (s) => s.kind === 'check.gke-cluster' && s.plan?.outputs?.reachable === false,
    );
    if (name === 'to-aws') toAwsProblems = problems.length;
    failed ||= problems.length > 0 || outcome.exitCode !== EXIT.ok;
    lines.push(
      `${problems.length ? c.red('✗') : c.green('✓')} ${c.bold(outcome.result.plan.runbook.name)}: ${checks.filter((k) => k.ok).length}/${checks.length} checks pass, ${problems.length} problem(s)`,
    );
    for (const step of outcome.result.plan.steps) {
      for (const check of step.plan?.checks ?? []) {
        const icon = check.ok ? c.green('✓') : check.severity === 'warning' ? c.yellow('!') : c.red('✗');
        lines.push(`    ${icon} ${step.id}: ${check.name}${check.detail ? c.dim(` — ${check.detail}`) : ''}`);
      }
      if (step.error)
        lines.push(
          step.onFailure === 'continue'
            ? `    ${c.yellow('⚠')} ${step.id}: ${step.error.message} ${c.dim('(the run goes on: it would end "succeeded with warnings")')}`
            : `    ${c.red('✗')} ${step.id}: ${step.error.message}`,
        );
    }
  }
  const headline = rehearsalHeadline({
    onAws,
    failed,
    warned: allWarnings.length > 0,
    gkeUnreachable,
    toAwsProblems,
  });
  const doc = reportDocument('failover drill: rehearsal', journals, [
    ...allWarnings.map((w) => `WARNING: ${w}`),
    headline.report,
  ]);
  if (io.options.output === 'json')
    io.json({
      mode: 'rehearsal',
      ok: !failed,
      ...headline.json,
      warnings: allWarnings,
      runs: doc.runs,
    });
  else {
    for (const warning of allWarnings) io.out(c.yellow(`⚠ ${warning}`));
    for (const line of lines) io.out(line);
    const tone = { '✓': c.green, '⚠': c.yellow, '✗': c.red }[headline.mark];
    io.out(tone(`\n${headline.mark} ${headline.line}`));
  }
  for (const path of writeReports(targets, doc)) io.err(c.dim(`report: ${path}`));
  return failed ? EXIT.failed : EXIT.ok;
}

interface RehearsalHeadline {
  mark: '✓' | '⚠' | '✗';
  /** The terminal's last line, after the mark. */
  line: string;
  /** The report's last line. */
  report: string;
  /** What `--output json` adds besides `ok`. */
  json?: { headline: string; onAws?: true; gkeUnreachable?: true };
}

/** What the rehearsal concludes, said the same way on the terminal, in the report and in JSON. */
function rehearsalHeadline(r: {
  onAws: boolean;
  failed: boolean;
  warned: boolean;
  gkeUnreachable: boolean;
  toAwsProblems: number;
}): RehearsalHeadline {
  const mark = r.failed ? '✗' : r.warned ? '⚠' : '✓';
  if (r.onAws) {
    const text = `on AWS now (failed over): only the failback was rehearsed, and it would ${r.failed ? `NOT work today${r.gkeUnreachable ? ' (GKE unreachable)' : ': see its failed checks'}` : `work today${r.warned ? ', with the warnings above' : ''}`}`;
    return { mark, line: text, report: text, json: { headline: text, onAws: true } };
  }
  // During a real GKE outage the GKE checks cannot run: that is the outage, not the drill's finding.
  if (r.failed && r.gkeUnreachable) {
    const text = `drill could not run the GKE checks: GKE unreachable; a failover to AWS would ${r.toAwsProblems ? 'NOT work either (see its failed checks)' : 'work today'}`;
    return { mark, line: text, report: text, json: { headline: text, gkeUnreachable: true } };
  }
  if (r.failed)
    return {
      mark,
      line: 'a failover would fail today',
      report: 'A failover would NOT work today: see the failed checks.',
    };
  if (r.warned)
    return {
      mark,
      line: 'a failover would work today, with the warnings above',
      report: 'A failover would work today, with warnings.',
    };
  return { mark, line: 'a failover would work today', report: 'A failover would work today.' };
}

async function gameDay(
  io: Io,
  ctx: ReturnType<typeof createContext>,
  options: DrillOptions,
  targets: ReturnType<typeof parseReportTargets>,
): Promise<ExitCode> {
  const c = io.colors;
  const incident = options.incident ?? `GAMEDAY-${new Date().toISOString().slice(0, 10)}`;
  const reason = options.reason ?? 'game day: scheduled failover round trip';
  const journals: string[] = [];
  const notes = [`incident ${incident}`, `hold on AWS: ${options.hold}`];
  // A game day is a round trip from normal operation. Run while production is failed over (or
  // half-way), its failback would end the real incident's failover without anyone deciding to.
  const now = await stateNowVerdict(ctx);
  if (now.verdict !== 'gcp') {
    throw stepFailed(
      'FO_DRILL_E8003',
      `game day refused: the system is not on GCP now (${verdictLine(now)})`,
      {
        hint: 'a game day starts and ends on GCP; finish the failover that is under way first (`failover status` shows where things stand, `failover to-gcp` brings traffic back), then run the game day',
        details: { verdict: now.verdict },
      },
    );
  }
  io.err(c.bold(`game day: to-aws, hold ${options.hold}, to-gcp`));
  // GKE's monitors would page for a drill: mute them (when the config says how) until the end.
  const downtime = await scheduleGameDayDowntime(io, ctx, incident, notes);
  // A second Ctrl-C exits at once: the downtime is cancelled on that way out too.
  const unregister = downtime
    ? onForcedExit(async () => {
        try {
          await downtime.cancel();
          io.err(c.dim(`${downtime.label} cancelled`));
        } catch (error) {
          io.err(
            c.yellow(`could not cancel ${downtime.label}: ${(error as Error).message}; cancel it in Datadog`),
          );
        }
      })
    : undefined;
  let exitCode: ExitCode;
  try {
    exitCode = await gameDayRuns(io, ctx, options, { incident, reason, journals, notes });
  } finally {
    unregister?.();
    if (downtime) {
      try {
        await downtime.cancel();
        notes.push(`${downtime.label}: cancelled`);
        io.err(c.dim(`${downtime.label} cancelled`));
      } catch (error) {
        notes.push(`${downtime.label}: NOT cancelled (${(error as Error).message}); cancel it in Datadog`);
        io.err(
          c.yellow(`could not cancel ${downtime.label}: ${(error as Error).message}; cancel it in Datadog`),
        );
      }
    }
  }
  const doc = reportDocument('failover drill: game day', journals, notes);
  if (io.options.output === 'json') io.json({ mode: 'game-day', ok: exitCode === EXIT.ok, runs: doc.runs });
  for (const path of writeReports(targets, doc)) io.err(c.dim(`report: ${path}`));
  return exitCode;
}

/** Where the system stands now, as `failover status` judges it (read-only). */
async function stateNowVerdict(ctx: ReturnType<typeof createContext>): Promise<StatusVerdict> {
  const { config } = ctx.config(true);
  const [{ createPorts }, { collectStatus }] = await Promise.all([
    import('../../providers/index.js'),
    import('../../steps/status/collect.js'),
  ]);
  const ports = createPorts({ config, env: ctx.env, redactor: ctx.redactor, runId: newRunId() });
  return statusVerdict(await collectStatus(ports.read, config, AbortSignal.timeout(60_000)));
}

async function scheduleGameDayDowntime(
  io: Io,
  ctx: ReturnType<typeof createContext>,
  incident: string,
  notes: string[],
): Promise<DrillDowntime | undefined> {
  const { config } = ctx.config(true);
  if (!config.metrics?.gcp.downtime) return undefined;
  const { scheduleDrillDowntime } = await import('../../providers/metrics/drill-downtime.js');
  const downtime = await scheduleDrillDowntime(config, ctx.env, 'gcp', {
    message: `failover game day ${incident}: GKE taken down on purpose`,
    maxMs: 6 * 3600_000,
  });
  if (downtime) {
    notes.push(`${downtime.label} scheduled for GKE while the drill runs`);
    io.err(io.colors.dim(`${downtime.label} scheduled`));
  }
  return downtime;
}

async function gameDayRuns(
  io: Io,
  ctx: ReturnType<typeof createContext>,
  options: DrillOptions,
  run: { incident: string; reason: string; journals: string[]; notes: string[] },
): Promise<ExitCode> {
  const c = io.colors;
  const { incident, reason, journals, notes } = run;
  // A stop signal (Ctrl-C, SIGTERM, a closed terminal) is watched for the whole game day, not only
  // during the hold: between to-aws giving its own handlers back and the hold, Node's default
  // would kill the process and leave production on AWS. A signal that comes while a run is under
  // way stops that run (its own handler); one that comes after to-aws succeeded skips the hold.
  const skip = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!skip.signal.aborted) skip.abort(signal);
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  try {
    const there = await runRunbook(io, ctx, {
      runbookFile: shippedRunbook('to-aws'),
      params: failoverParams(options, 'to-aws'),
      incident,
      reason,
      operator: options.operator,
      planOnly: false,
    });
    journals.push(there.journalFile);
    if (there.exitCode !== EXIT.ok) {
      notes.push('to-aws did not succeed: no failback was attempted');
      return there.exitCode;
    }
    const holdMs = toMs(options.hold);
    io.err(c.dim(`holding on AWS for ${formatMs(holdMs)} (Ctrl-C skips to the failback)`));
    try {
      await sleep(holdMs, skip.signal);
    } catch {
      notes.push(`hold cut short (${String(skip.signal.reason)}): failing back now`);
    }
    const back = await runRunbook(io, ctx, {
      runbookFile: shippedRunbook('to-gcp'),
      params: failoverParams(options, 'to-gcp'),
      incident,
      reason,
      operator: options.operator,
      planOnly: false,
    });
    journals.push(back.journalFile);
    return back.exitCode;
  } finally {
    for (const name of STOP_SIGNALS) process.off(name, onSignal);
  }
}
