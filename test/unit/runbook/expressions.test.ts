/** `${{ … }}` expressions: references, typed whole values, interpolation, operators, and no eval. */
import { describe, expect, it } from 'vitest';
import {
  ExpressionError,
  evaluate,
  findExpressions,
  referencesOf,
  resolveValue,
  type Scope,
  Unknown,
  unknownPaths,
  withPlaceholders,
} from '../../../src/runbook/expressions.js';

const scope: Scope = {
  params: { incident: 'INC-42', stages: [10, 50, 100], fence: true, weight: 40, zero: 0, empty: '' },
  config: { route53: { policyId: 'tp-123', weights: { aws: 255 } }, 'with-dash': { x: 'dashed' } },
  steps: { 'scale-up': { outputs: { commit: 'abc123', apps: ['api', 'web'], ready: false } } },
  run: { id: '20260101T000000Z-abcd', operator: 'alice' },
};

describe('references', () => {
  it.each([
    ['params.incident', 'INC-42'],
    ['config.route53.policyId', 'tp-123'],
    ['config.route53.weights.aws', 255],
    ['steps["scale-up"].outputs.commit', 'abc123'],
    ['config["with-dash"].x', 'dashed'],
    ['run.operator', 'alice'],
    ['params.stages', [10, 50, 100]],
  ])('%s', (source, expected) => {
    expect(evaluate(source, scope)).toEqual(expected);
  });

  it('dashed ids work with dots too (`steps.scale-up` is not a subtraction)', () => {
    expect(evaluate('steps.scale-up.outputs.commit', scope)).toBe('abc123');
    expect(evaluate('config.with-dash.x', scope)).toBe('dashed');
    expect(referencesOf('steps.scale-up.outputs.ready')).toEqual([
      { root: 'steps', path: ['scale-up', 'outputs', 'ready'], text: 'steps.scale-up.outputs.ready' },
    ]);
    // Strings and numbers are left alone.
    expect(evaluate('"steps.scale-up.x" == "steps.scale-up.x"', scope)).toBe(true);
    expect(evaluate("'a.b-c'", scope)).toBe('a.b-c');
    expect(evaluate('1.e-5 < 1', scope)).toBe(true);
    expect(() => evaluate('params.weight - 1', scope)).toThrow(/operator `-` is not supported/);
  });

  it('an absent param or config field is undefined; an absent step output is an error', () => {
    expect(evaluate('params.nope', scope)).toBeUndefined();
    expect(evaluate('config.gke.cluster', scope)).toBeUndefined();
    expect(() => evaluate('steps.missing.outputs.x', scope)).toThrow(/step output not found/);
    expect(() => evaluate('steps["scale-up"].outputs.nope', scope)).toThrow(/step output not found/);
  });

  it('lists what an expression references', () => {
    expect(referencesOf('params.fence && steps["scale-up"].outputs.ready || config.a.b')).toEqual([
      { root: 'params', path: ['fence'], text: 'params.fence' },
      { root: 'steps', path: ['scale-up', 'outputs', 'ready'], text: 'steps.scale-up.outputs.ready' },
      { root: 'config', path: ['a', 'b'], text: 'config.a.b' },
    ]);
  });
});

describe('whole values keep their type; embedded ones become text', () => {
  it.each<[string, unknown]>([
    ['${{ params.weight }}', 40],
    ['${{ params.stages }}', [10, 50, 100]],
    ['${{ params.fence }}', true],
    ['  ${{ params.zero }}  ', 0],
    ['${{params.incident}}', 'INC-42'],
    ['weight ${{ params.weight }}%', 'weight 40%'],
    ['stages: ${{ params.stages }}', 'stages: [10,50,100]'],
    ['${{ params.incident }}/${{ run.operator }}', 'INC-42/alice'],
    ['[${{ params.nope }}]', '[]'],
    ['no expression here', 'no expression here'],
  ])('%j → %j', (input, expected) => {
    expect(resolveValue(input, scope)).toEqual(expected);
  });

  it('resolves inside lists and maps, leaving other values alone', () => {
    expect(
      resolveValue(
        { list: ['${{ params.weight }}', 'x-${{ params.zero }}'], nested: { n: 1, b: false, v: null } },
        scope,
      ),
    ).toEqual({ list: [40, 'x-0'], nested: { n: 1, b: false, v: null } });
  });

  it('finds each expression in a text', () => {
    expect(findExpressions('a ${{ params.x }} b ${{config.y}} c')).toEqual(['params.x', 'config.y']);
  });
});

