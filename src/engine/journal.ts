/**
 * The journal: one NDJSON file per run under the state directory. Every engine event is appended
 * (redacted) as it happens, synchronously, so a crash loses nothing that was done. `failover runs`
 * and `failover resume` read it back.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { describeFsError, MAX_JOURNAL_BYTES, readInputFile } from '../util/input-file.js';
import { invalidInput } from './errors.js';
import type { EngineEvent, EventOf, Json, RunOutcome } from './events.js';
import type { Redactor } from './redact.js';

export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  // env-paths' `log` is $XDG_STATE_HOME/failover (~/.local/state/failover) on Linux.
  return env.FAILOVER_STATE_DIR || envPaths('failover', { suffix: '' }).log;
}

const RUN_ID = /^[0-9]{8}T[0-9]{6}Z-[a-z0-9]{4}$/;

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`;
}

export class Journal {
  readonly file: string;
  /** The first write that failed, if any: the journal no longer has the whole story. */
  writeError: NodeJS.ErrnoException | undefined;
  /** Called once, at the first failed write: the run must stop changing things. */
  onWriteFailure: ((error: NodeJS.ErrnoException) => void) | undefined;
  private torn = false;

  /**
   * Creates the state directory and the journal file, or throws invalid input (exit 2) naming the
   * directory and the fix: a run must not start when it cannot record what it does.
   */
  constructor(
    readonly dir: string,
    readonly runId: string,
    private readonly redactor: Redactor,
  ) {
    const runs = join(dir, 'runs');
    this.file = join(runs, `${runId}.ndjson`);
    try {
      mkdirSync(runs, { recursive: true });
      // Opening for append creates the file and proves it can be written.
      closeSync(openSync(this.file, 'a'));
    } catch (error) {
      throw invalidInput(
        'FO_JOURNAL_E2305',
        `the state directory ${dir} cannot be used: ${describeFsError(error)}`,
        {
          hint: 'set FAILOVER_STATE_DIR (or stateDir in the config) to a directory you can write, or fix the permissions of this one; nothing was changed',
          cause: error,
        },
      );
    }
    // A resumed run appends to the journal of its first run. If that one died mid-write, end the
    // torn line first, or the first new event would be glued to it and lost on reading.
    const text = readJournalText(this.file);
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(this.file, '\n');
  }

  /** Appends one event. A failed write is kept (and reported once), never thrown into the run. */
  append(event: EngineEvent): void {
    const line = `${JSON.stringify(this.redactor.value(event))}\n`;
    try {
      // After a failed write the last line may be torn: start a fresh line.
      appendFileSync(this.file, this.torn ? `\n${line}` : line);
      this.torn = false;
    } catch (error) {
      this.torn = true;
      if (!this.writeError) {
        this.writeError = error as NodeJS.ErrnoException;
        this.onWriteFailure?.(this.writeError);
      }
    }
  }
}

function readJournalText(file: string): string {
  return readInputFile(file, { what: 'journal', code: 'FO_JOURNAL_E2306', maxBytes: MAX_JOURNAL_BYTES });
}

export interface RunSummary {
  runId: string;
  runbook: string;
  runbookFile: string;
  operator: string;
  startedAt: string;
  finishedAt?: string;
  dryRun: boolean;
  /** `running` when the journal has no end: the run is in progress or its process died. */
  outcome: RunOutcome | 'running';
  params: Record<string, Json>;
  configFile?: string;
  resumedFrom?: string;
  file: string;
}

/**
 * The events of a journal. A torn last line (a crash mid-write) is skipped; a file that holds no
 * event at all (empty, binary, not a journal) is invalid input naming the file.
 */
export function readJournal(file: string): EngineEvent[] {
  const lines = readJournalText(file).split('\n');
  const events: EngineEvent[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string')
        events.push(value as EngineEvent);
    } catch {
      // A torn last line after a crash: everything before it is intact.
    }
  }
  if (events.length === 0) {
    throw invalidInput('FO_JOURNAL_E2307', `${file} is not a readable journal: it holds no event`, {
      hint: 'the file is empty or damaged (a disk full, a copy gone wrong); other runs are not affected, and this one cannot be reported or resumed',
    });
  }
  return events;
}

export function summarize(file: string, events: EngineEvent[]): RunSummary | undefined {
  const started = events.find((e): e is EventOf<'run.started'> => e.type === 'run.started');
  if (!started) return undefined;
  const finished = events.findLast((e): e is EventOf<'run.finished'> => e.type === 'run.finished');
  const interrupted = events.some((e) => e.type === 'run.interrupted');
  return {
    runId: started.runId,
    runbook: started.runbook.name,
    runbookFile: started.runbook.file,
    operator: started.operator,
    startedAt: started.at,
    finishedAt: finished?.at,
    dryRun: started.dryRun,
    outcome: finished?.outcome ?? (interrupted ? 'interrupted' : 'running'),
    params: started.params,
    configFile: started.configFile,
    resumedFrom: started.resumedFrom,
    file,
  };
}

export interface RunList {
  runs: RunSummary[];
  /** Journals that could not be read (empty, binary, damaged), by file. */
  skipped: string[];
}

/** The runs of a state directory, oldest first, and the journals that could not be read. */
export function listRunsWithSkipped(stateDir: string): RunList {
  const dir = join(stateDir, 'runs');
  if (!existsSync(dir)) return { runs: [], skipped: [] };
  const runs: RunSummary[] = [];
  const skipped: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ndjson'))) {
    const file = join(dir, name);
    try {
      const summary = summarize(file, readJournal(file));
      if (summary) runs.push(summary);
      else skipped.push(file);
    } catch {
      skipped.push(file);
    }
  }
  runs.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.runId.localeCompare(b.runId));
  return { runs, skipped };
}

export function listRuns(stateDir: string): RunSummary[] {
  return listRunsWithSkipped(stateDir).runs;
}

export function journalFile(stateDir: string, runId: string): string {
  if (!RUN_ID.test(runId)) {
    throw invalidInput('FO_JOURNAL_E2301', `not a run id: ${runId}`, {
      hint: 'run ids look like 20261126T153012Z-ab12; `failover runs` lists them',
    });
  }
  const file = join(stateDir, 'runs', `${runId}.ndjson`);
  if (!existsSync(file)) {
    throw invalidInput('FO_JOURNAL_E2302', `no run ${runId} in ${stateDir}`, {
      hint: '`failover runs` lists the runs; the journal lives in the state directory of the config the run used: pass its --config, or set FAILOVER_STATE_DIR',
    });
  }
  return file;
}

/** What a resumed run takes over: outputs and undo data of steps that succeeded. */
export interface ResumeState {
  from: string;
  completed: Map<string, { outputs: Record<string, Json>; undo?: Json; converged: boolean }>;
}

export function resumeStateOf(runId: string, events: EngineEvent[]): ResumeState {
  const completed: ResumeState['completed'] = new Map();
  for (const event of events) {
    if (event.type === 'step.succeeded') {
      completed.set(event.stepId, { outputs: event.outputs, undo: event.undo, converged: event.converged });
    }
    if (event.type === 'step.rolled-back') completed.delete(event.stepId);
  }
  return { from: runId, completed };
}
