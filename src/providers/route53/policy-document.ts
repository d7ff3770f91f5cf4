/**
 * The weighted rule of a Traffic Flow policy document: which rule splits traffic, which of its
 * items is GKE and which is AWS, their weights, and the document with new weights. Editing keeps
 * every other character of the document (key order, formatting, and whether a weight was written
 * as a number or as a string).
 */
import { createTwoFilesPatch } from 'diff';
import type { Route53Config } from '../../config/schema.js';
import { invalidInput } from '../../engine/errors.js';
import type { Role } from '../types.js';
import { parseWeight } from './document.js';
import { type JsonPath, replaceJsonValues } from './json-text.js';
import type { Weights } from './port.js';
import { ROLES } from './weights.js';

type TrafficFlowConfig = NonNullable<Route53Config['trafficFlow']>;
export type RoleRef = TrafficFlowConfig['roles'][Role];

export interface WeightedRuleLocation {
  ruleId: string;
  /** Index in `Rules[ruleId].Items` of each role's item. */
  items: Record<Role, number>;
  weights: Weights;
  /** How each weight is written: `"255"` (string) or `255` (number). Kept when editing. */
  valueTypes: Record<Role, 'string' | 'number'>;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{endpoint: id}` or `{rule: id}` for any way the config writes a role. */
export function normalizeRoleRef(ref: RoleRef): { endpoint: string } | { rule: string } {
  return typeof ref === 'string' ? { endpoint: ref } : ref;
}

function describeRef(ref: { endpoint: string } | { rule: string }): string {
  return 'endpoint' in ref ? `endpoint ${JSON.stringify(ref.endpoint)}` : `rule ${JSON.stringify(ref.rule)}`;
}

function describeItem(item: unknown): string {
  if (!isObject(item)) return 'a malformed item';
  if (typeof item.EndpointReference === 'string') return `endpoint ${JSON.stringify(item.EndpointReference)}`;
  if (typeof item.RuleReference === 'string') return `rule ${JSON.stringify(item.RuleReference)}`;
  return 'an item without a reference';
}

/**
 * Finds the weighted rule (the configured one, or the only one) and each role's item in it.
 * `resource` names the document in errors, e.g. `traffic policy 1234 version 3`.
 */
export function locateWeights(
  text: string,
  options: { rule?: string | undefined; roles: Record<Role, RoleRef> },
  resource: string,
): WeightedRuleLocation {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw invalidInput('FO_ROUTE53_E3401', `${resource}: the policy document is not valid JSON`, {
      hint: 'fix the traffic policy in the Route 53 console (Traffic policies) and run again',
      cause: error,
    });
  }
  const rules = isObject(doc) && isObject(doc.Rules) ? doc.Rules : {};
  const listing = Object.entries(rules)
    .map(([id, rule]) => `${id} (${isObject(rule) ? String(rule.RuleType) : '?'})`)
    .join(', ');
  const weighted = Object.entries(rules).filter(([, rule]) => isObject(rule) && rule.RuleType === 'weighted');

  let ruleId: string;
  if (options.rule !== undefined) {
    const rule = rules[options.rule];
    if (!isObject(rule) || rule.RuleType !== 'weighted') {
      throw invalidInput(
        'FO_ROUTE53_E3402',
        `${resource}: route53.trafficFlow.rule is ${JSON.stringify(options.rule)}, but the document has ${
          rule === undefined
            ? 'no such rule'
            : `it as a ${String(isObject(rule) ? rule.RuleType : rule)} rule`
        }; its rules are: ${listing || 'none'}`,
        {
          hint: `set route53.trafficFlow.rule to one of the weighted rules: ${weighted.map(([id]) => id).join(', ') || 'none'}`,
        },
      );
    }
    ruleId = options.rule;
  } else if (weighted.length === 1) {
    ruleId = (weighted[0] as [string, unknown])[0];
  } else {
    throw invalidInput(
      'FO_ROUTE53_E3402',
      weighted.length === 0
        ? `${resource}: the policy document has no weighted rule; its rules are: ${listing || 'none'}`
        : `${resource}: the policy document has ${weighted.length} weighted rules (${weighted
            .map(([id]) => id)
            .join(', ')}); which one splits traffic between GKE and AWS is ambiguous`,
      {
        hint:
          weighted.length === 0
            ? 'Traffic Flow mode changes the weights of a weighted rule: add one to the policy, or use route53.mode: record-sets'
            : `set route53.trafficFlow.rule to one of: ${weighted.map(([id]) => id).join(', ')}`,
      },
    );
  }

  const rule = rules[ruleId] as JsonObject;
  const items: unknown[] = Array.isArray(rule.Items) ? rule.Items : [];
  const found = {} as Record<Role, number>;
  const weights = {} as Weights;
  const valueTypes = {} as Record<Role, 'string' | 'number'>;
  for (const role of ROLES) {
    const ref = normalizeRoleRef(options.roles[role]);
    const index = items.findIndex((item) =>
      'endpoint' in ref
        ? isObject(item) && item.EndpointReference === ref.endpoint
        : isObject(item) && item.RuleReference === ref.rule,
    );
    if (index < 0) {
      throw invalidInput(
        'FO_ROUTE53_E3403',
        `${resource}: role ${role} is ${describeRef(ref)}, but no item of weighted rule ${ruleId} refers to it; the items refer to ${
          items.map(describeItem).join(', ') || 'nothing'
        }`,
        {
          hint: `set route53.trafficFlow.roles.${role} to the endpoint id (or {rule: id}) of the ${role.toUpperCase()} side in rule ${ruleId}`,
        },
      );
    }
    const item = items[index] as JsonObject;
    const weight = parseWeight(item.Weight);
    if (weight === undefined) {
      throw invalidInput(
        'FO_ROUTE53_E3404',
        `${resource}: Rules.${ruleId}.Items[${index}].Weight is ${JSON.stringify(item.Weight)}, not a weight from 0 to 255`,
        { hint: 'fix the weight in the traffic policy and run again' },
      );
    }
    found[role] = index;
    weights[role] = weight;
    valueTypes[role] = typeof item.Weight === 'string' ? 'string' : 'number';
  }
  if (found.gcp === found.aws) {
    throw invalidInput(
      'FO_ROUTE53_E3403',
      `${resource}: roles gcp and aws both point at item ${found.gcp} of weighted rule ${ruleId}`,
      { hint: 'route53.trafficFlow.roles.gcp and .aws must name different endpoints or rules' },
    );
  }
  return { ruleId, items: found, weights, valueTypes };
}

/** The document with the two weights replaced; every other character is kept. */
export function withWeights(text: string, location: WeightedRuleLocation, to: Weights): string {
  return replaceJsonValues(
    text,
    ROLES.map((role) => {
      const path: JsonPath = ['Rules', location.ruleId, 'Items', location.items[role], 'Weight'];
      const json =
        location.valueTypes[role] === 'string' ? JSON.stringify(String(to[role])) : String(to[role]);
      return { path, json };
    }),
  );
}

/** The document indented by two spaces, for diffs and reports. */
export function prettyDocument(text: string): string {
  try {
    return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
  } catch {
    return text.endsWith('\n') ? text : `${text}\n`;
  }
}

/** Unified diff of two documents, pretty-printed. */
export function documentDiff(before: string, after: string, beforeLabel: string, afterLabel: string): string {
  return createTwoFilesPatch(beforeLabel, afterLabel, prettyDocument(before), prettyDocument(after), '', '', {
    context: 3,
  });
}
