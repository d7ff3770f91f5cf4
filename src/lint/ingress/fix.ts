/**
 * `--fix`: reorders Ingress rules so that an ALB's first match is the rule Google Cloud Load
 * Balancing picks by longest match — most specific first, catch-alls last — and nothing else.
 *
 * - Only pairs of paths that can match the same request are ordered; everything else keeps its
 *   place, so the diff stays as small as possible.
 * - GKE routing must not change: it is production. Pairs GKE resolves by position (two paths that
 *   produce the same URL-map path, two entries for the same host) keep their relative order, and the
 *   plan is dropped for an Ingress whose GKE routing would differ afterwards.
 * - The text is rewritten by moving the source lines of sequence items (with the comment lines
 *   directly above them), so every other byte of the file stays as it was; the result is parsed
 *   again and must equal the original data with only those lists reordered.
 */
import { type Document, type Node, parseAllDocuments, type YAMLSeq } from 'yaml';
import { allPaths, describePath, requestHosts } from './analyze.js';
import { albHostCovers, candidateRequestPaths, gcePathPatterns, gceRank, routeGcp } from './matching.js';
import {
  type ParsedFile,
  type ParsedIngress,
  type ParsedPath,
  type ParsedRule,
  parseIngressFile,
} from './parse.js';

export interface SequenceEdit {
  node: YAMLSeq;
  /** New position k holds the item that was at order[k]. */
  order: number[];
}

export interface IngressFixPlan {
  ingress: ParsedIngress;
  edits: SequenceEdit[];
  /** Human-readable description per spec.rules index (and `rules` for spec.rules itself). */
  descriptions: Map<number | 'rules', string>;
}

/** Whether two URL-map paths (exact or `prefix/*`) can match the same request. */
function urlMapPathsOverlap(a: string, b: string): boolean {
  const aWild = a.endsWith('/*');
  const bWild = b.endsWith('/*');
  const aLiteral = aWild ? a.slice(0, -1) : a;
  const bLiteral = bWild ? b.slice(0, -1) : b;
  if (!aWild && !bWild) return a === b;
  if (aWild && bWild) return aLiteral.startsWith(bLiteral) || bLiteral.startsWith(aLiteral);
  return aWild ? bLiteral.startsWith(aLiteral) : aLiteral.startsWith(bLiteral);
}

type Precedence = 'first' | 'second' | 'keep' | 'free';

/**
 * Which of two paths (first written before second) must come first on the ALB so that it agrees
 * with GKE's longest match; `keep` when GKE itself depends on their order or no order can agree.
 * Paths with the same backend are ordered too, so that no rule is left dead on the ALB.
 */
function pathPrecedence(first: ParsedPath, second: ParsedPath): Precedence {
  const winners = new Set<'first' | 'second'>();
  for (const a of gcePathPatterns(first.path, first.pathType)) {
    for (const b of gcePathPatterns(second.path, second.pathType)) {
      if (a === b) return 'keep';
      if (!urlMapPathsOverlap(a, b)) continue;
      winners.add(gceRank(a) > gceRank(b) ? 'first' : 'second');
    }
  }
  if (winners.size === 2) return 'keep';
  return winners.has('first') ? 'first' : winners.has('second') ? 'second' : 'free';
}

function rulesOverlap(a: ParsedRule, b: ParsedRule): boolean {
  return a.paths.some((p) =>
    b.paths.some((q) =>
      gcePathPatterns(p.path, p.pathType).some((x) =>
        gcePathPatterns(q.path, q.pathType).some((y) => urlMapPathsOverlap(x, y)),
      ),
    ),
  );
}

/** Which of two spec.rules entries must come first on the ALB. */
function rulePrecedence(first: ParsedRule, second: ParsedRule): Precedence {
  if (!first.hasHttp || !second.hasHttp) return 'free';
  // GKE keeps only the last entry for a host: moving them would change GKE.
  if (first.host.toLowerCase() === second.host.toLowerCase()) return 'keep';
  const firstCoversSecond = albHostCovers(first.host, second.host);
  const secondCoversFirst = albHostCovers(second.host, first.host);
  if (firstCoversSecond === secondCoversFirst || !rulesOverlap(first, second)) return 'free';
  // The rule with the narrower host must come first.
  return firstCoversSecond ? 'second' : 'first';
}

