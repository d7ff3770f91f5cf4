import { applyPatch, structuredPatch } from 'diff';
import { isScalar, isSeq, type Node, type YAMLSeq } from 'yaml';
import { invalidInput } from '../../engine/errors.js';
import {
  type EntryIdentity,
  type EntryKey,
  type ParsedKustomization,
  parseKustomization,
  type StandbyEntry,
  type StandbyMatcher,
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
    const range = (item as Node | null)?.range;
    if (!range) throw unsupported(file, 'an empty list item');
    let dash = range[0] - 1;
    while (dash >= 0 && /\s/.test(text[dash] ?? '')) dash--;
    if (text[dash] !== '-') throw unsupported(file, 'a list item without its own `-`');
    const lineStart = lineStartOf(text, dash);
    if (text.slice(lineStart, dash).trim() !== '')
      throw unsupported(file, 'a list item that shares its line');
    let start = lineStart;
    while (start > previousEnd) {
      const above = lineStartOf(text, start - 1);
      if (above < previousEnd || !text.slice(above, start).trim().startsWith('#')) break;
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
  const pair = parsed.pairs.get(entry.key);
  const seq = pair?.value;
  if (!pair || !isSeq(seq)) throw new Error(`internal: ${entry.key} is not a list`);
  const keyRange = pair.key.range;
  if (!keyRange) throw unsupported(file, `\`${entry.key}\` without a source position`);
  const keyLineStart = lineStartOf(text, keyRange[0]);
  const item = seq.items[entry.index] as Node | undefined;
  if (!item?.range) throw unsupported(file, 'a list item without a source position');
  if (seq.flow) {
    if (seq.items.length === 1) {
      const seqEnd = seq.range?.[1] ?? item.range[2];
      return { start: keyLineStart, end: lineEndOf(text, Math.max(seqEnd - 1, keyRange[0])) };
    }
    const next = seq.items[entry.index + 1] as Node | undefined;
    if (next?.range) return { start: item.range[0], end: next.range[0] };
    const previous = seq.items[entry.index - 1] as Node | undefined;
    if (!previous?.range) throw unsupported(file, 'a flow list item without a source position');
    return { start: previous.range[1], end: item.range[1] };
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
    const seq = parsed.pairs.get(entry.key)?.value;
    if (!isSeq(seq)) continue;
    const item = seq.items[entry.index] as Node | undefined;
    if (seq.flow) {
      if (item?.range) out.set(entryId(entry), text.slice(item.range[0], item.range[1]));
      continue;
    }
    const keyRange = parsed.pairs.get(entry.key)?.key.range;
    const spans = blockItemSpans(text, seq, keyRange ? lineEndOf(text, keyRange[1]) : 0, file);
    const span = spans[entry.index];
    if (span) out.set(entryId(entry), text.slice(span.start, span.end));
  }
  return out;
}

export function entryId(entry: EntryIdentity): string {
  return `${entry.key}:${entry.path}`;
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
  for (let guard = 0; guard < 1000; guard++) {
    const parsed = parseKustomization(current, file, matcher);
    const entry = parsed.entries.find((e) => which.some((w) => w.key === e.key && w.path === e.path));
    if (!entry) return current;
    current = splice(current, removalSpan(parsed, entry, file));
  }
  throw new Error('internal: too many entries to remove');
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
  const parsed = parseKustomization(text, file, { patchPaths: [], components: [] });
  const pair = parsed.pairs.get(key);
  const block = lines.join(eol) + eol;
  if (!pair) {
    const prefix = text === '' || text.endsWith('\n') ? '' : eol;
    return `${text}${prefix}${key}:${eol}${block}`;
  }
  const seq = pair.value;
  const keyRange = pair.key.range!;
  if (seq === null || (isScalar(seq) && (seq.value === null || seq.value === ''))) {
    // `patches:` with nothing after it, or `~` or `''`: the items go on the lines below, and the
    // empty value goes (a block list cannot follow it).
    let cleared = text;
    if (seq?.range && seq.range[1] > seq.range[0]) {
      let from = seq.range[0];
      while (text[from - 1] === ' ' || text[from - 1] === '\t') from--;
      cleared = splice(text, { start: from, end: seq.range[1] });
    }
    const at = lineEndOf(cleared, keyRange[1]);
    const prefix = cleared[at - 1] === '\n' ? '' : eol;
    return cleared.slice(0, at) + prefix + block + cleared.slice(at);
  }
  if (!isSeq(seq)) throw unsupported(file, `\`${key}\` is not a list`);
  if (seq.flow) {
    const lastItem = seq.items[seq.items.length - 1] as Node | undefined;
    if (lastItem?.range)
      return splice(text, { start: lastItem.range[1], end: lastItem.range[1] }, `, ${flow}`);
    const open = text.indexOf('[', seq.range?.[0] ?? keyRange[1]);
    if (open < 0) throw unsupported(file, `\`${key}\` is an unusual flow list`);
    return splice(text, { start: open + 1, end: open + 1 }, flow);
  }
  const spans = blockItemSpans(text, seq, lineEndOf(text, keyRange[1]), file);
  const last = spans[spans.length - 1]!;
  const prefix = text[last.end - 1] === '\n' ? '' : eol;
  return splice(text, { start: last.end, end: last.end }, prefix + block);
}

/** Column of the first item's `-` of a block list, or two spaces. */
export function itemIndent(text: string, file: string, key: EntryKey): string {
  const parsed = parseKustomization(text, file, { patchPaths: [], components: [] });
  const seq = parsed.pairs.get(key)?.value;
  if (isSeq(seq) && !seq.flow) {
    const range = (seq.items[0] as Node | null)?.range;
    if (range) {
      let dash = range[0] - 1;
      while (dash >= 0 && /\s/.test(text[dash] ?? '')) dash--;
      const lineStart = lineStartOf(text, dash);
      return text.slice(lineStart, dash);
    }
  }
  return '  ';
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
