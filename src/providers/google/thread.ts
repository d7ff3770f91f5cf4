/**
 * Calls to the Google Cloud gRPC clients, made in a worker thread (./worker.ts says why). One
 * worker per process, started on the first call; it keeps the process alive only while a call is
 * pending. An error comes back as its gRPC code, details and message, which ./errors.ts turns into
 * the sentence and the fix to try, exactly as for an error thrown in this thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../util/package-root.js';

/** Which client, pointed where: the same spec shares one client in the worker. */
export interface GoogleClientSpec {
  api: 'gke' | 'anthos-aws';
  /** An emulator's `host:port`: plaintext, no credentials looked for. */
  endpoint?: string;
  /** With `endpoint`: what `client.getProjectId()` answers. */
  projectId?: string;
  /** A regional API host (Anthos on AWS), with Application Default Credentials. */
  apiEndpoint?: string;
}

export interface GoogleCallRequest {
  type: 'call';
  id: number;
  client: GoogleClientSpec;
  /** The client method, e.g. `getCluster`. */
  method: string;
  request: object;
  timeoutMs: number;
}

export type WorkerMessage = GoogleCallRequest | { type: 'cancel'; id: number };

export interface GoogleErrorData {
  code?: number;
  details?: string;
  message: string;
  name?: string;
}

/** A process warning raised in the worker (a client's deprecation notice), passed on. */
export interface WorkerWarning {
  type: 'warning';
  name: string;
  message: string;
}

export type GoogleCallResponse =
  | { ok: true; id: number; value: unknown }
  | { ok: false; id: number; error: GoogleErrorData };

/** An error as the client threw it in the worker: what errors.ts reads (code, details, message). */
export class GoogleCallError extends Error {
  readonly code: number | undefined;
  readonly details: string | undefined;

  constructor(data: GoogleErrorData) {
    super(data.message);
    this.name = data.name ?? 'Error';
    this.code = data.code;
    this.details = data.details;
  }
}

/**
 * The compiled worker. Run from the TypeScript sources (the tests), this module has no compiled
 * sibling: the build's copy serves (`npm test` builds first).
 */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(here, '..', 'worker.js');
  return existsSync(sibling) ? sibling : join(packageRoot(), 'dist', 'providers', 'google', 'worker.js');
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(error: unknown): void {
  for (const call of pending.values()) call.reject(error);
  pending.clear();
  worker = undefined;
}

function started(): Worker {
  if (worker) return worker;
  const created = new Worker(workerFile());
  created.on('message', (response: GoogleCallResponse | WorkerWarning) => {
    if ('type' in response) {
      process.emitWarning(response.message, response.name);
      return;
    }
    const call = pending.get(response.id);
    if (!call) return;
    pending.delete(response.id);
    if (pending.size === 0) created.unref();
    if (response.ok) call.resolve(response.value);
    else call.reject(new GoogleCallError(response.error));
  });
  created.on('error', (error) => {
    if (worker === created) failAll(error);
  });
  created.on('exit', (code) => {
    if (worker === created) failAll(new Error(`the Google client thread stopped (exit code ${code})`));
  });
  created.unref();
  worker = created;
  return created;
}

/**
 * `client.method(request)` in the worker, with a deadline and no client-side retries; resolves
 * with the first element of the client's answer. An abort rejects at once and cancels the call.
 */
export function callGoogle<T>(
  client: GoogleClientSpec,
  method: string,
  request: object,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const thread = started();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      pending.delete(id);
      if (pending.size === 0) thread.unref();
      thread.postMessage({ type: 'cancel', id } satisfies WorkerMessage);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    pending.set(id, {
      resolve: (value) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value as T);
      },
      reject: (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    });
    thread.ref();
    thread.postMessage({
      type: 'call',
      id,
      client,
      method,
      request,
      timeoutMs: options.timeoutMs,
    } satisfies WorkerMessage);
  });
}
