/**
 * The live step tree on a TTY: one line per step with its state and elapsed time, redrawn in place
 * (log-update); step messages scroll above it. Without a TTY the plain formatters print lines.
 */
import { createLogUpdate } from 'log-update';
import { type EngineEvent, fromPlan } from '../../engine/events.js';
import type { RunPlan } from '../../engine/plan.js';
import { formatMs } from '../../util/duration.js';
import type { Colors } from '../io.js';
import { PLAIN_FORMATTERS } from './events.js';

type State =
  | 'pending'
  | 'running'
  | 'ok'
  | 'converged'
  | 'failed'
  | 'skipped'
  | 'rolling-back'
  | 'rolled-back';

interface Row {
  id: string;
  kind: string;
  group?: string;
  state: State;
  startedAt?: number;
  durationMs?: number;
  note?: string;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class LiveTree {
  private rows: Row[] = [];
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly log;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly c: Colors,
  ) {
    this.log = createLogUpdate(stream, { showCursor: false });
  }

  start(plan: RunPlan): void {
    this.rows = [...plan.steps, ...plan.finally].map((s) => ({
      id: s.id,
      kind: s.kind,
      ...(s.group ? { group: s.group } : {}),
      state: s.skipped ? 'skipped' : 'pending',
    }));
    this.timer = setInterval(() => this.render(), 120);
    this.timer.unref();
    this.render();
  }

  /** Prints a line above the tree. */
  persist(text: string): void {
    this.wake();
    this.log.clear();
    this.stream.write(`${text}\n`);
    this.render();
  }

  on(event: EngineEvent): void {
    this.wake();
    const row = 'stepId' in event ? this.rows.find((r) => r.id === event.stepId) : undefined;
    switch (event.type) {
      case 'step.started':
        if (row)
          Object.assign(row, {
            state: 'running',
            startedAt: Date.now(),
            note: event.attempt > 1 ? `attempt ${event.attempt}` : undefined,
          });
        break;
      case 'step.succeeded':
        if (row)
          Object.assign(row, {
            state: event.converged ? 'converged' : 'ok',
            durationMs: event.durationMs,
            note: event.planAgeMs !== undefined ? fromPlan(event.planAgeMs) : undefined,
          });
        break;
      case 'step.failed':
        if (row)
          Object.assign(row, { state: 'failed', durationMs: event.durationMs, note: event.error.message });
        break;
      case 'step.skipped':
        if (row) Object.assign(row, { state: 'skipped', note: event.reason });
        break;
      case 'step.retrying':
        if (row) row.note = `retrying in ${formatMs(event.delayMs)}: ${event.error.message}`;
        break;
      case 'step.rollback.started':
        if (row) Object.assign(row, { state: 'rolling-back', startedAt: Date.now() });
        break;
      case 'step.rolled-back':
        if (row) Object.assign(row, { state: 'rolled-back', durationMs: event.durationMs });
        break;
      case 'step.rollback.failed':
        if (row) Object.assign(row, { state: 'failed', note: `rollback failed: ${event.error.message}` });
        break;
      case 'step.message':
        if (event.level !== 'debug') this.persist(PLAIN_FORMATTERS['step.message'](event, this.c) ?? '');
        return;
      case 'run.interrupted':
        this.persist(PLAIN_FORMATTERS['run.interrupted'](event, this.c) ?? '');
        return;
      default:
        return;
    }
    this.render();
  }

  stop(): void {
    this.suspend();
  }

  /** Freezes the tree where it is (e.g. while a prompt waits); the next event redraws it below. */
  suspend(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.render();
    this.log.done();
  }

  private wake(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.render(), 120);
    this.timer.unref();
  }

  private icon(row: Row): string {
    const c = this.c;
    switch (row.state) {
      case 'pending':
        return c.dim('·');
      case 'running':
      case 'rolling-back':
        return c.cyan(SPINNER[this.frame % SPINNER.length]!);
      case 'ok':
        return c.green('✓');
      case 'converged':
        return c.green('=');
      case 'failed':
        return c.red('✗');
      case 'skipped':
        return c.dim('○');
      case 'rolled-back':
        return c.yellow('↺');
    }
  }

  private render(): void {
    this.frame++;
    const c = this.c;
    const lines = this.rows.map((row) => {
      const elapsed =
        row.durationMs !== undefined
          ? formatMs(row.durationMs)
          : row.startedAt
            ? formatMs(Date.now() - row.startedAt)
            : '';
      const prefix = row.group ? '  ├ ' : '';
      const label = row.state === 'pending' || row.state === 'skipped' ? c.dim(row.id) : row.id;
      const note = row.note ? c.dim(` ${row.note}`) : row.state === 'converged' ? c.dim(' already done') : '';
      return `${prefix}${this.icon(row)} ${label} ${c.dim(row.kind)} ${c.dim(elapsed)}${note}`;
    });
    this.log(lines.join('\n'));
  }
}
