/** The config file: schema, errors with field paths and positions, FAILOVER_* overrides, `.env`. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV_OVERRIDES, loadConfig, loadDotEnv, parseConfig } from '../../../src/config/load.js';
import { FailoverError, type Problem } from '../../../src/engine/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'failover-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALID = `
aws:
  region: eu-west-1
route53:
  trafficFlow:
    instances: [tpi-123, { name: admin.example.com. }]
    roles: { gcp: gke-endpoint, aws: { endpoint: alb-endpoint } }
eks:
  cluster: standby
gitops:
  repo: ../gitops
argocd:
  server: https://argocd.example.com
  awsApps: { selector: cloud=aws }
probes:
  aws:
    - { url: "https://alb.example.com/healthz", host: admin.example.com }
notifications:
  slack: { webhookUrlEnv: SLACK_WEBHOOK_URL }
stateDir: ./state
`;

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): Problem[] {
  try {
    parseConfig(text, '/etc/failover/failover.config.yaml', env);
  } catch (error) {
    if (!FailoverError.is(error)) throw error;
    expect(error.code).toBe('FO_CONFIG_E2002');
    expect(error.category).toBe('invalid-input');
    return error.problems;
  }
  throw new Error('the config was accepted');
}

const place = (p: Problem) => `${p.line}:${p.column} ${p.path ?? ''}`.trim();

describe('a valid config', () => {
  it('parses, fills defaults and resolves paths relative to the config file', () => {
    const { config, file } = parseConfig(VALID, '/etc/failover/failover.config.yaml');
    expect(file).toBe('/etc/failover/failover.config.yaml');
    expect(config.aws.region).toBe('eu-west-1');
    expect(config.route53?.mode).toBe('traffic-flow');
    expect(config.route53?.trafficFlow?.pollInterval).toBe(2);
    expect(config.route53?.rateLimit).toEqual({ perSecond: 8, burst: 10 });
    expect(config.gitops?.branch).toBe('main');
    expect(config.gitops?.repo).toBe('/etc/gitops');
    expect(config.argocd?.tokenEnv).toBe('ARGOCD_AUTH_TOKEN');
    expect(config.probes.aws[0]).toMatchObject({ expectStatus: 200, timeout: '5s', successes: 1 });
    expect(config.stateDir).toBe('/etc/failover/state');
  });

  it('keeps remote git URLs as they are', () => {
    for (const repo of [
      'https://git.example/ops/gitops.git',
      'git@github.com:ops/gitops.git',
      'ssh://git@h/r',
    ]) {
      const { config } = parseConfig(`gitops: { repo: "${repo}" }`, '/etc/failover/c.yaml');
      expect(config.gitops?.repo).toBe(repo);
    }
  });

  it('an empty file is an empty config', () => {
    expect(parseConfig('', '/c.yaml').config.aws.region).toBe('us-east-1');
  });
});

describe('config errors', () => {
  it('lists every problem with file, line, column and field path', () => {
    const problems = problemsOf(`aws:
  region: eu-west-1
  zone: a
argocd:
  server: not-a-url
  tokenEnv: my-secret-token-value
  awsApps: []
route53:
  mode: dns
probes:
  aws:
    - { url: "https://x.example", successes: 0 }
`);
    for (const p of problems) expect(p.file).toBe('/etc/failover/failover.config.yaml');
    expect(problems.map((p) => `${place(p)}: ${p.message}`).sort()).toEqual(
      [
        '3:9 aws.zone: unknown field "zone"',
        '5:11 argocd.server: Invalid URL',
        '6:13 argocd.tokenEnv: must be the NAME of an environment variable (A-Z, 0-9, _), not its value',
        '7:12 argocd.awsApps: Too small: expected array to have >=1 items',
        '9:9 route53.mode: "dns" is not one of traffic-flow, record-sets',
        '12:46 probes.aws[0].successes: Too small: expected number to be >=1',
      ].sort(),
    );
  });

  it('reports YAML syntax errors with their position', () => {
    const [problem, ...rest] = problemsOf('aws:\n  region: [eu-west-1\nstateDir: x\n');
    expect(problem!.message).toMatch(/^YAML syntax:/);
    expect(problem!.line).toBeGreaterThanOrEqual(2);
    expect(problem!.column).toBeGreaterThanOrEqual(1);
    for (const p of rest) expect(p.line).toBeDefined();
  });

  it('requires a mapping at the top', () => {
    expect(problemsOf('- just\n- a list\n').map(place)).toEqual(['1:1']);
  });

  it('names the missing file and how to get one', () => {
    expect(() => loadConfig(join(dir, 'absent.yaml'), {})).toThrow(/config file not found: .*absent\.yaml/);
  });

  it('a directory is bad input with the file it probably meant, not a crash', () => {
    const sandboxDir = mkdtempSync(join(dir, 'sandbox-'));
    writeFileSync(join(sandboxDir, 'failover.config.yaml'), 'aws: { region: eu-west-1 }\n');
    try {
      loadConfig(sandboxDir, {});
      throw new Error('a directory was accepted');
    } catch (error) {
      if (!FailoverError.is(error)) throw error;
      expect(error.category).toBe('invalid-input');
      expect(error.message).toBe(`--config names a directory: ${sandboxDir}`);
      expect(error.hint).toBe(`did you mean --config ${join(sandboxDir, 'failover.config.yaml')}?`);
    }
  });
});

describe('environment overrides (FAILOVER_*)', () => {
  it('override fields of the file', () => {
    const { config } = parseConfig(VALID, '/etc/failover/failover.config.yaml', {
      FAILOVER_AWS_REGION: 'ap-northeast-1',
      FAILOVER_GITOPS_BRANCH: 'release',
      FAILOVER_ARGOCD_SERVER: 'https://argocd.internal',
      FAILOVER_AWS_PROFILE: '',
    });
    expect(config.aws.region).toBe('ap-northeast-1');
    expect(config.aws.profile).toBeUndefined(); // empty means unset
    expect(config.gitops?.branch).toBe('release');
    expect(config.argocd?.server).toBe('https://argocd.internal');
  });

  it('take the argocd CLI variables as defaults: ARGOCD_SERVER fills a missing server, the file wins', () => {
    const withoutServer = VALID.replace('  server: https://argocd.example.com\n', '');
    const fromCli = parseConfig(withoutServer, '/etc/failover/failover.config.yaml', {
      ARGOCD_SERVER: 'argocd.corp.example:8443',
    });
    expect(fromCli.config.argocd?.server).toMatch(/^https:\/\/argocd\.corp\.example:8443\/?$/);
    expect(fromCli.config.argocd?.tokenEnv).toBe('ARGOCD_AUTH_TOKEN');
    const fileWins = parseConfig(VALID, '/etc/failover/failover.config.yaml', {
      ARGOCD_SERVER: 'argocd.corp.example',
    });
    expect(fileWins.config.argocd?.server).toMatch(/^https:\/\/argocd\.example\.com\/?$/);
  });

  it('create sections the file does not have', () => {
    const { config } = parseConfig('aws: { region: eu-west-1 }', '/srv/c.yaml', {
      FAILOVER_GITOPS_REPO: 'https://git.example/ops.git',
      FAILOVER_STATE_DIR: '/var/lib/failover',
    });
    expect(config.gitops).toMatchObject({ repo: 'https://git.example/ops.git', branch: 'main' });
    expect(config.stateDir).toBe('/var/lib/failover');
  });

  it('FAILOVER_KUSTOMIZE_CACHE_DIR sets kustomize.cacheDir, kept beside the file’s other kustomize settings', () => {
    const { config } = parseConfig(
      'kustomize: { buildOptions: --enable-helm, cacheDir: renders }',
      '/srv/failover/c.yaml',
      {},
    );
    // Relative to the config file, like stateDir.
    expect(config.kustomize).toEqual({ buildOptions: '--enable-helm', cacheDir: '/srv/failover/renders' });
    // A kustomize.path with a slash too; a bare name stays a name, looked up on PATH.
    expect(
      parseConfig('kustomize: { path: bin/kustomize }', '/srv/failover/c.yaml', {}).config.kustomize,
    ).toEqual({
      path: '/srv/failover/bin/kustomize',
    });
    expect(
      parseConfig('kustomize: { path: kustomize-5.4 }', '/srv/failover/c.yaml', {}).config.kustomize,
    ).toEqual({
      path: 'kustomize-5.4',
    });
    const overridden = parseConfig('kustomize: { buildOptions: --enable-helm }', '/srv/failover/c.yaml', {
      FAILOVER_KUSTOMIZE_CACHE_DIR: '/var/cache/failover-renders',
    });
    expect(overridden.config.kustomize).toEqual({
      buildOptions: '--enable-helm',
      cacheDir: '/var/cache/failover-renders',
    });
  });

  it('are validated like the file, and a bad one is blamed on the variable, not on the file', () => {
    const [problem, ...rest] = problemsOf(VALID, { FAILOVER_ARGOCD_SERVER: 'nowhere' });
    expect(rest).toEqual([]);
    expect(problem).toEqual({
      file: '/etc/failover/failover.config.yaml',
      path: 'argocd.server',
      message: 'Invalid URL (from FAILOVER_ARGOCD_SERVER)',
      hint: 'check FAILOVER_ARGOCD_SERVER',
    });
  });

  it('a repository or branch that git would read as an option is refused, from the file or a variable', () => {
    const [fromEnv, ...none] = problemsOf(VALID, { FAILOVER_GITOPS_REPO: '--upload-pack=touch pwned@x:y' });
    expect(none).toEqual([]);
    expect(fromEnv).toMatchObject({ path: 'gitops.repo', hint: 'check FAILOVER_GITOPS_REPO' });
    expect(fromEnv?.message).toMatch(/must not start with "-": git would read it as an option/);
    const fromFile = problemsOf('gitops: { repo: https://git.example/ops.git, branch: "--force" }');
    expect(fromFile.map((p) => p.path)).toEqual(['gitops.branch']);
  });

  it('suggests the field or value a typo was probably meant to be', () => {
    const problems = problemsOf(`
route53:
  mode: trafic-flow
  trafficFlow: { instances: [tpi-1], roles: { gcp: a, aws: b }, pollIntervall: 2 }
`);
    expect(problems.map((p) => [p.path, p.message, p.hint])).toEqual([
      [
        'route53.mode',
        '"trafic-flow" is not one of traffic-flow, record-sets',
        'did you mean "traffic-flow"?',
      ],
      ['route53.trafficFlow.pollIntervall', 'unknown field "pollIntervall"', 'did you mean "pollInterval"?'],
    ]);
  });

  it('durations are checked when the config loads, not when a run reaches them', () => {
    const problems = problemsOf(`
gitops: { repo: https://git.example/ops.git, lockTtl: soon }
probes:
  aws:
    - { url: "https://alb.example.com/healthz", interval: fast, timeout: 5s }
`);
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['gitops.lockTtl', 'a duration such as 30s, 5m, 1h or 250ms'],
      ['probes.aws[0].interval', 'a duration such as 30s, 5m, 1h or 250ms'],
    ]);
    expect(problems.every((p) => (p.line ?? 0) > 0)).toBe(true);
  });

  it('each documented override maps to a config field', () => {
    for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
      expect(name).toMatch(/^FAILOVER_[A-Z_]+$/);
      expect(path.length).toBeGreaterThan(0);
    }
  });
});

describe('.env', () => {
  it('fills unset variables and never overrides the real environment', () => {
    const file = join(dir, '.env');
    writeFileSync(
      file,
      [
        '# comment',
        'FAILOVER_AWS_REGION=from-dotenv',
        'ARGOCD_AUTH_TOKEN="tok-from-file"',
        'ALREADY_SET=from-dotenv',
        'EMPTY=',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { ALREADY_SET: 'from-shell', EMPTY_IN_SHELL: '' };
    const applied = loadDotEnv(env, file);
    expect(applied.sort()).toEqual(['ARGOCD_AUTH_TOKEN', 'FAILOVER_AWS_REGION']);
    expect(env).toEqual({
      ALREADY_SET: 'from-shell',
      EMPTY_IN_SHELL: '',
      FAILOVER_AWS_REGION: 'from-dotenv',
      ARGOCD_AUTH_TOKEN: 'tok-from-file',
    });
  });

  it('an empty variable set in the shell still wins over .env', () => {
    const file = join(dir, 'shell-empty.env');
    writeFileSync(file, 'FAILOVER_AWS_REGION=from-dotenv\n');
    const env: NodeJS.ProcessEnv = { FAILOVER_AWS_REGION: '' };
    expect(loadDotEnv(env, file)).toEqual([]);
    expect(env.FAILOVER_AWS_REGION).toBe('');
  });

  it('is optional', () => {
    expect(loadDotEnv({}, join(dir, 'missing.env'))).toEqual([]);
  });
});
