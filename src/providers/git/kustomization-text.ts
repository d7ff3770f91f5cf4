import { applyPatch, structuredPatch } from 'diff';
import { isScalar, isSeq, type Node, type YAMLSeq } from 'yaml';
import { invalidInput } from '../../engine/errors.js';
import {
  type EntryIdentity,
  type EntryKey,
  entryId,
  type ParsedKustomization,
  parseKustomization,
  type StandbyEntry,
  type StandbyMatcher,
  sameEntry,
} from './kustomization-entries.js';

// ── where things are in the text ────────────────────────────────────────────────────────────────

interface Span {
  start: number;
  end: number;
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset just after the line ending of the line holding `offset` (or the end of the text). */
function lineEndOf(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

export function lineEndingOf(text: string): '\n' | '\r\n' {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Offset of the last non-blank character before `offset` (-1 when there is none). */
function lastNonBlankBefore(text: string, offset: number): number {
  let at = offset - 1;
  while (/\s/.test(text.charAt(at))) at--;
  return at;
}

/** Where a node the parser read from the text is (every such node has a range). */
function rangeOf(node: unknown): [number, number, number] {
  return (node as Node).range!;
}

/** The list of an entry field as parsed (entries only come from lists), and where its key is. */
function listOf(
  parsed: ParsedKustomization,
  key: EntryKey,
): { seq: YAMLSeq; keyRange: [number, number, number] } {
  const pair = parsed.pairs.get(key)!;
  return { seq: pair.value as YAMLSeq, keyRange: rangeOf(pair.key) };
}

/** Only the layout of a file is read: no item is a standby entry. */
const LAYOUT_ONLY: StandbyMatcher = { patchPaths: [], components: [], replicasField: false };

function unsupported(file: string, what: string) {
  return invalidInput('FO_GIT_E3123', `${file}: ${what}; failover does not rewrite this layout`, {
    hint: 'write the standby entries as a block list (one `- ` item per entry) and run again',
    details: { file },
  });
}

/**
 * Every item of a block sequence: from the comment lines directly above its `-` to the line ending
 * after its last line. `floor` is where the first item's leading comments may start.
 */
function blockItemSpans(text: string, seq: YAMLSeq, floor: number, file: string): Span[] {
  const spans: Span[] = [];
  let previousEnd = floor;
  for (const item of seq.items) {
    const range = rangeOf(item);
    const dash = lastNonBlankBefore(text, range[0]);
    if (text[dash] !== '-') throw unsupported(file, 'a list item without its own `-`');
    const lineStart = lineStartOf(text, dash);
    if (text.slice(lineStart, dash).trim() !== '')
      throw unsupported(file, 'a list item that shares its line');
    // `previousEnd` is a line start, so the line above `start` never reaches back past it.
    let start = lineStart;
    while (start > previousEnd) {
      const above = lineStartOf(text, start - 1);
      if (!text.slice(above, start).trim().startsWith('#')) break;
      start = above;
    }
    // A node's range ends at its last character or just after its line ending; an empty item
    // (a stray `-`) has an empty range.
    const end = lineEndOf(text, Math.max(range[1] - 1, range[0]));
    spans.push({ start, end });
    previousEnd = end;
  }
  return spans;
}

/** The text range to cut to remove one item (and its key, when it is the only item). */
function removalSpan(parsed: ParsedKustomization, entry: StandbyEntry, file: string): Span {
  const { text } = parsed;
  const { seq, keyRange } = listOf(parsed, entry.key);
  const keyLineStart = lineStartOf(text, keyRange[0]);
  if (seq.flow) {
    const range = rangeOf(seq.items[entry.index]);
    // The only item: the key's line through the line of the closing `]`.
    if (seq.items.length === 1) return { start: keyLineStart, end: lineEndOf(text, rangeOf(seq)[1] - 1) };
    // Up to the next item, or from the end of the previous one (the last item).
    if (entry.index + 1 < seq.items.length)
      return { start: range[0], end: rangeOf(seq.items[entry.index + 1])[0] };
    return { start: rangeOf(seq.items[entry.index - 1])[1], end: range[1] };
  }
  const spans = blockItemSpans(text, seq, lineEndOf(text, keyRange[1]), file);
  const span = spans[entry.index]!;
  if (seq.items.length === 1) return { start: keyLineStart, end: span.end };
  return span;
}

export function splice(text: string, span: Span, replacement = ''): string {
  return text.slice(0, span.start) + replacement + text.slice(span.end);
}

/** The text of each entry (leading comments, the item, its line ending) as the file has it. */
export function entryTexts(text: string, file: string, matcher: StandbyMatcher): Map<string, string> {
  const parsed = parseKustomization(text, file, matcher);
  const out = new Map<string, string>();
  for (const entry of parsed.entries) {
    const { seq, keyRange } = listOf(parsed, entry.key);
    if (seq.flow) {
      const range = rangeOf(seq.items[entry.index]);
      out.set(entryId(entry), text.slice(range[0], range[1]));
      continue;
    }
    const span = blockItemSpans(text, seq, lineEndOf(text, keyRange[1]), file)[entry.index]!;
    out.set(entryId(entry), text.slice(span.start, span.end));
  }
  return out;
}

// ── removing ────────────────────────────────────────────────────────────────────────────────────

/**
 * Cuts the given entries from the text, one at a time (re-parsing in between so positions stay
 * right). A list left empty loses its key line too. Nothing else in the file changes.
 */
export function removeEntries(
  text: string,
  file: string,
  matcher: StandbyMatcher,
  which: readonly EntryIdentity[],
): string {
  let current = text;
  // Each pass cuts one entry out of the text, so the passes end.
  for (;;) {
    const parsed =
      current === text ? parseKustomization(current, file, matcher) : reparse(current, file, matcher);
    // Last first: an anchor comes before its aliases, so only an alias on an entry that stays can
    // lose its anchor.
    const entry = parsed.entries.findLast((e) => which.some((w) => sameEntry(w, e)));
    if (!entry) return current;
    current = splice(current, removalSpan(parsed, entry, file));
  }
}

/** The text once an entry is cut: what breaks it is the cut's doing, not the file's (an anchor that went with it). */
function reparse(text: string, file: string, matcher: StandbyMatcher): ParsedKustomization {
  try {
    return parseKustomization(text, file, matcher);
  } catch (error) {
    // `FILE:LINE:COL: invalid YAML: …`: the position is in the cut text, which is not in the repo.
    const message = error instanceof Error ? error.message : String(error);
    const reason = message.startsWith(file) ? message.slice(file.length).replace(/^[\d:]*\s*/, '') : message;
    throw invalidInput(
      'FO_GIT_E3127',
      `${file}: taking the standby entries out would break the file (${reason})`,
      {
        hint: 'an alias (*name) elsewhere refers to an anchor (&name) on a standby entry: put the anchor on an entry that stays, or write the value out',
        details: { file },
      },
    );
  }
}

// ── adding ──────────────────────────────────────────────────────────────────────────────────────

/** A standby entry to add when the history has none: the write-up's shape. */
export interface CanonicalEntry {
  key: 'patches' | 'components';
  path: string;
  /** For patches: the kind the patch targets (`CronJob`, `Deployment`). */
  kind?: string;
}

export function canonicalLines(entry: CanonicalEntry, indent: string): string[] {
  if (entry.key === 'components') return [`${indent}- ${entry.path}`];
  return [
    `${indent}- path: ${entry.path}`,
    ...(entry.kind ? [`${indent}  target:`, `${indent}    kind: ${entry.kind}`] : []),
  ];
}

export function flowItem(entry: CanonicalEntry): string {
  if (entry.key === 'components') return entry.path;
  return entry.kind ? `{path: ${entry.path}, target: {kind: ${entry.kind}}}` : `{path: ${entry.path}}`;
}

/**
 * Adds block `lines` (without line endings) as the last items of `key`'s list, creating the key at
 * the end of the file when it is missing. `flow` is used when the list is written `[a, b]`.
 */
export function appendToList(
  text: string,
  file: string,
  key: EntryKey,
  lines: string[],
  flow: string,
): string {
  const eol = lineEndingOf(text);
  const parsed = parseKustomization(text, file, LAYOUT_ONLY);
  const pair = parsed.pairs.get(key);
  const block = lines.join(eol) + eol;
  if (!pair) {
    const prefix = text === '' || text.endsWith('\n') ? '' : eol;
    return `${text}${prefix}${key}:${eol}${block}`;
  }
  const seq = pair.value;
  const keyRange = rangeOf(pair.key);
  if (isScalar(seq) && (seq.value ?? '') === '') {
    // `patches:` with nothing after it, or `~` or `''`: the items go on the lines below. An
    // explicit empty value goes, with the blanks before it (a block list cannot follow it).
    const [from, to] = rangeOf(seq);
    const cleared = to > from ? splice(text, { start: lastNonBlankBefore(text, from) + 1, end: to }) : text;
    const at = lineEndOf(cleared, keyRange[1]);
    const prefix = cleared[at - 1] === '\n' ? '' : eol;
    return cleared.slice(0, at) + prefix + block + cleared.slice(at);
  }
  if (!isSeq(seq)) throw unsupported(file, `\`${key}\` is not a list`);
  if (seq.flow) {
    if (seq.items.length > 0) {
      const end = rangeOf(seq.items[seq.items.length - 1])[1];
      return splice(text, { start: end, end }, `, ${flow}`);
    }
    // `[]`: a flow list's range starts at its `[`.
    const open = rangeOf(seq)[0] + 1;
    return splice(text, { start: open, end: open }, flow);
  }
  const spans = blockItemSpans(text, seq, lineEndOf(text, keyRange[1]), file);
  const last = spans[spans.length - 1]!;
  const prefix = text[last.end - 1] === '\n' ? '' : eol;
  return splice(text, { start: last.end, end: last.end }, prefix + block);
}

/** Column of the first item's `-` of a block list, or two spaces. */
export function itemIndent(text: string, file: string, key: EntryKey): string {
  const seq = parseKustomization(text, file, LAYOUT_ONLY).pairs.get(key)?.value;
  if (!isSeq(seq) || seq.flow) return '  ';
  // A block list has at least one item.
  const dash = lastNonBlankBefore(text, rangeOf(seq.items[0])[0]);
  return text.slice(lineStartOf(text, dash), dash);
}

export function addCanonicalEntry(text: string, file: string, entry: CanonicalEntry): string {
  const indent = itemIndent(text, file, entry.key);
  return appendToList(text, file, entry.key, canonicalLines(entry, indent), flowItem(entry));
}

interface CommentedBlock extends Span {
  /** The lines with the comment marker taken away, line endings kept. */
  uncommented: string;
}

/**
 * Commented-out list items, such as
 *   # - path: cronjob-suspend.yml
 *   #   target:
 *   #     kind: CronJob
 * Uncommenting takes away `# ` right after the indentation of each line.
 */
export function commentedItems(text: string): CommentedBlock[] {
  const blocks: CommentedBlock[] = [];
  const lines: Span[] = [];
  for (let at = 0; at < text.length; ) {
    const end = lineEndOf(text, at);
    lines.push({ start: at, end });
    at = end;
  }
  const body = (span: Span) => text.slice(span.start, span.end).replace(/\r?\n$/, '');
  for (let i = 0; i < lines.length; i++) {
    const head = /^([ \t]*)# ( *)- \S/.exec(body(lines[i]!));
    if (!head) continue;
    const indent = head[1]!;
    const dashColumn = head[2]!.length;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = body(lines[j]!);
      if (!line.startsWith(`${indent}# `)) break;
      const rest = line.slice(indent.length + 2);
      const depth = rest.length - rest.trimStart().length;
      if (rest.trim() === '' || depth <= dashColumn) break;
    }
    const start = lines[i]!.start;
    const end = lines[j - 1]!.end;
    const uncommented = lines
      .slice(i, j)
      .map((span) => {
        const raw = text.slice(span.start, span.end);
        return raw.slice(0, indent.length) + raw.slice(indent.length + 2);
      })
      .join('');
    blocks.push({ start, end, uncommented });
    i = j - 1;
  }
  return blocks;
}

// ── history ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Applies the change `newer → older` to `current` (reverting the change that led from `older` to
 * `newer`), with three and with one line of context: the candidates, none when it does not fit.
 */
export function revertChange(current: string, newer: string, older: string): string[] {
  const results: string[] = [];
  for (const context of [3, 1]) {
    // No change at all gives no hunks, and applying none gives `current`.
    const patch = structuredPatch('newer', 'older', newer, older, '', '', { context });
    const applied = applyPatch(current, patch, { fuzzFactor: 0 });
    if (applied !== false && !results.includes(applied)) results.push(applied);
  }
  return results;
}
