/**
 * Editing an overlay's kustomization for the standby toggle, as text. The `yaml` Document API
 * finds the entries and their exact source ranges; the edit cuts or inserts those bytes and leaves
 * every other byte of the file alone (comments, blank lines, quoting, CRLF line endings).
 *
 * Two standby shapes are recognised: patch entries (`patches:` items whose `path` matches a
 * configured name, as in the write-up) and Kustomize Components listed under `components:`.
 *
 * Going active cuts the entries. Going back to standby restores them exactly as they were: the
 * change that last removed them is taken from the file's history and reverted on today's text (a
 * `git revert` of that one hunk), so the restored entries come back with the same text, at the same
 * place, with their comments. Without usable history a commented-out copy of an entry is
 * uncommented, and failing that a canonical entry is added. Every result is checked: it must parse,
 * be in the wanted state, and mean the same as before apart from the toggled entries.
 */
import { posix } from 'node:path';
import { applyPatch, structuredPatch } from 'diff';
import {
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseAllDocuments,
  parseDocument,
  type YAMLSeq,
} from 'yaml';
import { invalidInput } from '../../engine/errors.js';
import type { StandbyScope, StandbyState } from './port.js';

/** Top-level kustomization fields whose items can be standby entries. */
export const ENTRY_KEYS = ['patches', 'patchesJson6902', 'patchesStrategicMerge', 'components'] as const;
export type EntryKey = (typeof ENTRY_KEYS)[number];

/** Which entries mean "standby" (config `gitops.standby`). */
export interface StandbyMatcher {
  /** Patch paths: a basename (`replicas-zero.yml`) or a path suffix (`standby/replicas-zero.yml`). */
  patchPaths: readonly string[];
  /** Component paths, matched as a path suffix (`standby` matches `../../components/standby`). */
  components: readonly string[];
}

/** A kind that standby keeps dormant; `*` when an entry may touch every kind (a component). */
export type DormantKind = 'Deployment' | 'CronJob' | '*' | (string & {});

export interface StandbyEntry {
  key: EntryKey;
  shape: 'patch' | 'component';
  /** The path as written in the kustomization. */
  path: string;
  /** What the entry keeps dormant, from `target.kind` or, without one, guessed from the file name. */
  kinds: DormantKind[];
  /** Index of the item in its sequence. */
  index: number;
}

export interface EntryIdentity {
  key: EntryKey;
  path: string;
}

export type OverlayStandbyState = StandbyState | 'partial';

// ── matching ────────────────────────────────────────────────────────────────────────────────────

function normalizePath(path: string): string {
  const normalized = posix.normalize(path.replace(/\\/g, '/')).replace(/\/+$/, '');
  return normalized.startsWith('./') ? normalized.slice(2) : normalized;
}

/** `pattern` matches `path` when it is the whole path or a suffix that starts at a `/`. */
export function pathMatches(path: string, pattern: string): boolean {
  const p = normalizePath(path);
  const q = normalizePath(pattern);
  return q !== '' && (p === q || p.endsWith(`/${q}`));
}

function kindsOfTarget(kind: unknown, path: string): DormantKind[] {
  if (typeof kind === 'string' && kind !== '') {
    const kinds: DormantKind[] = [];
    if (/cronjob/i.test(kind)) kinds.push('CronJob');
    if (/deployment/i.test(kind)) kinds.push('Deployment');
    return kinds.length ? kinds : [kind];
  }
  return kindsFromName(path);
}

