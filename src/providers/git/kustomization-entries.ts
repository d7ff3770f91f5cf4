/**
 * Which items of an overlay's kustomization are standby entries: patch entries whose `path`
 * matches a configured name (as in the write-up), Kustomize Components under `components:`, items
 * of the `replicas:` field that set a count of 0, and the generated CronJob fence; and whether an
 * overlay is in standby, active or partly so.
 */
import { posix } from 'node:path';
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
  parseDocument,
  visit,
} from 'yaml';
import { invalidInput } from '../../engine/errors.js';
import type { StandbyScope, StandbyState } from './port.js';

/** Top-level kustomization fields whose items can be standby entries. */
export const ENTRY_KEYS = [
  'patches',
  'patchesJson6902',
  'patchesStrategicMerge',
  'components',
  'replicas',
] as const;
export type EntryKey = (typeof ENTRY_KEYS)[number];

/** Which entries mean "standby" (config `gitops.standby`). */
export interface StandbyMatcher {
  /** Patch paths: a basename (`replicas-zero.yml`) or a path suffix (`standby/replicas-zero.yml`). */
  patchPaths: readonly string[];
  /** Component paths, matched as a path suffix (`standby` matches `../../components/standby`). */
  components: readonly string[];
  /**
   * The overlay runs everything in normal times (gcp): its only standby entry is a fence of every
   * CronJob. A CronJob entry whose target picks some CronJobs out (a name, a label selector of
   * positive terms) is then the team's own (a job that must not run there), not standby: fencing
   * adds its entry beside it and failback leaves it. In the aws overlay such an entry is part of
   * standby.
   */
  primary?: boolean;
  /**
   * Items of the `replicas:` field with `count: 0` keep their workload dormant: standby entries
   * (config `gitops.standby.replicasField`; on unless set to false). Never in the primary overlay.
   */
  replicasField?: boolean;
}

/** A kind that standby keeps dormant; `*` when an entry may touch every kind (a component). */
export type DormantKind = 'Deployment' | 'CronJob' | '*' | (string & {});

export interface StandbyEntry {
  key: EntryKey;
  shape: 'patch' | 'component' | 'replicas';
  /** The path as written in the kustomization; for a `replicas:` item, the workload's name. */
  path: string;
  /** What the entry keeps dormant, from `target.kind` or, without one, guessed from the file name. */
  kinds: DormantKind[];
  /** Index of the item in its sequence. */
  index: number;
  /**
   * The target's narrowing (`name=…`, `labelSelector=…`) when it selects some objects of its kind
   * only: two entries with one patch file and different targets are different entries.
   */
  selector?: string;
  /**
   * The target's kind as written (`Deployment`, `StatefulSet`, `Deployment|StatefulSet`): one patch
   * file listed once per kind is one entry per kind.
   */
  targetKind?: string;
}

export interface EntryIdentity {
  key: EntryKey;
  path: string;
  selector?: string;
  targetKind?: string;
}

/** An entry's identity alone (what toggles, journals and plans keep of it). */
export function identityOf({ key, path, selector, targetKind }: EntryIdentity): EntryIdentity {
  return { key, path, ...(selector ? { selector } : {}), ...(targetKind ? { targetKind } : {}) };
}

/** The identity as one string: the same for the same entry in any version of the file. */
export function entryId(entry: EntryIdentity): string {
  return `${entry.key}:${entry.path}${entry.selector ? `:${entry.selector}` : ''}${entry.targetKind ? `:kind=${entry.targetKind}` : ''}`;
}

export function sameEntry(a: EntryIdentity, b: EntryIdentity): boolean {
  return entryId(a) === entryId(b);
}

/** How an entry reads in messages and the status: its path, or `replicas web=0`. */
export function entryLabel(entry: EntryIdentity): string {
  return entry.key === 'replicas' ? `replicas ${entry.path}=0` : entry.path;
}