describe('operators', () => {
  it.each<[string, unknown]>([
    ['!params.fence', false],
    ['params.weight == 40', true],
    ['params.weight == "40"', false],
    ['params.weight != 40', false],
    ['params.weight < 50', true],
    ['params.weight <= 40', true],
    ['params.weight > 40', false],
    ['params.weight >= 41', false],
    ['-params.weight', -40],
    ['params.fence && params.incident', 'INC-42'],
    ['params.zero && params.incident', 0],
    ['params.empty || "fallback"', 'fallback'],
    ['(params.weight > 10 && params.weight < 50) || false', true],
    ['!(params.zero)', true],
  ])('%s → %j', (source, expected) => {
    expect(evaluate(source, scope)).toEqual(expected);
  });
});

describe('unknown values (plan time)', () => {
  const planning: Scope = {
    ...scope,
    steps: {
      later: {
        outputs: new Proxy(
          {},
          { get: (_t, k) => new Unknown(`steps.later.outputs.${String(k)}`), has: () => true },
        ),
      },
    },
  };

  it('propagate through operators and text, and are listed with their paths', () => {
    expect(evaluate('steps.later.outputs.x == 1', planning)).toBeInstanceOf(Unknown);
    expect(evaluate('params.fence && steps.later.outputs.x', planning)).toBeInstanceOf(Unknown);
    // A decided short-circuit does not need the unknown side.
    expect(evaluate('params.zero && steps.later.outputs.x', planning)).toBe(0);
    const resolved = resolveValue(
      { a: '${{ steps.later.outputs.v }}', b: ['x ${{ steps.later.outputs.w }}'] },
      planning,
    );
    expect(unknownPaths(resolved)).toEqual([
      { path: ['a'], ref: 'steps.later.outputs.v' },
      { path: ['b', 0], ref: 'steps.later.outputs.w' },
    ]);
    expect(withPlaceholders(resolved)).toEqual({
      a: '(known after apply: steps.later.outputs.v)',
      b: ['(known after apply: steps.later.outputs.w)'],
    });
  });
});

describe('parse errors', () => {
  it.each([
    ['params.', /cannot parse expression `params\.`/],
    ['params.a &&', /cannot parse expression/],
    ['(params.a', /cannot parse expression/],
    ['', /only references, literals and the operators/],
  ])('%j', (source, message) => {
    expect(() => referencesOf(source)).toThrow(message);
    expect(() => evaluate(source, scope)).toThrow(ExpressionError);
  });
});

describe('no eval: nothing but references, literals and the listed operators', () => {
  let exited = false;
  const realExit = process.exit;

  it.each([
    ['process.exit()', /only references, literals/],
    ['process', /unknown name `process`/],
    ['globalThis', /unknown name `globalThis`/],
    ['require("fs")', /only references, literals/],
    ['params.incident.toString()', /only references, literals/],
    ['constructor', /`constructor` cannot be referenced/],
    ['params.constructor', /`constructor` cannot be referenced/],
    ['params.constructor.constructor', /`constructor` cannot be referenced/],
    ['config["constructor"]["constructor"]', /`constructor` cannot be referenced/],
    ['params.__proto__', /`__proto__` cannot be referenced/],
    ['steps["scale-up"].outputs.apps.constructor', /`constructor` cannot be referenced/],
    ['params.toString', /`toString` cannot be referenced/],
    ['config.route53.prototype', /`prototype` cannot be referenced/],
    ['steps["scale-up"].outputs.apps.map', /is not a value/],
    ['params[params.incident]', /computed member access must use a literal/],
    ['this', /only references, literals/],
    ['params.a ? 1 : 2', /only references, literals/],
    ['[1, 2]', /only references, literals/],
    ['params.a, params.b', /only references, literals/],
    ['params.weight + 1', /operator `\+` is not supported/],
    ['~params.weight', /operator `~` is not supported/],
    ['typeof params.weight', /only references, literals/],
  ])('%s is rejected', (source, message) => {
    process.exit = (() => {
      exited = true;
    }) as typeof process.exit;
    try {
      expect(() => evaluate(source, scope)).toThrow(message);
      expect(() => resolveValue(`\${{ ${source} }}`, scope)).toThrow(ExpressionError);
    } finally {
      process.exit = realExit;
    }
    expect(exited).toBe(false);
  });

  it('static checks reject the same (so `failover validate` reports them)', () => {
    for (const source of ['process.exit()', 'params.constructor.constructor', '~params.a']) {
      expect(() => referencesOf(source)).toThrow(ExpressionError);
    }
  });

  it('never hands out a function, whatever the data holds', () => {
    const tricky: Scope = { ...scope, params: { fn: () => 'called' } };
    expect(() => evaluate('params.fn', tricky)).toThrow(/is not a value/);
  });
});
