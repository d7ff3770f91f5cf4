/**
 * Saved plans: the whole plan of a run written to a file (`--plan-out`), reviewed, approved and
 * applied later (`failover apply`) exactly as planned. The file holds the runbook and its
 * parameters, every step's plan (policy document diff, kustomization diff, commit message) and
 * the facts the plan was read from (branch head, overlay trees, policy versions and documents, app
 * revisions). It carries the sha256 of its own canonical JSON: a byte changed, a line lost, and
 * the hash no longer matches.
 */
import { createHash } from 'node:crypto';
import { MAX_JOURNAL_BYTES, readInputFile } from '../util/input-file.js';
import { z } from '../util/zod.js';
import { type FailoverError, invalidInput, stepFailed } from './errors.js';
import type { Json } from './events.js';
import type { Change, PlannedStep, RunPlan } from './plan.js';

export const SAVED_PLAN_FORMAT = 'failover-plan/1';

/** One thing the plan was based on, as read at plan time: `value` is compared at apply time. */
export interface PlanFact {
  /** Stable key, e.g. `git.head`, `route53.instance.tpi-1`, `argocd.app.admin-aws`. */
  id: string;
  /** What it is, for people: `branch main of git@…`. */
  what: string;
  /** The value or digest, one line: a commit, `tree <sha>`, `version 3, sha256:…`. */
  value: string;
  /** Could not be read (a side that is down): not compared, said as such. */
  unreadable?: boolean;
}

/** Who made the plan, applied it and approved it: in the journal, the commit trailers and the report. */
export interface PlanAudit {
  /** `sha256:<hex>` of the plan file's canonical content. */
  hash: string;
  plannedBy: string;
  plannedAt: string;
  /** Operators whose approval of this hash was found before the apply. */
  approvedBy: string[];
}

export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  createdAt: string;
  /** The run id reserved for the apply: the commit trailers and Route 53 comments name it already. */
  runId: string;
  /** The command that made it: `to-aws`, `to-gcp`, `run FILE`. */
  command: string;
  runbook: { name: string; file: string; sha256: string };
  params: Record<string, Json>;
  operator: string;
  incident?: string;
  reason?: string;
  host: string;
  config: { file: string };
  plan: RunPlan;
  facts: PlanFact[];
  /** `sha256:<hex>` of the canonical JSON of everything else. */
  hash: string;
}

/** JSON with object keys sorted at every level and no whitespace: the same data, the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256(text: string | Buffer): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** The hash of a plan: over everything but the `hash` field itself. */
export function planHash(plan: Omit<SavedPlan, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...content } = plan;
  return sha256(canonicalJson(content));
}

export function sealPlan(plan: Omit<SavedPlan, 'hash'>): SavedPlan {
  return { ...plan, hash: planHash(plan) };
}

/** The first 12 hex digits of a plan hash, for messages. */
export function shortHash(hash: string): string {
  return hash.replace(/^sha256:/, '').slice(0, 12);
}

const Fact = z.object({
  id: z.string().min(1),
  what: z.string(),
  value: z.string(),
  unreadable: z.boolean().optional(),
});

const StepShape = z
  .object({ id: z.string().min(1), kind: z.string().min(1), mutating: z.boolean() })
  .passthrough();

const SavedPlanShape = z.object({
  format: z.literal(SAVED_PLAN_FORMAT),
  createdAt: z.string(),
  runId: z.string().regex(/^[0-9]{8}T[0-9]{6}Z-[a-z0-9]{4}$/),
  command: z.string(),
  runbook: z.object({ name: z.string(), file: z.string().min(1), sha256: z.string() }),
  params: z.record(z.string(), z.unknown()),
  operator: z.string().min(1),
  incident: z.string().optional(),
  reason: z.string().optional(),
  host: z.string(),
  config: z.object({ file: z.string() }),
  plan: z
    .object({
      runId: z.string(),
      runbook: z.object({ name: z.string(), file: z.string() }),
      params: z.record(z.string(), z.unknown()),
      steps: z.array(StepShape),
      finally: z.array(StepShape),
    })
    .passthrough(),
  facts: z.array(Fact),
  hash: z.string(),
});

