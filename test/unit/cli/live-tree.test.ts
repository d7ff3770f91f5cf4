/**
 * The live step tree: when it is used (a sized TTY, text output, not CI) and what its last frame
 * leaves on the terminal (every step with its state and time, messages above it).
 */
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type GlobalOptions, Io } from '../../../src/cli/io.js';
import { LiveTree } from '../../../src/cli/render/tree.js';
import { createReporter } from '../../../src/cli/reporter.js';
import type { RunPlan } from '../../../src/engine/plan.js';
import { Redactor } from '../../../src/engine/redact.js';

/** A terminal stand-in: records what is written; size and TTY-ness as given. */
function terminal(
  size: { rows: number; columns: number } | undefined,
): NodeJS.WriteStream & { text(): string } {
  let written = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text(): string };
  Object.assign(stream, { isTTY: true, rows: size?.rows, columns: size?.columns, text: () => written });
  return stream;
}

const globals: GlobalOptions = { output: 'text', color: false } as GlobalOptions;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Io.live', () => {
  it('is on for a sized TTY with text output, off in CI, with JSON output, or without a size', () => {
    vi.stubEnv('CI', '');
    const io = (size: { rows: number; columns: number } | undefined, options = globals) =>
      new Io(options, new Redactor(), terminal(size), terminal(size));
    expect(io({ rows: 40, columns: 120 }).live).toBe(true);
    expect(io({ rows: 0, columns: 0 }).live).toBe(false);
    expect(io(undefined).live).toBe(false);
    expect(io({ rows: 40, columns: 120 }, { ...globals, output: 'json' }).live).toBe(false);
    vi.stubEnv('CI', '1');
    expect(io({ rows: 40, columns: 120 }).live).toBe(false);
  });
});

describe('LiveTree', () => {
  it('leaves the finished tree on the terminal: states, kinds, times; messages above it', () => {
    const stream = terminal({ rows: 40, columns: 160 });
    const colors = new Io(globals, new Redactor(), stream, stream).colors;
    const tree = new LiveTree(stream, colors);
    const plan: RunPlan = {
      runId: 'r1',
      runbook: { name: 'demo', file: 'demo.yaml' },
      params: {},
      steps: [
        { id: 'check', kind: 'check.http', mutating: false, group: 'health' },
        { id: 'shift', kind: 'route53.set-weights', mutating: true },
        { id: 'fence', kind: 'gitops.set-standby', mutating: true, skipped: 'GKE unreachable' },
      ],
      finally: [{ id: 'unlock', kind: 'lock.release', mutating: true }],
    };
    const base = { runId: 'r1', at: new Date(0).toISOString() };
    tree.start(plan);
    tree.on({ ...base, type: 'step.started', stepId: 'check', kind: 'check.http', attempt: 1 });
    tree.on({
      ...base,
      type: 'step.succeeded',
      stepId: 'check',
      kind: 'check.http',
      converged: false,
      outputs: {},
      durationMs: 1200,
    });
    tree.on({ ...base, type: 'step.started', stepId: 'shift', kind: 'route53.set-weights', attempt: 1 });
    tree.on({
      ...base,
      type: 'step.message',
      stepId: 'shift',
      level: 'info',
      code: 'X',
      message: 'created version 2',
    });
    tree.on({
      ...base,
      type: 'step.failed',
      stepId: 'shift',
      kind: 'route53.set-weights',
      durationMs: 3400,
      error: { code: 'FO_X', category: 'step-failed', message: 'Route 53 said no' },
    });
    tree.stop();

    const text = stripVTControlCharacters(stream.text());
    const lastFrame = text.slice(text.lastIndexOf('created version 2'));
    expect(lastFrame).toMatch(/├ ✓ check check\.http 1\.2s/);
    expect(lastFrame).toMatch(/✗ shift route53\.set-weights 3\.4s Route 53 said no/);
    expect(lastFrame).toMatch(/○ fence gitops\.set-standby/);
    expect(lastFrame).toMatch(/· unlock lock\.release/);
  });
});

describe('the reporter on a terminal', () => {
  it('masks secrets in what steps say, in the live tree and in the lines above it', () => {
    vi.stubEnv('CI', '');
    const secret = 'S3cr3tGitPassXYZ';
    const redactor = new Redactor();
    redactor.add(secret);
    const stream = terminal({ rows: 40, columns: 160 });
    const io = new Io(globals, redactor, stream, stream);
    expect(io.live).toBe(true);
    const reporter = createReporter(io, undefined, { showPlan: true, liveTree: LiveTree });
    const base = { runId: 'r1', at: new Date(0).toISOString() };
    const plan: RunPlan = {
      runId: 'r1',
      runbook: { name: 'demo', file: 'demo.yaml' },
      params: {},
      steps: [
        {
          id: 'say',
          kind: 'echo',
          mutating: false,
          plan: { summary: 'say it', changes: [], converged: false },
        },
      ],
      finally: [],
    };
    reporter.emit({ ...base, type: 'run.planned', plan });
    reporter.emit({ ...base, type: 'step.started', stepId: 'say', kind: 'echo', attempt: 1 });
    reporter.emit({
      ...base,
      type: 'step.message',
      stepId: 'say',
      level: 'info',
      code: 'X',
      message: `repo is https://alice:${secret}@git.example/ops.git, password ${secret}`,
    });
    reporter.emit({
      ...base,
      type: 'step.failed',
      stepId: 'say',
      kind: 'echo',
      durationMs: 5,
      error: { code: 'FO_X', category: 'step-failed', message: `push failed for ${secret}` },
    });
    reporter.emit({ ...base, type: 'run.finished', outcome: 'failed', durationMs: 10 });
    reporter.close();
    const text = stripVTControlCharacters(stream.text());
    expect(text).toContain('repo is https://alice:***@git.example/ops.git');
    expect(text).toContain('push failed for ***');
    expect(text).not.toContain(secret);
  });
});
