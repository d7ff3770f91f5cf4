import { describe, expect, it } from 'vitest';
import { unsuspendedByOrigin, withOriginAnnotations } from '../../src/providers/git/activation-checks.js';
import type { KubeObject } from '../../src/providers/kustomize/index.js';

const cronJob = (name: string, namespace: string, path: string, suspend = false): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name, namespace, annotations: { 'config.kubernetes.io/origin': `path: ${path}\n` } },
  spec: { suspend },
});

describe('withOriginAnnotations', () => {
  it('adds buildMetadata, or originAnnotations to the list already there, once', () => {
    expect(withOriginAnnotations('resources:\n  - ../../base\n')).toBe(
      'resources:\n  - ../../base\nbuildMetadata:\n  - originAnnotations\n',
    );
    expect(withOriginAnnotations('buildMetadata:\n  - managedByLabel\n')).toBe(
      'buildMetadata:\n  - managedByLabel\n  - originAnnotations\n',
    );
    const once = 'buildMetadata: [originAnnotations]\n';
    expect(withOriginAnnotations(once)).toBe(withOriginAnnotations(withOriginAnnotations(once)));
    expect(withOriginAnnotations(once)).toContain('originAnnotations');
    expect(withOriginAnnotations(once).match(/originAnnotations/g)).toHaveLength(1);
  });
});

describe('unsuspendedByOrigin', () => {
  it('matches CronJobs of one file by their place there, whatever each overlay names them', () => {
    // GKE: two CronJobs from one file and one from another; AWS: the same under aws- in admin-aws.
    const gke = unsuspendedByOrigin(
      [
        cronJob('export', 'admin', '../../base/jobs.yml'),
        cronJob('report', 'admin', '../../base/jobs.yml', true),
        cronJob('cleanup', 'admin', '../../base/cleanup.yml'),
      ],
      'overlays/gke',
    );
    const aws = unsuspendedByOrigin(
      [
        cronJob('aws-export', 'admin-aws', '../../base/jobs.yml'),
        cronJob('aws-report', 'admin-aws', '../../base/jobs.yml'),
        cronJob('aws-cleanup', 'admin-aws', '../base/cleanup.yml'),
      ],
      'overlays/aws',
    );
    expect([...gke]).toEqual([
      ['base/jobs.yml#0', 'admin/export'],
      ['base/cleanup.yml#0', 'admin/cleanup'],
    ]);
    // overlays/aws/../base/cleanup.yml is overlays/base/cleanup.yml: another file than GKE's.
    expect([...aws]).toEqual([
      ['base/jobs.yml#0', 'admin-aws/aws-export'],
      ['base/jobs.yml#1', 'admin-aws/aws-report'],
      ['overlays/base/cleanup.yml#0', 'admin-aws/aws-cleanup'],
    ]);
  });
});
