/**
 * The registry of step kinds: one explicit map. A test checks that every module under src/steps
 * is registered and every registered kind has its module.
 */
import { argocdWaitStep } from './argocd/wait.js';
import { approveStep } from './builtin/approve.js';
import { echoStep, noteStep } from './builtin/echo.js';
import { waitStep } from './builtin/wait.js';
import { anthosAwsClusterCheck } from './check/anthos.js';
import { eksClusterCheck, gkeClusterCheck } from './check/cluster.js';
import { httpCheck } from './check/http.js';
import { metricCheck } from './check/metric.js';
import { portabilityCheck } from './check/portability.js';
import { standbyCheck } from './check/standby.js';
import { argocdAppsCheck, lockCheck, overlayCheck, route53PolicyCheck } from './check/state.js';
import { setStandbyStep } from './gitops/set-standby.js';
import { lockAcquireStep } from './lock/acquire.js';
import { lockReleaseStep } from './lock/release.js';
import { route53HealthCheck } from './route53/health.js';
import { setWeightsStep } from './route53/set-weights.js';
import { snapshotStep } from './status/snapshot.js';
import type { StepKind, StepRegistry } from './types.js';
import { verifyDnsStep } from './verify/dns.js';

const KINDS: StepKind<never>[] = [
  waitStep,
  approveStep,
  echoStep,
  noteStep,
  snapshotStep,
  eksClusterCheck,
  gkeClusterCheck,
  anthosAwsClusterCheck,
  httpCheck,
  setWeightsStep,
  route53HealthCheck,
  overlayCheck,
  portabilityCheck,
  standbyCheck,
  argocdAppsCheck,
  route53PolicyCheck,
  lockCheck,
  argocdWaitStep,
  setStandbyStep,
  lockAcquireStep,
  lockReleaseStep,
  metricCheck,
  verifyDnsStep,
] as StepKind<never>[];

export function createRegistry(extra: StepKind<never>[] = []): StepRegistry {
  const registry = new Map<string, StepKind<unknown>>();
  for (const kind of [...KINDS, ...extra]) {
    if (registry.has(kind.kind)) throw new Error(`step kind registered twice: ${kind.kind}`);
    registry.set(kind.kind, kind as StepKind<unknown>);
  }
  return registry;
}
