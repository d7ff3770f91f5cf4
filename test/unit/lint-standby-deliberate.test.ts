/**
 * Deliberate from accidental in `lint standby`: negative label selector terms of a standby patch's
 * target, and the always-on annotation, make a running workload "always on"; nothing else does.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyDeliberate,
  deliberateReason,
  excludedByNegativeTerm,
  selectorTerms,
} from '../../src/lint/standby/deliberate.js';
import type { PatchOperation } from '../../src/lint/standby/patches.js';
import type { StandbyFinding } from '../../src/lint/standby/types.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';

const op = (labelSelector: string, kind = 'Deployment'): PatchOperation => ({
  op: 'add',
  path: '/spec/replicas',
  file: 'components/standby/kustomization.yaml',
  line: 3,
  target: { kind, labelSelector },
});

const deployment = (labels: Record<string, string>, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'preview-proxy', namespace: 'admin', labels, ...(annotations ? { annotations } : {}) },
  spec: { replicas: 2 },
});

describe('negative selector terms', () => {
  it('splits terms at commas outside parentheses', () => {
    expect(selectorTerms('a=b, tier notin (edge,web),!keep')).toEqual([
      'a=b',
      'tier notin (edge,web)',
      '!keep',
    ]);
  });

  it.each([
    ['team.example/standby!=exempt', { 'team.example/standby': 'exempt' }, true],
    ['team.example/standby!=exempt', { 'team.example/standby': 'standard' }, false],
    ['team.example/standby!=exempt', {}, false],
    ['tier notin (edge, web)', { tier: 'web' }, true],
    ['tier notin (edge, web)', { tier: 'api' }, false],
    ['!keep-running', { 'keep-running': 'yes' }, true],
    ['!keep-running', {}, false],
  ])('%s on %j excludes: %s', (term, labels, excluded) => {
    expect(excludedByNegativeTerm(term, labels)).toBe(excluded);
  });

  it('positive terms say nothing', () => {
    expect(excludedByNegativeTerm('app=web', { app: 'web' })).toBeUndefined();
    expect(excludedByNegativeTerm('tier in (a)', { tier: 'a' })).toBeUndefined();
  });
});

describe('classifyDeliberate', () => {
  const running: StandbyFinding = {
    rule: 'deployment-running',
    severity: 'error',
    message: 'Deployment admin/preview-proxy runs 2 replicas in standby',
    object: { kind: 'Deployment', name: 'preview-proxy', namespace: 'admin' },
    fix: 'the standby patch must select it',
  };

  it('a workload excluded by a negative term is always on (info), with the reason', () => {
    const object = deployment({ 'team.example/standby': 'exempt' });
    const out = classifyDeliberate([running], [object], [op('team.example/standby!=exempt')]);
    expect(out.findings).toEqual([expect.objectContaining({ rule: 'always-on', severity: 'info' })]);
    expect(out.alwaysOn[0]!.reason).toContain('"team.example/standby!=exempt"');
  });

  it('the annotation marks it too; a negative term for another kind does not', () => {
    expect(deliberateReason(deployment({}, { 'failover.example.com/standby': 'always-on' }), [])).toMatch(
      /annotation/,
    );
    expect(deliberateReason(deployment({ x: 'y' }), [op('x!=z', 'StatefulSet'), op('x=y')])).toBeUndefined();
    expect(deliberateReason(deployment({ x: 'y' }), [op('x!=y', 'StatefulSet')])).toBeUndefined();
  });

  it('a workload nothing marks stays an error, and the fix names the annotation', () => {
    const out = classifyDeliberate(
      [running],
      [deployment({ 'team.example/standby': 'standard' })],
      [op('team.example/standby!=exempt')],
    );
    expect(out.findings[0]).toMatchObject({ rule: 'deployment-running', severity: 'error' });
    expect(out.findings[0]!.fix).toContain('failover.example.com/standby: always-on');
    expect(out.alwaysOn).toEqual([]);
  });
});
