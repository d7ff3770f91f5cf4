/**
 * Deliberate from accidental: a workload that runs in standby because the standby patches exclude
 * it on purpose is "always on", not an error. On purpose means one of
 * - a negative term in the label selector of a standby patch's target that excludes it
 *   (`team.example/standby!=exempt`, `tier notin (edge)`, `!keep-running`), or
 * - the annotation `failover.example.com/standby: always-on` on the workload.
 * A workload no standby entry reaches, without either, stays an error.
 */
import type { KubeObject } from '../../providers/kustomize/index.js';
import { ALWAYS_ON_ANNOTATION, markedAlwaysOn } from '../../providers/kustomize/index.js';
import type { PatchOperation } from './patches.js';
import type { StandbyFinding } from './types.js';
import { describeRef, objectKey } from './workloads.js';

/** Rules that say "this runs in standby": the ones a deliberate exemption turns into info. */
const RUNNING_RULES = new Set<StandbyFinding['rule']>([
  'deployment-running',
  'cronjob-active',
  'uncovered-kind',
  'daemonset',
  'custom-replicas',
]);

/** The terms of a label selector, split at commas outside parentheses. */
export function selectorTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

/**
 * Whether `term` is negative (`!=`, `notin`, `!key`) and excludes an object with `labels`;
 * undefined when the term is not negative.
 */
export function excludedByNegativeTerm(term: string, labels: Record<string, unknown>): boolean | undefined {
  const notEqual = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(term);
  if (notEqual) return String(labels[notEqual[1]!] ?? '\0') === notEqual[2];
  const notIn = /^(\S+)\s+notin\s*\(([^)]*)\)$/.exec(term);
  if (notIn) {
    const values = notIn[2]!.split(',').map((v) => v.trim());
    const value = labels[notIn[1]!];
    return value !== undefined && values.includes(String(value));
  }
  const absent = /^!\s*(\S+)$/.exec(term);
  if (absent) return Object.hasOwn(labels, absent[1]!);
  return undefined;
}

function kindMatches(targetKind: string | undefined, kind: string): boolean {
  if (!targetKind) return true;
  try {
    return new RegExp(`^(?:${targetKind})$`).test(kind);
  } catch {
    return targetKind === kind;
  }
}

/** Why the workload runs in standby on purpose, or undefined when nothing says so. */
export function deliberateReason(
  object: KubeObject,
  operations: readonly PatchOperation[],
  display: (file: string) => string = (f) => f,
): string | undefined {
  if (markedAlwaysOn(object)) return `annotation ${ALWAYS_ON_ANNOTATION}: always-on`;
  const labels = (object.metadata.labels ?? {}) as Record<string, unknown>;
  for (const operation of operations) {
    const { target } = operation;
    if (!target.labelSelector || !kindMatches(target.kind, object.kind)) continue;
    for (const term of selectorTerms(target.labelSelector)) {
      if (excludedByNegativeTerm(term, labels) === true)
        return `excluded by the selector term "${term}" of the standby patch in ${display(operation.file)}`;
    }
  }
  return undefined;
}

export interface AlwaysOn {
  object: { kind: string; name: string; namespace?: string };
  reason: string;
}

/**
 * Turns the "runs in standby" findings of deliberately exempted workloads into `always-on` info
 * findings, and returns the list of always-on workloads for the report.
 */
export function classifyDeliberate(
  findings: StandbyFinding[],
  standby: readonly KubeObject[],
  operations: readonly PatchOperation[],
  display?: (file: string) => string,
): { findings: StandbyFinding[]; alwaysOn: AlwaysOn[] } {
  const byKey = new Map(standby.map((o) => [objectKey(o), o]));
  const alwaysOn: AlwaysOn[] = [];
  const seen = new Set<string>();
  const out: StandbyFinding[] = [];
  for (const finding of findings) {
    const object = finding.object ? byKey.get(objectKey(finding.object)) : undefined;
    const reason =
      object && RUNNING_RULES.has(finding.rule) ? deliberateReason(object, operations, display) : undefined;
    if (!reason || !finding.object) {
      out.push(
        RUNNING_RULES.has(finding.rule) && finding.severity === 'error' && finding.fix
          ? {
              ...finding,
              fix: `${finding.fix}; if it must run in standby, mark it with the annotation ${ALWAYS_ON_ANNOTATION}: always-on`,
            }
          : finding,
      );
      continue;
    }
    const key = objectKey(finding.object);
    if (seen.has(key)) continue;
    seen.add(key);
    alwaysOn.push({ object: finding.object, reason });
    out.push({
      rule: 'always-on',
      severity: 'info',
      message: `${describeRef(finding.object)} is always on in standby (deliberate: ${reason})`,
      object: finding.object,
    });
  }
  return { findings: out, alwaysOn };
}
