/**
 * The CLI end to end: the built `bin/failover.js` spawned as a user would, one state directory per
 * test, CI=1 in the environment (no TTY, no live display). Tests are independent and run
 * concurrently: most of their time is spent waiting for child processes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import {
  assertBuilt,
  cliEnv,
  execNode,
  FIXTURES,
  failover,
  HELLO,
  importRecorder,
  inPty,
  ROOT,
  removeTempDirs,
  runIdIn,
  startFailover,
  tempDir,
} from './helpers.js';

/** The start of every ANSI colour sequence. */
const ESC = `${String.fromCharCode(27)}[`;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(() => assertBuilt());
afterAll(() => removeTempDirs());

function journalOf(stateDir: string, runId: string): EngineEvent[] {
  return readFileSync(join(stateDir, 'runs', `${runId}.ndjson`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EngineEvent);
}

const types = (events: EngineEvent[]) => events.map((e) => e.type);

describe.concurrent('help, version and usage errors', () => {
  it('--help prints the usage on stdout and exits 0', async () => {
    const r = await failover(['--help'], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: failover \[options\] \[command\]/);
    for (const command of ['validate', 'plan', 'run', 'runs', 'resume']) expect(r.stdout).toContain(command);
    expect(r.stdout).toMatch(/Exit codes:/);
    expect(r.stderr).toBe('');
  });

  it('--version prints the package version on stdout and exits 0', async () => {
    const r = await failover(['--version'], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.stderr).toBe('');
  });

  it('an unknown flag exits 2 with the message on stderr', async () => {
    const r = await failover(['--frobnicate'], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(r.stdout).toBe('');
  });

  it('a malformed --param exits 2', async () => {
    const r = await failover(['plan', HELLO, '--param', 'novalue'], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--param expects key=value/);
  });
});

describe.concurrent('--help and --version load no cloud SDK', () => {
  const CLOUD = /@aws-sdk\/|@smithy\/|@google-cloud\/|google-gax|@grpc\//;

  it.each([['--help'], ['--version']])('%s', async (flag) => {
    const dir = tempDir();
    const log = join(dir, 'modules.log');
    const r = await failover([flag], { env: cliEnv(dir), nodeArgs: importRecorder(dir, log) });
    expect(r.code).toBe(0);
    const loaded = readFileSync(log, 'utf8');
    // The recorder works: it saw the CLI and commander.
    expect(loaded).toMatch(/dist\/cli\/main\.js/);
    expect(loaded).toMatch(/commander/);
    expect(loaded.split('\n').filter((line) => CLOUD.test(line))).toEqual([]);
  });

  it('(the recorder does see a cloud SDK when one is loaded)', async () => {
    const dir = tempDir();
    const log = join(dir, 'modules.log');
    const r = await execNode(
      [...importRecorder(dir, log), '--input-type=module', '-e', "await import('@aws-sdk/client-route-53')"],
      { env: cliEnv(dir), cwd: ROOT },
    );
    expect(r.code).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/@aws-sdk\/client-route-53/);
  });
});

describe.concurrent('validate', () => {
  it('lists file:line:column and the field path of every problem, exit 2', async () => {
    const file = join(FIXTURES, 'invalid', 'semantic-errors.yaml');
    const r = await failover(['validate', HELLO, file], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^✓ .*hello\.yaml \(hello, 5 steps\)$/);
    expect(lines[1]).toMatch(/✗ .*semantic-errors\.yaml: 3 problem\(s\)$/);
    expect(lines.slice(2, 5)).toEqual([
      `  ${file}:6:22 steps[0].with.message: Invalid input: expected string, received number`,
      expect.stringMatching(new RegExp(`^  ${file}:9:11 steps\\[1\\]\\.with\\.message: `)),
      `  ${file}:13:17 steps[2].with.duration: a duration such as 30s, 5m, 1h or 250ms`,
    ]);
  });

  it('a file it cannot read is a problem with the reason, and the other files are still checked', async () => {
    const missing = join(tempDir(), 'missing.yaml');
    const r = await failover(['validate', missing, HELLO], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`✗ ${missing}: 1 problem(s)`);
    expect(r.stdout).toContain(`${missing}: cannot read runbook ${missing}: not found (ENOENT)`);
    expect(r.stdout).toMatch(/✓ .*hello\.yaml/);
  });

  it('exits 0 for valid runbooks; --output json gives the result as JSON', async () => {
    const r = await failover(['--output', 'json', 'validate', HELLO], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      files: [{ file: HELLO, ok: true, steps: 5 }],
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
  });
});

describe.concurrent('plan', () => {
  it('prints the plan on stdout and runs nothing', async () => {
    const state = tempDir();
    const r = await failover(['plan', HELLO, '--param', 'who=ops'], { env: cliEnv(state) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan for runbook hello/);
    expect(r.stdout).toContain('hello, ops');
    expect(r.stdout).toContain('finally (always runs):');
    expect(r.stdout).toMatch(/dry-run: nothing was changed/);
    const events = journalOf(state, runIdIn(r.stdout));
    expect(events[0]).toMatchObject({
      type: 'run.started',
      dryRun: true,
      params: { who: 'ops', pause: '1s' },
    });
    expect(types(events)).not.toContain('step.started');
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'planned' });
  });

  it('rejects an unknown parameter with exit 2', async () => {
    const r = await failover(['plan', HELLO, '--param', 'whom=ops'], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown parameter "whom".*did you mean "who"\?/);
  });
});

describe.concurrent('run', () => {
  it('--yes runs every step and exits 0; runs lists it', async () => {
    const state = tempDir();
    const env = cliEnv(state);
    const r = await failover(['run', HELLO, '--yes', '--param', 'pause=10ms'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ hello: succeeded in .* \(run \d{8}T\d{6}Z-[a-z0-9]{4}\)/);
    expect(r.stderr).toContain('goodbye: hello, world / goodbye');
    const runId = runIdIn(r.stdout);
    const events = journalOf(state, runId);
    expect(events.filter((e) => e.type === 'step.succeeded').map((e) => e.stepId)).toEqual([
      'greet',
      'second',
      'first',
      'confirm',
      'goodbye',
      'done',
    ]);

    const listed = await failover(['runs'], { env });
    expect(listed.code).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(runId));
    expect(row).toMatch(/hello\s+succeeded\s+e2e-operator/);

    const asJson = await failover(['--output', 'json', 'runs'], { env });
    expect(JSON.parse(asJson.stdout)).toEqual([
      expect.objectContaining({ runId, runbook: 'hello', outcome: 'succeeded', dryRun: false }),
    ]);
  });

  it('without a TTY and without --yes exits 2 before any step ran', async () => {
    const state = tempDir();
    const r = await failover(['run', HELLO, '--param', 'pause=10ms'], { env: cliEnv(state) });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/step "confirm" asks for confirmation, but there is no terminal to ask on/);
    expect(r.stdout).toMatch(/--yes/);
    const events = journalOf(state, runIdIn(r.stdout));
    expect(types(events)).not.toContain('step.started');
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'aborted' });
  });

  it('--output json: one JSON document on stdout, NDJSON events on stderr', async () => {
    const r = await failover(['--output', 'json', 'run', HELLO, '--yes', '--param', 'pause=10ms'], {
      env: cliEnv(tempDir()),
    });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      runId: string;
      outcome: string;
      exitCode: number;
      outputs: unknown;
    };
    expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0, failedSteps: [], rolledBack: [] });
    expect(result.outputs).toMatchObject({ goodbye: { message: 'hello, world / goodbye' } });
    const lines = r.stderr.split('\n').filter(Boolean);
    const events = lines.map((line) => JSON.parse(line) as EngineEvent & { code: string });
    for (const event of events) {
      // Engine events carry their FO_ENGINE code; step messages keep their own (FO_NOTE_I1201).
      expect(event.code).toMatch(
        event.type === 'step.message' ? /^FO_[A-Z0-9]+_[IWE]\d{4}$/ : /^FO_ENGINE_[IWE]\d{4}$/,
      );
      expect(event.runId).toBe(result.runId);
    }
    expect(events[0]!.type).toBe('run.started');
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'succeeded' });
  });

  it('NO_COLOR=1 removes every colour code, even on a terminal', async () => {
    if (spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status !== 0) {
      // Without a pseudo-terminal the CLI never colours, so the test would prove nothing.
      console.warn('skipped: python3 with the pty module is needed to give the CLI a terminal');
      return;
    }
    const args = [
      process.execPath,
      join(ROOT, 'bin', 'failover.js'),
      'run',
      HELLO,
      '--yes',
      '--param',
      'pause=10ms',
    ];
    const coloured = await inPty(args, { env: cliEnv(tempDir(), { TERM: 'xterm-256color' }) });
    expect(coloured.code).toBe(0);
    expect(coloured.stdout.includes(ESC)).toBe(true); // on a terminal it does colour
    const plain = await inPty(args, { env: cliEnv(tempDir(), { TERM: 'xterm-256color', NO_COLOR: '1' }) });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/hello: succeeded/);
    expect(plain.stdout.includes(ESC)).toBe(false);
  });
});

