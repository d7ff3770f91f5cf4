/**
 * `--stages`, checked before any work like the other flags (options.ts), by the route53.set-weights
 * step's own rules. A module of its own: the step pulls in its gates, which the commands that take
 * no `--stages` (status, resume, …) need not load.
 */
import type { Problem } from '../engine/errors.js';
import { setWeightsStep } from '../steps/route53/set-weights.js';

/**
 * `--stages 10,50,100`: percentages, checked by the same rules as the route53.set-weights step,
 * reported against the flag.
 */
export function stagesProblems(flag: string, value: string): Problem[] {
  const parts = value.split(',').map((part) => part.trim());
  if (value.trim() === '')
    return [{ path: flag, message: `${flag} is empty`, hint: `e.g. ${flag} 10,50,100, or leave it out` }];
  const problems: Problem[] = [];
  const numbers: number[] = [];
  parts.forEach((part, index) => {
    const n = /^\d+(\.\d+)?$/.test(part) ? Number(part) : Number.NaN;
    if (Number.isNaN(n))
      problems.push({
        path: flag,
        message: `${flag}: stage ${index + 1} ("${part}") is not a percentage`,
        hint: `list percentages of traffic, e.g. ${flag} 10,50,100`,
      });
    numbers.push(n);
  });
  if (problems.length) return problems;
  if (numbers.length > 20)
    return [{ path: flag, message: `${flag} lists ${numbers.length} stages; at most 20 are accepted` }];
  const parsed = setWeightsStep.input.safeParse({ to: 'aws', stages: numbers });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const index = issue.path[1];
      const which = typeof index === 'number' ? ` stage ${index + 1} (${numbers[index]})` : '';
      // zod's own wording for the bounds ("Too big: expected number to be <=100") said plainly.
      const message =
        issue.code === 'too_big'
          ? 'is more than 100%'
          : issue.code === 'too_small'
            ? 'is less than 0%'
            : issue.message;
      problems.push({
        path: flag,
        message: `${flag}:${which} ${message}`,
        hint: `e.g. ${flag} 10,50,100: increasing percentages, ending at 100`,
      });
    }
  }
  return problems;
}
