/**
 * JSON Schema for failover.config.yaml, generated from the zod config schema: config.schema.json
 * at the package root, written by `npm run schema`. The config takes no expressions.
 */
import { type JsonSchema, plainJson, toJsonSchema } from '../util/json-schema.js';
import { Config } from './schema.js';

/** The file name at the package root; the sandbox's written config points editors at it. */
export const CONFIG_SCHEMA_FILE = 'config.schema.json';

export function configJsonSchema(): JsonSchema {
  return plainJson({
    ...toJsonSchema(Config),
    $id: 'https://failover.dev/schemas/config.json',
    title: 'failover.config.yaml',
  });
}
