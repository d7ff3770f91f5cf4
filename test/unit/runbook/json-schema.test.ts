/** runbooks/schema.json is generated from the zod schemas; the committed file must match them. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbookJsonSchema } from '../../../src/runbook/json-schema.js';
import { createRegistry } from '../../../src/steps/registry.js';

const COMMITTED = resolve(import.meta.dirname, '../../../runbooks/schema.json');

describe('runbooks/schema.json', () => {
  it('equals the schema generated from the zod schemas (run `npm run schema` after changing them)', () => {
    expect(existsSync(COMMITTED), 'runbooks/schema.json is missing: run `npm run schema`').toBe(true);
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as unknown;
    expect(committed).toEqual(runbookJsonSchema(createRegistry()));
  });

  it('lists every registered step kind for `uses`', () => {
    const registry = createRegistry();
    const text = JSON.stringify(runbookJsonSchema(registry));
    for (const kind of registry.keys()) expect(text).toContain(`"const":"${kind}"`);
  });
});
