// `npm install` / `npm ci` in a clone run this (the `prepare` script): build dist/ so that
// `npx failover …` works at once. An install without devDependencies (no TypeScript) cannot
// build; it says so and leaves the install intact instead of failing it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  process.stderr.write(
    'failover: TypeScript is not installed (devDependencies omitted), so dist/ was not built; run `npm install` then `npm run build`\n',
  );
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