const REMAKE =
  'make a new plan with `failover to-aws|to-gcp|run FILE --plan-out FILE` and have it reviewed again';

/**
 * Reads and checks a plan file: readable, complete JSON, the expected format, its hash matching
 * its content, every field in place. Each failure is invalid input (exit 2) saying which check
 * failed and what to do.
 */
export function readSavedPlan(file: string): SavedPlan {
  const text = readInputFile(file, { what: 'plan file', code: 'FO_PLAN_E2401', maxBytes: MAX_JOURNAL_BYTES });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const truncated = text.trim() === '' || !text.trimEnd().endsWith('}');
    throw invalidInput(
      'FO_PLAN_E2402',
      `the plan file ${file} is not complete JSON${truncated ? ' (it ends early: truncated)' : ''}: ${(error as Error).message}`,
      { hint: `the file was cut short or damaged in transit; copy it again from its source, or ${REMAKE}` },
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw invalidInput('FO_PLAN_E2403', `the plan file ${file} holds no plan (a JSON object is expected)`, {
      hint: `pass a file written by --plan-out; or ${REMAKE}`,
    });
  const record = value as Record<string, unknown>;
  if (record.format !== SAVED_PLAN_FORMAT)
    throw invalidInput(
      'FO_PLAN_E2403',
      `the plan file ${file} is not a failover plan of format ${SAVED_PLAN_FORMAT} (format: ${JSON.stringify(record.format ?? null)})`,
      { hint: `pass a file written by --plan-out of this version of failover; or ${REMAKE}` },
    );
  if (typeof record.hash !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(record.hash))
    throw invalidInput('FO_PLAN_E2404', `the plan file ${file} has no valid "hash" field`, {
      hint: `the file was edited or damaged; ${REMAKE}`,
    });
  const actual = planHash(record as unknown as SavedPlan);
  if (actual !== record.hash)
    throw invalidInput(
      'FO_PLAN_E2405',
      `the plan file ${file} was modified after it was written: its content hashes to ${shortHash(actual)}…, the file says ${shortHash(record.hash)}… (tampered or damaged)`,
      { hint: `never edit a plan file; ${REMAKE}` },
    );
  const parsed = SavedPlanShape.safeParse(value);
  if (!parsed.success)
    throw invalidInput('FO_PLAN_E2406', `the plan file ${file} is incomplete`, {
      problems: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      hint: REMAKE,
    });
  return value as SavedPlan;
}

// ── drift ───────────────────────────────────────────────────────────────────────────────────

export interface FactDrift {
  id: string;
  what: string;
  planned: string;
  now: string;
}

export interface FactComparison {
  drifted: FactDrift[];
  /** Facts that could not be read then or now: not compared, said as a warning. */
  unverified: string[];
}

export function compareFacts(planned: readonly PlanFact[], now: readonly PlanFact[]): FactComparison {
  const current = new Map(now.map((f) => [f.id, f]));
  const drifted: FactDrift[] = [];
  const unverified: string[] = [];
  // A part that could not be read (`argocd.gcp`) covers the facts below it (`argocd.gcp.admin-gke`).
  const coveredBy = (facts: readonly PlanFact[], id: string) =>
    facts.find((f) => f.unreadable && id.startsWith(`${f.id}.`));
  for (const fact of planned) {
    const fresh = current.get(fact.id);
    if (!fresh) {
      const cover = coveredBy(now, fact.id);
      if (cover) unverified.push(`${fact.what}: ${cover.value}`);
      else drifted.push({ id: fact.id, what: fact.what, planned: fact.value, now: 'gone' });
      continue;
    }
    if (fact.unreadable || fresh.unreadable) {
      if (fact.unreadable !== fresh.unreadable || fact.value !== fresh.value)
        unverified.push(`${fact.what}: ${fact.unreadable ? fact.value : fresh.value}`);
      continue;
    }
    if (fresh.value !== fact.value)
      drifted.push({ id: fact.id, what: fact.what, planned: fact.value, now: fresh.value });
  }
  const known = new Set(planned.map((f) => f.id));
  for (const fact of now) {
    if (known.has(fact.id) || fact.unreadable) continue;
    const cover = coveredBy(planned, fact.id);
    if (cover) unverified.push(`${fact.what}: ${cover.value} when planned`);
    else drifted.push({ id: fact.id, what: fact.what, planned: 'absent', now: fact.value });
  }
  return { drifted, unverified };
}

export function driftError(file: string, drifted: readonly FactDrift[]): FailoverError {
  return stepFailed(
    'FO_PLAN_E2410',
    `refused: drift since the plan ${file} was made: ${drifted.length} fact(s) changed; nothing was changed`,
    {
      problems: drifted.map((d) => ({ path: d.what, message: `drift: ${d.planned} → ${d.now}` })),
      hint: `the plan no longer describes the world: ${REMAKE}`,
      details: { drifted },
    },
  );
}

// ── apply exactly as planned ────────────────────────────────────────────────────────────────

/**
 * Trailer lines are audit data (who applies, who approved), added at apply time; everything else
 * of a change must be what the plan said.
 */
function comparable(change: Change): Change {
  const diff = change.diff?.replace(/^Failover-[A-Za-z-]+: .*$\n?/gm, '');
  return {
    action: change.action,
    resource: change.resource,
    summary: change.summary,
    ...(diff !== undefined ? { diff } : {}),
  };
}

/** What the plan said of a step: concrete changes, or "decided when it runs". */
function plannedChanges(step: PlannedStep): Change[] | 'open' | 'none' {
  if (step.skipped || !step.plan) return 'none';
  if (step.plan.deferred?.length) return 'open';
  if (step.plan.converged) return 'none';
  return step.plan.changes.length === 0 ? 'open' : step.plan.changes;
}

/**
 * Checks a step's fresh plan, just before it changes anything, against the saved plan: the same
 * changes (trailers aside), or the step stops. `exempt` kinds (the run lock) are the machinery of
 * every run, not planned changes.
 */
export function stepGuard(saved: SavedPlan, exempt: (kind: string) => boolean) {
  const steps = new Map(saved.plan.steps.map((s) => [s.id, s]));
  return (stepId: string, kind: string, fresh: { changes: Change[] }): FailoverError | undefined => {
    if (exempt(kind)) return undefined;
    const step = steps.get(stepId);
    const planned = step ? plannedChanges(step) : 'none';
    if (planned === 'open') return undefined;
    const want = planned === 'none' ? [] : planned.map(comparable);
    const got = fresh.changes.map(comparable);
    if (canonicalJson(want) === canonicalJson(got)) return undefined;
    const describe = (changes: Change[]) =>
      changes.length ? changes.map((c) => `${c.action} ${c.resource}: ${c.summary}`).join('; ') : 'no change';
    return stepFailed(
      'FO_PLAN_E2411',
      `drift: step "${stepId}" would now make a change the saved plan does not hold (planned: ${describe(want)}; now: ${describe(got)}); it changed nothing`,
      { hint: `the world moved while the plan was applied: ${REMAKE}` },
    );
  };
}

export type StepGuard = ReturnType<typeof stepGuard>;

/** Shown before the apply and the approval: what the plan does, in a few lines. */
export function planHeadline(saved: SavedPlan): string[] {
  const changing = saved.plan.steps.filter((s) => s.mutating && !s.skipped && s.plan && !s.plan.converged);
  return [
    `plan ${saved.hash} (${saved.command}, runbook ${saved.runbook.name})`,
    `made by ${saved.operator} on ${saved.host} at ${saved.createdAt}; run id ${saved.runId}`,
    ...(saved.incident ? [`incident: ${saved.incident}`] : []),
    ...(saved.reason ? [`reason: ${saved.reason}`] : []),
    `${changing.length} step(s) change something: ${changing.map((s) => s.id).join(', ') || 'none'}`,
    `based on ${saved.facts.length} fact(s) checked again before it is applied`,
  ];
}
