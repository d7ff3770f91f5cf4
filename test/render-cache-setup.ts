/**
 * One render store for every CLI the system tests start (FAILOVER_KUSTOMIZE_CACHE_DIR), as one
 * operator's machine keeps one: the sandboxes all start from the same files, so a render built by
 * one test's run is found by the next instead of costing another kustomize process. Entries are
 * named by content (render-store.ts), so sharing changes no result; tests that are about rendering
 * set the variable themselves or run renders in-process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    renderCacheDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  // mkdtemp makes it owner-only, as the store requires of a directory it reads.
  const dir = mkdtempSync(join(tmpdir(), 'failover-test-renders-'));
  project.provide('renderCacheDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
