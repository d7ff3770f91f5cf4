/**
 * The runbook format: valid files load; each broken fixture reports every one of its problems,
 * each with file:line:column and the field path. Fixtures live in test/fixtures/runbooks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailoverError, formatProblem, type Problem } from '../../../src/engine/errors.js';
import { flattenSteps, loadRunbook, parseRunbook, resolveParams } from '../../../src/runbook/load.js';
import { createRegistry } from '../../../src/steps/registry.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/runbooks');
const registry = createRegistry();

function problemsOf(file: string): Problem[] {
  try {
    loadRunbook(file, registry);
  } catch (error) {
    if (!FailoverError.is(error)) throw error;
    expect(error.code).toBe('FO_RUNBOOK_E2102');
    expect(error.category).toBe('invalid-input');
    return error.problems;
  }
  throw new Error(`${file} loaded without problems`);
}

/** `line:column path` → what the message must say. An empty path means a problem without one. */
type Expected = [place: string, message: RegExp];

const INVALID: [fixture: string, expected: Expected[]][] = [
  [
    'malformed-yaml.yaml',
    [
      ['6:3', /^YAML syntax: Flow map in block collection must be sufficiently indented/],
      ['6:9', /^YAML syntax: Nested mappings/],
      ['6:9', /^YAML syntax: Implicit keys need to be on a single line/],
    ],
  ],
  ['duplicate-key.yaml', [['2:1', /^YAML syntax: Map keys must be unique/]]],
  [
    'schema-errors.yaml',
    [
      ['3:18 params.count.type', /"integer" is not one of string, number/],
      ['5:9 steps[0].id', /lower-case letters, digits and dashes/],
      ['10:14 steps[1].timeout', /expected number, received boolean/],
      ['14:24 steps[2].retry.attempts', /expected number, received string/],
      ['17:15 steps[3].parallel', /expected array to have >=1 items/],
    ],
  ],
  [
    'semantic-errors.yaml',
    [
      ['6:22 steps[0].with.message', /expected string, received number/],
      ['9:11 steps[1].with.message', /expected string, received undefined/],
      ['13:17 steps[2].with.duration', /a duration such as 30s/],
    ],
  ],
  [
    'unknown-kind.yaml',
    [
      ['4:11 steps[0].uses', /unknown step kind "wiat".*did you mean "wait"\?/],
      ['7:11 steps[1].uses', /unknown step kind "route53.teleport".*known kinds: .*approve.*wait/],
    ],
  ],
  [
    'mixed-errors.yaml',
    [
      ['5:11 steps[0].uses', /unknown step kind "check.nope"/],
      ['6:14 steps[0].timeout', /a duration such as 30s/],
      ['10:11 steps[1].with', /expected record, received number/],
      ['15:16 steps[2].with.message', /unknown parameter "missing"/],
    ],
  ],
  [
    'missing-required.yaml',
    [
      ['5:11 steps[0].with.duration', /expected number, received undefined/],
      ['6:5 steps[1].with.message', /expected string, received undefined/],
    ],
  ],
  [
    'unknown-parameter.yaml',
    [
      ['8:16 steps[0].with.duraton', /unknown field "duraton"/],
      ['13:16 steps[1].with.message', /unknown parameter "incidnet".*did you mean params\.incident\?/],
    ],
  ],
  [
    'step-references.yaml',
    [
      ['5:22 steps[0].with.message', /unknown step "frist".*did you mean steps\.first\?/],
      ['8:22 steps[1].with.message', /output of step "late", which has not run yet/],
      [
        '13:26 steps[2].parallel[0].with.message',
        /output of step "right", which has not run yet.*parallel group/,
      ],
      ['16:26 steps[2].parallel[1].with.message', /write steps\.first\.outputs\.NAME/],
    ],
  ],
  [
    'duplicate-id.yaml',
    [
      ['8:13 steps[1].parallel[0].id', /duplicate id "same".*first used at steps\[0\]/],
      ['12:9 finally[0].id', /duplicate id "group".*first used at steps\[1\]/],
    ],
  ],
  [
    'unknown-field.yaml',
    [
      ['2:13 descripton', /unknown field "descripton"/],
      ['6:15 steps[0].onFailur', /unknown field "onFailur"/],
    ],
  ],
  [
    'bad-expressions.yaml',
    [
      ['7:22 steps[0].with.message', /cannot parse expression `params\.a &&`/],
      ['10:22 steps[1].with.message', /`process\.exit\(\)`: only references, literals and the operators/],
      ['13:22 steps[2].with.message', /`constructor` cannot be referenced/],
      ['16:22 steps[3].with.message', /unclosed expression/],
      ['19:11 steps[4].when', /operator `\+` is not supported/],
    ],
  ],
  [
    'bad-param-default.yaml',
    [
      ['3:36 params.weight.default', /expected a number, got "heavy"/],
      ['4:34 params.mode.default', /expected one of fast, slow, got "up"/],
    ],
  ],
];

function formatted(problem: Problem): string {
  return `${problem.line}:${problem.column}${problem.path ? ` ${problem.path}` : ''}`;
}

function render(problem: Problem): string {
  return `${problem.message}${problem.hint ? ` (hint: ${problem.hint})` : ''}`;
}

