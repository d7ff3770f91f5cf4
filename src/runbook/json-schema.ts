/**
 * JSON Schema for runbooks, generated from the zod schema and the step kinds' input schemas, so
 * editors autocomplete `uses:` and each kind's `with:`. runbooks/schema.json is this, written by
 * `npm run schema`; a test keeps the two equal.
 */
import { z } from 'zod';
import type { StepRegistry } from '../steps/types.js';
import { Runbook } from './schema.js';

type JsonSchema = Record<string, unknown>;

export function runbookJsonSchema(registry: StepRegistry): JsonSchema {
  const base = z.toJSONSchema(Runbook, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const kinds = [...registry.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  // Each step: `uses` is one of the kinds; `with` follows that kind's input schema.
  const stepRules = kinds.map((kind) => ({
    if: { properties: { uses: { const: kind.kind } }, required: ['uses'] },
    // biome-ignore lint/suspicious/noThenProperty: `then` is JSON Schema's keyword, not a thenable.
    then: {
      properties: {
        with: {
          ...(z.toJSONSchema(kind.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema),
          $schema: undefined,
        },
      },
    },
  }));
  const usesEnum = {
    enum: kinds.map((k) => k.kind),
    description: kinds.map((k) => `${k.kind}: ${k.description}`).join('\n'),
  };
  const patchStep = (step: JsonSchema): JsonSchema => ({
    ...step,
    properties: {
      ...(step.properties as JsonSchema),
      uses: { ...((step.properties as JsonSchema).uses as JsonSchema), ...usesEnum },
    },
    allOf: stepRules,
  });
  const props = base.properties as JsonSchema;
  const steps = props.steps as { items: { anyOf: JsonSchema[] } };
  const [plain, group] = steps.items.anyOf as [JsonSchema, JsonSchema];
  const groupProps = group.properties as JsonSchema;
  const parallel = groupProps.parallel as { items: JsonSchema };
  const finallySteps = props.finally as { items: JsonSchema };
  const out: JsonSchema = {
    ...base,
    $id: 'https://failover.dev/schemas/runbook.json',
    title: 'failover runbook',
    properties: {
      ...props,
      steps: {
        ...steps,
        items: {
          anyOf: [
            patchStep(plain),
            {
              ...group,
              properties: { ...groupProps, parallel: { ...parallel, items: patchStep(parallel.items) } },
            },
          ],
        },
      },
      finally: { ...finallySteps, items: patchStep(finallySteps.items) },
    },
  };
  return JSON.parse(JSON.stringify(out)) as JsonSchema;
}
