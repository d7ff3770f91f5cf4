/**
 * What a step is handed: the read-only PlanContext (the whole-run plan, and each step's fresh plan
 * just before it runs) and the ApplyContext that adds the write ports and the operator's answers.
 * The write ports are opened only when the first step applies or rolls back, so a dry-run, or a
 * run that stops at its plan, never opens them.
 */
import type { WritePorts } from '../providers/ports.js';
import { flattenSteps } from '../runbook/load.js';
import type { ApplyContext, PlanContext } from '../steps/types.js';
import type { EventPayload, RunWarning } from './events.js';
import { sleep } from './retry.js';
import type { EngineOptions } from './run-types.js';

/** The engine options the contexts are made of. */
export type StepContextOptions = Pick<
  EngineOptions,
  'loaded' | 'config' | 'ports' | 'run' | 'confirm' | 'decide'
>;

export class StepContexts {
  private write: WritePorts | undefined;
  /** What steps will need at their turn (StepKind.prepare), loaded when a step first waits. */
  private readonly preparing: (() => void)[] = [];

  constructor(
    private readonly o: StepContextOptions,
    private readonly emit: (payload: EventPayload) => void,
    /** The run's warnings: a `note` at level warn while applying adds one. */
    private readonly warnings: RunWarning[],
  ) {}

  /** Queues a step's preparation (planned now, loaded at the apply phase's first sleep). */
  prepareLater(prepare: () => void): void {
    this.preparing.push(prepare);
  }

  planContext(
    signal: AbortSignal,
    afterChanges: boolean,
    stepId = '',
    phase: PlanContext['phase'] = 'apply',
  ): PlanContext {
    return {
      run: this.o.run,
      config: this.o.config,
      read: this.o.ports.read,
      signal,
      afterChanges,
      phase,
      emit: (message) => {
        // A runbook's own warning (a `note` at level warn, e.g. "fencing skipped") is part of the result.
        if (phase === 'apply' && message.level === 'warn' && this.usesOf(stepId) === 'note')
          this.warnings.push({ stepId, code: message.code, message: message.message });
        this.emit({ type: 'step.message', stepId, ...message });
      },
      sleep: (ms) => {
        // A step that sleeps waits on the world: the moment to load what later steps will need.
        if (phase === 'apply') for (const prepare of this.preparing.splice(0)) setImmediate(prepare);
        return sleep(ms, signal);
      },
    };
  }

  applyContext(signal: AbortSignal, stepId: string): ApplyContext {
    this.write ??= this.o.ports.openWrite();
    return {
      ...this.planContext(signal, false, stepId),
      write: this.write,
      confirm: (request) => this.o.confirm(request),
      decide: async (request) => this.o.decide?.(request),
    };
  }

  private usesOf(stepId: string): string | undefined {
    return flattenSteps(this.o.loaded.runbook).find((f) => f.step.id === stepId)?.step.uses;
  }
}
