/**
 * What a plan says from two renders (providers/git/render.ts): which workloads start or stop,
 * which stay at 0 after the toggle, and what runs in the standby render (always on).
 */
import { describe, expect, it } from 'vitest';
import { alwaysOnIn, describeRender, summarizeRender } from '../../src/providers/git/render.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';

function object(kind: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, namespace: 'admin' }, spec } as KubeObject;
}

describe('always on in standby', () => {
  it('replicated workloads not at 0, DaemonSets, Pods and CronJobs not suspended', () => {
    const standby = [
      object('Deployment', 'web', { replicas: 0 }),
      object('Deployment', 'preview-proxy', {}),
      object('StatefulSet', 'db', { replicas: 0 }),
      object('DaemonSet', 'log-agent', {}),
      object('CronJob', 'nightly-report', { suspend: true }),
      object('CronJob', 'aws-cost-export', {}),
      object('Service', 'web', {}),
    ];
    expect(alwaysOnIn(standby)).toEqual([
      'Deployment admin/preview-proxy',
      'DaemonSet admin/log-agent',
      'CronJob admin/aws-cost-export',
    ]);
  });

  it('a DaemonSet the standby moves off every node (a nodeSelector the active render has not) is kept off, not always on', () => {
    const template = (nodeSelector: Record<string, string>) => ({ template: { spec: { nodeSelector } } });
    const linux = { 'kubernetes.io/os': 'linux' };
    const standby = [
      object('DaemonSet', 'log-agent', template({ ...linux, 'failover/standby-never': 'true' })),
      object('DaemonSet', 'node-exporter', template(linux)),
    ];
    const active = [
      object('DaemonSet', 'log-agent', template(linux)),
      object('DaemonSet', 'node-exporter', template(linux)),
    ];
    expect(alwaysOnIn(standby, active)).toEqual(['DaemonSet admin/node-exporter']);
    // Without the active render nothing tells: both are listed.
    expect(alwaysOnIn(standby)).toHaveLength(2);
  });
});

describe('the render summary', () => {
  it('workloads at 0 on both sides (Deployments, StatefulSets) are listed as staying at 0; the others start', () => {
    const before = [
      object('Deployment', 'web', { replicas: 0 }),
      object('Deployment', 'legacy', { replicas: 0 }),
      object('StatefulSet', 'redis', { replicas: 0 }),
      object('CronJob', 'report', { suspend: true }),
    ];
    const after = [
      object('Deployment', 'web', { replicas: 3 }),
      object('Deployment', 'legacy', { replicas: 0 }),
      object('StatefulSet', 'redis', { replicas: 0 }),
      object('CronJob', 'report', {}),
    ];
    expect(summarizeRender(before, after)).toEqual({
      deploymentsStarting: ['admin/web'],
      cronJobsResuming: ['admin/report'],
      deploymentsStopping: [],
      cronJobsSuspending: [],
      workloadsStayingAtZero: ['Deployment admin/legacy', 'StatefulSet admin/redis'],
    });
    // Nothing left at 0: no such list.
    expect(summarizeRender(before.slice(0, 1), after.slice(0, 1))).not.toHaveProperty(
      'workloadsStayingAtZero',
    );
  });

  it('StatefulSets that start or stop are named with their kind, in the summary and its sentence', () => {
    const standby = [
      object('Deployment', 'api', { replicas: 0 }),
      object('StatefulSet', 'ledger-db', { replicas: 0 }),
      object('StatefulSet', 'cache', { replicas: 0 }),
    ];
    const active = [
      object('Deployment', 'api', { replicas: 2 }),
      object('StatefulSet', 'ledger-db', { replicas: 3 }),
      object('StatefulSet', 'cache', {}),
    ];
    const starting = summarizeRender(standby, active);
    expect(starting.othersStarting).toEqual(['StatefulSet admin/ledger-db', 'StatefulSet admin/cache']);
    expect(describeRender(starting)).toBe(
      '1 Deployment goes from 0 replicas to running (admin/api); 2 other workloads start (StatefulSet admin/ledger-db, StatefulSet admin/cache)',
    );
    const stopping = summarizeRender(active, standby);
    expect(stopping.othersStopping).toEqual(['StatefulSet admin/ledger-db', 'StatefulSet admin/cache']);
    expect(describeRender(stopping)).toBe(
      '1 Deployment scales to 0 (admin/api); 2 other workloads stop (StatefulSet admin/ledger-db, StatefulSet admin/cache)',
    );
    expect(describeRender(summarizeRender(standby, standby))).toBe(
      'no workload changes between dormant and running',
    );
  });

  it('a DaemonSet whose placement the standby changes starts or stops with it, when the standby render is known', () => {
    const template = (nodeSelector: Record<string, string>) => ({ template: { spec: { nodeSelector } } });
    const standby = [object('DaemonSet', 'log-agent', template({ 'failover/standby-never': 'true' }))];
    const active = [object('DaemonSet', 'log-agent', template({ 'kubernetes.io/os': 'linux' }))];
    expect(summarizeRender(standby, active, 'before').othersStarting).toEqual(['DaemonSet admin/log-agent']);
    expect(summarizeRender(active, standby, 'after').othersStopping).toEqual(['DaemonSet admin/log-agent']);
    // Which side is dormant is unknown without it: nothing is claimed.
    expect(summarizeRender(standby, active)).not.toHaveProperty('othersStarting');
    // The same placement on both sides: it runs in both, nothing changes.
    expect(summarizeRender(active, active, 'before')).not.toHaveProperty('othersStarting');
  });
});