/** Stable topological order: keeps the written order unless a constraint forces a move. */
function stableOrder<T>(items: readonly T[], precedence: (first: T, second: T) => Precedence): number[] {
  const n = items.length;
  const successors: number[][] = items.map(() => []);
  const indegree = new Array<number>(n).fill(0);
  const addEdge = (from: number, to: number) => {
    successors[from]?.push(to);
    indegree[to] = (indegree[to] ?? 0) + 1;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const relation = precedence(items[i] as T, items[j] as T);
      if (relation === 'first' || relation === 'keep') addEdge(i, j);
      else if (relation === 'second') addEdge(j, i);
    }
  }
  const order: number[] = [];
  const placed = new Array<boolean>(n).fill(false);
  while (order.length < n) {
    const next = indegree.findIndex((d, i) => d === 0 && !placed[i]);
    if (next === -1) return items.map((_, i) => i); // contradictory constraints: leave as written
    placed[next] = true;
    order.push(next);
    for (const s of successors[next] ?? []) indegree[s] = (indegree[s] ?? 0) - 1;
  }
  return order;
}

function isIdentity(order: readonly number[]): boolean {
  return order.every((value, index) => value === index);
}

function hostLabel(host: string): string {
  return host === '' ? '*' : host;
}

/** GKE's answer for every interesting request, to prove a plan leaves GKE alone. */
function gkeFingerprint(ingress: ParsedIngress): string {
  // Sorted: the candidates must not depend on the order being changed.
  const candidates = candidateRequestPaths(
    allPaths(ingress).flatMap((p) => gcePathPatterns(p.path, p.pathType)),
  ).sort();
  const answers: string[] = [];
  const hosts = requestHosts(ingress)
    .map((host) => host.request)
    .sort();
  for (const host of hosts) {
    for (const path of candidates) {
      const route = routeGcp(ingress, host, path);
      answers.push(`${host}${path}:${route.matched?.id ?? '-'}:${route.backend}`);
    }
  }
  return answers.join('|');
}

/** The reordering for one Ingress, or undefined when it needs none (or none is safe). */
export function planIngressFix(ingress: ParsedIngress): IngressFixPlan | undefined {
  const edits: SequenceEdit[] = [];
  const descriptions = new Map<number | 'rules', string>();
  const reorderedRules: ParsedRule[] = [];
  for (const rule of ingress.rules) {
    const order = stableOrder(rule.entries, (a, b) =>
      a.routable && b.routable ? pathPrecedence(a, b) : 'free',
    );
    const entries = order.map((i) => rule.entries[i] as ParsedPath);
    reorderedRules.push({ ...rule, entries, paths: entries.filter((e) => e.routable) });
    if (isIdentity(order) || !rule.pathsNode) continue;
    edits.push({ node: rule.pathsNode, order });
    descriptions.set(
      rule.index,
      `reorders the paths of host ${hostLabel(rule.host)} (line ${rule.line}) to ${entries.map(describePath).join(', ')}`,
    );
  }
  const ruleOrder = stableOrder(ingress.rules, rulePrecedence);
  if (!isIdentity(ruleOrder) && ingress.rulesNode) {
    edits.push({ node: ingress.rulesNode, order: ruleOrder });
    descriptions.set(
      'rules',
      `moves spec.rules into the order ${ruleOrder.map((i) => hostLabel(ingress.rules[i]?.host ?? '')).join(', ')} (specific hosts before wildcard hosts before rules without host)`,
    );
  }
  if (edits.length === 0) return undefined;
  const reordered: ParsedIngress = {
    ...ingress,
    rules: ruleOrder.map((i) => reorderedRules[i] as ParsedRule),
  };
  if (gkeFingerprint(reordered) !== gkeFingerprint(ingress)) return undefined;
  return { ingress, edits, descriptions };
}

// ---------------------------------------------------------------------------------------------
// Text rewriting

interface Span {
  start: number;
  end: number;
}

