/**
 * One formatter per engine event type for plain (non-TTY) output. The Record type makes the build
 * fail when a new event type has no formatter.
 */
import { type EngineEventType, type EventOf, fromPlan } from '../../engine/events.js';
import { formatMs } from '../../util/duration.js';
import type { Colors } from '../io.js';

type Formatter<T extends EngineEventType> = (event: EventOf<T>, c: Colors) => string | undefined;

export const PLAIN_FORMATTERS: { [T in EngineEventType]: Formatter<T> } = {
  'run.started': (e, c) =>
    `${c.bold('run')} ${e.runId} ${c.cyan(e.runbook.name)}${e.dryRun ? c.yellow(' (dry-run)') : ''}${e.resumedFrom ? ` resuming ${e.resumedFrom}` : ''} by ${e.operator}`,
  'run.planned': () => undefined,
  'step.planned': () => undefined,
  'step.started': (e, c) =>
    `${c.blue('▶')} ${e.stepId}${e.attempt > 1 ? c.dim(` (attempt ${e.attempt})`) : ''}`,
  'step.message': (e, c) => {
    const color =
      e.level === 'error'
        ? c.red
        : e.level === 'warn'
          ? c.yellow
          : e.level === 'debug'
            ? c.dim
            : (s: string) => s;
    return `  ${c.dim(`${e.stepId}:`)} ${color(e.message)}`;
  },
  'step.retrying': (e, c) =>
    `${c.yellow('↻')} ${e.stepId}: ${e.error.message}; retrying in ${formatMs(e.delayMs)}`,
  'step.succeeded': (e, c) =>
    `${c.green('✓')} ${e.stepId} ${c.dim(formatMs(e.durationMs))}${e.converged ? c.dim(' (already done)') : ''}${e.planAgeMs !== undefined ? c.dim(` (${fromPlan(e.planAgeMs)})`) : ''}`,
  'step.skipped': (e, c) => `${c.dim('○')} ${e.stepId} ${c.dim(`skipped: ${e.reason}`)}`,
  'step.failed': (e, c) => `${c.red('✗')} ${e.stepId} ${c.dim(formatMs(e.durationMs))}: ${e.error.message}`,
  'step.rollback.started': (e, c) => `${c.yellow('↺')} rolling back ${e.stepId}`,
  'step.rolled-back': (e, c) => `${c.yellow('↺')} rolled back ${e.stepId} ${c.dim(formatMs(e.durationMs))}`,
  'step.rollback.failed': (e, c) => `${c.red('✗')} rollback of ${e.stepId} failed: ${e.error.message}`,
  'run.interrupted': (e, c) =>
    `${c.yellow('■')} interrupted${e.inFlight.length ? ` during ${e.inFlight.join(', ')}` : ''}; resume with: ${c.bold(e.resumeCommand)}`,
  'run.finished': (e, c) => {
    const color =
      e.outcome === 'succeeded' || e.outcome === 'planned'
        ? c.green
        : e.outcome === 'rolled-back'
          ? c.yellow
          : c.red;
    return `${c.bold('run')} ${e.runId} ${color(e.outcome)} in ${formatMs(e.durationMs)}`;
  },
};
