/**
 * Redaction: which values count as secrets (registered ones, secret-looking environment variables,
 * URL credentials), how they are masked in text and in structured values, and that every line the
 * terminal layer writes (stdout and stderr, text and JSON, error lines and warnings) is masked.
 */
import { describe, expect, it } from 'vitest';
import { type GlobalOptions, Io } from '../../src/cli/io.js';
import { createReporter } from '../../src/cli/reporter.js';
import { Redactor } from '../../src/engine/redact.js';
import { sink } from './memory-stream.js';

function redactorWith(...values: string[]): Redactor {
  const r = new Redactor();
  for (const v of values) r.add(v);
  return r;
}

describe('registered values', () => {
  it('masks every occurrence of a value of 4 characters or more; shorter ones are left alone', () => {
    const r = redactorWith('abcd', 'xyz');
    expect(r.text('abcd-abcd xyz')).toBe('***-*** xyz');
    r.add(undefined);
    r.add('');
    expect(r.text('abcd')).toBe('***');
  });

  it('masks the longest secret first, so that one containing another is not half-masked', () => {
    // Registered shortest first: a naive order would leave `-suffix` visible.
    const r = redactorWith('hunter22', 'hunter22-suffix');
    expect(r.text('x hunter22-suffix y hunter22')).toBe('x *** y ***');
  });

  it('registers values of named environment variables, skipping unset ones', () => {
    const r = new Redactor();
    r.addFromEnv({ ARGOCD_AUTH_TOKEN: 'tok-123456', EMPTY: '' }, ['ARGOCD_AUTH_TOKEN', 'EMPTY', 'UNSET']);
    expect(r.text('token tok-123456')).toBe('token ***');
  });
});

describe('secret-looking environment variables', () => {
  const value = (n: number) => 'v'.repeat(n - 1) + 'Z';

  it.each([
    'GITHUB_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'DB_PASSWORD',
    'FTP_PASSWD',
    'DD_API_KEY',
    'DD_API-KEY',
    'DD_APIKEY',
    'HTTP_AUTHORIZATION',
    'SLACK_WEBHOOK',
    'GOOGLE_CREDENTIALS',
    'SSH_PRIVATE_KEY',
    'SSH_PRIVATEKEY',
    'tls_private-key',
    'aws_session_token',
  ])('%s with a value of 8+ characters is registered', (name) => {
    const r = new Redactor();
    r.addSecretLookingEnv({ [name]: value(8) });
    expect(r.text(`is ${value(8)}.`)).toBe('is ***.');
  });

  it.each([
    'GITHUB_TOKEN_ENV',
    'SECRET_NAME',
    'TOKEN_REF',
    'PASSWORD_FILE',
    'CREDENTIALS_PATH',
    'SECRET_DIR',
    'WEBHOOK_URL_ENV',
    'token_file',
  ])('%s names where a secret is, and is not registered', (name) => {
    const r = new Redactor();
    r.addSecretLookingEnv({ [name]: value(12) });
    expect(r.text(value(12))).toBe(value(12));
  });

  it('ignores short values (a "true" masked everywhere would hide more than it protects) and other names', () => {
    const r = new Redactor();
    r.addSecretLookingEnv({ API_TOKEN: value(7), HOME: value(20), PATH_TOKEN: undefined });
    expect(r.text(`${value(7)} ${value(20)}`)).toBe(`${value(7)} ${value(20)}`);
  });
});

describe('URL credentials', () => {
  it('registers the password of user:password@, as written and percent-decoded', () => {
    const r = new Redactor();
    r.addUrlCredentials('https://deploy:p%40ss%2Fw0rd@git.example.com/org/repo.git');
    expect(r.text('git said p%40ss%2Fw0rd and p@ss/w0rd')).toBe('git said *** and ***');
    expect(r.text('user deploy')).toBe('user deploy');
  });

  it('registers a long user name without a password as a token; a short one is a user', () => {
    const token = 'ghp_0123456789abcdef';
    const r = new Redactor();
    r.addUrlCredentials(`https://${token}@github.com/org/repo.git`);
    r.addUrlCredentials('ssh://git@github.com/org/repo.git');
    r.addUrlCredentials('https://fifteen-chars-x@host/x');
    expect(r.text(`saw ${token} and git and fifteen-chars-x`)).toBe('saw *** and git and fifteen-chars-x');
    r.addUrlCredentials('https://sixteen-chars-xx@host/x');
    expect(r.text('sixteen-chars-xx')).toBe('***');
  });

  it('keeps a password that is not valid percent-encoding as written', () => {
    const r = new Redactor();
    r.addUrlCredentials('https://u:100%zz@host/x');
    expect(r.text('pw 100%zz')).toBe('pw ***');
  });

  it('ignores URLs without credentials, undefined, and text that is not a URL', () => {
    const r = new Redactor();
    r.addUrlCredentials(undefined);
    r.addUrlCredentials('https://github.com/org/repo.git');
    r.addUrlCredentials('not a url: user:secretpass@host');
    r.addUrlCredentials('/local/path/user:secretpass@x');
    expect(r.text('secretpass')).toBe('secretpass');
  });
});

