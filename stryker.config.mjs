/**
 * Mutation testing of the behaviours a failover depends on (`npm run mutation`): the convergence
 * judge, the weights, the Route 53 wait, the lock, the kustomization edit (and its fence), the
 * engine's rollback/resume and redaction. Too slow for CI; run it locally, one group at a time
 * while working (`npx stryker run --mutate src/engine/redact.ts`).
 *
 * Sized for a small shared machine: one test runner, only the tests of these modules (see
 * vitest.mutation.config.ts), per-test coverage so that each mutant runs only the tests that reach
 * it, and incremental results in reports/ (git-ignored) so that a re-run tests only what changed.
 * Full runs measured on a loaded 2-core machine: condition.ts 8-9 min, instances.ts 17-18 min (its
 * tests drive the Route 53 emulator), traffic-flow.ts 16 min, journal.ts 2-3 min, plan.ts with redact.ts 11 min, the three
 * kustomization modules together 11 min, the lock and its two steps together 5 min, the engine's
 * when/apply/failure/interrupt/rollback lines (engine.ts: applyWhen, applyAll … runStep,
 * rollbackCompleted; planner.ts: whenSkip, resolveOnFailure:
 * `--mutate "src/engine/engine.ts:174-184,src/engine/engine.ts:186-332,src/engine/engine.ts:412-439,src/engine/planner.ts:122-127,src/engine/planner.ts:200-214"`)
 * 9 min (measured before the planner had its own module). `--mutate` takes
 * one comma-separated list; a second `--mutate` flag replaces the first. New tests do not re-run
 * static mutants (module-level constants) from the incremental file: use `--force` for a true score.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    // the convergence judge
    'src/steps/argocd/condition.ts',
    // the weights
    'src/providers/route53/weights.ts',
    // the Route 53 wait (Traffic Flow: wait for Applied, point back, restore)
    'src/providers/route53/traffic-flow.ts',
    // the joint wait for Applied itself (InstanceReader.waitAll) and the bulk reads it polls with
    'src/providers/route53/instances.ts',
    // the lock
    'src/providers/git/lock.ts',
    'src/steps/lock/acquire.ts',
    'src/steps/lock/release.ts',
    // the kustomization edit and the CronJob fence
    'src/providers/git/kustomization.ts',
    'src/providers/git/kustomization-entries.ts',
    'src/providers/git/kustomization-text.ts',
    // the engine's rollback and resume (with its planner and step contexts, once part of engine.ts)
    'src/engine/engine.ts',
    'src/engine/planner.ts',
    'src/engine/step-context.ts',
    'src/engine/plan.ts',
    'src/engine/journal.ts',
    // redaction
    'src/engine/redact.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  // The integration tests talk to emulators on loopback; a loaded machine needs slack.
  timeoutMS: 15_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 15,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  ignorePatterns: [
    'dist',
    'coverage',
    'reports',
    '.tmp',
    '.stryker-tmp*',
    'sandbox-run',
    'failover-sandbox',
    'bench',
  ],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