/** Without a target kind, the write-up's file names tell: `cronjob-suspend`, `replicas-zero`. */
function kindsFromName(path: string): DormantKind[] {
  const name = posix.basename(normalizePath(path));
  if (/cron/i.test(name)) return ['CronJob'];
  if (/replica|deploy/i.test(name)) return ['Deployment'];
  return ['*'];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Classifies one item (as plain data) of a kustomization field; undefined when it is not a standby entry. */
export function classifyItem(
  key: EntryKey,
  value: unknown,
  matcher: StandbyMatcher,
): Omit<StandbyEntry, 'index' | 'key'> | undefined {
  if (key === 'components') {
    if (typeof value !== 'string' || !matcher.components.some((c) => pathMatches(value, c))) return undefined;
    return { shape: 'component', path: value, kinds: ['*'] };
  }
  if (key === 'patchesStrategicMerge') {
    if (typeof value !== 'string' || !matcher.patchPaths.some((p) => pathMatches(value, p))) return undefined;
    return { shape: 'patch', path: value, kinds: kindsFromName(value) };
  }
  const map = asRecord(value);
  const path = map?.path;
  if (typeof path !== 'string' || !matcher.patchPaths.some((p) => pathMatches(path, p))) return undefined;
  return { shape: 'patch', path, kinds: kindsOfTarget(asRecord(map?.target)?.kind, path) };
}

function covers(entries: readonly StandbyEntry[], kind: DormantKind): boolean {
  return entries.some((e) => e.kinds.includes(kind) || e.kinds.includes('*'));
}

/** Entries a scope toggles: all, or only the ones that suspend CronJobs and nothing else. */
export function entriesInScope(entries: readonly StandbyEntry[], scope: StandbyScope): StandbyEntry[] {
  if (scope === 'all') return [...entries];
  return entries.filter((e) => e.kinds.length > 0 && e.kinds.every((k) => k === 'CronJob'));
}

/**
 * The standby state as the scope sees it. `all`: standby when both Deployments and CronJobs are
 * kept dormant, active when no entry is listed, partial in between. `cronjobs`: standby when
 * CronJobs are suspended.
 */
export function stateOf(entries: readonly StandbyEntry[], scope: StandbyScope): OverlayStandbyState {
  if (scope === 'cronjobs') return covers(entries, 'CronJob') ? 'standby' : 'active';
  if (entries.length === 0) return 'active';
  return covers(entries, 'Deployment') && covers(entries, 'CronJob') ? 'standby' : 'partial';
}

// ── parsing ─────────────────────────────────────────────────────────────────────────────────────

interface ParsedKustomization {
  text: string;
  pairs: Map<EntryKey, Pair<Node, Node | null>>;
  entries: StandbyEntry[];
  data: Record<string, unknown>;
}

function parseKustomization(text: string, file: string, matcher: StandbyMatcher): ParsedKustomization {
  const docs = parseAllDocuments(text);
  if (docs.length > 1) {
    throw invalidInput('FO_GIT_E3120', `${file}: a kustomization holds one YAML document`, {
      details: { file },
    });
  }
  const doc = parseDocument(text, { keepSourceTokens: true });
  const error = doc.errors[0];
  if (error) {
    throw invalidInput('FO_GIT_E3121', `${file}: invalid YAML: ${error.message.split('\n')[0]}`, {
      hint: 'fix the kustomization in the GitOps repository first; failover edits only valid files',
      details: { file },
    });
  }
  const root = doc.contents;
  if (root !== null && !isMap(root)) {
    throw invalidInput('FO_GIT_E3122', `${file}: a kustomization must be a YAML mapping`, {
      details: { file },
    });
  }
  const pairs = new Map<EntryKey, Pair<Node, Node | null>>();
  const entries: StandbyEntry[] = [];
  for (const pair of root?.items ?? []) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== 'string' || !(ENTRY_KEYS as readonly string[]).includes(key)) continue;
    const entryKey = key as EntryKey;
    pairs.set(entryKey, pair as Pair<Node, Node | null>);
    if (!isSeq(pair.value)) continue;
    pair.value.items.forEach((item, index) => {
      const value: unknown = (item as Node | null)?.toJSON();
      const found = classifyItem(entryKey, value, matcher);
      if (found) entries.push({ key: entryKey, index, ...found });
    });
  }
  const data = asRecord(doc.toJS({ maxAliasCount: 100 })) ?? {};
  return { text, pairs, entries, data };
}

/** The standby entries of a kustomization (throws invalid-input when it does not parse). */
export function findStandbyEntries(text: string, file: string, matcher: StandbyMatcher): StandbyEntry[] {
  return parseKustomization(text, file, matcher).entries;
}

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
    let last = Math.max(range[1], range[0] + 1) - 1;
    while (last > range[0] && /\s/.test(text[last] ?? '')) last--;
    const end = lineEndOf(text, last);
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

