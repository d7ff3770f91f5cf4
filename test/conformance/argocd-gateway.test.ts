/**
 * The Argo CD emulator's errors against grpc-gateway v1.16 (the gateway argocd-server v3 serves its
 * REST API with): the JSON body `{error, code, message}` and the HTTP status the gateway derives
 * from the gRPC code (runtime.HTTPStatusFromCode). No Argo CD server or CLI runs on this machine, so
 * the gateway's table is the independent reference; the codes and messages themselves follow
 * argocd-server's source (server/application/application.go), cited in the emulator's SPEC.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArgoCdEmulator, demoApps, startArgoCdEmulator } from '../../src/sandbox/argocd/index.js';
import { createGitRemote } from '../../src/sandbox/gitops-demo/index.js';

/** grpc-gateway v1 runtime.HTTPStatusFromCode. */
const HTTP_STATUS_FROM_CODE: Record<number, number> = {
  0: 200,
  1: 408,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

const TOKEN = 'gateway-conformance-token';
let work: string;
let emulator: ArgoCdEmulator;

async function call(
  path: string,
  init: { method?: string; body?: string; token?: string | null } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = init.token === undefined ? TOKEN : init.token;
  const response = await fetch(`${emulator.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Argo CD emulator errors, as grpc-gateway v1 writes them', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'argocd-gateway-'));
    const remote = await createGitRemote({ dir: work });
    emulator = await startArgoCdEmulator({
      token: TOKEN,
      apps: demoApps(remote.remote),
      rolloutMs: 200,
      reconcileIntervalMs: 0,
      syncDurationMs: 5_000,
    });
    emulator.model.setAutoSync('admin-gke', false);
  });

  afterAll(async () => {
    await emulator?.close();
    await rm(work, { recursive: true, force: true });
  });

  const cases: Array<{ what: string; code: number; message: RegExp; run: () => ReturnType<typeof call> }> = [
    {
      what: 'no token',
      code: 16,
      message: /^no session information$/,
      run: () => call('/api/v1/applications', { token: null }),
    },
    {
      what: 'a wrong token',
      code: 16,
      message: /^invalid session: /,
      run: () => call('/api/v1/applications/admin-aws', { token: 'nope' }),
    },
    {
      what: 'an application that does not exist',
      code: 7,
      message: /^permission denied$/,
      run: () => call('/api/v1/applications/does-not-exist'),
    },
    {
      what: 'a hidden application',
      code: 7,
      message: /^permission denied$/,
      run: async () => {
        emulator.hideApp('admin-aws');
        try {
          return await call('/api/v1/applications/admin-aws/managed-resources');
        } finally {
          emulator.hideApp('admin-aws', false);
        }
      },
    },
    {
      what: 'a missing application within a project',
      code: 5,
      message: /^applications\.argoproj\.io "does-not-exist" not found$/,
      run: () => call('/api/v1/applications/does-not-exist?project=default'),
    },
    {
      what: 'two projects',
      code: 3,
      message: /^multiple projects specified/,
      run: () => call('/api/v1/applications/admin-aws?project=a&project=b'),
    },
    {
      what: 'a sync body that is not JSON',
      code: 3,
      message: /./,
      run: () => call('/api/v1/applications/admin-gke/sync', { method: 'POST', body: '{' }),
    },
    {
      what: 'a sync while one runs',
      code: 9,
      message: /^another operation is already in progress$/,
      run: async () => {
        await call('/api/v1/applications/admin-gke/sync', { method: 'POST', body: '{}' });
        return call('/api/v1/applications/admin-gke/sync', { method: 'POST', body: '{}' });
      },
    },
    {
      what: 'terminating when nothing runs',
      code: 3,
      message: /^Unable to terminate operation\. No operation is in progress$/,
      run: () => call('/api/v1/applications/admin-aws/operation', { method: 'DELETE' }),
    },
    {
      what: 'an injected server error',
      code: 13,
      message: /./,
      run: () => {
        emulator.control.injectFault('server-error', { operation: 'ResourceTree', count: 1 });
        return call('/api/v1/applications/admin-aws/resource-tree');
      },
    },
    {
      what: 'an outage',
      code: 14,
      message: /./,
      run: async () => {
        emulator.control.knobs.outage = true;
        try {
          return await call('/api/v1/applications');
        } finally {
          emulator.control.knobs.outage = false;
        }
      },
    },
  ];

  it.each(cases)('$what: gRPC code $code, the gateway’s status and body', async ({ code, message, run }) => {
    const { status, body } = await run();
    expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message']);
    expect(body.code).toBe(code);
    expect(body.error).toBe(body.message);
    expect(String(body.message)).toMatch(message);
    expect(status).toBe(HTTP_STATUS_FROM_CODE[code]);
  });
});
