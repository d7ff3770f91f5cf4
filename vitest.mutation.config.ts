import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (`npm run mutation`): the fast unit and integration
 * tests of the mutated modules: no e2e (those spawn the built CLI, which mutants never reach), none
 * that wait on wall-clock timeouts (argocd.wait's own tests), which a loaded machine makes flaky,
 * and none that drive git (the lock's git tests run in the normal suite; here the lock is tested
 * against an in-memory remote), which would make each mutant cost seconds.
 */
export default defineConfig({
  test: {
    include: [
      // convergence judge
      'test/unit/argocd-judge.test.ts',
      'test/unit/argocd-cronjob-health.test.ts',
      'test/unit/argocd-judge-edges.test.ts',
      'test/unit/argocd-judge-details.test.ts',
      'test/unit/argocd-external-secrets.test.ts',
      // weights and the Route 53 wait
      'test/unit/route53-weights.test.ts',
      'test/integration/route53-wait.test.ts',
      'test/integration/route53-adapter.test.ts',
      'test/integration/route53-steps.test.ts',
      'test/integration/route53-restore.test.ts',
      'test/integration/route53-instance-reads.test.ts',
      'test/integration/route53-instance-pages.test.ts',
      'test/integration/route53-traffic-flow-edges.test.ts',
      'test/integration/route53-traffic-flow-moves.test.ts',
      // the lock
      'test/unit/run-lock.test.ts',
      'test/unit/run-lock-views.test.ts',
      // the kustomization edit and the fence
      'test/unit/kustomization-edit.test.ts',
      'test/unit/kustomization-fence.test.ts',
      'test/unit/kustomization-layouts.test.ts',
      'test/unit/kustomization-edges.test.ts',
      'test/unit/kustomization-history.test.ts',
      // the engine's rollback and resume
      'test/unit/engine/*.test.ts',
      // redaction
      'test/unit/redact.test.ts',
      // edges of the plan, weights, redaction and the lock steps
      'test/unit/mutation-gaps.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