describe('sandbox fault', () => {
  it('refuses an unknown service or fault kind before contacting the sandbox, exit 2', async () => {
    const env = cliEnv(tempDir());
    const noKind = await failover(['sandbox', 'fault', 'route53', '--dir', tempDir()], { env });
    expect(noKind.code).toBe(2);
    expect(noKind.stderr).toMatch(/unknown fault ""[\s\S]*use one of throttle, server-error/);
    const badService = await failover(['sandbox', 'fault', 'dns', 'throttle', '--dir', tempDir()], { env });
    expect(badService.code).toBe(2);
    expect(badService.stderr).toMatch(/unknown service "dns"/);
  });
});

describe('a run that fails before any step ran', () => {
  it('exits 2 for bad input, names the field, and offers no resume (there is nothing to resume)', async () => {
    const state = tempDir();
    const runbook = join(state, 'typo.yaml');
    writeFileSync(
      runbook,
      [
        'name: typo',
        'params:',
        '  pause: { type: string, default: soon }',
        'steps:',
        '  - id: nap',
        '    uses: wait',
        // Resolves to a word where a duration is expected: only the plan can tell.
        '    with: { duration: "${{ params.pause }}" }',
        '',
      ].join('\n'),
    );
    const r = await failover(['run', runbook, '--yes'], { env: cliEnv(state) });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/steps\[0\]\.with\.duration/);
    expect(r.stdout).toContain('no step ran: fix the cause and run the command again');
    expect(r.stdout).not.toContain('resume:');

    const dry = await failover(['run', runbook, '--dry-run'], { env: cliEnv(state) });
    expect(dry.code).toBe(2);
    expect(dry.stdout).toMatch(/steps\[0\]\.with\.duration: /);
  });
});

