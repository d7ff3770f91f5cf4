/**
 * The fix for an overlay: kustomize `patches` entries that delete the objects the target cannot
 * serve (`$patch: delete`) and drop or replace the fields it cannot use (JSON 6902), one entry per
 * object. Printed, never written: the base is shared with the other cloud and stays as it is.
 */
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit } from 'yaml';
import { groupOf } from './detect.js';
import type { JsonPatchOp, ObjectRef, PortabilityFinding } from './types.js';

export interface PatchEntry {
  target?: { group?: string; version: string; kind: string; name: string; namespace?: string };
  patch: string;
}

const keyOf = (ref: ObjectRef) => `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;

const segments = (path: string) =>
  path
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));

/** Deepest and highest-index paths first, so no operation shifts the index of a later one. */
function compareDescending(a: JsonPatchOp, b: JsonPatchOp): number {
  const [x, y] = [segments(a.path), segments(b.path)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [s, t] = [x[i]!, y[i]!];
    if (s === t) continue;
    const [m, n] = [Number(s), Number(t)];
    if (Number.isInteger(m) && Number.isInteger(n)) return n - m;
    return s < t ? 1 : -1;
  }
  return y.length - x.length;
}

function mergeOps(ops: readonly JsonPatchOp[]): JsonPatchOp[] {
  const unique = [...new Map(ops.map((op) => [JSON.stringify(op), op])).values()];
  const removed = unique.filter((op) => op.op === 'remove').map((op) => op.path);
  // An operation inside a subtree that goes away is moot (and would fail).
  const kept = unique.filter((op) => !removed.some((r) => op.path !== r && op.path.startsWith(`${r}/`)));
  return kept.sort(compareDescending);
}

export function patchEntries(findings: readonly PortabilityFinding[]): PatchEntry[] {
  const byObject = new Map<string, { ref: ObjectRef; findings: PortabilityFinding[] }>();
  for (const finding of findings) {
    const key = keyOf(finding.object);
    const slot = byObject.get(key) ?? { ref: finding.object, findings: [] };
    slot.findings.push(finding);
    byObject.set(key, slot);
  }
  const entries: PatchEntry[] = [];
  for (const { ref, findings: mine } of byObject.values()) {
    const metadata = { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) };
    if (mine.some((f) => f.fix.patch.type === 'delete')) {
      const doc = { $patch: 'delete', apiVersion: ref.apiVersion, kind: ref.kind, metadata };
      entries.push({ patch: new Document(doc).toString() });
      continue;
    }
    const ops = mergeOps(mine.flatMap((f) => (f.fix.patch.type === 'json6902' ? f.fix.patch.ops : [])));
    if (ops.length === 0) continue;
    const group = groupOf(ref.apiVersion);
    const version = ref.apiVersion.split('/').at(-1) ?? ref.apiVersion;
    entries.push({
      target: { ...(group ? { group } : {}), version, kind: ref.kind, ...metadata },
      patch: new Document(ops).toString(),
    });
  }
  return entries;
}

/** The entries as YAML list items, the `patch` texts as literal blocks, indented by `indent`. */
function itemsText(entries: readonly PatchEntry[], indent: number): string {
  const doc = new Document(entries);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && node.value.includes('\n')) node.type = Scalar.BLOCK_LITERAL;
    },
  });
  const pad = ' '.repeat(indent);
  return doc
    .toString({ lineWidth: 0 })
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join('\n');
}

/** Where a new item of the kustomization's `patches` list goes, when it can be appended at the end. */
function appendIndent(kustomization: string): { indent: number; hasPatches: boolean; appendable: boolean } {
  const lines = new LineCounter();
  const doc = parseDocument(kustomization, { lineCounter: lines });
  if (doc.errors.length > 0 || !isMap(doc.contents))
    return { indent: 2, hasPatches: false, appendable: false };
  const pairs = doc.contents.items;
  const index = pairs.findIndex((p) => isScalar(p.key) && p.key.value === 'patches');
  if (index < 0) return { indent: 2, hasPatches: false, appendable: true };
  const patches = pairs[index]?.value;
  const last = index === pairs.length - 1;
  if (!isSeq(patches) || patches.flow || !patches.range)
    return { indent: 2, hasPatches: true, appendable: false };
  if (patches.items.length === 0) return { indent: 2, hasPatches: true, appendable: false };
  const column = lines.linePos(patches.range[0]).col - 1;
  return { indent: column, hasPatches: true, appendable: last };
}

/**
 * The text `--fix` prints for one overlay: ready to append to its kustomization file when
 * `patches:` is its last key (or absent), otherwise the entries to add to its `patches:` list.
 */
export function fixText(
  kustomizationFile: string,
  kustomization: string,
  findings: readonly PortabilityFinding[],
): string {
  const entries = patchEntries(findings);
  if (entries.length === 0) return `# ${kustomizationFile}: nothing to fix\n`;
  const { indent, hasPatches, appendable } = appendIndent(kustomization);
  const head = appendable
    ? `# failover lint portability --fix: append to ${kustomizationFile}`
    : `# failover lint portability --fix: add these entries to the \`patches:\` list of ${kustomizationFile}`;
  const items = itemsText(entries, indent);
  return `${head}\n${hasPatches ? '' : 'patches:\n'}${items}`;
}
