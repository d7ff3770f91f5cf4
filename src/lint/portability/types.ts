/** Public data shapes of `failover lint portability` (plain data: the JSON output is the report). */
import type { Cloud } from './catalogue.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** One operation of a JSON patch (RFC 6902), as kustomize's `patches` take them. */
export interface JsonPatchOp {
  op: 'remove' | 'replace';
  path: string;
  value?: unknown;
}

/** How to fix a finding in the overlay: delete the object, or patch the field. */
export type FixPatch = { type: 'delete' } | { type: 'json6902'; ops: JsonPatchOp[] };

export interface PortabilityFinding {
  /** The catalogue entry's id. */
  rule: string;
  severity: 'error' | 'warning';
  /** The cloud the overlay is checked for. */
  target: Cloud;
  overlay: string;
  object: ObjectRef;
  /** Field path in the rendered object, e.g. `spec.template.spec.nodeSelector["cloud.google.com/gke-nodepool"]`. */
  field: string;
  /** The offending value (a kind, a label key, a metric name…). */
  value: string;
  message: string;
  /** The manifest the object comes from, when it can be traced. */
  source?: { file: string; line: number };
  fix: { description: string; patch: FixPatch };
  docs: string;
}

export interface CheckedOverlay {
  overlay: string;
  target: Cloud;
  /** False when the overlay could not be rendered: nothing in it was checked. */
  rendered: boolean;
  objects: number;
}

export interface PortabilityProblem {
  overlay: string;
  message: string;
}

/** The live check of an overlay: its kinds against what Argo CD says the clusters serve. */
export interface LiveCheckNote {
  overlay: string;
  target: Cloud;
  /** Destination clusters whose served kinds were compared. */
  clusters: string[];
  /** Why the live check said nothing (or nothing about some cluster): a warning, not a failure. */
  skipped?: string;
}

export interface PortabilityReport {
  overlays: CheckedOverlay[];
  findings: PortabilityFinding[];
  problems: PortabilityProblem[];
  /** Present when Argo CD is configured and the overlays are the config's. */
  live?: LiveCheckNote[];
}
