#!/usr/bin/env node
// Entry point: load the compiled CLI and exit with its code. Nothing else lives here.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write(
      'failover is not built yet: run `npm run build` (or `npm install`) in the package folder first.\n',
    );
    process.exit(5);
  }
  throw error;
}
process.exit(await cli.main(process.argv));
