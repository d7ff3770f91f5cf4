/**
 * YAML parsing that keeps positions, so every problem in a runbook or config file can be reported
 * as file:line:column together with its field path.
 */
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
} from 'yaml';
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

/** Deepest nesting accepted: real configs and runbooks stay under 15 levels. */
export const MAX_NESTING = 64;
/** Most aliases (`*name`) a file may expand: enough for sharing, not for an alias bomb. */
export const MAX_ALIASES = 100;

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const problems: Problem[] = [];
  const at = (offset: number, message: string, hint: string) => {
    const pos = lineCounter.linePos(offset);
    problems.push({ file, line: pos.line, column: pos.col, message, hint });
  };
  // The YAML parser recurses per level: refuse deep nesting before it runs out of stack (or memory).
  const deep = tooDeep(text);
  if (deep !== undefined) {
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    at(
      deep,
      `nested more than ${MAX_NESTING} levels deep`,
      'flatten the structure; no field of failover nests this deep',
    );
    return emptySource(file, problems);
  }
  // uniqueKeys is checked below in linear time: the parser's own check is quadratic in the keys of a map.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
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
  if (problems.length === 0) {
    visit(doc, {
      Map(_key, map) {
        const seen = new Set<string>();
        for (const pair of map.items) {
          if (!isScalar(pair.key)) continue;
          const key = String(pair.key.value);
          if (seen.has(key))
            at(
              pair.key.range?.[0] ?? 0,
              `YAML syntax: Map keys must be unique ("${key}" appears twice)`,
              'keys of a mapping must be unique; remove or rename one',
            );
          seen.add(key);
        }
      },
    });
  }
  let value: unknown;
  if (problems.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (error) {
      // `Excessive alias count` (an alias bomb) is a ReferenceError from the yaml library.
      let first = 0;
      visit(doc, {
        Alias(_key, node) {
          first = node.range?.[0] ?? 0;
          return visit.BREAK;
        },
      });
      if (error instanceof ReferenceError && /alias/i.test(error.message))
        at(
          first,
          `YAML aliases expand too much (more than ${MAX_ALIASES} times)`,
          'write the values out instead of nesting aliases; large alias expansions are refused',
        );
      else if (error instanceof ReferenceError || error instanceof RangeError)
        at(first, `YAML cannot be read: ${error.message}`, 'check the aliases (*name) and anchors (&name)');
      else throw error;
    }
  }
  // Keys of each mapping, indexed on first use: thousands of problems in a map of thousands of
  // keys must not cost a search each.
  const index = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, key: string): Pair | undefined => {
    let keys = index.get(map);
    if (!keys) {
      keys = new Map();
      for (const item of map.items) {
        const name = isScalar(item.key) ? String(item.key.value) : undefined;
        if (name !== undefined && !keys.has(name)) keys.set(name, item);
      }
      index.set(map, keys);
    }
    return keys.get(key);
  };

  function nodeAt(path: readonly PathSegment[]): Node | undefined {
    let node: unknown = doc.contents;
    let found: Node | undefined = doc.contents ?? undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = pairOf(node, String(segment));
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
    value: problems.length === 0 ? value : undefined,
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

function emptySource(file: string, problems: Problem[]): YamlSource {
  return { file, value: undefined, problems, positionOf: () => undefined };
}

/**
 * The offset where nesting passes MAX_NESTING, by flow brackets or by indentation, in one linear
 * pass (quotes and comments skipped), or undefined.
 */
function tooDeep(text: string): number | undefined {
  let depth = 0;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (ch === ' ') {
        // Two columns per level is the narrowest indentation in use.
        if (++indent > MAX_NESTING * 4) return i;
        continue;
      }
      lineStart = false;
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end - 1;
    } else if ((ch === '"' || ch === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) {
      // Skip the quoted scalar; an unclosed quote is the parser's to report.
      for (i++; i < text.length && text[i] !== ch; i++) if (ch === '"' && text[i] === '\\') i++;
    } else if (ch === '[' || ch === '{') {
      if (++depth > MAX_NESTING) return i;
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return undefined;
}
