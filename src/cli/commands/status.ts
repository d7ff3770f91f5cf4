import { newRunId } from '../../engine/journal.js';
import { createPorts } from '../../providers/index.js';
import { collectStatus, type StatusReport } from '../../steps/status/collect.js';
import { collectDnsStatus, type DnsStatus, renderDnsStatus } from '../../steps/status/dns.js';
import { statusVerdict, verdictLine } from '../../steps/status/verdict.js';
import { toMs } from '../../util/duration.js';
import { TOOL_VERSION } from '../../util/version.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';
import { durationFlagProblem, throwIfProblems } from '../options.js';
import { renderStatus } from '../render/status.js';

/** `--watch` refreshes at least this far apart (each refresh reads every API once) and at most this. */
const WATCH_MIN_MS = 2_000;
const WATCH_MAX_MS = 10 * 60_000;

/**
 * `failover status`: both sides at a glance, ending with a one-line verdict. Exit 0 when
 * everything could be read, 1 when a part could not (so scripts notice), 2 for a bad config.
 * `--watch [interval]` refreshes until Ctrl-C (exit 0).
 */
export default async function status(
  globals: GlobalOptions,
  options: { watch?: string | true } = {},
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const watchMs = options.watch === undefined ? undefined : watchInterval(options.watch);
    const { config } = ctx.config(true);
    const ports = createPorts({ config, env: ctx.env, redactor: ctx.redactor, runId: newRunId() });
    const once = async (): Promise<ExitCode> => {
      const signal = AbortSignal.timeout(60_000);
      const [report, dns] = await Promise.all([
        collectStatus(ports.read, config, signal),
        collectDnsStatus(ports.read, config, signal),
      ]);
      const verdict = statusVerdict(report);
      if (globals.output === 'json') {
        const doc = {
          ...report,
          ...(dns ? { dns: dnsJson(dns) } : {}),
          verdict: verdict.verdict,
          verdictReason: verdict.reason,
          version: TOOL_VERSION,
        };
        // Watching, one compact document per refresh (NDJSON) so a reader can follow the stream.
        if (watchMs === undefined) io.json(doc);
        else io.stdout.write(`${JSON.stringify(io.redactor.value(doc))}\n`);
      } else {
        if (watchMs !== undefined && io.stdout.isTTY) io.stdout.write('\u001b[2J\u001b[H');
        io.out(renderStatus(report, io.colors));
        if (dns) io.out(`\n${renderDnsStatus(dns)}`);
        const c = io.colors;
        const color = verdict.verdict === 'split' ? c.yellow : c.green;
        io.out(`\n${color(verdictLine(verdict))}`);
      }
      return everythingRead(report) && (dns?.ok ?? true) ? EXIT.ok : EXIT.failed;
    };
    if (watchMs === undefined) return await once();
    return await watch(io, watchMs, once);
  } catch (error) {
    return reportError(io, error);
  }
}

/** The DNS answers as the JSON document carries them: counts per side, or what failed. */
function dnsJson(dns: DnsStatus): unknown {
  if (!dns.ok) return dns;
  const { ok: _ok, ...counts } = dns;
  return counts;
}

function watchInterval(value: string | true): number {
  if (value === true) return 5_000;
  const problem = durationFlagProblem('--watch', value, { minMs: WATCH_MIN_MS, maxMs: WATCH_MAX_MS });
  throwIfProblems(problem ? [problem] : []);
  return toMs(value.trim());
}

/** Refreshes every `intervalMs` until Ctrl-C (or SIGTERM), which ends it with exit 0. */
async function watch(io: Io, intervalMs: number, once: () => Promise<ExitCode>): Promise<ExitCode> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));
  try {
    while (!stop.signal.aborted) {
      // Ctrl-C in the middle of a refresh ends at once: the reads only look.
      await Promise.race([once(), stopped]);
      if (stop.signal.aborted) break;
      if (io.options.output === 'text')
        io.err(
          io.colors.dim(`refreshing every ${intervalMs / 1000}s (${new Date().toISOString()}); Ctrl-C stops`),
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        stop.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function everythingRead(report: StatusReport): boolean {
  const sections = [
    ...Object.values(report.clusters),
    report.weights,
    report.healthChecks,
    ...Object.values(report.overlays),
    ...Object.values(report.apps),
    report.lock,
  ].filter((s) => s !== undefined);
  return sections.every((s) => s.ok);
}
