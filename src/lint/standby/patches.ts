/**
 * The `replace` → `add` trap: a JSON-patch `replace` on a path the target lacks is supposed to
 * fail, but kustomize silently adds the value (an open kustomize issue). The standby patch
 * `replace /spec/replicas 0` therefore "works" on an HPA-managed Deployment without spec.replicas,
 * until a kustomize that fixes the issue refuses to render the standby overlay. `add` sets the
 * value whether or not it exists, which is what a standby patch means.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isScalar, isSeq, isMap as isYamlMap, LineCounter, type Node, parseDocument } from 'yaml';
import type { KubeObject } from '../../providers/kustomize/index.js';
import { matchesSelector, parseSelector, type Selector } from '../../providers/kustomize/resource.js';
import { readKustomizationData } from './render.js';
import type { StandbyFinding } from './types.js';
import { describeRef, refOf } from './workloads.js';

/** One JSON-patch operation of a standby patch, with where it is written. */
export interface PatchOperation {
  op: string;
  path: string;
  file: string;
  line: number;
  target: Selector;
}

function tokens(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Whether the JSON pointer resolves in `object`. */
export function pointerExists(object: unknown, pointer: string): boolean {
  const path = tokens(pointer);
  if (!path) return false;
  let node: unknown = object;
  for (const token of path) {
    if (Array.isArray(node)) {
      const index = Number(token);
      if (!/^\d+$/.test(token) || index >= node.length) return false;
      node = node[index];
    } else if (typeof node === 'object' && node !== null) {
      if (!Object.hasOwn(node, token)) return false;
      node = (node as Record<string, unknown>)[token];
    } else {
      return false;
    }
  }
  return true;
}

/** Operations of a JSON-patch text; `lineOffset` is added to lines (inline patches). */
function operationsOf(text: string, file: string, target: Selector, lineOffset = 0): PatchOperation[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0 || !isSeq(doc.contents)) return [];
  const out: PatchOperation[] = [];
  for (const item of doc.contents.items) {
    if (!isYamlMap(item)) continue;
    const field = (name: string) => {
      const pair = item.items.find((p) => isScalar(p.key) && p.key.value === name);
      return isScalar(pair?.value) ? pair.value.value : undefined;
    };
    const op = field('op');
    const path = field('path');
    if (typeof op !== 'string' || typeof path !== 'string') continue;
    const offset = (item as Node).range?.[0] ?? 0;
    out.push({ op, path, file, line: lines.linePos(offset).line + lineOffset, target });
  }
  return out;
}

/** Line (1-based) of the node at `path` in a kustomization text. */
function lineOf(text: string, path: (string | number)[]): number | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const node = doc.getIn(path, true) as Node | undefined;
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function selectorOf(value: unknown, file: string): Selector | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSelector(value, file);
  } catch {
    return undefined;
  }
}

/** The JSON-patch operations a kustomization's `patches` / `patchesJson6902` entry holds. */
async function entryOperations(
  kustomization: { file: string; text: string; dir: string },
  key: 'patches' | 'patchesJson6902',
  index: number,
  entry: Record<string, unknown>,
): Promise<PatchOperation[]> {
  const target = selectorOf(entry.target, kustomization.file);
  if (!target) return [];
  if (typeof entry.path === 'string') {
    const file = resolve(kustomization.dir, entry.path);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return [];
    }
    return operationsOf(text, file, target);
  }
  if (typeof entry.patch === 'string') {
    // A block scalar starts on the line after its `|` header.
    const header = lineOf(kustomization.text, [key, index, 'patch']) ?? 1;
    return operationsOf(entry.patch, kustomization.file, target, header);
  }
  return [];
}

/** The JSON-patch operations of every patch in a kustomization (or Component) directory. */
export async function kustomizationOperations(dir: string): Promise<PatchOperation[]> {
  const kustomization = await readKustomizationData(dir);
  if (!kustomization) return [];
  const out: PatchOperation[] = [];
  for (const key of ['patches', 'patchesJson6902'] as const) {
    const list = kustomization.data[key];
    if (!Array.isArray(list)) continue;
    for (const [index, entry] of list.entries()) {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
      out.push(
        ...(await entryOperations(
          { file: kustomization.file, text: kustomization.text, dir },
          key,
          index,
          entry as Record<string, unknown>,
        )),
      );
    }
  }
  return out;
}

/** The operations of one standby patch entry of the overlay (its `path`, with the entry's target). */
export async function standbyPatchOperations(
  overlay: { dir: string; file: string; text: string; data: Record<string, unknown> },
  key: string,
  index: number,
): Promise<PatchOperation[]> {
  if (key !== 'patches' && key !== 'patchesJson6902') return [];
  const list = overlay.data[key];
  const entry = Array.isArray(list) ? list[index] : undefined;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [];
  return entryOperations(overlay, key, index, entry as Record<string, unknown>);
}

/**
 * `replace` operations whose path some targets lack, judged on the render without the standby
 * entries (the objects as the patch would find them).
 */
export function checkReplaceOperations(
  operations: readonly PatchOperation[],
  objects: readonly KubeObject[],
  display: (file: string) => string,
): StandbyFinding[] {
  const findings: StandbyFinding[] = [];
  for (const operation of operations) {
    if (operation.op !== 'replace') continue;
    let targets: KubeObject[];
    try {
      targets = objects.filter((object) => matchesSelector({ object, previousNames: [] }, operation.target));
    } catch {
      continue;
    }
    const missing = targets.filter((object) => !pointerExists(object, operation.path));
    if (missing.length === 0) continue;
    const names = missing.slice(0, 5).map((o) => describeRef(refOf(o)));
    const more = missing.length > names.length ? ` and ${missing.length - names.length} more` : '';
    findings.push({
      rule: 'replace-missing-path',
      severity: 'warning',
      message: `\`replace ${operation.path}\` targets ${names.join(', ')}${more}, where ${operation.path} does not exist: kustomize silently adds it today (an open kustomize issue), and a kustomize that fixes it would refuse to render the standby overlay`,
      ...(missing[0] ? { object: refOf(missing[0]) } : {}),
      file: display(operation.file),
      line: operation.line,
      fix: '`op: add` sets the value whether or not the field exists: use it in standby patches',
    });
  }
  return findings;
}
