/**
 * Routes engine events to the journal and to the terminal: a live tree on a TTY, plain lines
 * otherwise, NDJSON on stderr with --output json.
 */
import { type EngineEvent, EVENT_CODES } from '../engine/events.js';
import type { Journal } from '../engine/journal.js';
import { escapeStrings } from '../util/terminal.js';
import type { Io } from './io.js';
import { PLAIN_FORMATTERS } from './render/events.js';
import { renderPlan } from './render/plan.js';
import { LiveTree } from './render/tree.js';

export interface Reporter {
  emit(event: EngineEvent): void;
  /** Stops live rendering (before prompts and at the end). */
  pause(): void;
  close(): void;
}

export function createReporter(
  io: Io,
  journal: Journal | undefined,
  options: { showPlan: boolean },
): Reporter {
  let tree: LiveTree | undefined;
  let planned: EngineEvent | undefined;
  const startTree = () => {
    if (!tree && io.live && planned?.type === 'run.planned') {
      tree = new LiveTree(io.stderr, io.colors);
      tree.start(planned.plan);
    }
  };
  return {
    emit(raw) {
      journal?.append(raw);
      // Everything below writes to the terminal: no secret reaches it, whatever the step said.
      const redacted = io.redactor.value(raw);
      if (io.options.output === 'json') {
        io.stderr.write(`${JSON.stringify({ code: codeOf(redacted), ...redacted })}\n`);
        return;
      }
      // Text from clouds, git and runbooks is shown, never obeyed, by the terminal.
      const event = escapeStrings(redacted);
      if (event.type === 'run.planned') {
        planned = event;
        if (options.showPlan) io.err(renderPlan(event.plan, io.colors));
        return;
      }
      if (event.type === 'step.planned' || (event.type === 'step.skipped' && !planned)) return;
      if (io.live && event.type === 'step.started') startTree();
      if (tree) {
        tree.on(event);
        if (event.type === 'run.finished') {
          tree.stop();
          tree = undefined;
        }
        return;
      }
      const line = (
        PLAIN_FORMATTERS[event.type] as (e: EngineEvent, c: typeof io.colors) => string | undefined
      )(event, io.colors);
      if (
        line !== undefined &&
        (event.type !== 'step.message' || event.level !== 'debug' || io.options.verbose)
      )
        io.err(line);
    },
    pause() {
      tree?.suspend();
    },
    close() {
      tree?.stop();
      tree = undefined;
    },
  };
}

function codeOf(event: EngineEvent): string {
  return EVENT_CODES[event.type];
}
