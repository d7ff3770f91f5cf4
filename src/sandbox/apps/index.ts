/**
 * The applications themselves, as seen from outside: one HTTP endpoint per cloud (the GKE ingress
 * and the AWS ALB) and a "public name" that spreads requests over them by the current Route 53
 * weights, the way resolvers would. Probes hit these, so a check of the AWS endpoint fails while
 * AWS is in standby, and a check through the public name proves where traffic really goes.
 *
 * Faults (`failover sandbox fault apps KIND [--operation NAME]`):
 * - throttle / server-error: the endpoint answers 429 / 503 (`--operation gcp|aws|public`);
 * - rollout-stuck / crash-loop: the pods of rollouts that start afterwards never finish or
 *   crash-loop (`--operation` an Argo CD app or a workload name), until `--clear`; the Argo CD
 *   emulator applies them through `rolloutFault`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../providers/kustomize/types.js';
import type { RolloutFault } from '../argocd/live.js';
import { EmulatorControl } from '../common/control.js';
import { type RunningServer, startHttpServer } from '../common/http-server.js';

export type Cloud = 'gcp' | 'aws';

export interface AppEndpointsOptions {
  /** Whether the workloads on that cloud answer (cluster up and pods ready). */
  serving(cloud: Cloud): boolean;
  /** Current weights (0–255) by cloud, from the Route 53 emulator. */
  weights(): { gcp: number; aws: number };
}

export interface AppEndpoints {
  urls: { gcp: string; aws: string; public: string };
  control: EmulatorControl;
  close(): Promise<void>;
}

const NAMES: Record<Cloud, string> = { gcp: 'gke', aws: 'aws' };

/**
 * The pod fault a rollout starting now in `app` gets, if one is injected for the app, the workload
 * (`name` or `Kind/name`) or all: it lasts until the faults are cleared. Each rollout hit takes
 * one of `--count`.
 */
export function rolloutFault(
  control: EmulatorControl,
  app: string,
  object: KubeObject,
): RolloutFault | undefined {
  const kind = control.takeFault(
    [app, object.metadata.name, `${object.kind}/${object.metadata.name}`],
    ['rollout-stuck', 'crash-loop'],
  );
  if (kind !== 'rollout-stuck' && kind !== 'crash-loop') return undefined;
  return { kind, active: control.untilCleared() };
}

export async function startAppEndpoints(
  options: AppEndpointsOptions & { control?: EmulatorControl },
): Promise<AppEndpoints> {
  const control = options.control ?? new EmulatorControl('apps');
  const answer = (cloud: Cloud, req: IncomingMessage, res: ServerResponse, via: string) => {
    const fault = control.takeFault(via, ['throttle', 'server-error']);
    if (fault) {
      const status = fault === 'throttle' ? 429 : 503;
      control.log.record({
        service: 'apps',
        operation: `${via} ${req.method} ${req.url}`,
        mutating: false,
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain', 'x-served-by': NAMES[cloud] });
      res.end(fault === 'throttle' ? 'too many requests (injected)\n' : 'server error (injected)\n');
      return;
    }
    const ok = options.serving(cloud);
    control.log.record({
      service: 'apps',
      operation: `${via} ${req.method} ${req.url}`,
      mutating: false,
      status: ok ? 200 : 503,
    });
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain', 'x-served-by': NAMES[cloud] });
    res.end(
      ok ? `ok: admin served by ${NAMES[cloud]}\n` : `unavailable: ${NAMES[cloud]} has no ready backend\n`,
    );
  };
  const servers: RunningServer[] = [];
  for (const cloud of ['gcp', 'aws'] as const) {
    servers.push(await startHttpServer((req, res) => answer(cloud, req, res, cloud)));
  }
  // Smooth weighted round robin: deterministic, and proportional to the weights over any window.
  const current = { gcp: 0, aws: 0 };
  const pick = (): Cloud => {
    const w = options.weights();
    // Route 53 answers evenly when every weight is 0.
    const weights = w.gcp + w.aws === 0 ? { gcp: 1, aws: 1 } : w;
    const total = weights.gcp + weights.aws;
    current.gcp += weights.gcp;
    current.aws += weights.aws;
    const chosen: Cloud = current.gcp >= current.aws ? 'gcp' : 'aws';
    current[chosen] -= total;
    return chosen;
  };
  servers.push(await startHttpServer((req, res) => answer(pick(), req, res, 'public')));
  return {
    urls: { gcp: servers[0]!.url, aws: servers[1]!.url, public: servers[2]!.url },
    control,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
