/**
 * The switches every emulator has: latency, propagation delay, an outage, and injected faults.
 * They can be flipped in-process (tests) or over the sandbox control API (`failover sandbox outage …`).
 */
import { RequestLog } from './request-log.js';

export const FAULT_KINDS = [
  /** Answer as the service does when rate-limited (Route 53: 400 Throttling; EKS: 429). */
  'throttle',
  /** Answer 500/503 as a transient server error. */
  'server-error',
  /** Route 53: 400 PriorRequestNotComplete. */
  'prior-request-not-complete',
  /** Route 53: the next updated traffic policy instance ends in state Failed. */
  'policy-instance-failed',
  /** apps: rollouts that start never finish: the last new pod never gets ready (Progressing). */
  'rollout-stuck',
  /** apps: the new pods of rollouts that start crash-loop (CrashLoopBackOff, never ready). */
  'crash-loop',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The emulated services, as the control API and `failover sandbox fault` name them. */
export const SERVICES = ['route53', 'eks', 'gke', 'argocd', 'apps', 'datadog', 'prometheus'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The faults each emulator really applies; others are refused rather than silently ignored. */
export const SUPPORTED_FAULTS: Record<ServiceName, readonly FaultKind[]> = {
  route53: ['throttle', 'server-error', 'prior-request-not-complete', 'policy-instance-failed'],
  eks: ['throttle', 'server-error'],
  gke: ['throttle', 'server-error'],
  argocd: ['server-error'],
  apps: ['throttle', 'server-error', 'rollout-stuck', 'crash-loop'],
  datadog: ['throttle', 'server-error'],
  prometheus: ['throttle', 'server-error'],
};

export interface FaultRule {
  kind: FaultKind;
  /** Operation name (e.g. UpdateTrafficPolicyInstance) or '*' for all. */
  operation: string;
  /** How many requests it hits; Infinity for all until cleared. */
  remaining: number;
}

export interface Knobs {
  /** Added before every answer, in ms. */
  latencyMs: number;
  /** How long a change takes to propagate (PENDING → INSYNC, Creating → Applied, rollouts), in ms. */
  propagationDelayMs: number;
  /** While true, the service answers every request with 503 (or UNAVAILABLE for gRPC). */
  outage: boolean;
}

export class EmulatorControl {
  readonly log = new RequestLog();
  readonly knobs: Knobs;
  private faults: FaultRule[] = [];
  /** How many times the faults were cleared: lasting effects (a crash-looping rollout) end at a clear. */
  private clears = 0;

  constructor(
    readonly service: string,
    knobs: Partial<Knobs> = {},
  ) {
    this.knobs = { latencyMs: 0, propagationDelayMs: 0, outage: false, ...knobs };
  }

  injectFault(kind: FaultKind, options: { operation?: string; count?: number } = {}): void {
    this.faults.push({
      kind,
      operation: options.operation ?? '*',
      remaining: options.count ?? Number.POSITIVE_INFINITY,
    });
  }

  clearFaults(): void {
    this.faults = [];
    this.clears += 1;
  }

  /** A check that stays true until the faults are next cleared: for faults whose effect lasts. */
  untilCleared(): () => boolean {
    const at = this.clears;
    return () => this.clears === at;
  }

  listFaults(): readonly FaultRule[] {
    return this.faults;
  }

  /** Consumes and returns the first fault that applies to this operation (or one of these names), if any. */
  takeFault(operation: string | readonly string[], kinds?: readonly FaultKind[]): FaultKind | undefined {
    const names = typeof operation === 'string' ? [operation] : operation;
    const rule = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.operation === '*' || names.includes(f.operation)) &&
        (!kinds || kinds.includes(f.kind)),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.faults = this.faults.filter((f) => f !== rule);
    return rule.kind;
  }

  async delay(): Promise<void> {
    if (this.knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, this.knobs.latencyMs));
  }
}
