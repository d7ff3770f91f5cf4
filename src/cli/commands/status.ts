import { newRunId } from '../../engine/journal.js';
import { createPorts } from '../../providers/index.js';
import { collectStatus } from '../../steps/status/collect.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { renderStatus } from '../render/status.js';

/**
 * `failover status`: both sides at a glance. Exit 0 when everything could be read, 1 when a part
 * could not (so scripts notice), 2 for a bad config.
 */
export default async function status(globals: GlobalOptions): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const { config } = ctx.config(true);
    const ports = createPorts({ config, env: ctx.env, redactor: ctx.redactor, runId: newRunId() });
    const report = await collectStatus(ports.read, config, AbortSignal.timeout(60_000));
    if (globals.output === 'json') io.json(report);
    else io.out(renderStatus(report, io.colors));
    const sections = [
      ...Object.values(report.clusters),
      report.weights,
      report.healthChecks,
      ...Object.values(report.overlays),
      ...Object.values(report.apps),
      report.lock,
    ].filter((s) => s !== undefined);
    return sections.every((s) => s.ok) ? EXIT.ok : EXIT.failed;
  } catch (error) {
    return reportError(io, error);
  }
}
