/**
 * The metric gate between the stages of a staged shift: route53.set-weights with the config's
 * `metrics:` section (Prometheus's HTTP API here), against the Route 53 and Prometheus emulators.
 * The AWS error rate follows the share of traffic AWS carries, so a stage can pass while the next
 * one fails; the weights then go back to the last good stage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { type PrometheusEmulator, startPrometheusEmulator } from '../../src/sandbox/prometheus/index.js';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';
import { setWeightsStep } from '../../src/steps/route53/set-weights.js';
import { failure } from '../support/failure.js';
import { type StepHarness, stepContext } from '../support/step-context.js';

const AWS_QUERY =
  '100 * sum(rate(http_requests_total{app="ledger",cloud="aws",code=~"5.."}[1m])) / sum(rate(http_requests_total{app="ledger",cloud="aws"}[1m]))';

let route53: Route53Emulator;
let prometheus: PrometheusEmulator;
let seed: WriteupSeed;
/** AWS answers this error rate (percent) once it carries at least `awsBreaksAt` percent of traffic. */
let awsBreaksAt = 101;
let scenarios = 0;

function awsShare(): number {
  const split = route53.model.trafficSplit(seed.trafficPolicyInstanceIds[0] as string) ?? [];
  const weight = (target: string) => split.find((t) => t.target === target)?.weight ?? 0;
  const total = weight('gke') + weight('aws');
  return total === 0 ? 0 : (weight('aws') / total) * 100;
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  route53 = await startRoute53Emulator({ rateLimit: false });
  prometheus = await startPrometheusEmulator({
    errorRates: (side) => (side === 'aws' && awsShare() >= awsBreaksAt ? 30 : 0.1),
  });
});
afterAll(async () => {
  await Promise.all([route53?.close(), prometheus?.close()]);
});

function harness(metrics: boolean): StepHarness {
  scenarios += 1;
  seed = seedWriteupScenario(route53.model, {
    zoneName: `ledger${scenarios}.example.com.`,
    policyName: `ledger-${scenarios}`,
  });
  const config = Config.parse({
    aws: { region: 'us-east-1' },
    route53: {
      endpoint: route53.url,
      trafficFlow: {
        instances: seed.trafficPolicyInstanceIds,
        roles: { gcp: 'gke', aws: 'aws' },
        pollInterval: 0.05,
      },
      rateLimit: { perSecond: 50, burst: 50 },
    },
    ...(metrics
      ? {
          metrics: {
            provider: 'prometheus',
            prometheus: { endpoint: prometheus.url },
            interval: '20ms',
            failureThreshold: 2,
            aws: { errorRate: { query: AWS_QUERY, thresholdRange: { max: 1 } } },
          },
        }
      : {}),
  });
  return stepContext({ config }, { id: 'run-stage', incident: 'INC-9' });
}

const splitOf = () =>
  Object.fromEntries(
    (route53.model.trafficSplit(seed.trafficPolicyInstanceIds[0] as string) ?? []).map((t) => [
      t.target,
      t.weight,
    ]),
  );
const queries = () => prometheus.control.log.entries.filter((e) => e.operation === 'Query').length;

describe('the metric gate between the stages of a shift', () => {
  it('10 → 50 → 100: AWS errors once it carries half the traffic; the shift stops and goes back to 10%', async () => {
    awsBreaksAt = 40;
    const { ctx } = harness(true);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 50, 100] });
    const plan = await setWeightsStep.plan(ctx, input);
    prometheus.control.log.clear();
    const error = await failure(setWeightsStep.apply?.(ctx, input, plan) ?? Promise.resolve());
    expect(error.code).toBe('FO_ROUTE53_E3441');
    expect(error.message).toMatch(/^stage 50% failed \(health gate: metric gate: query 100 \* sum\(rate/);
    expect(error.message).toContain(`query ${AWS_QUERY}: value 30 outside <= 1`);
    expect(error.message).toContain('the weights are back at the 10% stage');
    expect(splitOf()).toEqual({ gke: 229, aws: 26 });
    // One passing evaluation after 10%, two failing ones in a row after 50% (failureThreshold 2).
    expect(queries()).toBe(3);
  });

  it('healthy at every stage: the gate runs after each one and the shift completes', async () => {
    awsBreaksAt = 101;
    const { ctx } = harness(true);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 50, 100] });
    const plan = await setWeightsStep.plan(ctx, input);
    prometheus.control.log.clear();
    const result = await setWeightsStep.apply?.(ctx, input, plan);
    expect(result?.outputs?.stagesApplied).toEqual(['10%', '50%', '100%']);
    expect(splitOf()).toEqual({ gke: 0, aws: 255 });
    // Between stages only: after 10% and after 50%.
    expect(queries()).toBe(2);
  });

  it('without a metrics section no metric is read and the same failing AWS does not stop the shift', async () => {
    awsBreaksAt = 40;
    const { ctx } = harness(false);
    const input = setWeightsStep.input.parse({ to: 'aws', stages: [10, 50, 100] });
    const plan = await setWeightsStep.plan(ctx, input);
    prometheus.control.log.clear();
    await setWeightsStep.apply?.(ctx, input, plan);
    expect(splitOf()).toEqual({ gke: 0, aws: 255 });
    expect(queries()).toBe(0);
  });
});
