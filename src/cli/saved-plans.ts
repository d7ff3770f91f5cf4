/**
 * `--plan-out FILE` of to-aws, to-gcp and run: the run is planned as a dry-run would plan it (the
 * same planner, reads only), with no journal and no lock; then the facts the plan rests on are
 * read and everything is written to FILE, sealed with its hash. `failover apply FILE` runs it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { collectFacts, runbookFact } from '../engine/plan-facts.js';
import {
  type PlanFact,
  planHeadline,
  SAVED_PLAN_FORMAT,
  type SavedPlan,
  sealPlan,
  sha256,
} from '../engine/saved-plan.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { Colors, Io } from './io.js';
import { throwIfProblems, writablePathProblem } from './options.js';
import { renderPlan } from './render/plan.js';
import { type RunRequest, runRunbook } from './run-runbook.js';

/** `--plan-out` must name a file that can be written, checked before anything is read. */
export function planOutProblems(path: string | undefined) {
  if (path === undefined) return [];
  const problem = path.trim() === '' ? 'is empty' : writablePathProblem(path);
  return problem
    ? [
        {
          path: '--plan-out',
          message: `--plan-out ${path}: ${problem}`,
          hint: 'choose a file path in a directory you can write to',
        },
      ]
    : [];
}

/** Writes the file whole or not at all: a reader never sees half a plan. */
function writeAtomically(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temporary, text, { mode: 0o644 });
  renameSync(temporary, path);
}

export function renderFacts(facts: readonly PlanFact[], c: Colors): string {
  return facts
    .map((f) => `  ${c.dim('•')} ${f.what}: ${f.unreadable ? c.yellow(f.value) : f.value}`)
    .join('\n');
}

export function renderSavedPlan(saved: SavedPlan, c: Colors): string {
  return [
    ...planHeadline(saved).map((line, i) => (i === 0 ? c.bold(line) : c.dim(line))),
    '',
    renderPlan(saved.plan, c),
    '',
    c.bold('facts the plan is based on (checked again before it is applied):'),
    renderFacts(saved.facts, c),
  ].join('\n');
}

export async function planToFile(
  io: Io,
  ctx: CommandContext,
  request: Omit<RunRequest, 'planOnly' | 'quiet' | 'noJournal'>,
  command: string,
  file: string,
): Promise<ExitCode> {
  throwIfProblems(planOutProblems(file));
  const info = await runRunbook(io, ctx, { ...request, planOnly: true, quiet: true, noJournal: true });
  const { result, context } = info;
  const c = io.colors;
  if (result.error) {
    // A plan that would fail today is not worth reviewing: nothing is written.
    if (io.options.output === 'json')
      io.json({
        planFile: null,
        exitCode: info.exitCode,
        plan: result.plan,
        error: { code: result.error.code, message: result.error.message, hint: result.error.hint },
      });
    else {
      io.out(renderPlan(result.plan, c));
      io.out(c.red(`\n✗ ${result.error.message}`));
      if (result.error.hint) io.out(c.dim(`  hint: ${result.error.hint}`));
      io.out(c.dim(`  no plan was written to ${file}`));
    }
    return info.exitCode === EXIT.ok ? EXIT.failed : info.exitCode;
  }
  const facts = [
    runbookFact(resolve(context.loaded.file)),
    ...(await collectFacts(context.ports.read, context.config)),
  ].sort((a, b) => a.id.localeCompare(b.id));
  // Secrets are masked before the seal: the hash covers exactly the bytes written.
  const content: Omit<SavedPlan, 'hash'> = {
    format: SAVED_PLAN_FORMAT,
    createdAt: new Date().toISOString(),
    runId: result.runId,
    command,
    runbook: {
      name: context.loaded.runbook.name,
      file: resolve(context.loaded.file),
      sha256: facts.find((f) => f.id === 'runbook')?.value ?? sha256(''),
    },
    params: context.params,
    operator: context.operator,
    ...(request.incident ? { incident: request.incident } : {}),
    ...(request.reason ? { reason: request.reason } : {}),
    host: hostname(),
    config: { file: context.configFile },
    plan: result.plan,
    facts,
  };
  const saved = sealPlan(ctx.redactor.value(content) as Omit<SavedPlan, 'hash'>);
  writeAtomically(file, `${JSON.stringify(saved, null, 2)}\n`);
  if (io.options.output === 'json') {
    io.json({
      planFile: file,
      hash: saved.hash,
      runId: saved.runId,
      exitCode: EXIT.ok,
      plan: saved.plan,
      facts,
    });
    return EXIT.ok;
  }
  io.out(renderSavedPlan(saved, c));
  io.out(c.green(`\n✓ plan written to ${file} (${saved.hash}); nothing was changed, no lock was taken`));
  io.out(c.dim(`  review: failover approve ${file} --operator NAME   apply: failover apply ${file}`));
  return EXIT.ok;
}

/**
 * The config for `apply` and `approve`: --config or FAILOVER_CONFIG when given, else the file the
 * plan was made with (another directory's, often), else the default file. Which one, and a
 * difference from the plan's, is said on stderr; the plan's config digest still decides drift.
 */
export function loadPlanConfig(ctx: CommandContext, io: Io, saved: SavedPlan): LoadedConfig {
  const planned = saved.config.file || undefined;
  const loaded = ctx.config(true, planned);
  if (planned)
    io.err(
      io.colors.dim(
        loaded.file === planned
          ? `config ${loaded.file}, as planned`
          : `config ${loaded.file} (the plan was made with ${planned})`,
      ),
    );
  return loaded;
}