/** The labels of several entries: one patch file listed once per kind reads `path (Kind)` each time. */
export function entryLabels(entries: readonly EntryIdentity[]): string[] {
  const labels = entries.map(entryLabel);
  return labels.map((label, i) => {
    const kind = entries[i]!.targetKind;
    return kind && labels.indexOf(label) !== labels.lastIndexOf(label) ? `${label} (${kind})` : label;
  });
}

export type OverlayStandbyState = StandbyState | 'partial';

/** The generated CronJob fence beside a kustomization (see kustomization.ts): always a standby entry. */
export const FENCE_FILE = 'failover-fence-cronjobs.yaml';

// ── matching ────────────────────────────────────────────────────────────────────────────────────

export function normalizePath(path: string): string {
  // posix.normalize drops a leading `./`, and makes `.` of an empty path: that names no file.
  const normalized = posix.normalize(path.replace(/\\/g, '/')).replace(/\/+$/, '');
  return normalized === '.' ? '' : normalized;
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

/** A target name that matches every object (kustomize anchors the name as a regex). */
const ANY_NAME = /^\^?\.\*\$?$/;

/** Target fields that select some objects of a kind only (kustomize's Selector); `name` is a regex. */
const NARROWING_FIELDS = ['name', 'namespace', 'labelSelector', 'annotationSelector'] as const;

function selectorOf(target: Record<string, unknown> | undefined): string | undefined {
  if (!target) return undefined;
  const parts = NARROWING_FIELDS.filter((field) => {
    const value = target[field];
    return typeof value === 'string' && value !== '' && !(field === 'name' && ANY_NAME.test(value));
  }).map((field) => `${field}=${target[field] as string}`);
  return parts.length > 0 ? parts.join(',') : undefined;
}

/**
 * Whether a patch picks out some objects by what they are: a target with a name (not `.*`), or a
 * label or annotation selector of positive terms only (`app=billing`, `tier in (batch)`). A
 * namespace or a selector that excludes (`!=`, `notin`, `!key`) keeps most objects: a fence that
 * spares a few. Without a target the patch is a strategic-merge patch, which kustomize applies to
 * the object its own metadata.name names: some, never all.
 */
function picksSome(target: Record<string, unknown> | undefined): boolean {
  if (!target) return true;
  const name = target.name;
  if (typeof name === 'string' && name !== '' && !ANY_NAME.test(name)) return true;
  return (['labelSelector', 'annotationSelector'] as const).some((field) => {
    const value = target[field];
    return typeof value === 'string' && value.trim() !== '' && !/!=|\bnotin\b|(^|,)\s*!/.test(value);
  });
}

/** A CronJob entry of the primary overlay that picks some CronJobs out: the team's own, no fence. */
function teamsOwnInPrimary(
  matcher: StandbyMatcher,
  target: Record<string, unknown> | undefined,
  kinds: readonly DormantKind[],
): boolean {
  return matcher.primary === true && picksSome(target) && kinds.every((k) => k === 'CronJob');
}

/** Without a target kind, the write-up's file names tell: `cronjob-suspend`, `replicas-zero`. */
function kindsFromName(path: string): DormantKind[] {
  const name = posix.basename(normalizePath(path));
  if (/cron/i.test(name)) return ['CronJob'];
  if (/replica|deploy/i.test(name)) return ['Deployment'];
  return ['*'];
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
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
  if (key === 'replicas') {
    // kustomize's replicas transformer: {name, count} for a Deployment, StatefulSet or ReplicaSet.
    const item = asRecord(value);
    if (matcher.primary || matcher.replicasField === false) return undefined;
    if (typeof item?.name !== 'string' || item.name === '' || item.count !== 0) return undefined;
    return { shape: 'replicas', path: item.name, kinds: ['Deployment'] };
  }
  if (key === 'patchesStrategicMerge') {
    if (typeof value !== 'string' || !matcher.patchPaths.some((p) => pathMatches(value, p))) return undefined;
    const kinds = kindsFromName(value);
    // A strategic-merge patch has no target: it names its object (see picksSome).
    if (teamsOwnInPrimary(matcher, undefined, kinds)) return undefined;
    return { shape: 'patch', path: value, kinds };
  }
  const map = asRecord(value);
  const path = map?.path;
  if (typeof path !== 'string') return undefined;
  if (!matcher.patchPaths.some((p) => pathMatches(path, p)) && normalizePath(path) !== FENCE_FILE)
    return undefined;
  const target = asRecord(map?.target);
  const selector = selectorOf(target);
  const targetKind = typeof target?.kind === 'string' && target.kind !== '' ? target.kind : undefined;
  const kinds = kindsOfTarget(target?.kind, path);
  if (teamsOwnInPrimary(matcher, target, kinds)) return undefined;
  return {
    shape: 'patch',
    path,
    kinds,
    ...(selector ? { selector } : {}),
    ...(targetKind ? { targetKind } : {}),
  };
}

export function covers(entries: readonly StandbyEntry[], kind: DormantKind): boolean {
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

export interface ParsedKustomization {
  text: string;
  pairs: Map<EntryKey, Pair<Node, Node | null>>;
  entries: StandbyEntry[];
  data: Record<string, unknown>;
}

export function parseKustomization(text: string, file: string, matcher: StandbyMatcher): ParsedKustomization {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  if (docs.length > 1) {
    throw invalidInput('FO_GIT_E3120', `${file}: a kustomization holds one YAML document`, {
      details: { file },
    });
  }
  // Parsed once: an empty text is a stream without documents, read as an empty one.
  const doc = docs[0] ?? parseDocument(text, { lineCounter });
  const error = doc.errors[0];
  if (error) {
    throw invalidInput('FO_GIT_E3121', `${file}: invalid YAML: ${error.message.split('\n')[0]}`, {
      hint: 'fix the kustomization in the GitOps repository first; failover edits only valid files',
      details: { file },
    });
  }
  const unresolved = unresolvedAlias(doc);
  if (unresolved) {
    const { line, col } = lineCounter.linePos(unresolved.offset);
    throw invalidInput(
      'FO_GIT_E3121',
      `${file}:${line}:${col}: invalid YAML: the alias *${unresolved.name} refers to no anchor &${unresolved.name} before it`,
      {
        hint: 'set the anchor before the alias (or write the value out) in the GitOps repository first',
        details: { file, line, column: col },
      },
    );
  }
  const root = doc.contents;
  if (root !== null && !isMap(root)) {
    throw invalidInput('FO_GIT_E3122', `${file}: a kustomization must be a YAML mapping`, {
      details: { file },
    });
  }
  const pairs = new Map<EntryKey, Pair<Node, Node | null>>();
  const entries: StandbyEntry[] = [];
  // Items as plain data with their aliases resolved (`target: *dep` is the anchored target).
  const data = asRecord(doc.toJS({ maxAliasCount: 100 })) ?? {};
  for (const pair of root?.items ?? []) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (!(ENTRY_KEYS as readonly unknown[]).includes(key)) continue;
    const entryKey = key as EntryKey;
    pairs.set(entryKey, pair as Pair<Node, Node | null>);
    if (!isSeq(pair.value)) continue;
    const values = Array.isArray(data[entryKey]) ? (data[entryKey] as unknown[]) : [];
    pair.value.items.forEach((_, index) => {
      const found = classifyItem(entryKey, values[index], matcher);
      if (found) entries.push({ key: entryKey, index, ...found });
    });
  }
  return { text, pairs, entries, data };
}

/** The first alias without an anchor before it: the YAML library throws when reading its value. */
function unresolvedAlias(doc: Document): { name: string; offset: number } | undefined {
  let found: { name: string; offset: number } | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      found = { name: node.source, offset: node.range?.[0] ?? 0 };
      return visit.BREAK;
    },
  });
  return found;
}

/** The standby entries of a kustomization (throws invalid-input when it does not parse). */
export function findStandbyEntries(text: string, file: string, matcher: StandbyMatcher): StandbyEntry[] {
  return parseKustomization(text, file, matcher).entries;
}
