import { newRunId } from '../../engine/journal.js';
import { createPorts } from '../../providers/index.js';
import { collectStatus, type StatusReport } from '../../steps/status/collect.js';
import { collectDnsStatus, type DnsStatus, renderDnsStatus } from '../../steps/status/dns.js';
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
    const signal = AbortSignal.timeout(60_000);
    const [report, dns] = await Promise.all([
      collectStatus(ports.read, config, signal),
      collectDnsStatus(ports.read, config, signal),
    ]);
    printStatus(io, globals, report, dns);
    const sections = [
      ...Object.values(report.clusters),
      report.weights,
      report.healthChecks,
      ...Object.values(report.overlays),
      ...Object.values(report.apps),
      report.lock,
      dns,
    ].filter((s) => s !== undefined);
    return sections.every((s) => s.ok) ? EXIT.ok : EXIT.failed;
  } catch (error) {
    return reportError(io, error);
  }
}

/** The report, with the DNS answers (when the config verifies DNS) as a `dns` member or a line. */
function printStatus(io: Io, globals: GlobalOptions, report: StatusReport, dns: DnsStatus | undefined): void {
  if (globals.output === 'json') {
    io.json(dns ? { ...report, dns: dns.ok ? (({ ok: _ok, ...counts }) => counts)(dns) : dns } : report);
    return;
  }
  io.out(renderStatus(report, io.colors));
  if (dns) io.out(`\n${renderDnsStatus(dns)}`);
}
