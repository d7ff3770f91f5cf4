/**
 * The runbook format. YAML files validated by this schema; runbooks/schema.json is generated from
 * it (see write-json-schema.ts) so editors can autocomplete.
 */

import { Duration, Timeout } from '../util/duration.js';
import { z } from '../util/zod.js';

export const STEP_ID = /^[a-z][a-z0-9-]*$/;

const StepId = z.string().regex(STEP_ID, 'lower-case letters, digits and dashes, starting with a letter');

/** A `${{ … }}` expression or a literal boolean. */
const Condition = z.union([z.boolean(), z.string().min(1)]);

export const Retry = z.strictObject({
  /** Total tries, including the first. */
  attempts: z.number().int().min(1).max(50),
  /** Delay before the second try; grows by `factor` each time, with jitter. */
  backoff: Duration.default('1s'),
  factor: z.number().min(1).max(10).default(2),
  maxBackoff: Duration.default('60s'),
});

export const OnFailure = z.enum(['abort', 'rollback', 'continue']);

/** A duration, or an expression that resolves to one (e.g. `${{ params.timeout }}`). */
const DurationOrExpression = z.union([
  Timeout,
  z.string().regex(/^\$\{\{[\s\S]*\}\}$/, 'a duration or a ${{ }} expression'),
]);

/** `onFailure` may be decided by a parameter: `${{ params.rollback && 'rollback' || 'abort' }}`. */
const OnFailureOrExpression = z.union([
  OnFailure,
  z.string().regex(/^\$\{\{[\s\S]*\}\}$/, 'abort, rollback, continue or a ${{ }} expression'),
]);

export const Step = z.strictObject({
  id: StepId,
  name: z.string().optional().describe('Human title shown in the step tree'),
  uses: z.string().min(1).describe('Step kind, e.g. route53.set-weights'),
  with: z.record(z.string(), z.unknown()).default({}).describe('Input of the step kind'),
  timeout: DurationOrExpression.optional(),
  retry: Retry.optional(),
  onFailure: OnFailureOrExpression.default('abort').describe(
    'abort: stop and leave state for resume; rollback: undo completed steps in reverse order; continue: record and go on',
  ),
  when: Condition.optional().describe('Run only when this is true, e.g. ${{ params.fence }}'),
});

export const ParallelGroup = z.strictObject({
  id: StepId,
  name: z.string().optional(),
  parallel: z.array(Step).min(1).describe('Steps that run at the same time'),
  onFailure: OnFailure.default('abort'),
  when: Condition.optional(),
});

export const ParamType = z.enum(['string', 'number', 'boolean', 'duration', 'list']);

export const Param = z.strictObject({
  type: ParamType.default('string'),
  description: z.string().optional(),
  default: z
    .union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))])
    .optional(),
  required: z.boolean().default(false),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
});

export const Runbook = z.strictObject({
  $schema: z.string().optional(),
  apiVersion: z.literal('failover/v1').default('failover/v1'),
  name: z.string().min(1),
  description: z.string().optional(),
  params: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/), Param).default({}),
  steps: z.array(z.union([Step, ParallelGroup])).min(1),
  finally: z
    .array(Step)
    .default([])
    .describe('Steps that always run at the end, also after failure or interruption'),
});

export type Step = z.infer<typeof Step>;
export type ParallelGroup = z.infer<typeof ParallelGroup>;
export type Param = z.infer<typeof Param>;
export type Runbook = z.infer<typeof Runbook>;
export type OnFailure = z.infer<typeof OnFailure>;

export function isGroup(entry: Step | ParallelGroup): entry is ParallelGroup {
  return 'parallel' in entry;
}
