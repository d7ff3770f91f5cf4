/**
 * runbooks/schema.json is generated from the zod schemas; the committed file must match them, and
 * an independent validator (ajv) must agree with the runbook loader: every shipped runbook passes,
 * an expression passes wherever the loader resolves one, and a wrong type fails in both.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXPRESSION_PATTERN, runbookJsonSchema } from '../../../src/runbook/json-schema.js';
import { parseRunbook } from '../../../src/runbook/load.js';
import { createRegistry } from '../../../src/steps/registry.js';
import { type JsonSchema, toJsonSchema } from '../../../src/util/json-schema.js';
import { compileSchema, schemaErrors } from '../util/ajv.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const COMMITTED = join(ROOT, 'runbooks/schema.json');
const registry = createRegistry();

const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as JsonSchema;
const validate = compileSchema(committed);

const yamlFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f));
const SHIPPED = [...yamlFiles('runbooks'), ...yamlFiles('runbooks/examples')];
const FIXTURES = [...yamlFiles('test/fixtures/runbooks/valid'), ...yamlFiles('test/fixtures/runbooks/e2e')];

function loaderProblems(text: string): string[] {
  try {
    parseRunbook(text, 'test.yaml', registry);
    return [];
  } catch (error) {
    const problems = (error as { problems?: { path?: string; message: string }[] }).problems;
    if (!problems) throw error;
    return problems.map((p) => `${p.path}: ${p.message}`);
  }
}

/** A runbook around one step (or group), with the parameters the expressions use. */
function runbookWith(entry: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'schema-check',
    params: { v: { type: 'string' }, n: { type: 'number' }, flag: { type: 'boolean' } },
    steps: [entry],
  };
}

const expr = '${{ params.v }}';

const verdicts = (data: Record<string, unknown>) => ({
  schema: schemaErrors(validate, data),
  loader: loaderProblems(JSON.stringify(data)),
});

describe('runbooks/schema.json', () => {
  it('equals the schema generated from the zod schemas (run `npm run schema` after changing them)', () => {
    expect(existsSync(COMMITTED), 'runbooks/schema.json is missing: run `npm run schema`').toBe(true);
    expect(committed).toEqual(runbookJsonSchema(registry));
  });

  it('is draft-07, which the YAML language server supports fully, and compiles in strict mode', () => {
    expect(committed.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(typeof validate).toBe('function');
  });

  it('lists every registered step kind for `uses`', () => {
    const text = JSON.stringify(committed);
    for (const kind of registry.keys()) expect(text).toContain(`"const":"${kind}"`);
  });

  it.each([...SHIPPED, ...FIXTURES])('%s validates with ajv and loads', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(schemaErrors(validate, parse(text))).toEqual([]);
    expect(loaderProblems(text)).toEqual([]);
  });

  it.each(SHIPPED)('%s names the schema in the modeline editors read, not in a $schema key', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const modeline = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
    expect(modeline, 'first line: # yaml-language-server: $schema=…').not.toBeNull();
    expect(resolve(dirname(join(ROOT, file)), modeline![1]!)).toBe(COMMITTED);
    expect(parse(text)).not.toHaveProperty('$schema');
  });

  it('still accepts a $schema key (older copies of the runbooks)', () => {
    const text = readFileSync(join(ROOT, 'test/fixtures/runbooks/valid/full.yaml'), 'utf8');
    expect(parse(text)).toHaveProperty('$schema');
    expect(
      verdicts({
        $schema: './schema.json',
        ...runbookWith({ id: 'a', uses: 'echo', with: { message: 'x' } }),
      }),
    ).toEqual({ schema: [], loader: [] });
  });
});

