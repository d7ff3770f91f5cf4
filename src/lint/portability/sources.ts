/**
 * Where a rendered object comes from: rendered objects carry no position, so the resource files
 * the overlay's kustomization reaches (its bases, their bases, components) are indexed by kind
 * and name. Best effort: an object renamed by a prefix or suffix is found by its name in the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { LineCounter, parse, parseAllDocuments } from 'yaml';

export const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface SourcePosition {
  file: string;
  line: number;
}

async function kind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : undefined;
  } catch {
    return undefined;
  }
}

/** The kustomization file of a directory, when it has one. */
export async function kustomizationFile(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_NAMES) {
    if ((await kind(join(dir, name))) === 'file') return join(dir, name);
  }
  return undefined;
}

export class SourceIndex {
  private readonly byKind = new Map<string, { name: string; position: SourcePosition }[]>();

  add(kindName: string, name: string, position: SourcePosition): void {
    const list = this.byKind.get(kindName) ?? [];
    list.push({ name, position });
    this.byKind.set(kindName, list);
  }

  /** The exact name first, else the longest source name the rendered name contains. */
  find(kindName: string, name: string): SourcePosition | undefined {
    const candidates = this.byKind.get(kindName) ?? [];
    return (
      candidates.find((c) => c.name === name)?.position ??
      candidates.filter((c) => name.includes(c.name)).sort((a, b) => b.name.length - a.name.length)[0]
        ?.position
    );
  }
}

async function indexFile(index: SourceIndex, file: string, shown: string): Promise<void> {
  const lines = new LineCounter();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  for (const doc of parseAllDocuments(text, { lineCounter: lines })) {
    if (doc.errors.length > 0) continue;
    const value = doc.toJS({ maxAliasCount: 100 }) as {
      kind?: unknown;
      metadata?: { name?: unknown };
    } | null;
    if (typeof value?.kind !== 'string' || typeof value.metadata?.name !== 'string') continue;
    index.add(value.kind, value.metadata.name, {
      file: shown,
      line: lines.linePos(doc.contents?.range?.[0] ?? 0).line,
    });
  }
}

/**
 * Indexes every resource file the kustomization in `dir` reaches. File names are shown relative
 * to `base` (the current directory). At most `limit` directories: a cycle or a huge tree stops.
 */
export async function indexSources(dir: string, base = process.cwd(), limit = 200): Promise<SourceIndex> {
  const index = new SourceIndex();
  const seen = new Set<string>();
  const queue = [resolve(dir)];
  while (queue.length > 0 && seen.size < limit) {
    const current = queue.shift()!;
    if (seen.has(current)) continue;
    seen.add(current);
    const file = await kustomizationFile(current);
    if (!file) continue;
    let data: unknown;
    try {
      data = parse(await readFile(file, 'utf8'), { maxAliasCount: 100 });
    } catch {
      continue;
    }
    const record = (data ?? {}) as Record<string, unknown>;
    const listed = ['resources', 'components', 'bases'].flatMap((key) =>
      Array.isArray(record[key]) ? (record[key] as unknown[]) : [],
    );
    for (const entry of listed) {
      if (typeof entry !== 'string' || entry.includes('://')) continue;
      const path = resolve(current, entry);
      const what = await kind(path);
      if (what === 'dir') queue.push(path);
      else if (what === 'file') await indexFile(index, path, relative(base, path) || path);
    }
  }
  return index;
}
