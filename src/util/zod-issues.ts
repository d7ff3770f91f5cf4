/**
 * Zod issues made readable: a union reports the branch that fits best, an unknown key points at
 * the key itself and suggests the closest known one.
 */
import type { z } from './zod.js';

export interface FlatIssue {
  path: PropertyKey[];
  message: string;
  hint?: string;
}

/** What a suggestion needs: the schema (for the known field names) and the input (for the value given). */
export interface IssueContext {
  schema?: z.ZodType;
  input?: unknown;
}

export function flattenIssues(
  issues: readonly z.core.$ZodIssue[],
  base: PropertyKey[] = [],
  context: IssueContext = {},
): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      if (best.length > 0) {
        out.push(...flattenIssues(best, path, context));
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      const known = context.schema ? fieldsAt(context.schema, path) : [];
      for (const key of issue.keys) {
        const suggestion = didYouMean(key, known);
        out.push({
          path: [...path, key],
          message: `unknown field "${key}"`,
          ...(suggestion ? { hint: `did you mean "${suggestion}"?` } : {}),
        });
      }
      continue;
    }
    if (issue.code === 'invalid_value' && 'input' in context) {
      const given = valueAt(context.input, path);
      const options = issue.values.filter((v): v is string => typeof v === 'string');
      const suggestion = typeof given === 'string' ? didYouMean(given, options) : undefined;
      out.push({
        path,
        message: `${JSON.stringify(given)} is not one of ${options.join(', ')}`,
        ...(suggestion ? { hint: `did you mean "${suggestion}"?` } : {}),
      });
      continue;
    }
    out.push({ path, message: issue.message });
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** The field names an object schema at `path` accepts (every branch of a union). */
function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const found = new Set<string>();
  const visit = (node: z.core.$ZodType | undefined, rest: readonly PropertyKey[], depth: number): void => {
    if (!node || depth > 64) return;
    for (const [child, remaining] of childrenOf(node, rest)) visit(child, remaining, depth + 1);
    const def = node._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    if (def.type === 'object' && rest.length === 0)
      for (const key of Object.keys(def.shape as object)) found.add(key);
  };
  visit(schema, path, 0);
  return [...found];
}

/** Where a path continues inside a schema node: wrappers are looked through, containers entered. */
function childrenOf(
  node: z.core.$ZodType,
  rest: readonly PropertyKey[],
): [z.core.$ZodType | undefined, readonly PropertyKey[]][] {
  const def = node._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return [[def.innerType as z.core.$ZodType, rest]];
    case 'pipe':
      return [[def.in as z.core.$ZodType, rest]];
    case 'lazy':
      return [[(def.getter as () => z.core.$ZodType)(), rest]];
    case 'union':
      return (def.options as z.core.$ZodType[]).map((option) => [option, rest]);
    case 'array':
      return [[def.element as z.core.$ZodType, rest.slice(1)]];
    case 'record':
      return [[def.valueType as z.core.$ZodType, rest.slice(1)]];
    case 'object':
      return rest.length === 0
        ? []
        : [[(def.shape as Record<string, z.core.$ZodType>)[String(rest[0])], rest.slice(1)]];
    default:
      return [];
  }
}

/** The closest candidate by edit distance, when it is close enough to be a likely typo. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = levenshtein(input, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
