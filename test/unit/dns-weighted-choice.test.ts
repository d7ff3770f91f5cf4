/** Route 53's choice among weighted records and failover pairs, with health, as the sandbox DNS makes it. */
import { describe, expect, it } from 'vitest';
import { type Candidate, chooseFailover, chooseWeighted } from '../../src/sandbox/dns/choice.js';

const c = (value: string, weight: number, healthy = true): Candidate<string> => ({ value, weight, healthy });

/** Every point of [0, 1) in `steps` even steps: the exact share each candidate gets. */
function shares(candidates: Candidate<string>[], steps = 1000): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < steps; i++) {
    const chosen = chooseWeighted(candidates, () => i / steps) ?? 'none';
    out[chosen] = (out[chosen] ?? 0) + 1 / steps;
  }
  return out;
}

describe('chooseWeighted', () => {
  it.each([
    {
      name: 'in proportion to the weights',
      set: [c('gke', 200), c('aws', 55)],
      want: { gke: 200 / 255, aws: 55 / 255 },
    },
    {
      name: 'never a weight-0 record while a non-zero one is healthy',
      set: [c('gke', 255), c('aws', 0)],
      want: { gke: 1 },
    },
    { name: 'equally when every weight is 0', set: [c('gke', 0), c('aws', 0)], want: { gke: 0.5, aws: 0.5 } },
    { name: 'skipping an unhealthy record', set: [c('gke', 200, false), c('aws', 55)], want: { aws: 1 } },
    {
      name: 'the healthy zero-weight records when every non-zero one is unhealthy',
      set: [c('gke', 255, false), c('aws', 0), c('spare', 0)],
      want: { aws: 0.5, spare: 0.5 },
    },
    {
      name: 'as if all were healthy when none is',
      set: [c('gke', 150, false), c('aws', 50, false), c('idle', 0, false)],
      want: { gke: 0.75, aws: 0.25 },
    },
  ])('chooses $name', ({ set, want }) => {
    const got = shares(set);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [value, share] of Object.entries(want)) expect(got[value]).toBeCloseTo(share, 2);
  });

  it('chooses nothing from nothing', () => {
    expect(chooseWeighted([], Math.random)).toBeUndefined();
  });

  it('follows Math.random over many draws', () => {
    let aws = 0;
    for (let i = 0; i < 4000; i++)
      if (chooseWeighted([c('gke', 3), c('aws', 1)], Math.random) === 'aws') aws++;
    expect(Math.abs(aws / 4000 - 0.25)).toBeLessThan(0.04);
  });
});

describe('chooseFailover', () => {
  it('takes the primary while healthy, else a healthy secondary, else the primary', () => {
    expect(chooseFailover(c('p', 1), c('s', 1))).toBe('p');
    expect(chooseFailover(c('p', 1, false), c('s', 1))).toBe('s');
    expect(chooseFailover(c('p', 1, false), c('s', 1, false))).toBe('p');
    expect(chooseFailover(undefined, c('s', 1, false))).toBe('s');
  });
});
