/**
 * A password in the GitOps URL reaches git through GIT_ASKPASS and the environment, never its
 * command line (which every user of the machine can read in the process list). A real git talks
 * to a local HTTP server that demands basic auth and serves a bare repository (dumb HTTP).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const calls: { command: string; args: string[]; env: NodeJS.ProcessEnv | undefined }[] = [];

// A spy on the exec wrapper: every child process of the git adapter passes through it.
vi.mock('../../src/util/exec.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/util/exec.js')>();
  return {
    ...original,
    exec: (command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv }) => {
      calls.push({ command, args: [...args], env: options?.env });
      return original.exec(command, args, options);
    },
  };
});

const { GitCache, cacheDirFor } = await import('../../src/providers/git/cache.js');
const { createGitRunner, urlCredentials } = await import('../../src/providers/git/cli.js');
const { createGitRemote, isolatedGitEnv } = await import('../../src/sandbox/gitops-demo/index.js');

const USER = 'deploy-bot';
const SECRET = 'pa$$:w0rd/with@odd&chars';
let work: string;
let server: Server;
let base: string;
const authHeaders: (string | undefined)[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'failover-git-cred-'));
  const { remote } = await createGitRemote({ dir: work });
  execFileSync('git', ['--git-dir', remote, 'update-server-info'], { env: isolatedGitEnv() });
  const expected = `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`;
  server = createServer((req, res) => {
    authHeaders.push(req.headers.authorization);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="gitops"' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    // Dumb HTTP: info/refs is served as a plain file, also to the smart protocol's discovery.
    const path = normalize(join(remote, decodeURIComponent(url.pathname.replace(/^\/gitops\.git/, ''))));
    if (!path.startsWith(remote) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gitops.git`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

describe('credentials in the GitOps URL', () => {
  it('splits user and password out of http(s) URLs, decoded, and leaves ssh and paths alone', () => {
    const url = `https://${USER}:${encodeURIComponent(SECRET)}@git.example.com/org/gitops.git`;
    expect(urlCredentials(url)).toEqual({
      url,
      bare: 'https://git.example.com/org/gitops.git',
      username: USER,
      password: SECRET,
    });
    expect(urlCredentials('ssh://git@git.example.com/org/gitops.git')).toBeUndefined();
    expect(urlCredentials('/srv/git/gitops.git')).toBeUndefined();
    expect(urlCredentials('https://git.example.com/org/gitops.git')).toBeUndefined();
  });

  it('git authenticates with the password from the URL, which is in no argv of any child process', async () => {
    const url = base.replace('http://', `http://${USER}:${encodeURIComponent(SECRET)}@`);
    calls.length = 0;
    const cache = new GitCache(
      createGitRunner(isolatedGitEnv(), url),
      url,
      cacheDirFor(join(work, 'cache'), url),
    );
    const head = await cache.remoteRef('refs/heads/main');
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    // The server saw the right credentials (after asking for them).
    expect(authHeaders).toContain(`Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`);
    expect(calls.length).toBeGreaterThan(0);
    const encoded = encodeURIComponent(SECRET);
    for (const call of calls) {
      for (const arg of call.args) {
        expect(arg).not.toContain(SECRET);
        expect(arg).not.toContain(encoded);
        expect(arg).not.toContain(USER);
      }
    }
    // The remote was named by its bare URL.
    expect(calls.some((call) => call.args.includes(base))).toBe(true);
  });

  it('a wrong password fails without a prompt and without the secret in the message', async () => {
    const url = base.replace('http://', `http://${USER}:wrong-${encodeURIComponent(SECRET)}@`);
    const cache = new GitCache(
      createGitRunner(isolatedGitEnv(), url),
      url,
      cacheDirFor(join(work, 'cache2'), url),
    );
    const error = await cache.remoteRef('refs/heads/main').then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).not.toContain(SECRET);
    expect(error?.message).not.toContain('wrong-');
  });
});
