import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'failover-orchestrator';

interface Manifest {
  name?: string;
  version: string;
}

let found: { dir: string; manifest: Manifest } | undefined;

/**
 * The installed package's root (where package.json, runbooks/ and deploy/ are), found by walking up
 * from this module: it works from src/, from dist/ and from the bundled CLI's chunks alike.
 */
function locate(): { dir: string; manifest: Manifest } {
  if (found) return found;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (manifest.name === PACKAGE_NAME) {
        found = { dir, manifest };
        return found;
      }
    }
    if (dirname(dir) === dir) throw new Error(`package root of ${PACKAGE_NAME} not found`);
  }
}

export function packageRoot(): string {
  return locate().dir;
}

/** The package's own package.json. */
export function packageManifest(): Manifest {
  return locate().manifest;
}

/** A shipped runbook: runbooks/NAME.yaml in the package. */
export function shippedRunbook(name: string): string {
  return join(packageRoot(), 'runbooks', `${name}.yaml`);
}
