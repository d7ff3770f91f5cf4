/**
 * The bad-input corpus: flags, configs, runbooks, journals, environment and files that an
 * operator (or a hostile environment) can hand the CLI. Every case must end with its exit code
 * (2 for bad input), a message that names the flag, the variable or the place in the file, no
 * stack trace, no hang, and not a single mutating request to the sandbox nor a change in the git
 * remote. Runs with --yes wherever a real run could start: a check that went missing would show
 * as a change. One sandbox serves the whole corpus.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  cli,
  limiter,
  mutatingRequests,
  remoteRefs,
  startWorld,
  stopWorlds,
  type World,
} from './failover-helpers.js';
import { assertBuilt, type CliResult, failover, HELLO, ROOT, removeTempDirs, tempDir } from './helpers.js';

let world: World;
let refsBefore: Record<string, string>;
/** Files of the corpus: configs, runbooks, journals, special files. */
let dir: string;
let sandboxConfig: Record<string, unknown>;
const runs = limiter(2);

beforeAll(async () => {
  assertBuilt();
  world = await startWorld();
  refsBefore = await remoteRefs(world);
  dir = tempDir('failover-corpus-');
  sandboxConfig = parse(readFileSync(world.sandbox.info.config, 'utf8')) as Record<string, unknown>;
}, 120_000);

afterAll(async () => {
  await stopWorlds();
  removeTempDirs();
});

// ── building the inputs ─────────────────────────────────────────────────────────────────────

let counter = 0;
function file(name: string, content: string | Buffer): string {
  const path = join(dir, `${++counter}-${name}`);
  writeFileSync(path, content);
  return path;
}

/** The sandbox config with one change, written next to the sandbox's .env (its credentials). */
function configWith(change: (config: Record<string, unknown>) => void): string {
  const config = structuredClone(sandboxConfig);
  change(config);
  const path = join(world.dir, `corpus-${++counter}.yaml`);
  writeFileSync(path, stringify(config));
  return path;
}

function gitops(config: Record<string, unknown>): Record<string, unknown> {
  return config.gitops as Record<string, unknown>;
}

