/**
 * JSON Schema for runbooks, generated from the zod schema and the step kinds' input schemas, so
 * editors autocomplete `uses:` and each kind's `with:`. runbooks/schema.json is this, written by
 * `npm run schema`; a test keeps the two equal and validates the shipped runbooks against it.
 *
 * Expressions: the loader resolves every string of a step's `with:` that holds a `${{ … }}`, at
 * any depth (load.ts, resolveValue), so there every value may also be such a string. Outside
 * `with:` only `when`, a step's `timeout` and a step's `onFailure` take one, and the zod schema
 * already says so; everything else (retry, a group's `onFailure`, `parallel`…) refuses them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { StepRegistry } from '../steps/types.js';
import { type JsonSchema, plainJson, toJsonSchema } from '../util/json-schema.js';
import { Runbook } from './schema.js';

/** A string holding a `${{ … }}` expression, as the loader finds them (expressions.ts, TEMPLATE). */
export const EXPRESSION_PATTERN = '\\$\\{\\{[\\s\\S]*?\\}\\}';

const EXPRESSION: JsonSchema = {
  type: 'string',
  pattern: EXPRESSION_PATTERN,
  description: 'a ${{ … }} expression, resolved when the step runs',
};

/** Keywords that describe a value without restricting it. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$comment']);
/** Keywords by which a string schema may refuse an expression. */
const STRING_LIMITS = ['pattern', 'format', 'enum', 'const', 'maxLength', 'anyOf', 'oneOf', 'allOf', 'not'];

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when every `${{ … }}` string already satisfies the schema (`{}` or a plain string). */
function acceptsExpressions(node: JsonSchema): boolean {
  const restricting = Object.keys(node).filter((key) => !ANNOTATIONS.has(key));
  if (restricting.length === 0) return true;
  const types = node.type === undefined ? [] : ([] as unknown[]).concat(node.type);
  return (
    types.includes('string') &&
    !STRING_LIMITS.some((key) => key in node) &&
    !(typeof node.minLength === 'number' && node.minLength > '${{x}}'.length)
  );
}

/**
 * The schema of a `with:` value where, at every depth, a `${{ … }}` string is accepted as well.
 * `self: false` for the input itself (`with:` must be a mapping) and the branches of a union
 * (the union as a whole takes the expression).
 */
export function allowExpressions(node: JsonSchema, self = true): JsonSchema {
  if ('definitions' in node || '$defs' in node || '$ref' in node)
    throw new Error('step input schemas with shared definitions are not supported in runbooks/schema.json');
  const out: JsonSchema = { ...node };
  const each = (value: unknown) =>
    Object.fromEntries(
      Object.entries(value as JsonSchema).map(([k, v]) => [k, allowExpressions(v as JsonSchema)]),
    );
  if (isSchema(node.properties)) out.properties = each(node.properties);
  if (isSchema(node.patternProperties)) out.patternProperties = each(node.patternProperties);
  if (isSchema(node.additionalProperties))
    out.additionalProperties = allowExpressions(node.additionalProperties);
  if (Array.isArray(node.items)) out.items = node.items.map((item: JsonSchema) => allowExpressions(item));
  else if (isSchema(node.items)) out.items = allowExpressions(node.items);
  if (isSchema(node.additionalItems)) out.additionalItems = allowExpressions(node.additionalItems);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(node[key]))
      out[key] = (node[key] as JsonSchema[]).map((b) => allowExpressions(b, false));
  }
  if (!self || acceptsExpressions(node)) return out;
  const annotations = Object.fromEntries(Object.entries(out).filter(([key]) => ANNOTATIONS.has(key)));
  const rest = Object.fromEntries(Object.entries(out).filter(([key]) => !ANNOTATIONS.has(key)));
  // A bare union takes the expression as one more branch rather than a union of a union.
  if (Object.keys(rest).length === 1 && Array.isArray(rest.anyOf))
    return { ...annotations, anyOf: [...(rest.anyOf as JsonSchema[]), EXPRESSION] };
  return { ...annotations, anyOf: [rest, EXPRESSION] };
}

export function runbookJsonSchema(registry: StepRegistry): JsonSchema {
  const base = toJsonSchema(Runbook);
  const kinds = [...registry.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  // Each step: `uses` is one of the kinds; `with` follows that kind's input schema.
  const stepRules = kinds.map((kind) => {
    const { $schema: _draft, ...input } = toJsonSchema(kind.input);
    return {
      if: { properties: { uses: { const: kind.kind } }, required: ['uses'] },
      // biome-ignore lint/suspicious/noThenProperty: `then` is JSON Schema's keyword, not a thenable.
      then: { properties: { with: allowExpressions(input, false) } },
    };
  });
  const usesEnum = {
    enum: kinds.map((k) => k.kind),
    description: kinds.map((k) => `${k.kind}: ${k.description}`).join('\n'),
  };
  const props = base.properties as Record<string, JsonSchema>;
  const steps = props.steps as { items: { anyOf: [JsonSchema, JsonSchema] } };
  const [plain, group] = steps.items.anyOf;
  const groupProps = group.properties as Record<string, JsonSchema>;
  const parallel = groupProps.parallel as { items: JsonSchema };
  const finallySteps = props.finally as { items: JsonSchema };
  // One step schema, referenced from the three places a step may stand.
  if (!isDeepStrictEqual(parallel.items, plain) || !isDeepStrictEqual(finallySteps.items, plain))
    throw new Error('a step in `parallel:` or `finally:` no longer has the schema of a step in `steps:`');
  const step: JsonSchema = {
    ...plain,
    properties: {
      ...(plain.properties as JsonSchema),
      uses: { ...((plain.properties as JsonSchema).uses as JsonSchema), ...usesEnum },
    },
    allOf: stepRules,
  };
  const ref = { $ref: '#/definitions/step' };
  return plainJson({
    ...base,
    $id: 'https://failover.dev/schemas/runbook.json',
    title: 'failover runbook',
    properties: {
      ...props,
      steps: {
        ...steps,
        items: {
          anyOf: [ref, { ...group, properties: { ...groupProps, parallel: { ...parallel, items: ref } } }],
        },
      },
      finally: { ...finallySteps, items: ref },
    },
    definitions: { step },
  });
}
