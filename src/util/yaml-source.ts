/**
 * YAML parsing that keeps positions, so every problem in a runbook or config file can be reported
 * as file:line:column together with its field path.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Problem } from '../engine/errors.js';

export type PathSegment = string | number;

export interface YamlSource {
  file: string;
  value: unknown;
  /** Problems found while parsing (syntax errors). Empty when the YAML is well formed. */
  problems: Problem[];
  /** Position of the node at `path`, or of its closest existing parent. */
  positionOf(path: readonly PathSegment[]): { line: number; column: number } | undefined;
}

/** `steps[2].with.weights` from `['steps', 2, 'with', 'weights']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = [];
  for (const error of doc.errors) {
    // linePos is only filled with prettyErrors; the offset always is.
    const pos = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    problems.push({
      file,
      line: pos?.line,
      column: pos?.col,
      message: `YAML syntax: ${error.message.split('\n')[0]}`,
      hint: 'fix the YAML syntax at this position',
    });
  }
  const value = problems.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;

  function nodeAt(path: readonly PathSegment[]): Node | undefined {
    let node: unknown = doc.contents;
    let found: Node | undefined = doc.contents ?? undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) break;
        // Point at the value if present, else at the key.
        node = pair.value ?? pair.key;
        found = (pair.value as Node | null) ?? (pair.key as Node);
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (!item) break;
        node = item;
        found = item as Node;
      } else {
        break;
      }
    }
    return found;
  }

  return {
    file,
    value,
    problems,
    positionOf(path) {
      const node = nodeAt(path);
      const offset = node?.range?.[0];
      if (offset === undefined) return undefined;
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, column: pos.col };
    },
  };
}

/** Turn zod-style issues into positioned problems. */
export function problemsFromIssues(
  source: YamlSource,
  issues: readonly { path: readonly PropertyKey[]; message: string; hint?: string }[],
): Problem[] {
  return issues.map((issue) => {
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    const pos = source.positionOf(path);
    return {
      file: source.file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath(path) || undefined,
      message: issue.message,
      hint: issue.hint,
    };
  });
}
