/**
 * Which steps of a runbook the whole-run plan may plan at the same time. Planning only reads, so
 * the reads of consecutive steps (the starting snapshot, the health checks, a fence's renders) can
 * overlap instead of adding up. Two things keep a step waiting for the ones before it:
 *
 * - a step that may change something (mutating and not `independent`): every step after it is
 *   planned knowing whether it changes anything (`afterChanges`), so it closes its batch;
 * - a step that reads an earlier step's outputs (`steps.<id>` anywhere in it: input, when,
 *   timeout, onFailure) waits for that step's plan. The test is textual and errs on the side of
 *   waiting: a step that mentions `steps` and an id of its batch starts a new batch.
 *
 * The plan itself stays in runbook order; only the reads overlap.
 */
import type { ParallelGroup, Step } from '../runbook/schema.js';
import { isGroup } from '../runbook/schema.js';
import type { StepRegistry } from '../steps/types.js';

type Entry = Step | ParallelGroup;

function idsOf(entry: Entry): string[] {
  return isGroup(entry) ? [entry.id, ...entry.parallel.map((s) => s.id)] : [entry.id];
}

/** Every string in a step as written (input, when, timeout, onFailure, …). */
function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (typeof value === 'object' && value !== null)
    for (const v of Object.values(value)) stringsOf(v, out);
  return out;
}

/** The expressions of a text: what is between `${{` and `}}`. */
function expressionsOf(text: string): string[] {
  return [...text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1] ?? '');
}

/**
 * Whether the entry reads the outputs of one of `ids`: an expression naming `steps.<id>` or
 * `steps['<id>']`, or using `steps` in any other way (a computed name), which counts as reading all.
 */
function readsOutputsOf(entry: Entry, ids: ReadonlySet<string>): boolean {
  if (ids.size === 0) return false;
  for (const expression of stringsOf(entry).flatMap(expressionsOf)) {
    const uses = expression.match(/\bsteps\b/g)?.length ?? 0;
    if (uses === 0) continue;
    const named = [...expression.matchAll(/\bsteps\s*(?:\.\s*([\w-]+)|\[\s*(['"])([^'"]+)\2\s*\])/g)];
    if (named.length < uses) return true;
    if (named.some((m) => ids.has(m[1] ?? m[3] ?? ''))) return true;
  }
  return false;
}

function mayChange(entry: Entry, registry: StepRegistry): boolean {
  const members = isGroup(entry) ? entry.parallel : [entry];
  return members.some((step) => {
    const kind = registry.get(step.uses);
    return !kind || (kind.mutating && !kind.independent);
  });
}

export function planBatches(entries: readonly Entry[], registry: StepRegistry): Entry[][] {
  const batches: Entry[][] = [];
  let batch: Entry[] = [];
  let ids = new Set<string>();
  for (const entry of entries) {
    if (batch.length > 0 && readsOutputsOf(entry, ids)) {
      batches.push(batch);
      batch = [];
      ids = new Set();
    }
    batch.push(entry);
    for (const id of idsOf(entry)) ids.add(id);
    if (mayChange(entry, registry)) {
      batches.push(batch);
      batch = [];
      ids = new Set();
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
