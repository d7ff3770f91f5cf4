/**
 * `${{ … }}` expressions in runbooks, resolved by the tool itself: never by a shell, never by eval.
 * Grammar (parsed by jsep, evaluated here): references `params.x`, `config.a.b`, `steps.id.outputs.z`,
 * `run.id`; literals; `!`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, and parentheses.
 *
 * A string that is exactly one expression yields the value's own type (a list stays a list);
 * an expression embedded in text is interpolated as text.
 */
import jsep from 'jsep';
import type { Json } from '../engine/events.js';

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;
const WHOLE = /^\$\{\{([\s\S]*?)\}\}$/;

export const ROOTS = ['params', 'config', 'steps', 'run'] as const;

export interface Scope {
  params: Record<string, unknown>;
  config: Record<string, unknown>;
  /** Outputs of steps that ran (or were planned) before, by step id. */
  steps: Record<string, { outputs: Record<string, unknown> }>;
  run: Record<string, unknown>;
}

/** Stands for a value only known after an earlier step has applied. */
export class Unknown {
  constructor(readonly ref: string) {}
  toString(): string {
    return `(known after apply: ${this.ref})`;
  }
}

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message);
  }
}

export interface Reference {
  root: string;
  /** `['incident']`, `['route53', 'mode']`, `['scale-up', 'outputs', 'commit']`. */
  path: string[];
  text: string;
}

/** The expressions inside a string, without the `${{ }}`. */
export function findExpressions(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => m[1]!.trim());
}

/**
 * Step ids may contain dashes (`scale-up`), which jsep reads as a minus: `steps.scale-up.outputs.x`
 * is rewritten to `steps["scale-up"].outputs.x` before parsing. String literals are left alone, and
 * so is a number such as `1.e-5`. (Subtraction is not part of the language, so nothing is lost.)
 */
function bracketDashedMembers(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      let end = i + 1;
      while (end < source.length && source[end] !== ch) end += source[end] === '\\' ? 2 : 1;
      out += source.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const member = /^\.([A-Za-z_$][\w$]*(?:-[\w$]+)+)/.exec(source.slice(i));
    const previous = /[\w$]*$/.exec(out)![0];
    if (member && (out.endsWith(']') || (previous !== '' && !/^\d+$/.test(previous)))) {
      out += `[${JSON.stringify(member[1])}]`;
      i += member[0].length;
      continue;
    }
    out += ch;
    i += 1;
  }
  return out;
}

export function parseExpression(source: string): jsep.Expression {
  try {
    return jsep(bracketDashedMembers(source));
  } catch (error) {
    throw new ExpressionError(`cannot parse expression \`${source}\`: ${(error as Error).message}`, source);
  }
}

/** Collects references (`params.x`, `steps.id.outputs.y`) in an expression, checking the grammar. */
export function referencesOf(source: string): Reference[] {
  const refs: Reference[] = [];
  const visit = (node: jsep.Expression): void => {
    switch (node.type) {
      case 'Literal':
        return;
      case 'Identifier':
      case 'MemberExpression': {
        const path = memberPath(node, source);
        const [root, ...rest] = path;
        if (!root || !(ROOTS as readonly string[]).includes(root)) {
          throw new ExpressionError(
            `unknown name \`${root}\` in \`${source}\`; expressions start with one of: ${ROOTS.join(', ')}`,
            source,
          );
        }
        refs.push({ root, path: rest, text: path.join('.') });
        return;
      }
      case 'UnaryExpression': {
        const unary = node as jsep.UnaryExpression;
        if (unary.operator !== '!' && unary.operator !== '-')
          throw new ExpressionError(
            `operator \`${unary.operator}\` is not supported in \`${source}\``,
            source,
          );
        visit(unary.argument);
        return;
      }
      case 'BinaryExpression': {
        const binary = node as jsep.BinaryExpression;
        if (!BINARY.has(binary.operator))
          throw new ExpressionError(
            `operator \`${binary.operator}\` is not supported in \`${source}\``,
            source,
          );
        visit(binary.left);
        visit(binary.right);
        return;
      }
      default:
        throw new ExpressionError(
          `\`${source}\`: only references, literals and the operators ! == != < <= > >= && || are allowed`,
          source,
        );
    }
  };
  visit(parseExpression(source));
  return refs;
}

const BINARY = new Set(['==', '!=', '<', '<=', '>', '>=', '&&', '||']);

/**
 * Names every object inherits (`constructor`, `__proto__`, `toString`…): a reference must never
 * reach them, or `params.constructor.constructor` would hand a step the Function constructor.
 */
