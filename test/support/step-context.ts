/**
 * A step's context over real ports, as the engine hands it to a step: messages collected, the
 * write side opened on first use (so a test can tell that planning never opened it), and the
 * operator's answers at stage gates scripted (none: nobody is asked, as with --yes).
 */
import type { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { sleep } from '../../src/engine/retry.js';
import { createPorts } from '../../src/providers/index.js';
import type { AdapterOptions } from '../../src/providers/options.js';
import type { Ports } from '../../src/providers/ports.js';
import type { ApplyContext, ChoiceRequest, RunInfo, StepMessage } from '../../src/steps/types.js';

export interface StepHarness {
  ctx: ApplyContext;
  ports: Ports;
  messages: StepMessage[];
  /** The operator's answers at the gates, in order. */
  answers: string[];
  /** The questions the step asked. */
  questions: ChoiceRequest[];
  /** Whether the write side was opened. */
  opened(): boolean;
}

export function stepContext(
  options: AdapterOptions | { config: Config; env?: NodeJS.ProcessEnv; runId?: string },
  run: Partial<RunInfo> = {},
  extras: { afterChanges?: boolean; signal?: AbortSignal } = {},
): StepHarness {
  const runId = run.id ?? options.runId ?? 'run-test';
  const ports = createPorts({
    config: options.config,
    env: options.env ?? {},
    redactor: 'redactor' in options ? options.redactor : new Redactor(),
    runId,
  });
  const messages: StepMessage[] = [];
  const answers: string[] = [];
  const questions: ChoiceRequest[] = [];
  const signal = extras.signal ?? new AbortController().signal;
  let write: ReturnType<Ports['openWrite']> | undefined;
  const ctx: ApplyContext = {
    run: { operator: 'test', dryRun: false, runbook: 'to-aws', host: 'h', ...run, id: runId },
    config: options.config,
    read: ports.read,
    get write() {
      write ??= ports.openWrite();
      return write;
    },
    signal,
    afterChanges: extras.afterChanges ?? false,
    phase: 'apply',
    emit: (message) => messages.push(message),
    sleep: (ms) => sleep(ms, signal),
    confirm: async () => true,
    decide: async (request) => {
      questions.push(request);
      return answers.shift();
    },
  };
  return { ctx, ports, messages, answers, questions, opened: () => write !== undefined };
}
