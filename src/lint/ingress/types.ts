/**
 * Public data shapes of the Ingress rule-order lint (`failover lint ingress`).
 * Everything here is plain data so the JSON output is simply the report object.
 */

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/**
 * How the AWS Load Balancer Controller orders the listener rules of one Ingress rule (host):
 * - `manifest`: in the order written (ALB ingress controller v1, aws-load-balancer-controller < v2.4.3);
 * - `sorted`: Exact paths first, then Prefix paths longest first, then ImplementationSpecific paths in
 *   the order written (aws-load-balancer-controller >= v2.4.3).
 */
export type AlbOrdering = 'manifest' | 'sorted';

export const ALL_ALB_ORDERINGS: readonly AlbOrdering[] = ['manifest', 'sorted'];

export interface IngressInput {
  /** File name to report; `<stdin>` when the caller read standard input. */
  file: string;
  text: string;
}

/** Bad input: the file (or one document of it) could not be checked at all. */
export interface InputProblem {
  file: string;
  line?: number;
  message: string;
}

export interface RuleRef {
  file: string;
  line: number;
  /** The path as written (`''` when the entry has no path). */
  path: string;
  pathType?: PathType;
  /** `service:port` the path sends traffic to. */
  backend?: string;
}

export type FindingKind = 'divergence' | 'shadowed' | 'duplicate' | 'invalid-shape';

export interface Finding {
  kind: FindingKind;
  severity: 'error' | 'warning';
  file: string;
  line: number;
  /** Request host the finding is about; `*` stands for "any host no rule names". */
  host: string;
  message: string;
  /** Example request (host + path) that routes differently. */
  example?: string;
  /** What each cloud picks for `example`. */
  backends?: { gcp: string; aws: string };
  /** Which rule made each cloud pick it, e.g. `/hoge/* (line 14), most specific match`. */
  via?: { gcp: string; aws: string };
  rules: RuleRef[];
  /** How to fix it; says whether `--fix` does it. */
  fix?: string;
  /** `namespace/name` of the Ingress. */
  ingress?: string;
  /** The ALB orderings under which the finding holds (see AlbOrdering). */
  albOrderings?: AlbOrdering[];
}

export interface IngressLintReport {
  findings: Finding[];
  problems: InputProblem[];
  /** Files that could be parsed (at least one document examined). */
  checkedFiles: number;
  /** Ingress objects analysed. */
  ingresses: number;
}

export interface IngressLintOptions {
  /** Which ALB rule orderings to check against; both by default (the cluster's controller version is unknown). */
  albOrderings?: readonly AlbOrdering[];
}
