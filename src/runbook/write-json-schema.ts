/** `npm run schema`: writes runbooks/schema.json from the zod schemas. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRegistry } from '../steps/registry.js';
import { runbookJsonSchema } from './json-schema.js';

const target = fileURLToPath(new URL('../../runbooks/schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(runbookJsonSchema(createRegistry()), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
