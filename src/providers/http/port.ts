/** Port of the HTTP prober. */
import type { Probe } from '../../config/schema.js';

export interface ProbeResult {
  name: string;
  url: string;
  ok: boolean;
  /** Last status seen. */
  status?: number;
  /** Why it failed (timeout, connection refused, body mismatch, status). */
  error?: string;
  /** Consecutive successes reached / wanted. */
  successes: number;
  wanted: number;
  /** Value of the `x-served-by` header, when the endpoint tells. */
  servedBy?: string;
  durationMs: number;
}

export interface HttpProber {
  /** Probes until `successes` consecutive successes or the probe's overall budget runs out. */
  probe(probe: Probe, signal?: AbortSignal): Promise<ProbeResult>;
}
