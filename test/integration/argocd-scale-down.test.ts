/**
 * A StatefulSet scaling down is Healthy in Argo CD while its last pods still run (at least as many
 * ready as wanted), and the app's status stops changing before the pods are gone. The adapter
 * must keep reading the live counts until they settle, not take the first Synced + Healthy read
 * as final: the wait would then see "1 ready, want 0" until it times out. Real HTTP against a
 * loopback server that answers as Argo CD does at each moment of the scale-down.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { createArgoCdReader } from '../../src/providers/argocd/adapter.js';

const TOKEN = 'scale-down-test-token';

/** What the cluster runs now: the StatefulSet's ready pods (it wants 0) and the Deployment's. */
const live = { dbReady: 1, apiReady: 0 };
let managedReads = 0;
let server: Server;
let url: string;

/** The app as Argo CD shows it: Synced and Healthy at every moment of this test. */
function application() {
  const resource = (kind: string, name: string) => ({
    group: 'apps',
    kind,
    name,
    namespace: 'ledger',
    status: 'Synced',
    health: { status: 'Healthy' },
  });
  return {
    metadata: { name: 'ledger-aws' },
    spec: { syncPolicy: { automated: {} } },
    status: {
      sync: { status: 'Synced', revision: 'a'.repeat(40) },
      health: { status: 'Healthy' },
      operationState: { phase: 'Succeeded', message: 'successfully synced (all tasks run)' },
      reconciledAt: '2026-12-07T05:00:00Z',
      resources: [resource('StatefulSet', 'ledger-db'), resource('Deployment', 'ledger-api')],
    },
  };
}

function workload(kind: string, name: string, ready: number) {
  const status =
    ready > 0 ? { observedGeneration: 2, readyReplicas: ready, replicas: ready } : { observedGeneration: 2 };
  const object = {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'ledger', generation: 2 },
    spec: { replicas: 0 },
    status,
  };
  return {
    group: 'apps',
    kind,
    name,
    namespace: 'ledger',
    liveState: JSON.stringify(object),
    targetState: JSON.stringify({ ...object, status: undefined }),
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let body: unknown;
    if (path === '/api/v1/applications') body = { items: [application()] };
    else if (path === '/api/v1/applications/ledger-aws') body = application();
    else if (path === '/api/v1/applications/ledger-aws/managed-resources') {
      managedReads += 1;
      body = {
        items: [
          workload('StatefulSet', 'ledger-db', live.dbReady),
          workload('Deployment', 'ledger-api', live.apiReady),
        ],
      };
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found","code":5}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function reader() {
  const config = Config.parse({
    argocd: { server: url, tokenEnv: 'TEST_ARGOCD_TOKEN', awsApps: ['ledger-aws'] },
  });
  return createArgoCdReader({
    config,
    env: { TEST_ARGOCD_TOKEN: TOKEN },
    redactor: new Redactor(),
    runId: 'r',
  });
}

const db = (apps: Awaited<ReturnType<ReturnType<typeof reader>['apps']>>) =>
  apps[0]?.workloads.find((w) => w.name === 'ledger-db');

describe('an app that is Synced and Healthy while a StatefulSet scales down', () => {
  it('is read again until the last pod is gone, then read from what it last read', async () => {
    live.dbReady = 1;
    managedReads = 0;
    const argocd = reader();
    expect(db(await argocd.apps('aws'))).toMatchObject({ kind: 'StatefulSet', desired: 0, ready: 1 });
    // Nothing about the app changed, but the pod went: the next poll must see it.
    live.dbReady = 0;
    expect(db(await argocd.apps('aws'))).toMatchObject({ desired: 0, ready: 0 });
    expect(managedReads).toBe(2);
    // At rest now: the same app status needs no second read of its resources.
    expect(db(await argocd.apps('aws'))).toMatchObject({ desired: 0, ready: 0 });
    expect(managedReads).toBe(2);
  });
});