describe('expressions: the schema takes one exactly where the loader resolves one', () => {
  it.each([
    ['a step condition', { id: 'a', uses: 'echo', with: { message: 'x' }, when: '${{ params.flag }}' }],
    ['a step timeout', { id: 'a', uses: 'echo', with: { message: 'x' }, timeout: expr }],
    ['a step onFailure', { id: 'a', uses: 'echo', with: { message: 'x' }, onFailure: expr }],
    [
      'a group condition',
      { id: 'g', when: '${{ !params.flag }}', parallel: [{ id: 'a', uses: 'echo', with: { message: 'x' } }] },
    ],
    ['a number input', { id: 'a', uses: 'wait', with: { duration: '${{ params.n }}' } }],
    [
      'a boolean input',
      { id: 'a', uses: 'lock.acquire', with: { purpose: 'p', breakLock: '${{ params.flag }}' } },
    ],
    ['an enum input', { id: 'a', uses: 'route53.set-weights', with: { to: expr } }],
    [
      'a list input',
      { id: 'a', uses: 'route53.set-weights', with: { to: 'aws', stages: '${{ params.v }}' } },
    ],
    [
      'an item of a list input',
      { id: 'a', uses: 'route53.set-weights', with: { to: 'aws', stages: [10, '${{ params.n }}', 100] } },
    ],
    [
      'a field of an object input',
      { id: 'a', uses: 'route53.set-weights', with: { weights: { gcp: 0, aws: '${{ params.n }}' } } },
    ],
    ['an expression inside text', { id: 'a', uses: 'wait', with: { duration: '${{ params.n }}s' } }],
    [
      'a field of an object in a list',
      { id: 'a', uses: 'check.http', with: { probes: [{ url: expr, expectStatus: [200] }] } },
    ],
    [
      'both bounds of a range',
      {
        id: 'a',
        uses: 'check.metric',
        with: { query: 'q', thresholdRange: { min: '${{ params.n }}', max: '${{ params.n }}' } },
      },
    ],
  ])('%s', (_what, entry) => {
    expect(verdicts(runbookWith(entry))).toEqual({ schema: [], loader: [] });
  });

  /** An instance of an input schema with every field, at every depth, an expression. */
  function allExpressions(schema: JsonSchema): unknown {
    const object = [schema, ...((schema.anyOf as JsonSchema[] | undefined) ?? [])].find((s) => s.properties);
    if (object) {
      return Object.fromEntries(
        Object.entries(object.properties as Record<string, JsonSchema>).map(([k, v]) => [
          k,
          allExpressions(v),
        ]),
      );
    }
    const array = [schema, ...((schema.anyOf as JsonSchema[] | undefined) ?? [])].find(
      (s) => s.type === 'array',
    );
    if (array && !Array.isArray(array.items)) return [allExpressions(array.items as JsonSchema)];
    return expr;
  }

  const kinds = [...registry.values()].map((kind) => [kind.kind, toJsonSchema(kind.input)] as const);

  it.each(kinds)('%s: every input field, at every depth, may be an expression', (kind, input) => {
    const top = Object.fromEntries(Object.keys(input.properties as JsonSchema).map((k) => [k, expr]));
    expect(verdicts(runbookWith({ id: 'a', uses: kind, with: top }))).toEqual({ schema: [], loader: [] });
    const deep = allExpressions(input);
    expect(verdicts(runbookWith({ id: 'a', uses: kind, with: deep }))).toEqual({ schema: [], loader: [] });
  });

  it('a plain string in an input field is refused by the schema exactly when the loader refuses it', () => {
    const disagreements: string[] = [];
    let refused = 0;
    for (const [kind, input] of kinds) {
      const fields = Object.keys(input.properties as JsonSchema);
      for (const field of fields) {
        // The other fields are expressions, so only this one can be wrong.
        const entry = Object.fromEntries(fields.map((k) => [k, k === field ? 'plain text' : expr]));
        const { schema, loader } = verdicts(runbookWith({ id: 'a', uses: kind, with: entry }));
        if (schema.length > 0 !== loader.length > 0)
          disagreements.push(
            `${kind} with.${field}: schema [${schema[0] ?? ''}] loader [${loader.join('; ')}]`,
          );
        if (loader.length > 0) {
          refused += 1;
          expect(loader.join('\n')).toContain(`with.${field}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
    // Typed fields (numbers, booleans, durations, enums, lists…) of all kinds: the loop compared many.
    expect(refused).toBeGreaterThan(40);
  });

  it('the pattern is the loader’s: a closed ${{ … }}, anywhere in the string', () => {
    const pattern = new RegExp(EXPRESSION_PATTERN, 'u');
    expect(pattern.test('${{ params.v }}')).toBe(true);
    expect(pattern.test('at ${{ params.n }}s')).toBe(true);
    expect(pattern.test('${{ params.v')).toBe(false);
    expect(pattern.test('$params.v')).toBe(false);
  });
});

describe('wrong types: refused by the schema and by the loader alike', () => {
  const echo = { id: 'a', uses: 'echo', with: { message: 'x' } };
  it.each([
    ['`parallel` as a string', { id: 'g', parallel: 'yes' }, 'parallel'],
    ['a retry count as a string', { ...echo, retry: { attempts: 'three' } }, 'retry.attempts'],
    [
      'a retry count as an expression (not resolved there)',
      { ...echo, retry: { attempts: '${{ params.n }}' } },
      'retry.attempts',
    ],
    [
      'a group onFailure as an expression (not resolved there)',
      { id: 'g', onFailure: '${{ params.v }}', parallel: [echo] },
      'onFailure',
    ],
    ['a step timeout as plain text', { ...echo, timeout: 'soon' }, 'timeout'],
    [
      'a duration input as plain text',
      { id: 'a', uses: 'wait', with: { duration: 'soon' } },
      'with.duration',
    ],
    [
      'a boolean input as plain text',
      { id: 'a', uses: 'lock.acquire', with: { purpose: 'p', breakLock: 'yes' } },
      'with.breakLock',
    ],
    [
      'a field named like an unknown one (`tolerance` after `to`)',
      { id: 'a', uses: 'verify.dns', with: { to: expr, tolerance: 'plain text' } },
      'with.tolerance',
    ],
    [
      'a number in a list input as plain text',
      { id: 'a', uses: 'route53.set-weights', with: { to: 'aws', stages: [10, 'half'] } },
      'with.stages',
    ],
    [
      '`with` as an expression (it must be a mapping)',
      { id: 'a', uses: 'echo', with: '${{ params.v }}' },
      'with',
    ],
    ['`uses` as an expression (kinds are literal)', { id: 'a', uses: '${{ params.v }}', with: {} }, 'uses'],
    ['a condition as a number', { ...echo, when: 1 }, 'when'],
  ])('%s', (_what, entry, path) => {
    const { schema, loader } = verdicts(runbookWith(entry));
    expect(schema, 'schema').not.toEqual([]);
    expect(loader.join('\n'), 'loader').toContain(path);
  });
});
