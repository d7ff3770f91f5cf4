/**
 * JSON Schema from zod for editors. Draft-07: the draft the YAML language server (VS Code, Neovim,
 * JetBrains' YAML plugin via schema mappings) supports fully; its 2019-09/2020-12 support is partial.
 */
import { z } from './zod.js';

export type JsonSchema = { [key: string]: unknown };

export const JSON_SCHEMA_TARGET = 'draft-07';

/** The schema of a zod type as a file accepts it (defaults optional), in draft-07. */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    target: JSON_SCHEMA_TARGET,
    io: 'input',
    // Refinements and transforms cannot be written in JSON Schema; the loader still checks them.
    unrepresentable: 'any',
  }) as JsonSchema;
}

/** A copy without `undefined` members, so it equals the JSON file written from it. */
export function plainJson(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}
