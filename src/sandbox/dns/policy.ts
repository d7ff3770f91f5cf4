/**
 * The answers a traffic policy instance gives: its applied policy document evaluated per query.
 * A weighted rule picks one item at random by weight (choice.ts), honouring each item's health
 * check and, with EvaluateTargetHealth, the health of the rule it refers to; a failover rule takes
 * the primary while it is healthy; a multivalue rule answers every healthy endpoint. Geo, latency
 * and geoproximity rules have no client location here: they answer their default (or first
 * healthy) entry. Endpoints of type `value` answer their Value; the AWS resource types (load
 * balancers, CloudFront, S3 websites, Beanstalk) answer the fixed sandbox address of the target.
 */
import type {
  TrafficPolicyDocument,
  TrafficPolicyEndpoint,
  TrafficPolicyTarget,
  WeightedItem,
} from '../route53/document.js';
import { parseWeight } from '../route53/document.js';
import { aliasTargetAddress } from './addresses.js';
import { type Candidate, chooseFailover, chooseWeighted } from './choice.js';

export interface PolicyContext {
  healthy(healthCheckId: string): boolean;
  random(): number;
  /** Weights of the start rule's items, in order, when they differ from the document's. */
  startWeights?: number[];
}

/** Values and the TTL an alias endpoint imposes (Route 53 answers alias targets with 60 s). */
export interface PolicyAnswer {
  values: string[];
  aliasTtl?: number;
}

interface Outcome {
  answer: PolicyAnswer;
  healthy: boolean;
}

const MAX_DEPTH = 10;
const NOTHING: Outcome = { answer: { values: [] }, healthy: false };

export function evaluatePolicy(document: TrafficPolicyDocument, ctx: PolicyContext): PolicyAnswer {
  if (document.StartEndpoint !== undefined) {
    return evaluateTarget(document, { EndpointReference: document.StartEndpoint }, ctx, 0).answer;
  }
  if (document.StartRule === undefined) return { values: [] };
  return evaluateRule(document, document.StartRule, ctx, 0, ctx.startWeights).answer;
}

function evaluateTarget(
  document: TrafficPolicyDocument,
  target: TrafficPolicyTarget,
  ctx: PolicyContext,
  depth: number,
): Outcome {
  const checked = target.HealthCheck === undefined || ctx.healthy(target.HealthCheck);
  if (target.RuleReference !== undefined) {
    const inner = evaluateRule(document, target.RuleReference, ctx, depth + 1);
    return {
      answer: inner.answer,
      healthy: checked && (target.EvaluateTargetHealth !== true || inner.healthy),
    };
  }
  const endpoint = document.Endpoints?.[target.EndpointReference ?? ''];
  if (!endpoint) return NOTHING;
  // Sandbox load balancers and the other AWS targets are always healthy themselves.
  return { answer: endpointAnswer(endpoint, document.RecordType), healthy: checked };
}

function endpointAnswer(endpoint: TrafficPolicyEndpoint, recordType: string): PolicyAnswer {
  if (endpoint.Type === 'value') return { values: [endpoint.Value] };
  if (recordType === 'A') return { values: [aliasTargetAddress(endpoint.Value, 4)], aliasTtl: 60 };
  if (recordType === 'AAAA') return { values: [aliasTargetAddress(endpoint.Value, 6)], aliasTtl: 60 };
  return { values: [endpoint.Value], aliasTtl: 60 };
}

function evaluateRule(
  document: TrafficPolicyDocument,
  ruleId: string,
  ctx: PolicyContext,
  depth: number,
  weights?: number[],
): Outcome {
  const rule = document.Rules?.[ruleId];
  if (!rule || depth > MAX_DEPTH) return NOTHING;
  const outcomeOf = (target: TrafficPolicyTarget) => evaluateTarget(document, target, ctx, depth);
  const anyHealthy = (outcomes: Outcome[]) => outcomes.some((o) => o.healthy);
  switch (rule.RuleType) {
    case 'weighted': {
      const items = (rule.Items ?? []) as WeightedItem[];
      const candidates: Candidate<Outcome>[] = items.map((item, index) => {
        const outcome = outcomeOf(item);
        return {
          value: outcome,
          weight: weights?.[index] ?? parseWeight(item.Weight) ?? 0,
          healthy: outcome.healthy,
        };
      });
      const chosen = chooseWeighted(candidates, ctx.random);
      return chosen
        ? { answer: chosen.answer, healthy: anyHealthy(candidates.map((c) => c.value)) }
        : NOTHING;
    }
    case 'failover': {
      const primary = rule.Primary ? outcomeOf(rule.Primary) : undefined;
      const secondary = rule.Secondary ? outcomeOf(rule.Secondary) : undefined;
      const candidate = (o: Outcome | undefined) =>
        o ? { value: o, weight: 1, healthy: o.healthy } : undefined;
      const chosen = chooseFailover(candidate(primary), candidate(secondary));
      return chosen
        ? { answer: chosen.answer, healthy: !!(primary?.healthy || secondary?.healthy) }
        : NOTHING;
    }
    case 'multivalue': {
      const outcomes = (rule.Items ?? []).map(outcomeOf);
      const healthy = outcomes.filter((o) => o.healthy);
      const serving = (healthy.length > 0 ? healthy : outcomes).slice(0, 8);
      return { answer: { values: serving.flatMap((o) => o.answer.values) }, healthy: healthy.length > 0 };
    }
    case 'geo': {
      const locations = rule.Locations ?? [];
      const entry = locations.find((l) => l.IsDefault === true) ?? locations[0];
      return entry ? outcomeOf(entry) : NOTHING;
    }
    case 'latency':
    case 'geoproximity': {
      const entries = (rule.RuleType === 'latency' ? rule.Regions : rule.GeoproximityLocations) ?? [];
      const outcomes = entries.map(outcomeOf);
      return outcomes.find((o) => o.healthy) ?? outcomes[0] ?? NOTHING;
    }
    default:
      return NOTHING;
  }
}
