import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { SlowestFirstSequencer } from './test/sequencer.js';

export default defineConfig({
  test: {
    // Integration tests start emulators on loopback; keep them bounded.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The workers host the emulators and drive CLI runs: V8's optimizing compiler costs them more CPU
    // than it saves (as for the CLI itself, see bin/failover.js), and CI is bound by CPU.
    execArgv: ['--no-opt'],
    // Vitest's default is one worker less than the cores: a single worker on a 2-core CI machine,
    // where most test files spend their time waiting on emulator delays and CLI child processes.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The slowest files first (test/timings.json where vitest has no cache, as in CI).
    sequence: { sequencer: SlowestFirstSequencer },
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      // Unit tests touch no process-wide state worth a fresh module graph per file: they share one
      // (less than half the CPU of the unit suite, which CI runs on two Node versions).
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts'], isolate: false },
      },
      // Integration, conformance and end-to-end files start emulators, set credentials in the
      // environment and keep per-process caches: each gets a fresh module graph.
      {
        extends: true,
        test: {
          name: 'system',
          include: ['test/{integration,conformance,e2e}/**/*.test.ts'],
          globalSetup: ['test/render-cache-setup.ts'],
        },
      },
    ],
  },
});