describe.concurrent('resume', () => {
  it('continues a failed run where it stopped, reusing what was done', async () => {
    const state = tempDir();
    const config = join(state, 'failover.config.yaml');
    writeFileSync(config, 'aws:\n  region: us-east-1\n');
    const runbook = join(FIXTURES, 'e2e', 'resumable.yaml');

    const first = await failover(['--config', config, 'run', runbook], {
      env: cliEnv(state, { FAILOVER_AWS_REGION: 'slow-region' }),
    });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/resumable: failed/);
    expect(first.stdout).toMatch(/step "gate" timed out after 1.0s/);
    const runId = runIdIn(first.stdout);
    expect(first.stdout).toContain(`resume: failover resume ${runId} --config ${config}`);

    // This runbook has no `timeout` param: --timeout is refused before anything runs.
    const refused = await failover(['resume', runId, '--timeout', '5m'], { env: cliEnv(state) });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(
      /--timeout has nothing to set: runbook resumable has no `timeout` parameter/,
    );
    expect(journalOf(state, runId).filter((e) => e.type === 'run.started')).toHaveLength(1);

    // No --config: resume takes the config file the run was started with.
    const resumed = await failover(['resume', runId], { env: cliEnv(state) });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resumable: succeeded/);
    expect(resumed.stderr).toMatch(new RegExp(`greet skipped: already done in run ${runId}`));

    const events = journalOf(state, runId);
    const starts = events.filter((e) => e.type === 'run.started');
    expect(starts.map((e) => e.resumedFrom)).toEqual([undefined, runId]);
    const after = events.findLast((e) => e.type === 'step.succeeded' && e.stepId === 'after');
    expect(after).toMatchObject({ outputs: { message: 'hello from the first run, continued' } });

    const listed = await failover(['--output', 'json', 'runs'], { env: cliEnv(state) });
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ runId, outcome: 'succeeded' })]);

    const again = await failover(['resume', runId], { env: cliEnv(state) });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already succeeded; nothing to resume/);
  });

  it('--timeout gives the resumed steps another timeout; a duration without a unit is refused first', async () => {
    const state = tempDir();
    const config = join(state, 'failover.config.yaml');
    writeFileSync(config, 'aws:\n  region: us-east-1\n');
    const first = await failover(
      ['--config', config, 'run', join(FIXTURES, 'e2e', 'resumable-timeout.yaml')],
      {
        env: cliEnv(state),
      },
    );
    expect(first.code, first.stdout).toBe(1);
    expect(first.stdout).toMatch(/step "gate" timed out after 1.0s/);
    const runId = runIdIn(first.stdout);

    const bad = await failover(['resume', runId, '--timeout', '15'], { env: cliEnv(state) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--timeout 15 has no unit/);
    expect(journalOf(state, runId).filter((e) => e.type === 'run.started')).toHaveLength(1);

    // Without --timeout the resumed gate would time out again (1 s for a 1.5 s wait).
    const resumed = await failover(['resume', runId, '--timeout', '10s'], { env: cliEnv(state) });
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(resumed.stderr).toMatch(/timeout 10s for the resumed steps \(the run had 1s\)/);
    const starts = journalOf(state, runId).filter((e) => e.type === 'run.started');
    expect(starts.map((e) => (e.type === 'run.started' ? e.params.timeout : undefined))).toEqual([
      '1s',
      '10s',
    ]);
  });

  it('a later run that succeeded since: resume stops and explains (exit 2, nothing run); --forward goes on', async () => {
    const state = tempDir();
    const config = join(state, 'failover.config.yaml');
    writeFileSync(config, 'aws:\n  region: us-east-1\n');
    const runbook = join(FIXTURES, 'e2e', 'resumable-timeout.yaml');
    const first = await failover(['--config', config, 'run', runbook], { env: cliEnv(state) });
    expect(first.code, first.stdout).toBe(1);
    const runId = runIdIn(first.stdout);
    // Someone else's run finished after it (as a failback after a failover that was cut short).
    const later = await failover(['--config', config, 'run', runbook, '--param', 'timeout=10s'], {
      env: cliEnv(state),
    });
    expect(later.code, later.stdout).toBe(0);
    const laterId = runIdIn(later.stdout);

    const stopped = await failover(['resume', runId, '--timeout', '10s'], { env: cliEnv(state) });
    expect(stopped.code, stopped.stderr).toBe(2);
    expect(stopped.stderr).toContain(
      `run ${laterId} (resumable-timeout) ran after run ${runId} and succeeded`,
    );
    expect(stopped.stderr).toContain(`failover resume ${runId} --forward`);
    expect(journalOf(state, runId).filter((e) => e.type === 'run.started')).toHaveLength(1);

    const forward = await failover(['resume', runId, '--timeout', '10s', '--forward'], {
      env: cliEnv(state),
    });
    expect(forward.code, `${forward.stdout}\n${forward.stderr}`).toBe(0);
    expect(journalOf(state, runId).filter((e) => e.type === 'run.started')).toHaveLength(2);
  });

  it('rejects what is not a run id with exit 2', async () => {
    const r = await failover(['resume', '../../etc/passwd'], { env: cliEnv(tempDir()) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a run id/);
  });
});

