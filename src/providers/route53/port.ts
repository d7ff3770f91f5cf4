/** Port of the Route 53 adapter (Traffic Flow or weighted record sets, and health checks). */
import type { Json } from '../../engine/events.js';
import type { Role } from '../types.js';
import type { PolicyFact } from './facts.js';

export type Weights = Record<Role, number>;

/** One thing that carries weights: a traffic policy instance, or a pair of weighted record sets. */
export interface WeightTarget {
  kind: 'traffic-policy-instance' | 'record-sets';
  /** Instance id, or `ZONEID/name/type`. */
  id: string;
  /** DNS name. */
  name: string;
  /** Applied | Creating | Updating | Deleting | Failed for instances; INSYNC for record sets. */
  state: string;
  /** Raw weights 0–255 by role. */
  weights: Weights;
  /** Facts for status and reports: policy id and version, TTL, hosted zone. */
  detail: Record<string, Json>;
}

export interface WeightChange {
  target: WeightTarget;
  to: Weights;
  /** Unified diff of the policy document (traffic flow) or of the records (record sets). */
  diff: string;
  converged: boolean;
}

/** Computed by reads only; executed by Route53Writer.applyWeights. Serialisable. */
export interface WeightsPlan {
  mode: 'traffic-flow' | 'record-sets';
  changes: WeightChange[];
  converged: boolean;
  /** Opaque data the writer needs (new documents, TTLs, record sets). */
  data: Json;
  /**
   * What restoreWeights needs to bring back the state this plan was read from (the same shape as
   * AppliedWeights.undo). Known before anything changes, so a caller can return to it even when
   * applyWeights fails halfway (e.g. a staged shift going back to its last good stage).
   */
  restore: Json;
}

export interface HealthCheckState {
  role: string;
  id: string;
  healthy: boolean;
  /** e.g. `3/3 checkers report Success`. */
  summary: string;
}

/** The name that carries the weights, who answers for it, and what each side answers with. */
export interface DnsTarget {
  /** e.g. `admin.example.com.` */
  name: string;
  /** A, AAAA or CNAME. */
  type: string;
  /** Bare id, `Z…`. */
  hostedZoneId: string;
  /** The hosted zone's own name servers (GetHostedZone's DelegationSet). */
  nameServers: string[];
  /** Each role's endpoint values: addresses, or DNS names (load balancers, CNAME targets). */
  sides: Record<Role, string[]>;
}

export interface Route53Reader {
  describeWeights(signal?: AbortSignal): Promise<WeightTarget[]>;
  /** Validates the whole new document(s) before anything is created; throws with the resource and the fix. */
  planWeights(to: Weights, signal?: AbortSignal): Promise<WeightsPlan>;
  healthChecks(signal?: AbortSignal): Promise<HealthCheckState[]>;
  dnsTarget(signal?: AbortSignal): Promise<DnsTarget>;
  /** The policies behind these targets: latest version, document digests (facts of a saved plan). */
  policyFacts?(targets: readonly WeightTarget[], signal?: AbortSignal): Promise<PolicyFact[]>;
}

export interface AppliedWeights {
  /** What restoreWeights needs to go back (previous policy version per instance, previous records). */
  undo: Json;
  /** e.g. new policy version per instance. */
  summary: Record<string, Json>;
}

export interface Route53Writer {
  /** Creates versions / upserts records, updates instances, waits until Applied / INSYNC. */
  applyWeights(
    plan: WeightsPlan,
    options: { comment: string; signal?: AbortSignal; onProgress?(message: string): void },
  ): Promise<AppliedWeights>;
  restoreWeights(
    undo: Json,
    options: { comment: string; signal?: AbortSignal; onProgress?(message: string): void },
  ): Promise<void>;
}