function splice(text: string, span: Span, replacement = ''): string {
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

function canonicalLines(entry: CanonicalEntry, indent: string): string[] {
  if (entry.key === 'components') return [`${indent}- ${entry.path}`];
  return [
    `${indent}- path: ${entry.path}`,
    ...(entry.kind ? [`${indent}  target:`, `${indent}    kind: ${entry.kind}`] : []),
  ];
}

function flowItem(entry: CanonicalEntry): string {
  if (entry.key === 'components') return entry.path;
  return entry.kind ? `{path: ${entry.path}, target: {kind: ${entry.kind}}}` : `{path: ${entry.path}}`;
}

/**
 * Adds block `lines` (without line endings) as the last items of `key`'s list, creating the key at
 * the end of the file when it is missing. `flow` is used when the list is written `[a, b]`.
 */
function appendToList(text: string, file: string, key: EntryKey, lines: string[], flow: string): string {
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
    // `patches:` with nothing after it: the items go on the lines below.
    const at = lineEndOf(text, keyRange[1]);
    const prefix = text[at - 1] === '\n' ? '' : eol;
    return text.slice(0, at) + prefix + block + text.slice(at);
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
function itemIndent(text: string, file: string, key: EntryKey): string {
  const parsed = parseKustomization(text, file, { patchPaths: [], components: [] });
  const seq = parsed.pairs.get(key)?.value;
  if (isSeq(seq) && !seq.flow && seq.items.length > 0) {
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
    const patch = structuredPatch('newer', 'older', newer, older, '', '', { context });
    if (patch.hunks.length === 0) {
      results.push(current);
      continue;
    }
    const applied = applyPatch(current, patch, { fuzzFactor: 0 });
    if (applied !== false && !results.includes(applied)) results.push(applied);
  }
  return results;
}

// ── the toggle ──────────────────────────────────────────────────────────────────────────────────

export interface HistoryVersion {
  commit: string;
  /** The file at that commit; undefined when it did not exist there. */
  text: string | undefined;
}

export interface ToggleRequest {
  /** The kustomization as it is now. */
  text: string;
  /** Its path in the repository, for messages. */
  file: string;
  target: StandbyState;
  scope: StandbyScope;
  matcher: StandbyMatcher;
  /** Earlier versions of the file, newest first (the commits that changed it). */
  history?: readonly HistoryVersion[];
  /** Entries to add when neither history nor a commented copy has them. */
  canonical?: readonly CanonicalEntry[];
}

export type ToggleMethod =
  | 'unchanged'
  | 'removed'
  | 'history'
  | 'history-append'
  | 'uncommented'
  | 'canonical';

export interface ToggleResult {
  converged: boolean;
  /** The state (as the scope sees it) before the edit. */
  before: OverlayStandbyState;
  /** The new text; the input text when converged. */
  text: string;
  method: ToggleMethod;
  /** The commit whose version of the file supplied the restored text. */
  fromCommit?: string;
  /** Entries removed (going active) or added (going to standby). */
  toggled: EntryIdentity[];
  /** The toggled entries' texts, as they are in the file that has them. */
  toggledTexts: string[];
  warnings: string[];
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ra = asRecord(a);
  const rb = asRecord(b);
  if (!ra || !rb) return false;
  const keys = Object.keys(ra);
  return keys.length === Object.keys(rb).length && keys.every((k) => k in rb && deepEqual(ra[k], rb[k]));
}

/** The kustomization's data without the entries the scope toggles (and without lists left empty). */
function withoutToggled(data: Record<string, unknown>, matcher: StandbyMatcher, scope: StandbyScope) {
  const out: Record<string, unknown> = { ...data };
  for (const key of ENTRY_KEYS) {
    const value = out[key];
    if (value === null || value === undefined) {
      delete out[key];
      continue;
    }
    if (!Array.isArray(value)) continue;
    const kept = value.filter((item: unknown, index) => {
      const found = classifyItem(key, item, matcher);
      return !found || entriesInScope([{ key, index, ...found }], scope).length === 0;
    });
    if (kept.length === 0) delete out[key];
    else out[key] = kept;
  }
  return out;
}

/** A candidate edit is accepted when it parses, reaches the target, and changes nothing else. */
function acceptable(request: ToggleRequest, before: ParsedKustomization, candidate: string): boolean {
  let after: ParsedKustomization;
  try {
    after = parseKustomization(candidate, request.file, request.matcher);
  } catch {
    return false;
  }
  if (stateOf(after.entries, request.scope) !== request.target) return false;
  if (request.target === 'active' && entriesInScope(after.entries, request.scope).length > 0) return false;
  return deepEqual(
    withoutToggled(before.data, request.matcher, request.scope),
    withoutToggled(after.data, request.matcher, request.scope),
  );
}

function identities(entries: readonly StandbyEntry[]): EntryIdentity[] {
  return entries.map(({ key, path }) => ({ key, path }));
}

function difference(a: readonly StandbyEntry[], b: readonly StandbyEntry[]): StandbyEntry[] {
  return a.filter((x) => !b.some((y) => y.key === x.key && y.path === x.path));
}

function describeEntries(entries: readonly EntryIdentity[]): string {
  return entries.map((e) => e.path).join(', ');
}

/**
 * Decides the edit that puts the overlay in `target` for `scope`. Pure: the caller supplies the
 * file, its history and the canonical entries; nothing is read or written here.
 */
export function planToggle(request: ToggleRequest): ToggleResult {
  const { text, file, matcher, scope, target } = request;
  const current = parseKustomization(text, file, matcher);
  const before = stateOf(current.entries, scope);
  const scoped = entriesInScope(current.entries, scope);
  const converged = before === target;
  const result = (
    method: ToggleMethod,
    newText: string,
    fromCommit?: string,
    warnings: string[] = [],
  ): ToggleResult => {
    const after = parseKustomization(newText, file, matcher);
    const toggled =
      target === 'active'
        ? difference(current.entries, after.entries)
        : difference(after.entries, current.entries);
    const texts = target === 'active' ? entryTexts(text, file, matcher) : entryTexts(newText, file, matcher);
    return {
      converged: false,
      before,
      text: newText,
      method,
      ...(fromCommit ? { fromCommit } : {}),
      toggled: identities(toggled),
      toggledTexts: toggled.map((e) => texts.get(entryId(e)) ?? ''),
      warnings,
    };
  };

  if (converged) {
    return {
      converged: true,
      before,
      text,
      method: 'unchanged',
      toggled: [],
      toggledTexts: [],
      warnings: [],
    };
  }

  if (target === 'active') {
    const blocking = difference(current.entries, scoped).filter((e) => e.kinds.includes('*'));
    if (scope === 'cronjobs' && blocking.length > 0) {
      throw invalidInput(
        'FO_GIT_E3124',
        `${file}: CronJobs are kept suspended by ${describeEntries(blocking)}, which also covers other kinds; scope \`cronjobs\` cannot resume them alone`,
        {
          hint: 'list the CronJob suspension as its own patch entry (cronjob-suspend.yml with target kind CronJob), or use scope `all`',
          details: { file },
        },
      );
    }
    // A version without the entries in the history may show how the file looked without them
    // (a commented-out copy, for example): revert the change that added them, when it fits.
    const fromHistory = restoreFromHistory(request, current);
    if (fromHistory) return result('history', fromHistory.text, fromHistory.commit);
    const cut = removeEntries(text, file, matcher, identities(scoped));
    if (!acceptable(request, current, cut)) {
      throw new Error(`internal: removing the standby entries from ${file} did not give an active overlay`);
    }
    return result('removed', cut);
  }

  const fromHistory = restoreFromHistory(request, current);
  if (fromHistory) return result('history', fromHistory.text, fromHistory.commit);
  const appended = appendFromHistory(request, current);
  if (appended) {
    return result('history-append', appended.text, appended.commit, [
      `the lines around the standby entries in ${file} changed since ${appended.commit.slice(0, 12)}; the entries were re-inserted at the end of their list`,
    ]);
  }
  const added = addMissing(request, current);
  return result(added.method, added.text, undefined, added.warnings);
}

/** Reverts the change that last took the file out of the target state, if that still fits. */
function restoreFromHistory(
  request: ToggleRequest,
  current: ParsedKustomization,
): { text: string; commit: string } | undefined {
  let newer = request.text;
  for (const version of request.history ?? []) {
    if (version.text === undefined) return undefined;
    let state: OverlayStandbyState;
    let scopedCount: number;
    try {
      const entries = findStandbyEntries(version.text, request.file, request.matcher);
      state = stateOf(entries, request.scope);
      scopedCount = entriesInScope(entries, request.scope).length;
    } catch {
      newer = version.text;
      continue;
    }
    const inTarget =
      request.target === 'active' ? scopedCount === 0 && state === 'active' : state === 'standby';
    if (inTarget) {
      for (const candidate of revertChange(request.text, newer, version.text)) {
        if (acceptable(request, current, candidate)) return { text: candidate, commit: version.commit };
      }
      return undefined;
    }
    newer = version.text;
  }
  return undefined;
}

/** The entries of the last standby version, inserted at the end of their lists. */
function appendFromHistory(
  request: ToggleRequest,
  current: ParsedKustomization,
): { text: string; commit: string } | undefined {
  for (const version of request.history ?? []) {
    if (version.text === undefined) return undefined;
    let entries: StandbyEntry[];
    try {
      entries = findStandbyEntries(version.text, request.file, request.matcher);
    } catch {
      continue;
    }
    if (stateOf(entries, request.scope) !== 'standby') continue;
    const texts = entryTexts(version.text, request.file, request.matcher);
    const missing = difference(entriesInScope(entries, request.scope), current.entries);
    let text = request.text;
    try {
      for (const entry of missing) {
        const itemText = texts.get(entryId(entry));
        if (itemText === undefined || !itemText.includes('\n')) return undefined;
        const lines = itemText.replace(/\r?\n$/, '').split(/\r?\n/);
        const indent = itemIndent(text, request.file, entry.key);
        const oldIndent = /^[ \t]*/.exec(lines.find((l) => /^\s*-/.test(l)) ?? '')?.[0] ?? '';
        const reindented = lines.map((l) =>
          l.startsWith(oldIndent) ? indent + l.slice(oldIndent.length) : l,
        );
        text = appendToList(text, request.file, entry.key, reindented, itemText.trim());
      }
    } catch {
      return undefined;
    }
    return acceptable(request, current, text) ? { text, commit: version.commit } : undefined;
  }
  return undefined;
}

/** Without history: uncomment a commented-out copy of an entry, else add a canonical entry. */
function addMissing(
  request: ToggleRequest,
  current: ParsedKustomization,
): { text: string; method: ToggleMethod; warnings: string[] } {
  const { file, matcher, scope } = request;
  let text = request.text;
  let method: ToggleMethod = 'uncommented';
  const needed = (entries: readonly StandbyEntry[]): DormantKind[] =>
    (scope === 'cronjobs' ? ['CronJob'] : ['Deployment', 'CronJob']).filter((k) => !covers(entries, k));
  for (let guard = 0; guard < 10; guard++) {
    const entries = findStandbyEntries(text, file, matcher);
    const missing = needed(entries);
    if (missing.length === 0) break;
    let next: string | undefined;
    for (const block of commentedItems(text)) {
      const candidate = splice(text, block, block.uncommented);
      try {
        const after = entriesInScope(findStandbyEntries(candidate, file, matcher), scope);
        const added = difference(after, entries);
        if (
          added.length > 0 &&
          added.every((e) => missing.some((k) => e.kinds.includes(k) || e.kinds.includes('*')))
        ) {
          next = candidate;
          break;
        }
      } catch {
        // not a valid entry once uncommented; try the next block
      }
    }
    if (next === undefined) {
      const canonical = (request.canonical ?? []).find(
        (c) =>
          (scope === 'all' || c.kind === 'CronJob') &&
          (c.key === 'components' ? scope === 'all' : c.kind !== undefined && missing.includes(c.kind)),
      );
      if (canonical) {
        next = addCanonicalEntry(text, file, canonical);
        method = 'canonical';
      }
    }
    if (next === undefined) {
      throw invalidInput(
        'FO_GIT_E3125',
        `${file}: cannot put the overlay in standby: no earlier standby version in the history, no commented-out entry, and no standby patch or component to add for ${missing.join(' and ')}`,
        {
          hint: `add the standby entries to ${file} by hand once (see gitops.standby in the config for the names failover recognises)`,
          details: { file, missing },
        },
      );
    }
    text = next;
  }
  if (!acceptable(request, current, text)) {
    throw invalidInput('FO_GIT_E3126', `${file}: adding the standby entries did not give a standby overlay`, {
      hint: `add the standby entries to ${file} by hand once; failover restores them from the history afterwards`,
      details: { file },
    });
  }
  return {
    text,
    method,
    warnings:
      method === 'canonical'
        ? [`no earlier standby version of ${file} in the history: adding the standard entries`]
        : [],
  };
}
