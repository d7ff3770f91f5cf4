/**
 * Where a rendered object was written: rendered objects carry no position, so the manifests the
 * overlay's kustomizations list are indexed by kind and name. Best effort: an object renamed by a
 * prefix or suffix is found by the name it had in its file.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { isFile } from '../../providers/kustomize/index.js';
import { readKustomizationData } from './render.js';
import type { ObjectRef } from './types.js';

export interface SourcePosition {
  file: string;
  line: number;
}

export class SourceIndex {
  private readonly byKind = new Map<string, { name: string; position: SourcePosition }[]>();

  add(kind: string, name: string, position: SourcePosition): void {
    const list = this.byKind.get(kind) ?? [];
    list.push({ name, position });
    this.byKind.set(kind, list);
  }

  /** The exact name first, else the longest source name the rendered name contains (prefix/suffix). */
  find(ref: ObjectRef): SourcePosition | undefined {
    const candidates = this.byKind.get(ref.kind) ?? [];
    const exact = candidates.find((c) => c.name === ref.name);
    if (exact) return exact.position;
    return candidates
      .filter((c) => ref.name.includes(c.name))
      .sort((a, b) => b.name.length - a.name.length)[0]?.position;
  }
}

/** Indexes the resource files listed by the given kustomization directories. */
export async function indexSources(dirs: readonly string[]): Promise<SourceIndex> {
  const index = new SourceIndex();
  for (const dir of dirs) {
    const kustomization = await readKustomizationData(dir);
    const resources = kustomization?.data.resources;
    if (!Array.isArray(resources)) continue;
    for (const entry of resources) {
      if (typeof entry !== 'string') continue;
      const file = resolve(dir, entry);
      if (!(await isFile(file))) continue;
      const lines = new LineCounter();
      for (const doc of parseAllDocuments(await readFile(file, 'utf8'), { lineCounter: lines })) {
        if (doc.errors.length > 0) continue;
        const value = doc.toJS({ maxAliasCount: 100 }) as {
          kind?: unknown;
          metadata?: { name?: unknown };
        } | null;
        if (typeof value?.kind !== 'string' || typeof value.metadata?.name !== 'string') continue;
        const offset = doc.contents?.range?.[0] ?? 0;
        index.add(value.kind, value.metadata.name, { file, line: lines.linePos(offset).line });
      }
    }
  }
  return index;
}
