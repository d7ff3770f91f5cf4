/** Port of the DNS client: sampling what name servers answer, and the addresses behind a name. */

export interface DnsAnswerCount {
  /** The answer's record values, sorted, e.g. `["198.51.100.7"]`; empty for NXDOMAIN, NODATA or no answer. */
  values: string[];
  /** NOERROR, NXDOMAIN, … or TIMEOUT / ERROR when no answer came. */
  rcode: string;
  count: number;
}

export interface DnsSample {
  name: string;
  type: string;
  /** `host:port` of each server asked, in the order the queries went round. */
  servers: string[];
  samples: number;
  answers: DnsAnswerCount[];
  /** How long the sampling took, in ms. */
  elapsedMs: number;
}

export interface DnsSampleRequest {
  name: string;
  type: string;
  /** `host`, `host:port` or `[v6]:port`; names are looked up with the system resolver first. */
  servers: string[];
  samples: number;
  /** Per query; a query that times out is asked once more. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface DnsReader {
  /** Sends `samples` queries, round-robin over the servers, one after another; never caches. */
  sample(request: DnsSampleRequest): Promise<DnsSample>;
  /** The IPv4 and IPv6 addresses of a name through the system's resolver (empty when it has none). */
  addressesOf(name: string): Promise<string[]>;
}