describe('invalid runbooks report every problem with its place', () => {
  it.each(INVALID)('%s', (fixture, expected) => {
    const file = join(FIXTURES, 'invalid', fixture);
    const problems = problemsOf(file);
    for (const problem of problems) {
      expect(problem.file).toBe(file);
      expect(problem.line, render(problem)).toBeGreaterThan(0);
      expect(problem.column, render(problem)).toBeGreaterThan(0);
    }
    const actual = problems.map((p) => ({ at: formatted(p), text: render(p) })).sort(byPlace);
    const wanted = [...expected].map(([at, message]) => ({ at, message })).sort(byPlace);
    expect(actual.map((p) => p.at)).toEqual(wanted.map((w) => w.at));
    wanted.forEach((w, i) => {
      expect(actual[i]!.text).toMatch(w.message);
    });
  });

  it('covers every fixture in the invalid folder', () => {
    const files = readdirSync(join(FIXTURES, 'invalid')).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(INVALID.map(([f]) => f).sort());
  });
});

function byPlace(a: { at: string }, b: { at: string }): number {
  const key = (s: string) => {
    const [pos = '', path = ''] = s.split(' ');
    const [line = 0, column = 0] = pos.split(':').map(Number);
    return [line, column, path] as const;
  };
  const [la, ca, pa] = key(a.at);
  const [lb, cb, pb] = key(b.at);
  return la - lb || ca - cb || pa.localeCompare(pb);
}

describe('valid runbooks', () => {
  const valid = readdirSync(join(FIXTURES, 'valid')).filter((f) => f.endsWith('.yaml'));
  it.each(valid)('%s loads', (fixture) => {
    const loaded = loadRunbook(join(FIXTURES, 'valid', fixture), registry);
    expect(loaded.runbook.steps.length).toBeGreaterThan(0);
  });

  it('applies defaults and keeps the structure of full.yaml', () => {
    const { runbook } = loadRunbook(join(FIXTURES, 'valid', 'full.yaml'), registry);
    expect(runbook.apiVersion).toBe('failover/v1');
    const flat = flattenSteps(runbook);
    expect(flat.map((f) => [f.step.id, f.group ?? '', f.order])).toEqual([
      ['announce', '', 0],
      ['first', 'checks', 1],
      ['second', 'checks', 1],
      ['fenced', '', 2],
      ['confirm', '', 3],
      ['done', '', 4],
    ]);
    const second = flat.find((f) => f.step.id === 'second')!.step;
    expect(second.retry).toEqual({ attempts: 3, backoff: '10ms', factor: 2, maxBackoff: '1s' });
    expect(second.onFailure).toBe('abort');
    expect(flat.find((f) => f.step.id === 'fenced')!.step.onFailure).toBe('rollback');
  });

  it('every shipped runbook validates against the registered step kinds', () => {
    const root = resolve(import.meta.dirname, '../../../runbooks');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
    expect(files).toContain(join('examples', 'hello.yaml'));
    const problems: Record<string, string[]> = {};
    for (const file of files) {
      try {
        loadRunbook(join(root, file), registry);
      } catch (error) {
        if (!FailoverError.is(error)) throw error;
        problems[file] = error.problems.length ? error.problems.map(formatProblem) : [error.message];
      }
    }
    expect(problems).toEqual({});
  });

  it('an unreadable file is an input error that names the path', () => {
    const missing = join(FIXTURES, 'no-such-runbook.yaml');
    expect(() => loadRunbook(missing, registry)).toThrow(
      /cannot read runbook .*no-such-runbook\.yaml: not found \(ENOENT\)/,
    );
  });
});

describe('parameters given on the command line', () => {
  const loaded = loadRunbook(join(FIXTURES, 'valid', 'full.yaml'), registry);

  it('converts strings to the declared types and fills defaults', () => {
    expect(
      resolveParams(loaded, { incident: 'INC-1', fence: 'true', stages: '10, 50,100', pause: '2' }),
    ).toEqual({ incident: 'INC-1', pause: 2, fence: true, stages: [10, 50, 100], mode: 'fast' });
  });

  it('reports a missing required parameter, an unknown one and a bad value together', () => {
    let error: unknown;
    try {
      resolveParams(loaded, { incidnet: 'INC-1', mode: 'medium', fence: 'maybe' });
    } catch (thrown) {
      error = thrown;
    }
    expect(FailoverError.is(error)).toBe(true);
    const problems = (error as FailoverError).problems.map(render);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/unknown parameter "incidnet".*did you mean "incident"\?/),
        expect.stringMatching(/missing parameter "incident".*--param incident=VALUE/),
        expect.stringMatching(/parameter "fence": expected true or false/),
        expect.stringMatching(/parameter "mode": expected one of fast, slow/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });
});

describe('source positions', () => {
  it('points at the value of a nested field, 1-based', () => {
    const text = readFileSync(join(FIXTURES, 'valid', 'full.yaml'), 'utf8');
    const loaded = parseRunbook(text, 'full.yaml', registry);
    const pos = loaded.source.positionOf(['steps', 1, 'parallel', 0, 'with', 'duration']);
    const line = text.split('\n')[pos!.line - 1]!;
    expect(line.slice(pos!.column - 1)).toMatch(/^"\$\{\{ params\.pause \}\}"/);
  });
});
