/**
 * Weights as Route 53 takes them (0–255 per side) and as people think of them (percent of traffic
 * on one side). Route 53 sends each side weight / (sum of weights) of the answers; when every
 * weight is 0 it answers evenly.
 */
import type { Role } from '../types.js';
import type { Weights } from './port.js';

export const MAX_WEIGHT = 255;
export const ROLES: readonly Role[] = ['gcp', 'aws'];

/** A weight as config and runbooks write it: 0–255, or a percentage such as "40%". */
export type WeightInput = string | number;

export function otherRole(role: Role): Role {
  return role === 'gcp' ? 'aws' : 'gcp';
}

/**
 * Weights that put `percent` of the traffic on `target`: 100% → 255/0; p% → the target gets
 * round(255·p/100), the other side the rest of 255.
 */
export function weightsForTarget(target: Role, percent: number): Weights {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`a share of traffic must be from 0 to 100 percent (got ${percent})`);
  }
  const onTarget = Math.round((MAX_WEIGHT * percent) / 100);
  return { [target]: onTarget, [otherRole(target)]: MAX_WEIGHT - onTarget } as Weights;
}

/** A config/runbook weight (0–255, or a percentage such as "40%") as a Route 53 weight. */
export function resolveWeight(weight: WeightInput): number {
  if (typeof weight === 'number') return weight;
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(weight.trim());
  if (!percent) throw new RangeError(`not a weight: ${JSON.stringify(weight)} (use 0–255 or "40%")`);
  return Math.round((MAX_WEIGHT * Number(percent[1])) / 100);
}

export function resolveWeights(weights: Record<Role, WeightInput>): Weights {
  return { gcp: resolveWeight(weights.gcp), aws: resolveWeight(weights.aws) };
}

/** Share of traffic per side, in percent with one decimal (50/50 when every weight is 0). */
export function percentOf(weights: Weights): Record<Role, number> {
  const total = weights.gcp + weights.aws;
  if (total === 0) return { gcp: 50, aws: 50 };
  const gcp = Math.round((weights.gcp / total) * 1000) / 10;
  return { gcp, aws: Math.round((100 - gcp) * 10) / 10 };
}

/** `gcp 229 (89.8%) / aws 26 (10.2%)`. */
export function formatWeights(weights: Weights): string {
  const percent = percentOf(weights);
  return ROLES.map((role) => `${role} ${weights[role]} (${percent[role]}%)`).join(' / ');
}

export function sameWeights(a: Weights, b: Weights): boolean {
  return a.gcp === b.gcp && a.aws === b.aws;
}
