/**
 * The Google Cloud gRPC clients (GKE's ClusterManagerClient, Anthos on AWS's AwsClustersClient),
 * run in a worker thread. Loading one costs about half a second of CPU (google-gax, gRPC, the
 * protobuf descriptors of the whole API), which would otherwise hold up the main thread while a
 * run's other reads (git, kustomize, Argo CD, AWS) wait for it; here it runs on another core.
 * The main side is ./thread.ts; each message is one call, answered with plain data.
 */
import { parentPort } from 'node:worker_threads';
import type { CallOptions } from 'google-gax';
import { localGoogleClientOptions } from './client-options.js';
import type {
  GoogleCallRequest,
  GoogleCallResponse,
  GoogleClientSpec,
  WorkerMessage,
  WorkerWarning,
} from './thread.js';

/** The client's own call: a promise that can be cancelled (google-gax's CancellablePromise). */
type Call = Promise<unknown[]> & { cancel?: () => void };
type Client = Record<string, (request: object, options: CallOptions) => Call>;

/**
 * A Google API may be down in the very incident we fail over for: fail fast, and let the runbook's
 * retry policy decide, instead of the client's own UNAVAILABLE retries (up to 10 minutes).
 */
function callOptions(timeoutMs: number): CallOptions {
  return { timeout: timeoutMs, retry: { retryCodes: [] } };
}

async function createClient(spec: GoogleClientSpec): Promise<Client> {
  const options = spec.endpoint
    ? localGoogleClientOptions(spec.endpoint, spec.projectId ? { projectId: spec.projectId } : {})
    : spec.apiEndpoint
      ? { apiEndpoint: spec.apiEndpoint }
      : {};
  if (spec.api === 'gke') {
    // The v1 client alone: the package index also loads the v1beta1 client and a 12 MB generated
    // protobuf module that the client never uses (it reads protos.json), a third of its load time.
    const { ClusterManagerClient } = await import(
      '@google-cloud/container/build/src/v1/cluster_manager_client.js'
    );
    return new ClusterManagerClient(options) as unknown as Client;
  }
  const { AwsClustersClient } = await import('@google-cloud/gkemulticloud');
  const client = new AwsClustersClient(options);
  // Google marks the AWS API deprecated and the client says so through process warnings on first
  // use; that would print into the operator's terminal. Known and documented: silence it.
  client.warn = () => {};
  return client as unknown as Client;
}

const clients = new Map<string, Promise<Client>>();
const inFlight = new Map<number, Call>();

function clientFor(spec: GoogleClientSpec): Promise<Client> {
  const key = JSON.stringify(spec);
  let client = clients.get(key);
  if (!client) {
    client = createClient(spec);
    clients.set(key, client);
    // A client that failed to load is not kept: the next call tries again.
    client.catch(() => clients.delete(key));
  }
  return client;
}

/** What the main thread needs of an error: gRPC's code and details, its message and name. */
function errorData(error: unknown): GoogleCallResponse & { ok: false } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  return {
    ok: false,
    id: 0,
    error: {
      ...(typeof e.code === 'number' ? { code: e.code } : {}),
      ...(typeof e.details === 'string' ? { details: e.details } : {}),
      message: typeof e.message === 'string' ? e.message : String(error),
      ...(typeof e.name === 'string' ? { name: e.name } : {}),
    },
  };
}

async function answer(request: GoogleCallRequest): Promise<GoogleCallResponse> {
  try {
    const client = await clientFor(request.client);
    const method = client[request.method];
    if (typeof method !== 'function')
      throw new Error(`no method ${request.method} on the ${request.client.api} client`);
    const call = method.call(client, request.request, callOptions(request.timeoutMs));
    inFlight.set(request.id, call);
    const [value] = await call;
    // Responses are plain objects already (enums and 64-bit numbers as strings); cloning them into
    // the message keeps only data.
    return { ok: true, id: request.id, value };
  } catch (error) {
    return { ...errorData(error), id: request.id };
  } finally {
    inFlight.delete(request.id);
  }
}

// Node's warnings from the clients go where the main thread's go (cli/node-warnings.ts: shown only
// with --verbose), instead of straight to the terminal from here.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  parentPort?.postMessage({
    type: 'warning',
    name: warning.name,
    message: warning.message,
  } satisfies WorkerWarning);
});

parentPort?.on('message', (message: WorkerMessage) => {
  if (message.type === 'cancel') {
    inFlight.get(message.id)?.cancel?.();
    return;
  }
  void answer(message).then((response) => parentPort?.postMessage(response));
});
