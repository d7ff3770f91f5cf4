/** An independent JSON Schema validator for the generated schemas: ajv (draft-07) with formats. */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from '../../../src/util/json-schema.js';

// ajv-formats is CommonJS: under Node's ESM interop its default import is the plugin function
// itself, while its types describe `exports.default`.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Strict mode: an unknown keyword or format in the schema is an error, not silently ignored. */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  // Union types (`type: [string, number]`) are plain draft-07; ajv's strict mode only asks to allow them.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** The validator's complaints, `/path message` each; empty when the data is valid. */
export function schemaErrors(validate: ValidateFunction, data: unknown): string[] {
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