interface SequenceLayout extends Span {
  chunks: Span[];
  order: number[];
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * Where each item of a block sequence lives in the text: from the comment lines directly above its
 * `-` to the end of its last line. Undefined for layouts we do not rewrite (flow sequences, items
 * sharing a line with something else).
 */
function layoutOf(text: string, edit: SequenceEdit): SequenceLayout | undefined {
  if (edit.node.flow) return undefined;
  const chunks: Span[] = [];
  let previousEnd = 0;
  for (const item of edit.node.items) {
    const range = (item as Node | null)?.range;
    if (!range || range[1] < range[0]) return undefined;
    let dash = range[0] - 1;
    while (dash >= 0 && /\s/.test(text[dash] ?? '')) dash--;
    if (text[dash] !== '-') return undefined;
    const lineStart = lineStartOf(text, dash);
    if (text.slice(lineStart, dash).trim() !== '' || lineStart < previousEnd) return undefined;
    let start = lineStart;
    while (start > previousEnd) {
      const above = lineStartOf(text, start - 1);
      if (above < previousEnd || !text.slice(above, start).trim().startsWith('#')) break;
      start = above;
    }
    let last = range[1] - 1;
    while (last > range[0] && /\s/.test(text[last] ?? '')) last--;
    const newline = text.indexOf('\n', last);
    const end = newline === -1 ? text.length : newline + 1;
    chunks.push({ start, end });
    previousEnd = end;
  }
  const first = chunks[0];
  const lastChunk = chunks[chunks.length - 1];
  if (!first || !lastChunk) return undefined;
  return { start: first.start, end: lastChunk.end, chunks, order: edit.order };
}

function render(text: string, span: Span, layouts: readonly SequenceLayout[]): string {
  let out = '';
  let position = span.start;
  for (const layout of layouts) {
    if (layout.start < position || layout.end > span.end) continue;
    out += text.slice(position, layout.start);
    const endsWithNewline = text[layout.end - 1] === '\n';
    layout.order.forEach((from, to) => {
      let piece = render(text, layout.chunks[from] as Span, layouts);
      const isLast = to === layout.order.length - 1;
      if (!isLast && !piece.endsWith('\n')) piece += '\n';
      if (isLast && !endsWithNewline && piece.endsWith('\n')) piece = piece.slice(0, -1);
      out += piece;
      const next = layout.chunks[to + 1];
      const current = layout.chunks[to];
      if (!isLast && next && current) out += text.slice(current.end, next.start);
    });
    position = layout.end;
  }
  return out + text.slice(position, span.end);
}

function dataOf(documents: readonly Document.Parsed[]): string {
  return JSON.stringify(documents.map((doc) => doc.toJS({ maxAliasCount: 1000 })));
}

export interface FixResult {
  text: string;
  changed: boolean;
  /** Why some Ingress could not be rewritten (the text then keeps it as it was). */
  notes: string[];
}

/** Applies the plans of one parsed file to its text. */
export function applyFixPlans(text: string, parsed: ParsedFile, plans: readonly IngressFixPlan[]): FixResult {
  const notes: string[] = [];
  const layouts: SequenceLayout[] = [];
  for (const plan of plans) {
    const planLayouts = plan.edits.map((edit) => layoutOf(text, edit));
    if (planLayouts.some((layout) => layout === undefined)) {
      notes.push(
        `${parsed.file}:${plan.ingress.line}: Ingress ${plan.ingress.name} uses a YAML layout --fix does not rewrite (flow lists, or items sharing a line); reorder it by hand`,
      );
      continue;
    }
    layouts.push(...(planLayouts as SequenceLayout[]));
  }
  if (layouts.length === 0) return { text, changed: false, notes };
  layouts.sort((a, b) => a.start - b.start);
  const fixed = render(text, { start: 0, end: text.length }, layouts);
  // Prove the rewrite only reordered those lists: reorder the parsed data the same way and compare.
  for (const plan of plans) {
    for (const edit of plan.edits) {
      const items = [...edit.node.items];
      edit.node.items = edit.order.map((i) => items[i]) as typeof edit.node.items;
    }
  }
  const expected = dataOf(parsed.documents);
  const reparsed = parseAllDocuments(fixed) as Document.Parsed[];
  const ok = reparsed.every((doc) => doc.errors.length === 0) && dataOf(reparsed) === expected;
  if (!ok) {
    notes.push(`${parsed.file}: the reordered text did not read back as the same data; left unchanged`);
    return { text, changed: false, notes };
  }
  return { text: fixed, changed: fixed !== text, notes };
}

/** Plans for every Ingress of a parsed file. */
export function planFileFix(parsed: ParsedFile): IngressFixPlan[] {
  return parsed.ingresses.map(planIngressFix).filter((plan): plan is IngressFixPlan => plan !== undefined);
}

/** Rewrites `text` so the rule order routes the same on GKE and on an AWS ALB. */
export function fixIngressText(text: string, file: string): FixResult {
  const parsed = parseIngressFile(text, file);
  return applyFixPlans(text, parsed, planFileFix(parsed));
}
