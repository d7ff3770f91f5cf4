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
import { RepeatFolder } from './render/repeats.js';
import type { LiveTree } from './render/tree.js';

export interface Reporter {
  emit(event: EngineEvent): void;
  /** Stops live rendering (before prompts and at the end). */
  pause(): void;
  close(): void;
}

export function createReporter(
  io: Io,
  journal: Journal | undefined,
  options: {
    showPlan: boolean;
    /** The live tree's class (render/tree.ts), loaded by the caller only when `io.live`. */
    liveTree?: typeof LiveTree;
  },
): Reporter {
  let tree: LiveTree | undefined;
  let planned: EngineEvent | undefined;
  const repeats = new RepeatFolder();
  const print = (lines: string[]) => {
    for (const line of lines) io.err(line);
  };
  const startTree = () => {
    if (!tree && io.live && options.liveTree && planned?.type === 'run.planned') {
      tree = new options.liveTree(io.stderr, io.colors);
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
        line === undefined ||
        (event.type === 'step.message' && event.level === 'debug' && !io.options.verbose)
      )
        return;
      // The same warning or error from one step after another (a cloud down): once, then a count.
      const repeatable =
        event.type === 'step.message' && event.level !== 'info'
          ? { key: `${event.level}\0${event.message}`, source: event.stepId }
          : event.type === 'step.retrying'
            ? { key: `retry\0${event.error.message}`, source: event.stepId }
            : undefined;
      print(repeatable ? repeats.push({ ...repeatable, line }) : [...repeats.flush(), line]);
    },
    pause() {
      print(repeats.flush());
      tree?.suspend();
    },
    close() {
      print(repeats.flush());
      tree?.stop();
      tree = undefined;
    },
  };
}

function codeOf(event: EngineEvent): string {
  return EVENT_CODES[event.type];
}
