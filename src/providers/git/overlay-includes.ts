/**
 * Whether one overlay builds on another: its kustomization lists the other's directory (or a
 * directory that does) under `resources:`, `components:` or the legacy `bases:`. Then what failover
 * writes into the other (the fence of GKE's CronJobs) reaches this one's render too.
 */
import { posix } from 'node:path';
import { parse } from 'yaml';
import { KUSTOMIZATION_FILES } from '../kustomize/files.js';
import type { GitCache } from './cache.js';
import { looksRemote } from './render-inputs.js';

const LISTS = ['resources', 'components', 'bases'] as const;
/** A chain of overlays deeper than this is not followed further. */
const MAX_DIRS = 64;

async function kustomizationOf(cache: GitCache, revision: string, dir: string): Promise<unknown> {
  for (const name of KUSTOMIZATION_FILES) {
    const text = await cache.readFile(revision, posix.join(dir, name));
    if (text === undefined) continue;
    try {
      return parse(text);
    } catch {
      return undefined; // the render reports a broken kustomization; here it only stops the walk
    }
  }
  return undefined;
}

/**
 * The chain of directories from `from` to `target` (both repository-relative, `from` first), when
 * `from`'s kustomization reaches `target` through local directories; else undefined.
 */
export async function overlayChain(
  cache: GitCache,
  revision: string,
  from: string,
  target: string,
): Promise<string[] | undefined> {
  const seen = new Set<string>([from]);
  const queue: string[][] = [[from]];
  while (queue.length > 0 && seen.size <= MAX_DIRS) {
    const chain = queue.shift() as string[];
    const dir = chain.at(-1) as string;
    const data = await kustomizationOf(cache, revision, dir);
    if (typeof data !== 'object' || data === null) continue;
    for (const list of LISTS) {
      const entries = (data as Record<string, unknown>)[list];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        // A remote base (`github.com/org/repo//dir?ref=v1`) is never a directory of this tree.
        if (typeof entry !== 'string' || looksRemote(entry)) continue;
        const next = posix.normalize(posix.join(dir, entry)).replace(/\/+$/, '');
        if (next === target) return [...chain, next];
        if (next.startsWith('..') || seen.has(next) || posix.extname(next) !== '') continue;
        seen.add(next);
        queue.push([...chain, next]);
      }
    }
  }
  return undefined;
}
