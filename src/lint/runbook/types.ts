/** Public data shapes of `failover lint runbook` and `failover lint config` (plain data, JSON as is). */

export type Severity = 'error' | 'warning';

/** Stable identifiers of the checks; tests and scripts match on these, never on the message text. */
export type LintRule =
  /** Schema, step kinds, `with:` inputs, expressions: what `failover validate` checks. */
  | 'schema'
  /** A mutating step without a rollback, before a step that rolls back on failure. */
  | 'rollback-gap'
  /** lock.acquire without lock.release in `finally`. */
  | 'lock-not-released'
  /** Traffic moves to AWS before an `argocd.wait` has seen the AWS workloads running. */
  | 'shift-before-wait'
  /** A to-aws runbook needs a Google Cloud API to succeed before traffic moves. */
  | 'gcp-dependency'
  /** A step resumes one overlay's CronJobs while the other overlay's may still run. */
  | 'cronjobs-on-both'
  /** A step whose `when` is always false. */
  | 'unreachable'
  /** A declared parameter no expression uses. */
  | 'unused-param'
  // Config rules
  | 'route53-missing'
  | 'route53-mode-section'
  | 'route53-roles'
  | 'health-check-role'
  | 'probes-empty'
  | 'env-unset'
  | 'section-missing'
  | 'anthos-gcp-dependency'
  | 'overlays'
  | 'standby-entries';

export interface LintFinding {
  rule: LintRule;
  severity: Severity;
  file: string;
  line?: number;
  column?: number;
  /** Field path, e.g. `steps[3].with.to`. */
  path?: string;
  message: string;
  fix?: string;
}

/** A file that could not be checked at all (unreadable, not YAML). */
export interface LintProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface LintedFile {
  file: string;
  /** The runbook's `name`, when it has one. */
  name?: string;
  /** False when the file could not be read or parsed: nothing in it was checked. */
  checked: boolean;
}

export interface LintReport {
  files: LintedFile[];
  findings: LintFinding[];
  problems: LintProblem[];
}
