import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (where package.json, runbooks/ and deploy/ are), from src/ or dist/. */
export function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'failover-orchestrator'
    )
      return dir;
    if (dirname(dir) === dir) throw new Error('package root of failover-orchestrator not found');
  }
}

/** A shipped runbook: runbooks/NAME.yaml in the package. */
export function shippedRunbook(name: string): string {
  return join(packageRoot(), 'runbooks', `${name}.yaml`);
}
