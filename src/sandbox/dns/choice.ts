/**
 * How Route 53 picks among records of one name and type (weighted sets, failover pairs) and among
 * the items of a traffic policy rule, with health checks:
 *
 * - weighted: a random choice in proportion to the weights among the healthy records with a
 *   non-zero weight; when none is healthy and non-zero, the healthy zero-weight records with equal
 *   probability; when none is healthy at all, every record as if healthy (non-zero weights first,
 *   equal probability when all weights are 0);
 * - failover: the primary while it is healthy, else a healthy secondary, else the primary.
 */

export interface Candidate<T> {
  value: T;
  weight: number;
  healthy: boolean;
}

/** `random` returns a number in [0, 1), as Math.random does. */
export function chooseWeighted<T>(candidates: readonly Candidate<T>[], random: () => number): T | undefined {
  const healthy = candidates.filter((c) => c.healthy);
  const pool = healthy.length > 0 ? healthy : candidates;
  const weighted = pool.filter((c) => c.weight > 0);
  if (weighted.length > 0) return pickByWeight(weighted, random);
  if (pool.length === 0) return undefined;
  return pool[Math.min(pool.length - 1, Math.floor(random() * pool.length))]?.value;
}

function pickByWeight<T>(pool: readonly Candidate<T>[], random: () => number): T | undefined {
  const total = pool.reduce((sum, c) => sum + c.weight, 0);
  let point = random() * total;
  for (const candidate of pool) {
    point -= candidate.weight;
    if (point < 0) return candidate.value;
  }
  return pool[pool.length - 1]?.value;
}

export function chooseFailover<T>(
  primary: Candidate<T> | undefined,
  secondary: Candidate<T> | undefined,
): T | undefined {
  if (primary?.healthy) return primary.value;
  if (secondary?.healthy) return secondary.value;
  return (primary ?? secondary)?.value;
}
