/**
 * A journal that cannot be written in the middle of a run: the run makes no further change, the
 * `finally` steps still run, the exit code is 1 and the last lines name the half state and the
 * resume command. The fault is real: the journal file is replaced by a directory mid-run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createContext } from '../../src/cli/context.js';
import { Io } from '../../src/cli/io.js';
import { runRunbook } from '../../src/cli/run-runbook.js';
import type { Ports } from '../../src/providers/ports.js';
import { defineStep, type StepKind } from '../../src/steps/types.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-journal-fault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the fake steps changed, in order. */
const applied: string[] = [];

const mark = defineStep({
  kind: 'test.mark',
  description: 'records that it was applied',
  mutating: true,
  input: z.strictObject({ name: z.string(), breakJournal: z.string().optional() }),
  async plan(_ctx, input) {
    return { summary: `mark ${input.name}`, changes: [], converged: applied.includes(input.name) };
  },
  async apply(_ctx, input) {
    applied.push(input.name);
    if (input.breakJournal) {
      // The journal can no longer be appended to (as with a full disk or a revoked mount).
      rmSync(input.breakJournal);
      mkdirSync(input.breakJournal);
    }
    return {};
  },
}) as StepKind<unknown>;

function stream(): PassThrough & { text(): string } {
  const s = new PassThrough() as PassThrough & { text(): string };
  let buffer = '';
  s.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
  });
  s.text = () => buffer;
  return s;
}

describe('a journal write failure mid-run', () => {
  it('stops before the next change, still runs finally, exits 1 and names the resume command', async () => {
    const runId = '20260101T000000Z-jf01';
    const state = join(dir, 'state');
    const journalPath = join(state, 'runs', `${runId}.ndjson`);
    const runbook = join(dir, 'runbook.yaml');
    writeFileSync(
      runbook,
      [
        'name: journal-fault',
        'steps:',
        '  - id: first',
        '    uses: test.mark',
        `    with: { name: first, breakJournal: ${JSON.stringify(journalPath)} }`,
        '  - id: second',
        '    uses: test.mark',
        '    with: { name: second }',
        'finally:',
        '  - id: cleanup',
        '    uses: test.mark',
        '    with: { name: cleanup }',
        '',
      ].join('\n'),
    );
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'stateDir: state\n');
    const env: NodeJS.ProcessEnv = { FAILOVER_CONFIG: config, FAILOVER_OPERATOR: 'tester' };
    const globals = { output: 'text' as const, color: false, yes: true };
    const ctx = createContext(globals, env);
    const [stdout, stderr, stdin] = [stream(), stream(), stream()];
    const io = new Io(
      globals,
      ctx.redactor,
      stdout as unknown as NodeJS.WriteStream,
      stderr as unknown as NodeJS.WriteStream,
      stdin as unknown as NodeJS.ReadStream,
      env,
    );
    const ports = { read: {}, openWrite: () => ({}) } as unknown as Ports;
    const outcome = await runRunbook(io, ctx, {
      runbookFile: runbook,
      params: {},
      planOnly: false,
      runId,
      ports,
      registry: new Map([['test.mark', mark]]),
    });

    expect(applied).toEqual(['first', 'cleanup']);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.result.outcome).toBe('interrupted');
    expect(outcome.result.error?.code).toBe('FO_JOURNAL_E2309');
    expect(stderr.text()).toMatch(
      /the journal .*jf01\.ndjson cannot be written \(EISDIR\): stopping before the next change/,
    );
    const out = stdout.text();
    expect(out).toMatch(/changed and still in place: first/);
    expect(out).toMatch(new RegExp(`failover resume ${runId}`));
    expect(out).toMatch(/the journal is incomplete/);
  });
});
