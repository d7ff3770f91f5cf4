/**
 * Options that point a Google Cloud gRPC client (ClusterManagerClient, AwsClustersClient, …) at a
 * local plaintext endpoint without ever looking for credentials. Why each option is needed is in
 * SPEC.md ("Pointing the real client at the emulator"); in short:
 *
 * - `sslCreds` (insecure) replaces the TLS + call credentials google-gax would otherwise build from
 *   `auth.getClient()`, which is where Application Default Credentials are searched for.
 * - `universeDomain` is checked against `auth.getUniverseDomain()`; given explicitly, that check
 *   needs no auth client either.
 * - `authClient` (a PassThroughClient: no token, no network) and `projectId` make any other path
 *   that asks the auth layer (e.g. `client.getProjectId()`) answer locally instead of probing the
 *   metadata server.
 *
 * `grpc` comes from google-gax on purpose: a second copy of @grpc/grpc-js would fail the
 * `instanceof ChannelCredentials` check inside the client.
 */
import type * as Gax from 'google-gax';
import type { ClientOptions } from 'google-gax';
import { requireCommonJs } from '../../util/commonjs.js';

const { googleAuthLibrary, grpc } = requireCommonJs('google-gax') as typeof Gax;

export interface LocalGoogleClientOptions {
  /** Returned by `client.getProjectId()`; resource names in requests are what really count. */
  projectId?: string;
}

/** Splits `host:port` (or `[v6]:port`); the host is passed on as the client's apiEndpoint. */
function parseEndpoint(endpoint: string): { host: string; port: number } {
  const url = URL.canParse(`grpc://${endpoint}`) ? new URL(`grpc://${endpoint}`) : undefined;
  const port = Number(url?.port);
  if (!url?.hostname || !Number.isInteger(port) || port <= 0 || url.pathname !== '') {
    throw new Error(`Invalid gRPC endpoint "${endpoint}": expected host:port, e.g. 127.0.0.1:50051`);
  }
  return { host: url.hostname, port };
}

export function localGoogleClientOptions(
  endpoint: string,
  options: LocalGoogleClientOptions = {},
): ClientOptions {
  const { host, port } = parseEndpoint(endpoint);
  return {
    apiEndpoint: host,
    port,
    // gRPC transport, never the HTTP/JSON fallback (which would need a REST server).
    fallback: false,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
    projectId: options.projectId ?? 'local-emulator',
    authClient: new googleAuthLibrary.PassThroughClient(),
  };
}
