#!/usr/bin/env node
// Entry point: load the compiled CLI and exit with its code. Nothing else lives here.
// A command runs for seconds and most of its code runs once: V8's optimizing compiler would spend
// more CPU compiling than the compiled code saves (about a fifth of a to-aws). The long-lived
// commands (the sandbox's emulators, the demo, status --watch) keep it.
// Global options may come before the command (`failover --config f sandbox start`), so any bare
// `sandbox`/`demo` counts; a value that happens to read so only costs the run some CPU.
// `--help` and `--version` compile next to nothing and skip loading node:v8 (about 5 ms).
const longLived = new Set(['sandbox', 'demo', '--watch', '-w']);
const printsOnly = new Set(['--help', '-h', '--version', '-V', 'help']);
const args = process.argv.slice(2);
if (!args.some((arg) => longLived.has(arg) || printsOnly.has(arg))) {
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--no-opt');
}
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