describe('masking unknown secrets in text', () => {
  const r = new Redactor();

  it('Bearer tokens of 8+ characters', () => {
    expect(r.text('Authorization: Bearer abc.DEF-123_~+/=')).toBe('Authorization: Bearer ***');
    expect(r.text('Bearer  eyJhbGciOi and Bearer eyJzdWIi')).toBe('Bearer  *** and Bearer ***');
    expect(r.text('Bearer short7x')).toBe('Bearer short7x');
  });

  it('URL passwords, whatever the scheme', () => {
    expect(r.text('fetch https://bob:s3cr3t@git.example.com/repo failed')).toBe(
      'fetch https://bob:***@git.example.com/repo failed',
    );
    expect(r.text('a ssh://u:p@h and http://v:q@i')).toBe('a ssh://u:***@h and http://v:***@i');
    expect(r.text('https://host:8443/path')).toBe('https://host:8443/path');
  });

  it('long user-infos without a password (tokens); short ones are user names', () => {
    expect(r.text('https://ghp_0123456789abcdef@github.com/x')).toBe('https://***@github.com/x');
    expect(r.text('x //abcdefghijklmnop@h //abcdefghijklmno@h')).toBe('x //***@h //abcdefghijklmno@h');
    expect(r.text('ssh://git@github.com/x')).toBe('ssh://git@github.com/x');
  });
});

describe('masking structured values', () => {
  const r = redactorWith('sekrit-value');

  it('masks fields with secret-looking names, whatever they hold; keeps names of where secrets are', () => {
    expect(
      r.value({
        token: 'anything',
        apiKey: 'k',
        Password: 'p',
        tokenEnv: 'ARGOCD_TOKEN',
        secretName: 'argocd-token',
        passwordRef: 'vault:x',
        credentialsFile: '/etc/creds',
        privateKeyPath: '/k',
        plain: 'sekrit-value inside',
        count: 3,
        flag: true,
        nothing: null,
      }),
    ).toEqual({
      token: '***',
      apiKey: '***',
      Password: '***',
      tokenEnv: 'ARGOCD_TOKEN',
      secretName: 'argocd-token',
      passwordRef: 'vault:x',
      credentialsFile: '/etc/creds',
      privateKeyPath: '/k',
      plain: '*** inside',
      count: 3,
      flag: true,
      nothing: null,
    });
  });

  it('walks arrays and nested objects; array items have no key of their own', () => {
    expect(r.value({ tokens: ['sekrit-value', 'plain'], nested: { deep: { secret: 'x' } } })).toEqual({
      tokens: ['***', 'plain'],
      nested: { deep: { secret: '***' } },
    });
    expect(r.value(['sekrit-value', 4])).toEqual(['***', 4]);
    expect(r.value('Bearer abcdefghij')).toBe('Bearer ***');
    expect(r.value(undefined)).toBeUndefined();
  });
});

function ioWith(output: 'text' | 'json') {
  const out = sink();
  const err = sink();
  const redactor = redactorWith('S3CRET-VALUE');
  const io = new Io(
    { output, color: false } as GlobalOptions,
    redactor,
    out.stream,
    err.stream,
    undefined,
    {},
  );
  return { io, stdout: out.text, stderr: err.text };
}

describe('the terminal layer writes nothing unmasked', () => {
  it('error lines on stderr (text): masked, and control characters escaped', () => {
    const { io, stderr } = ioWith('text');
    io.err('step failed: git push https://bob:pw@host rejected S3CRET-VALUE\u001b]0;x\u0007', 'error');
    expect(stderr()).toBe('step failed: git push https://bob:***@host rejected ***\\x1b]0;x\\x07\n');
  });

  it('error lines on stderr (json): one JSON record per line, masked, with the level', () => {
    const { io, stderr } = ioWith('json');
    io.err('failed: S3CRET-VALUE', 'error');
    io.err('   ');
    io.warn('FO_X_W1', 'warned S3CRET-VALUE');
    const lines = stderr().trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 'error', message: 'failed: ***' },
      { code: 'FO_X_W1', level: 'warn', message: 'warned ***' },
    ]);
  });

  it('warnings and results on stdout (text and json) are masked', () => {
    const text = ioWith('text');
    text.io.warn('FO_X_W1', 'warned S3CRET-VALUE');
    text.io.out('result S3CRET-VALUE');
    expect(text.stderr()).toBe('warned ***\n');
    expect(text.stdout()).toBe('result ***\n');
    const json = ioWith('json');
    json.io.json({ token: 'x', note: 'S3CRET-VALUE' });
    expect(JSON.parse(json.stdout())).toEqual({ token: '***', note: '***', version: expect.any(String) });
  });

  it('engine events reach stderr masked, as text lines and as NDJSON', () => {
    for (const output of ['text', 'json'] as const) {
      const { io, stderr } = ioWith(output);
      const reporter = createReporter(io, undefined, { showPlan: false });
      reporter.emit({
        type: 'step.message',
        runId: 'r',
        at: '2026-01-01T00:00:00.000Z',
        stepId: 'push',
        level: 'error',
        code: 'FO_GIT_E1',
        message: 'push to https://bob:hunter2@host failed: S3CRET-VALUE',
      } as Parameters<typeof reporter.emit>[0]);
      reporter.close();
      expect(stderr()).not.toContain('S3CRET-VALUE');
      expect(stderr()).not.toContain('hunter2');
      expect(stderr()).toContain('***');
    }
  });
});
