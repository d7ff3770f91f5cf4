/**
 * `failover demo` (`npm run demo`): the whole story on the built-in sandbox, in under a minute.
 * GKE is healthy and carries the traffic → GKE goes down → to-aws → AWS carries the traffic →
 * GKE recovers → to-gcp → back where we started, with a Markdown report of both runs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { newRunId } from '../../engine/journal.js';
import { createPorts } from '../../providers/index.js';
import { renderReport } from '../../report/render.js';
import { collectStatus } from '../../steps/status/collect.js';
import { formatMs } from '../../util/duration.js';
import { shippedRunbook } from '../../util/package-root.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { throwIfProblems } from '../options.js';
import { renderStatus } from '../render/status.js';
import { reportDocument } from '../reports.js';
import { runRunbook } from '../run-runbook.js';
import { stagesProblems } from '../stages-option.js';

export default async function demo(
  globals: GlobalOptions,
  options: { dir?: string; stages?: string },
): Promise<ExitCode> {
  const bootstrapIo = new Io(globals, createContext(globals).redactor);
  try {
    if (options.stages !== undefined) throwIfProblems(stagesProblems('--stages', options.stages));
  } catch (error) {
    return reportError(bootstrapIo, error);
  }
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'failover-demo-')));
  const c = bootstrapIo.colors;
  const started = Date.now();
  const { startSandbox } = await import('../../sandbox/sandbox.js');
  const sandbox = await startSandbox({
    dir,
    timings: { propagationMs: 1200, rolloutMs: 2500, reconcileMs: 500, latencyMs: 5 },
  });
  for (const [key, value] of Object.entries(sandbox.env)) process.env[key] ??= value;
  const demoGlobals: GlobalOptions = { ...globals, config: sandbox.info.config, yes: true };
  const ctx = createContext(demoGlobals);
  const io = new Io(demoGlobals, ctx.redactor);
  const title = (text: string) => io.err(`\n${c.bold(c.magenta('━━ '))}${c.bold(text)}`);
  const status = async () => {
    const { config } = ctx.config(true);
    const ports = createPorts({ config, env: ctx.env, redactor: ctx.redactor, runId: newRunId() });
    io.err(renderStatus(await collectStatus(ports.read, config, AbortSignal.timeout(30_000)), c));
  };
  try {
    io.err(
      `${c.bold('failover demo')}: a sandbox of emulators in ${c.dim(dir)} (Route 53, EKS, GKE, Argo CD, a git remote)`,
    );
    title('1. Normal day: GKE serves the traffic, AWS is a warm standby (0 replicas, CronJobs suspended)');
    await status();

    title('2. GKE goes down (outage switched on in the sandbox)');
    sandbox.outage('gke', true);
    await status();

    title('3. failover to-aws --yes --incident DEMO-1');
    const there = await runRunbook(io, ctx, {
      runbookFile: shippedRunbook('to-aws'),
      params: options.stages ? { stages: options.stages } : {},
      incident: 'DEMO-1',
      reason: 'demo: GKE outage',
      operator: 'demo',
      planOnly: false,
    });
    if (there.exitCode !== EXIT.ok) return there.exitCode;

    title('4. AWS carries the traffic: overlay active, apps running, weights moved');
    await status();

    title('5. GKE recovers; failover to-gcp --yes');
    sandbox.outage('gke', false);
    const back = await runRunbook(io, ctx, {
      runbookFile: shippedRunbook('to-gcp'),
      params: options.stages ? { stages: options.stages } : {},
      incident: 'DEMO-1',
      reason: 'demo: GKE recovered',
      operator: 'demo',
      planOnly: false,
    });
    if (back.exitCode !== EXIT.ok) return back.exitCode;

    title('6. Back to normal');
    await status();

    const report = join(dir, 'report.md');
    writeFileSync(
      report,
      renderReport(
        'md',
        reportDocument(
          'failover demo: to-aws and back',
          [there.journalFile, back.journalFile],
          ['sandbox: every cloud API was an emulator on 127.0.0.1'],
        ),
      ),
    );
    const mutating = sandbox.requests().filter((r) => r.mutating).length;
    io.err('');
    io.out(
      `${c.green('✓ demo finished')} in ${formatMs(Date.now() - started)}: ${mutating} mutating requests reached the emulators`,
    );
    io.out(`  report:  ${report}`);
    io.out(`  journal: failover runs --config ${sandbox.info.config}`);
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  } finally {
    await sandbox.close();
  }
}