const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
].join('\n');
const DEEP = `a: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`;
const MANY_KEYS = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`).join('\n');

function runbook(steps: string): string {
  return `name: corpus\nsteps:\n${steps}`;
}

function fifo(name: string): string {
  const path = join(dir, `${++counter}-${name}`);
  execFileSync('mkfifo', [path]);
  return path;
}

function loop(name: string): string {
  const a = join(dir, `${++counter}-${name}-a`);
  const b = join(dir, `${counter}-${name}-b`);
  symlinkSync(b, a);
  symlinkSync(a, b);
  return a;
}

/** A state directory whose runs/ holds one journal with this content, and its run id. */
function stateWithJournal(content: string | Buffer | ((path: string) => void)): {
  env: NodeJS.ProcessEnv;
  runId: string;
} {
  const state = join(dir, `state-${++counter}`);
  mkdirSync(join(state, 'runs'), { recursive: true });
  const runId = '20260101T000000Z-ab12';
  const path = join(state, 'runs', `${runId}.ndjson`);
  if (typeof content === 'function') content(path);
  else writeFileSync(path, content);
  return { env: { FAILOVER_STATE_DIR: state }, runId };
}

// ── the corpus ──────────────────────────────────────────────────────────────────────────────

interface Case {
  name: string;
  /** Arguments, built when the case runs (files need the sandbox and the temp dir). */
  args: () => string[];
  env?: () => NodeJS.ProcessEnv;
  cwd?: () => string;
  code?: number;
  /** Must appear in stdout or stderr: the flag, the variable, or file:line. */
  message: RegExp;
  /** Every stderr line is a JSON record (--output json). */
  jsonStderr?: boolean;
}

const TO_AWS = ['to-aws', '--yes', '--incident', 'INC-CORPUS'];
const ESC = '\u001b';

const flags: Case[] = [
  {
    name: '--stages 10,200',
    args: () => [...TO_AWS, '--stages', '10,200'],
    message: /--stages: stage 2 \(200\)/,
  },
  { name: "--stages ''", args: () => [...TO_AWS, '--stages', ''], message: /--stages is empty/ },
  {
    name: '--stages 50,10,100',
    args: () => [...TO_AWS, '--stages', '50,10,100'],
    message: /--stages: stage 2 \(10\) stages must increase/,
  },
  {
    name: '--stages 10,50',
    args: () => [...TO_AWS, '--stages', '10,50'],
    message: /--stages: stage 2 \(50\) the last stage must be 100/,
  },
  {
    name: '--stages abc',
    args: () => [...TO_AWS, '--stages', 'abc'],
    message: /--stages: stage 1 \("abc"\) is not a percentage/,
  },
  {
    name: '--stages 0,100',
    args: () => [...TO_AWS, '--stages', '0,100'],
    message: /--stages: stage 1 \(0\)/,
  },
  {
    name: '--stages with 30 stages',
    args: () => [...TO_AWS, '--stages', Array.from({ length: 30 }, (_, i) => i + 1).join(',')],
    message: /--stages lists 30 stages; at most 20/,
  },
  {
    name: '--timeout 15 (no unit)',
    args: () => [...TO_AWS, '--timeout', '15'],
    message: /--timeout 15 has no unit/,
  },
  { name: '--timeout 0s', args: () => [...TO_AWS, '--timeout', '0s'], message: /--timeout 0s is too short/ },
  {
    name: '--timeout 99999999999h',
    args: () => [...TO_AWS, '--timeout', '99999999999h'],
    message: /--timeout 99999999999h is too long/,
  },
  { name: "--timeout ''", args: () => [...TO_AWS, '--timeout', ''], message: /--timeout is empty/ },
  {
    name: '--timeout soon',
    args: () => [...TO_AWS, '--timeout', 'soon'],
    message: /--timeout "soon" is not a duration/,
  },
  {
    name: '--reason with a forged trailer',
    args: () => [...TO_AWS, '--reason', 'down\nSigned-off-by: CTO <cto@example.com>'],
    message: /--reason contains a newline at character 5/,
  },
  {
    name: '--reason with ANSI escapes',
    args: () => [...TO_AWS, '--reason', `ok ${ESC}[2J${ESC}]0;pwned`],
    message: /--reason contains an escape character/,
  },
  {
    name: '--reason of 201 characters',
    args: () => [...TO_AWS, '--reason', 'r'.repeat(201)],
    message: /--reason is 201 characters long; at most 200/,
  },
  {
    name: '--incident with a fake subject',
    args: () => ['to-aws', '--yes', '--incident', 'INC-1\n\nfailover: succeeded'],
    message: /--incident contains a newline/,
  },
  {
    name: '--incident of 65 characters',
    args: () => ['to-aws', '--yes', '--incident', 'I'.repeat(65)],
    message: /--incident is 65 characters long; at most 64/,
  },
  {
    name: "--incident ''",
    args: () => ['to-aws', '--yes', '--incident', ''],
    message: /--incident is empty/,
  },
  {
    name: '--operator with a carriage return',
    args: () => [...TO_AWS, '--operator', 'alice\rmallory'],
    message: /--operator contains a carriage return/,
  },
  {
    name: '--operator with a bidi override',
    args: () => [...TO_AWS, '--operator', 'alice\u202Eecila'],
    message: /--operator contains the control character U\+202E/,
  },
  { name: "--operator ''", args: () => [...TO_AWS, '--operator', ''], message: /--operator is empty/ },
  {
    name: '--report without a format',
    args: () => [...TO_AWS, '--report', 'out.xml'],
    message: /--report expects FORMAT:PATH, got "out\.xml"/,
  },
  {
    name: '--report under a regular file',
    args: () => [...TO_AWS, '--report', `junit:${file('plain', '')}/r.xml`],
    message: /--report junit:.*is not a directory/,
  },
  {
    name: '--report naming a directory',
    args: () => [...TO_AWS, '--report', `md:${dir}`],
    message: /--report md:.*: is a directory/,
  },
  {
    name: '--param stages= (empty)',
    args: () => [...TO_AWS, '--param', 'stages='],
    message: /--param stages= has no value/,
  },
  {
    name: '--param unknown',
    args: () => [...TO_AWS, '--param', 'nosuch=1'],
    message: /unknown parameter "nosuch"/,
  },
  {
    name: '--param without =',
    args: () => [...TO_AWS, '--param', 'stages'],
    message: /--param expects key=value, got "stages"/,
  },
  {
    name: 'unknown option',
    args: () => [...TO_AWS, '--stagez', '10,100'],
    message: /unknown option '--stagez'/,
  },
  {
    name: 'drill --mode chaos',
    args: () => ['drill', '--mode', 'chaos'],
    message: /unknown drill mode "chaos"/,
  },
  {
    name: 'drill --hold 5 (no unit)',
    args: () => ['drill', '--mode', 'game-day', '--yes', '--hold', '5'],
    message: /--hold 5 has no unit/,
  },
  {
    name: 'drill --hold 30d',
    args: () => ['drill', '--mode', 'game-day', '--yes', '--hold', '30d'],
    message: /--hold 30d is too long/,
  },
  {
    name: 'runs --limit 0',
    args: () => ['runs', '--limit', '0'],
    message: /--limit must be a whole number above 0/,
  },
  {
    name: 'report --format pdf',
    args: () => ['report', '20260101T000000Z-ab12', '--format', 'pdf'],
    message: /unknown report format "pdf"/,
  },
  {
    name: 'report of a malformed run id',
    args: () => ['report', '../../etc/passwd'],
    message: /not a run id: \.\.\/\.\.\/etc\/passwd/,
  },
  {
    name: 'resume of an unknown run',
    args: () => ['resume', '20260101T000000Z-zzzz'],
    message: /no run 20260101T000000Z-zzzz/,
  },
  {
    name: '--output yaml',
    args: () => ['--output', 'yaml', 'status'],
    message: /argument 'yaml' is invalid/,
  },
  {
    name: '--output json with a bad flag: stderr is JSON',
    args: () => ['--output', 'json', ...TO_AWS, '--stages', '10,200'],
    message: /--stages: stage 2 \(200\)/,
    jsonStderr: true,
  },
  {
    name: '--output json with an unknown option: stderr is JSON',
    args: () => ['--output', 'json', ...TO_AWS, '--stagez', '1'],
    message: /unknown option/,
    jsonStderr: true,
  },
  {
    name: 'run --reason with a newline',
    args: () => ['run', HELLO, '--yes', '--reason', 'a\nb'],
    message: /--reason contains a newline/,
  },
  {
    name: 'demo --stages 10,200',
    args: () => ['demo', '--stages', '10,200'],
    message: /--stages: stage 2 \(200\)/,
  },
];

const configs: Case[] = [
  {
    name: 'config: alias bomb',
    args: () => [...TO_AWS, '--config', file('bomb.yaml', ALIAS_BOMB)],
    message: /bomb\.yaml:2:\d+: YAML aliases expand too much/,
  },
  {
    name: 'config: /dev/zero',
    args: () => [...TO_AWS, '--config', '/dev/zero'],
    message: /cannot read config \/dev\/zero: a device/,
  },
  {
    name: 'config: a FIFO',
    args: () => [...TO_AWS, '--config', fifo('config.fifo')],
    message: /config\.fifo: a FIFO/,
  },
  {
    name: 'config: 2 MiB',
    args: () => [...TO_AWS, '--config', file('huge.yaml', `a: "${'x'.repeat(2 * 1024 * 1024)}"\n`)],
    message: /huge\.yaml: 2\.0 MiB is over the limit of 1 MiB/,
  },
  {
    name: 'config: symlink loop',
    args: () => [...TO_AWS, '--config', loop('config')],
    message: /symbolic link loop .*\(ELOOP\)/,
  },
  {
    name: 'config: a directory',
    args: () => [...TO_AWS, '--config', dir],
    message: /--config names a directory/,
  },
  {
    name: 'config: missing',
    args: () => [...TO_AWS, '--config', join(dir, 'nope.yaml')],
    message: /config file not found: .*nope\.yaml/,
  },
  {
    name: 'config: nested 200000 deep',
    args: () => [...TO_AWS, '--config', file('deep.yaml', DEEP)],
    message: /deep\.yaml:1:\d+: nested more than 64 levels deep/,
  },
  {
    name: 'config: duplicate key',
    args: () => [...TO_AWS, '--config', file('dup.yaml', 'stateDir: a\nstateDir: b\n')],
    message: /dup\.yaml:2:1: YAML syntax: Map keys must be unique \("stateDir"/,
  },
  {
    name: 'config: binary',
    args: () => [...TO_AWS, '--config', file('bin.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]))],
    message: /bin\.yaml: a binary file/,
  },
  {
    name: 'config: 20000 keys (linear parsing)',
    args: () => [...TO_AWS, '--config', file('keys.yaml', MANY_KEYS)],
    message: /keys\.yaml:1:1 k0: unknown field|invalid config .*keys\.yaml/,
  },
  {
    name: 'config: YAML syntax error',
    args: () => [...TO_AWS, '--config', file('syntax.yaml', 'gitops:\n  repo: [unclosed\n')],
    message: /syntax\.yaml:\d+:\d+: YAML syntax/,
  },
  {
    name: 'config: a list at the top',
    args: () => [...TO_AWS, '--config', file('list.yaml', '- a\n- b\n')],
    message: /the config must be a YAML mapping/,
  },
  {
    name: 'config: gitops.branch a..b',
    args: () => [
      ...TO_AWS,
      '--config',
      configWith((c) => {
        gitops(c).branch = 'a..b';
      }),
    ],
    message: /gitops\.branch: the branch is not a valid branch name: it cannot contain "\.\."/,
  },
  {
    name: 'config: gitops.branch -x',
    args: () => [
      ...TO_AWS,
      '--config',
      configWith((c) => {
        gitops(c).branch = '--upload-pack=touch x';
      }),
    ],
    message: /gitops\.branch: the branch must not start with "-"/,
  },
  {
    name: 'config: gitops.branch with a space',
    args: () => [
      ...TO_AWS,
      '--config',
      configWith((c) => {
        gitops(c).branch = 'my branch';
      }),
    ],
    message: /gitops\.branch: .*cannot contain a space/,
  },
  {
    name: 'config: lockRef refs/heads/main',
    args: () => [
      ...TO_AWS,
      '--config',
      configWith((c) => {
        gitops(c).lockRef = 'refs/heads/main';
      }),
    ],
    message: /gitops\.lockRef: the lock ref must not be under refs\/heads\//,
  },
  {
    name: 'config: lockRef refs/tags/lock',
    args: () => [
      ...TO_AWS,
      '--config',
      configWith((c) => {
        gitops(c).lockRef = 'refs/tags/lock';
      }),
    ],
    message: /gitops\.lockRef: .*taken for a tag/,
  },
  {
    name: 'config: lockTtl 99999999999h',
    args: () => [
      ...TO_AWS,
      '--config',
      configWith((c) => {
        gitops(c).lockTtl = '99999999999h';
      }),
    ],
    message: /gitops\.lockTtl: too long/,
  },
  {
    name: 'config: unknown field',
    args: () => [
      ...TO_AWS,
      '--config',
      configWith((c) => {
        gitops(c).brnch = 'main';
      }),
    ],
    message: /gitops.*brnch/,
  },
];

const environment: Case[] = [
  {
    name: 'env: FAILOVER_OPERATOR with a newline',
    args: () => TO_AWS,
    env: () => ({ FAILOVER_OPERATOR: 'ops\nFailover-Run: forged' }),
    message: /FAILOVER_OPERATOR contains a newline/,
  },
  {
    name: 'env: FAILOVER_GITOPS_BRANCH with a space',
    args: () => TO_AWS,
    env: () => ({ FAILOVER_GITOPS_BRANCH: 'a b' }),
    message: /\(from FAILOVER_GITOPS_BRANCH\)/,
  },
  {
    name: 'env: FAILOVER_GITOPS_REPO as an option',
    args: () => TO_AWS,
    env: () => ({ FAILOVER_GITOPS_REPO: '--upload-pack=touch /tmp/x' }),
    message: /must not start with "-".*\(from FAILOVER_GITOPS_REPO\)/,
  },
  {
    name: 'env: FAILOVER_STATE_DIR under a regular file',
    args: () => TO_AWS,
    env: () => ({ FAILOVER_STATE_DIR: `${file('not-a-dir', '')}/state` }),
    message: /the state directory .*not-a-dir\/state cannot be used: a part of the path is not a directory/,
  },
  {
    name: 'env: FAILOVER_CONFIG=/dev/zero',
    args: () => TO_AWS,
    env: () => ({ FAILOVER_CONFIG: '/dev/zero' }),
    message: /cannot read config \/dev\/zero: a device/,
  },
  {
    name: 'env: .env is a FIFO',
    args: () => ['runs'],
    cwd: () => {
      const cwd = join(dir, `cwd-${++counter}`);
      mkdirSync(cwd);
      execFileSync('mkfifo', [join(cwd, '.env')]);
      return cwd;
    },
    message: /cannot read \.env file .*\.env: a FIFO/,
  },
];

const runbooks: Case[] = [
  {
    name: 'runbook: alias bomb',
    args: () => ['validate', file('bomb-runbook.yaml', `${ALIAS_BOMB}\n`)],
    message: /bomb-runbook\.yaml:2:\d+: YAML aliases expand too much/,
  },
  {
    name: 'runbook: /dev/zero',
    args: () => ['validate', '/dev/zero'],
    message: /cannot read runbook \/dev\/zero: a device/,
  },
  {
    name: 'runbook: a FIFO (run)',
    args: () => ['run', fifo('runbook.fifo'), '--yes'],
    message: /runbook\.fifo: a FIFO/,
  },
  {
    name: 'runbook: nested deep',
    args: () => ['validate', file('deep-runbook.yaml', DEEP)],
    message: /deep-runbook\.yaml:1:\d+: nested more than 64 levels deep/,
  },
  {
    name: 'runbook: step timeout 0s',
    args: () => [
      'validate',
      file('t0.yaml', runbook('  - id: a\n    uses: echo\n    timeout: 0s\n    with: { message: hi }\n')),
    ],
    message: /t0\.yaml:5:14 steps\[0\]\.timeout: .*(at least 10ms|duration)/,
  },
  {
    name: 'runbook: step timeout beyond the timer limit',
    args: () => [
      'validate',
      file(
        'tbig.yaml',
        runbook('  - id: a\n    uses: echo\n    timeout: 99999999999h\n    with: { message: hi }\n'),
      ),
    ],
    message: /tbig\.yaml:5:14 steps\[0\]\.timeout/,
  },
  {
    name: 'runbook: wait of 30 days',
    args: () => [
      'validate',
      file('wait.yaml', runbook('  - id: a\n    uses: wait\n    with: { duration: 30d }\n')),
    ],
    message: /wait\.yaml:5:\d+ steps\[0\]\.with\.duration: at most 2147483647 ms/,
  },
  {
    name: 'runbook: retry backoff of 100 days',
    args: () => [
      'validate',
      file(
        'retry.yaml',
        runbook(
          '  - id: a\n    uses: echo\n    retry: { attempts: 2, backoff: 100d }\n    with: { message: hi }\n',
        ),
      ),
    ],
    message: /retry\.yaml:\d+:\d+ steps\[0\]\.retry\.backoff: at most/,
  },
  {
    name: 'runbook: duration param too long',
    args: () => ['run', HELLO, '--yes', '--param', 'pause=99999999h'],
    message: /parameter "pause": expected a duration too long/,
  },
  {
    name: 'runbook: duplicate key',
    args: () => ['validate', file('dup-runbook.yaml', 'name: a\nname: b\nsteps: []\n')],
    message: /dup-runbook\.yaml:2:1: YAML syntax: Map keys must be unique/,
  },
  {
    name: 'runbook: symlink loop',
    args: () => ['validate', loop('runbook')],
    message: /symbolic link loop .*\(ELOOP\)/,
  },
  {
    name: 'runbook: 2 MiB',
    args: () => ['validate', file('huge-runbook.yaml', `name: "${'x'.repeat(2 * 1024 * 1024)}"\n`)],
    message: /huge-runbook\.yaml: 2\.0 MiB is over the limit of 1 MiB/,
  },
  {
    name: 'runbook: binary',
    args: () => ['validate', file('bin-runbook.yaml', Buffer.from([0, 1, 2, 3]))],
    message: /bin-runbook\.yaml: a binary file/,
  },
  {
    name: 'runbook: missing',
    args: () => ['validate', join(dir, 'nope-runbook.yaml')],
    message: /nope-runbook\.yaml: not found \(ENOENT\)/,
  },
  {
    name: 'runbook: unknown step kind',
    args: () => ['validate', file('kind.yaml', runbook('  - id: a\n    uses: route53.set-weight\n'))],
    message: /kind\.yaml:4:11 steps\[0\]\.uses: unknown step kind "route53\.set-weight"/,
  },
  {
    name: 'runbook: plan with a deep runbook',
    args: () => ['plan', file('deep-plan.yaml', DEEP)],
    message: /deep-plan\.yaml:1:\d+: nested more than 64/,
  },
];

const journals: Case[] = (() => {
  const cases: {
    name: string;
    content: string | Buffer | ((path: string) => void);
    command: 'report' | 'resume';
    message: RegExp;
  }[] = [
    {
      name: 'journal: empty (report)',
      content: '',
      command: 'report',
      message: /ab12\.ndjson is not a readable journal: it holds no event/,
    },
    {
      name: 'journal: empty (resume)',
      content: '',
      command: 'resume',
      message: /ab12\.ndjson is not a readable journal: it holds no event/,
    },
    {
      name: 'journal: binary',
      content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]),
      command: 'report',
      message: /ab12\.ndjson: a binary file/,
    },
    { name: 'journal: not JSON', content: 'hello\nworld\n', command: 'report', message: /holds no event/ },
    {
      name: 'journal: events without a start',
      content: `${JSON.stringify({ type: 'step.started', stepId: 'a' })}\n`,
      command: 'report',
      message: /the journal has no start record/,
    },
    {
      name: 'journal: a FIFO',
      content: (path) => execFileSync('mkfifo', [path]),
      command: 'report',
      message: /ab12\.ndjson: a FIFO/,
    },
    {
      name: 'journal: 65 MiB (sparse)',
      content: (path) => {
        writeFileSync(path, '');
        truncateSync(path, 65 * 1024 * 1024);
      },
      command: 'report',
      message: /65 MiB is over the limit of 64 MiB/,
    },
    {
      name: 'journal: resume after a failed rollback needs --forward',
      content: [
        {
          type: 'run.started',
          runId: '20260101T000000Z-ab12',
          at: '2026-01-01T00:00:00.000Z',
          runbook: { name: 'to-aws', file: join(ROOT, 'runbooks', 'to-aws.yaml') },
          params: {},
          dryRun: false,
          operator: 'alice',
        },
        {
          type: 'step.rollback.failed',
          runId: '20260101T000000Z-ab12',
          at: '2026-01-01T00:01:00.000Z',
          stepId: 'activate-aws',
          error: { code: 'X', category: 'step-failed', message: 'push refused' },
        },
        {
          type: 'run.finished',
          runId: '20260101T000000Z-ab12',
          at: '2026-01-01T00:02:00.000Z',
          outcome: 'failed',
          durationMs: 1,
        },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
      command: 'resume',
      message:
        /the rollback of run 20260101T000000Z-ab12 failed at activate-aws[\s\S]*--forward[\s\S]*failover to-gcp/,
    },
  ];
  return cases.map((c) => {
    let state: { env: NodeJS.ProcessEnv; runId: string } | undefined;
    const get = () => (state ??= stateWithJournal(c.content));
    return { name: c.name, args: () => [c.command, get().runId], env: () => get().env, message: c.message };
  });
})();

const ALL = [...flags, ...configs, ...environment, ...runbooks, ...journals];

function looksLikeStackTrace(text: string): boolean {
  return /\n\s+at .+[(\s]\/.+:\d+:\d+\)?/.test(text) || /Maximum call stack size exceeded/.test(text);
}

describe('the bad-input corpus', () => {
  it('has at least 60 cases', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(60);
  });

  it.concurrent.each(ALL.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const result: CliResult = await runs(() =>
        c.cwd
          ? failover(c.args(), { env: { ...world.env, ...c.env?.() }, cwd: c.cwd(), timeoutMs: 60_000 })
          : cli(world, c.args(), { env: { ...world.env, ...c.env?.() }, timeoutMs: 60_000 }),
      );
      const output = `${result.stdout}\n${result.stderr}`;
      // Ended on its own (no hang), with the exit code of bad input.
      expect(result.signal, output).toBeNull();
      expect(result.code, output).toBe(c.code ?? 2);
      expect(output).toMatch(c.message);
      expect(looksLikeStackTrace(output), output).toBe(false);
      expect(output).not.toMatch(/this is a bug/);
      if (c.jsonStderr) {
        for (const line of result.stderr.split('\n').filter(Boolean))
          expect(() => JSON.parse(line), line).not.toThrow();
      }
      expect(mutatingRequests(world)).toEqual([]);
    },
    90_000,
  );

  it('runs lists readable runs and says once that it skipped a damaged journal', async () => {
    const { env } = stateWithJournal(Buffer.from([0, 1, 2]));
    const result = await cli(world, ['runs'], { env: { ...world.env, ...env } });
    expect(result.code).toBe(0);
    expect(result.stderr.match(/skipped 1 journal\(s\) that cannot be read/g)).toHaveLength(1);
  }, 60_000);

  it('left the sandbox and the git remote untouched', async () => {
    expect(mutatingRequests(world)).toEqual([]);
    expect(await remoteRefs(world)).toEqual(refsBefore);
  }, 60_000);
});