function checkKey(key: string, source: string): string {
  if (key in Object.prototype || key === 'prototype') {
    throw new ExpressionError(`\`${source}\`: \`${key}\` cannot be referenced`, source);
  }
  return key;
}

function memberPath(node: jsep.Expression, source: string): string[] {
  if (node.type === 'Identifier') return [checkKey((node as jsep.Identifier).name, source)];
  if (node.type === 'MemberExpression') {
    const member = node as jsep.MemberExpression;
    const base = memberPath(member.object, source);
    if (!member.computed && member.property.type === 'Identifier')
      return [...base, checkKey((member.property as jsep.Identifier).name, source)];
    if (member.computed && member.property.type === 'Literal')
      return [...base, checkKey(String((member.property as jsep.Literal).value), source)];
    throw new ExpressionError(
      `\`${source}\`: computed member access must use a literal, e.g. a["b-c"]`,
      source,
    );
  }
  throw new ExpressionError(`\`${source}\`: expected a reference such as params.name`, source);
}

function lookup(scope: Scope, path: string[], source: string): unknown {
  const [root, ...rest] = path;
  let value: unknown = scope[root as keyof Scope];
  for (const [i, key] of rest.entries()) {
    if (value instanceof Unknown) return value;
    if (value === null || typeof value !== 'object' || !(key in (value as object))) {
      if (root === 'steps' && i <= 2) {
        throw new ExpressionError(`\`${path.join('.')}\` is not available: step output not found`, source);
      }
      if (root === 'config' || root === 'params') return undefined;
      throw new ExpressionError(`\`${path.join('.')}\` is not defined`, source);
    }
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'function') {
    throw new ExpressionError(`\`${path.join('.')}\` is not a value`, source);
  }
  return value;
}

function evaluateNode(node: jsep.Expression, scope: Scope, source: string): unknown {
  switch (node.type) {
    case 'Literal':
      return (node as jsep.Literal).value;
    case 'Identifier':
    case 'MemberExpression':
      return lookup(scope, memberPath(node, source), source);
    case 'UnaryExpression': {
      const unary = node as jsep.UnaryExpression;
      const arg = evaluateNode(unary.argument, scope, source);
      if (arg instanceof Unknown) return arg;
      return unary.operator === '!' ? !arg : -(arg as number);
    }
    case 'BinaryExpression': {
      const { operator, left, right } = node as jsep.BinaryExpression;
      const l = evaluateNode(left, scope, source);
      if (operator === '&&' && !(l instanceof Unknown) && !l) return l;
      if (operator === '||' && !(l instanceof Unknown) && l) return l;
      const r = evaluateNode(right, scope, source);
      if (l instanceof Unknown) return l;
      if (r instanceof Unknown) return r;
      switch (operator) {
        case '==':
          return l === r;
        case '!=':
          return l !== r;
        case '<':
          return (l as number) < (r as number);
        case '<=':
          return (l as number) <= (r as number);
        case '>':
          return (l as number) > (r as number);
        case '>=':
          return (l as number) >= (r as number);
        case '&&':
        case '||':
          return r;
      }
    }
  }
  throw new ExpressionError(`\`${source}\`: unsupported expression`, source);
}

export function evaluate(source: string, scope: Scope): unknown {
  // The grammar check (roots, operators, no calls) runs here too, not only when a runbook is loaded.
  referencesOf(source);
  return evaluateNode(parseExpression(source), scope, source);
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object' && !(value instanceof Unknown)) return JSON.stringify(value);
  return String(value);
}

/** Resolves every expression inside a value (strings, arrays, objects), keeping types where whole. */
export function resolveValue(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value.trim());
    if (whole && findExpressions(value).length === 1) return evaluate(whole[1]!.trim(), scope);
    let unknown: Unknown | undefined;
    const text = value.replace(TEMPLATE, (_m, expr: string) => {
      const v = evaluate(expr.trim(), scope);
      if (v instanceof Unknown) unknown ??= v;
      return stringify(v);
    });
    return unknown ?? text;
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, scope)]));
  }
  return value;
}

/** Paths (inside a resolved value) that hold an Unknown. */
export function unknownPaths(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; ref: string }[] {
  if (value instanceof Unknown) return [{ path, ref: value.ref }];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, [...path, k]));
  }
  return [];
}

/** Replaces Unknowns with readable placeholders so a plan can be shown and serialised. */
export function withPlaceholders(value: unknown): Json {
  if (value instanceof Unknown) return value.toString();
  if (Array.isArray(value)) return value.map(withPlaceholders);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlaceholders(v)]));
  }
  return (value ?? null) as Json;
}

/** Every string inside a raw value, with its path, for static checks. */
export function stringsIn(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, [...path, i]));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => stringsIn(v, [...path, k]));
  return [];
}
