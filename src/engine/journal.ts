/**
 * The journal: one NDJSON file per run under the state directory. Every engine event is appended
 * (redacted) as it happens, synchronously, so a crash loses nothing that was done. `failover runs`
 * and `failover resume` read it back.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
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

  constructor(
    readonly dir: string,
    readonly runId: string,
    private readonly redactor: Redactor,
  ) {
    mkdirSync(join(dir, 'runs'), { recursive: true });
    this.file = join(dir, 'runs', `${runId}.ndjson`);
    // A resumed run appends to the journal of its first run. If that one died mid-write, end the
    // torn line first, or the first new event would be glued to it and lost on reading.
    if (existsSync(this.file)) {
      const text = readFileSync(this.file, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) appendFileSync(this.file, '\n');
    }
  }

  append(event: EngineEvent): void {
    appendFileSync(this.file, `${JSON.stringify(this.redactor.value(event))}\n`);
  }
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

export function readJournal(file: string): EngineEvent[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const events: EngineEvent[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as EngineEvent);
    } catch {
      // A torn last line after a crash: everything before it is intact.
    }
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

export function listRuns(stateDir: string): RunSummary[] {
  const dir = join(stateDir, 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ndjson'))
    .map((name) => join(dir, name))
    .map((file) => summarize(file, readJournal(file)))
    .filter((s): s is RunSummary => s !== undefined)
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.runId.localeCompare(b.runId));
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