describe.concurrent('SIGINT', () => {
  it('stops a running run: exit 3, finally steps ran, the resume command is printed', async () => {
    const state = tempDir();
    const cli = startFailover(['run', join(FIXTURES, 'e2e', 'long-wait.yaml'), '--yes'], {
      env: cliEnv(state),
      timeoutMs: 60_000,
    });
    await cli.waitForStderr(/▶ long/);
    cli.child.kill('SIGINT');
    const interruptedAt = Date.now();
    const r = await cli.exited;
    expect(r.code).toBe(3);
    // `wait` is read-only: abandoned at once, not after the 10 s grace that a change in progress gets.
    expect(Date.now() - interruptedAt).toBeLessThan(8_000);
    const runId = runIdIn(r.stderr);
    expect(r.stderr).toMatch(/SIGINT: stopping after the current call/);
    expect(r.stderr).toContain(`interrupted during long; resume with: failover resume ${runId}`);
    expect(r.stderr).toContain('cleanup: cleanup ran');
    // Said once, in the hint: run `failover resume RUN_ID` to continue.
    expect(r.stdout).toContain(`run \`failover resume ${runId}\` to continue`);
    const events = journalOf(state, runId);
    expect(types(events)).toContain('run.interrupted');
    expect(events.some((e) => e.type === 'step.started' && e.stepId === 'never')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'interrupted' });
  }, 60_000);
});
