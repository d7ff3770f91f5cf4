/**
 * @google-cloud/gkemulticloud 3.1.0 (its only release) asks for google-gax 6, which needs Node 22.
 * package.json overrides that with the google-gax 5 the tool lists, which supports Node 20: the
 * Anthos client must resolve that one, or `npm install` on Node 20 brings a client that may not run.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

/** The package.json of the google-gax that `fromDir` resolves (google-gax does not export it). */
function googleGaxManifest(fromDir: string): { path: string; version: string; engines?: { node?: string } } {
  const entry = createRequire(`${fromDir}/`).resolve('google-gax');
  const root = /^(.*[\\/]node_modules[\\/]google-gax)[\\/]/.exec(entry)?.[1];
  if (!root) throw new Error(`google-gax resolved outside node_modules: ${entry}`);
  const path = join(root, 'package.json');
  return {
    path,
    ...(JSON.parse(readFileSync(path, 'utf8')) as { version: string; engines?: { node?: string } }),
  };
}

describe('dependencies that run on Node 20', () => {
  it('the Anthos client resolves the google-gax 5 the tool lists, which supports Node 18 and later', () => {
    const anthosDir = dirname(require.resolve('@google-cloud/gkemulticloud/package.json'));
    const gax = googleGaxManifest(anthosDir);
    expect(gax.version).toMatch(/^5\./);
    expect(gax.engines?.node).toBe('>=18');
    // The very copy the tool's own imports get, not a nested one.
    expect(gax.path).toBe(googleGaxManifest(process.cwd()).path);
  });
});
