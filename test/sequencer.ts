/**
 * Test files in the order that finishes soonest on a few workers: the slowest first, so that no
 * long end-to-end file starts last and runs alone. Vitest's own sequencer orders by the durations
 * it cached in an earlier run; a clean clone (CI) has no cache and would order by file size, which
 * says little here (a short file can drive the CLI for minutes). The durations recorded in
 * test/timings.json (`node scripts/test-timings.mjs REPORT.json` after a run with the JSON reporter)
 * fill that gap; files missing from it run after the recorded ones, larger first.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

function recordedSeconds(root: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(join(root, 'test', 'timings.json'), 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

export class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byCache = await super.sort(files);
    const root = this.ctx.config.root;
    const cached = files.every((f) =>
      this.ctx.cache.getFileTestResults(`${f.project.name}:${relative(root, f.moduleId)}`),
    );
    if (cached) return byCache;
    const seconds = recordedSeconds(root);
    const weight = (f: TestSpecification) => seconds[relative(root, f.moduleId)] ?? -1;
    // Stable: files with no record keep the base order (larger first) behind the recorded ones.
    return [...byCache].sort((a, b) => weight(b) - weight(a));
  }
}
