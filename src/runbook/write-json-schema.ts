/** `npm run schema`: writes runbooks/schema.json and config.schema.json from the zod schemas. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../config/json-schema.js';
import { createRegistry } from '../steps/registry.js';
import type { JsonSchema } from '../util/json-schema.js';
import { packageRoot } from '../util/package-root.js';
import { runbookJsonSchema } from './json-schema.js';

const write = (target: string, schema: JsonSchema) => {
  writeFileSync(target, `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote ${target}\n`);
};
write(join(packageRoot(), 'runbooks', 'schema.json'), runbookJsonSchema(createRegistry()));
write(join(packageRoot(), CONFIG_SCHEMA_FILE), configJsonSchema());
