/**
 * CronJob health in the Argo CD emulator per modelled Argo CD version: argo-cd's
 * resource_customizations/batch/CronJob/health.lua as released from v3.2.0-rc1 on (suspended →
 * Healthy), none before 3.2, and an operator override that reports Suspended.
 */
import { describe, expect, it } from 'vitest';
import { resourceHealth } from '../../src/sandbox/argocd/health.js';

function cronJob(spec: Record<string, unknown>, status?: Record<string, unknown>) {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly-report', namespace: 'reports' },
    spec: { schedule: '15 3 * * *', jobTemplate: {}, ...spec },
    ...(status ? { status } : {}),
  };
}

describe('CronJob health', () => {
  it('a suspended CronJob is Healthy "CronJob is Suspended" (3.2 and later)', () => {
    expect(resourceHealth(cronJob({ suspend: true }, {}), 'argocd-3.2')).toEqual({
      status: 'Healthy',
      message: 'CronJob is Suspended',
    });
    // Suspension wins over a failed last run.
    const failedLastRun = {
      lastScheduleTime: '2026-01-02T03:15:00Z',
      lastSuccessfulTime: '2026-01-01T03:15:09Z',
    };
    expect(resourceHealth(cronJob({ suspend: true }, failedLastRun))?.status).toBe('Healthy');
    expect(resourceHealth(cronJob({ suspend: false }, failedLastRun))).toEqual({
      status: 'Degraded',
      message: 'CronJob has not completed its last execution successfully',
    });
  });

  it('running jobs, never-succeeded, never-scheduled and no status read as the Lua check says', () => {
    const scheduled = '2026-01-02T03:15:00Z';
    expect(
      resourceHealth(
        cronJob(
          {},
          { lastScheduleTime: scheduled, lastSuccessfulTime: '2026-01-01T03:15:09Z', active: [{}] },
        ),
      )?.status,
    ).toBe('Healthy');
    expect(resourceHealth(cronJob({}, { lastScheduleTime: scheduled }))?.message).toMatch(
      /never completed successfully/,
    );
    expect(resourceHealth(cronJob({}, {}))).toEqual({
      status: 'Healthy',
      message: 'CronJob has not been scheduled yet',
    });
    expect(resourceHealth(cronJob({}))).toEqual({ status: 'Progressing', message: 'Waiting for CronJob' });
  });

  it('before 3.2 a CronJob has no health; an override can report Suspended', () => {
    expect(resourceHealth(cronJob({ suspend: true }, {}), 'none')).toBeUndefined();
    expect(resourceHealth(cronJob({ suspend: true }, {}), 'suspended')).toEqual({
      status: 'Suspended',
      message: 'CronJob is Suspended',
    });
    expect(resourceHealth(cronJob({ suspend: false }, {}), 'suspended')?.status).toBe('Healthy');
  });
});
