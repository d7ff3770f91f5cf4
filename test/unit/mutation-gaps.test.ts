/**
 * Edges that mutation testing found unpinned: the plan's warnings and problems, weight inputs,
 * redaction anchors, the lock steps' metadata and retries.
 */
import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../src/engine/plan.js';
import { planProblems, planWarnings } from '../../src/engine/plan.js';
import { Redactor } from '../../src/engine/redact.js';
import {
  resolveWeight,
  resolveWeights,
  sameWeights,
  weightsForTarget,
} from '../../src/providers/route53/weights.js';
import { lockAcquireStep } from '../../src/steps/lock/acquire.js';
import { lockReleaseStep } from '../../src/steps/lock/release.js';

function plan(steps: RunPlan['steps'], fin: RunPlan['finally'] = []): RunPlan {
  return { runId: 'r', runbook: { name: 'n', file: 'f' }, params: {}, steps, finally: fin };
}

describe('plan warnings and problems', () => {
  const error = { code: 'E', category: 'step-failed' as const, message: 'cannot read' };

  it('a continue step that cannot be planned is a warning, not a problem', () => {
    const p = plan([{ id: 'probe', kind: 'k', mutating: false, error, onFailure: 'continue' }]);
    expect(planWarnings(p)).toEqual(['probe: cannot read']);
    expect(planProblems(p)).toEqual([]);
  });

  it('failed checks are problems unless they are warnings; the detail is shown when there is one', () => {
    const p = plan(
      [
        {
          id: 'a',
          kind: 'k',
          mutating: false,
          plan: {
            summary: 's',
            changes: [],
            converged: false,
            checks: [
              { name: 'lock free', ok: false, detail: 'held by bob' },
              { name: 'quota', ok: false },
              { name: 'soft', ok: false, severity: 'warning' },
              { name: 'fine', ok: true },
            ],
          },
        },
      ],
      [
        {
          id: 'bye',
          kind: 'k',
          mutating: false,
          error: { ...error, problems: [{ path: 'with.x', message: 'bad' }, { message: 'worse' }] },
        },
      ],
    );
    expect(planProblems(p)).toEqual([
      'a: lock free (held by bob)',
      'a: quota',
      'bye: cannot read (with.x: bad; worse)',
    ]);
    expect(planWarnings(p)).toEqual([]);
  });
});

describe('weight inputs', () => {
  it('a percentage: digits with an optional fraction, then %, nothing around it but spaces', () => {
    expect(resolveWeight(' 40% ')).toBe(102);
    expect(resolveWeight('40.25%')).toBe(103);
    expect(resolveWeight(17)).toBe(17);
    for (const bad of ['x40%', '40%x', '40', '%', '-4%'])
      expect(() => resolveWeight(bad)).toThrow(/not a weight/);
    expect(resolveWeights({ gcp: '10%', aws: 229 })).toEqual({ gcp: 26, aws: 229 });
  });

  it('a share out of range names the value', () => {
    expect(() => weightsForTarget('aws', 101)).toThrow(
      'a share of traffic must be from 0 to 100 percent (got 101)',
    );
  });

  it('same weights: both sides equal', () => {
    expect(sameWeights({ gcp: 1, aws: 2 }, { gcp: 1, aws: 2 })).toBe(true);
    expect(sameWeights({ gcp: 1, aws: 2 }, { gcp: 1, aws: 3 })).toBe(false);
    expect(sameWeights({ gcp: 1, aws: 2 }, { gcp: 0, aws: 2 })).toBe(false);
  });
});

describe('redaction anchors', () => {
  it('URL credentials are read from a URL, not from text that contains one', () => {
    const r = new Redactor();
    r.addUrlCredentials('see https://u:secretpw1@host/x');
    expect(r.text('secretpw1')).toBe('secretpw1');
  });

  it('an empty user name before the colon: the rest is the password', () => {
    const r = new Redactor();
    r.addUrlCredentials('https://:tokenval@host/x');
    expect(r.text('tokenval')).toBe('***');
  });

  it('every long user-info in a text is masked, not only the first', () => {
    expect(new Redactor().text('//abcdefghijklmnop@a //qrstuvwxyzabcdef@b')).toBe('//***@a //***@b');
  });

  it('names that only contain a "where" word in the middle still hold secrets', () => {
    const r = new Redactor();
    r.addSecretLookingEnv({ DB_PASSWORD_FILE_CONTENT: 'hunter2hunter2' });
    expect(r.text('hunter2hunter2')).toBe('***');
    expect(r.value({ secretFileContent: 'x', tokenPathValue: 'y' })).toEqual({
      secretFileContent: '***',
      tokenPathValue: '***',
    });
  });
});

describe('the lock steps', () => {
  it('are mutating, independent of later checks, and bounded', () => {
    for (const step of [lockAcquireStep, lockReleaseStep]) {
      expect(step.mutating).toBe(true);
      expect(step.independent).toBe(true);
      expect(step.defaultTimeoutMs).toBe(120_000);
      expect(step.description).not.toBe('');
    }
    expect(lockAcquireStep.kind).toBe('lock.acquire');
    expect(lockReleaseStep.kind).toBe('lock.release');
    expect(lockAcquireStep.input.parse({ purpose: 'p' })).toEqual({ purpose: 'p', breakLock: false });
  });
});
