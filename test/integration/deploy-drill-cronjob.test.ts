/**
 * deploy/drill-cronjob renders with kubectl kustomize into a CronJob that runs the nightly
 * rehearsal, and its example config is a valid failover config.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { findOnPath } from '../../src/util/exec.js';

const dir = new URL('../../deploy/drill-cronjob/', import.meta.url).pathname;
const kubectl = await findOnPath('kubectl');

type Obj = { kind: string; metadata: { name: string }; spec?: Record<string, unknown> };

describe('deploy/drill-cronjob', () => {
  // Rendering needs kubectl (it embeds kustomize); without it there is nothing to check against.
  it.skipIf(!kubectl)('renders with kubectl kustomize into a rehearsal CronJob wired to its config', () => {
    const rendered = execFileSync(kubectl!, ['kustomize', dir], { encoding: 'utf8' });
    const objects = parseAllDocuments(rendered).map((d) => d.toJS() as Obj);
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'CronJob', 'Namespace', 'ServiceAccount']);
    const cron = objects.find((o) => o.kind === 'CronJob')!;
    const pod = (cron.spec as { jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } })
      .jobTemplate.spec.template.spec;
    const container = (pod.containers as { image: string; args: string[] }[])[0]!;
    expect(container.image).toBe('registry.example.com/platform/failover:0.1.0');
    expect(container.args.slice(0, 3)).toEqual(['drill', '--mode', 'rehearsal']);
    expect(container.args).toContain('junit:/reports/drill.xml');
    // The generated ConfigMap's hashed name is what the CronJob mounts.
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    const volumes = pod.volumes as { name: string; configMap?: { name: string } }[];
    expect(volumes.find((v) => v.name === 'config')?.configMap?.name).toBe(configMap.metadata.name);
    expect(configMap.metadata.name).toMatch(/^failover-config-[a-z0-9]+$/);
    expect((cron.spec as { concurrencyPolicy: string }).concurrencyPolicy).toBe('Forbid');
  });

  it('ships an example config that the tool accepts', () => {
    const file = `${dir}failover.config.yaml`;
    const { config } = parseConfig(readFileSync(file, 'utf8'), file, {});
    expect(config.route53?.trafficFlow?.roles).toEqual({ gcp: 'gke', aws: 'aws' });
    expect(config.argocd?.tokenEnv).toBe('ARGOCD_AUTH_TOKEN');
  });
});
