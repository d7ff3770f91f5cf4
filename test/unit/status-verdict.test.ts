/**
 * The verdict `failover status` ends with, for each state production can be in: settled on GCP,
 * settled on AWS, and the ways it is split or in transition.
 */
import { describe, expect, it } from 'vitest';
import type { AppState, WorkloadState } from '../../src/providers/argocd/port.js';
import type { StatusReport } from '../../src/steps/status/collect.js';
import { statusVerdict, verdictLine } from '../../src/steps/status/verdict.js';

const deploy = (name: string, desired: number, ready: number): WorkloadState => ({
  kind: 'Deployment',
  name,
  namespace: 'shop',
  desired,
  ready,
});

function app(name: string, workloads: WorkloadState[], extra: Partial<AppState> = {}): AppState {
  return { name, syncStatus: 'Synced', health: 'Healthy', operationInFlight: false, workloads, ...extra };
}

/** Production settled on one side, as the tool leaves it after a failover or a failback. */
function settled(side: 'gcp' | 'aws'): StatusReport {
  const onAws = side === 'aws';
  return {
    at: '2026-12-06T03:00:00Z',
    clusters: {},
    weights: {
      ok: true,
      value: [
        {
          kind: 'traffic-policy-instance',
          id: 'tpi-1',
          name: 'shop.example.org.',
          state: 'Applied',
          weights: onAws ? { gcp: 0, aws: 255 } : { gcp: 255, aws: 0 },
          detail: {},
        },
      ],
    },
    overlays: {
      aws: {
        ok: true,
        value: {
          role: 'aws',
          path: 'clusters/aws',
          state: onAws ? 'active' : 'standby',
          revision: 'c0ffee',
          entries: onAws ? [] : ['scale-down.yaml'],
          alwaysOn: ['Deployment shop/edge-proxy'],
        },
      },
      gcp: {
        ok: true,
        value: {
          role: 'gcp',
          path: 'clusters/gke',
          state: onAws ? 'partial' : 'active',
          revision: 'c0ffee',
          entries: onAws ? ['fence.yaml'] : [],
        },
      },
    },
    apps: {
      aws: {
        ok: true,
        value: [
          app('shop-aws', [
            deploy('api', onAws ? 4 : 0, onAws ? 4 : 0),
            deploy('edge-proxy', 1, 1),
            { kind: 'CronJob', name: 'billing', suspended: !onAws },
          ]),
        ],
      },
      gcp: { ok: true, value: [app('shop-gke', [deploy('api', 4, 4)])] },
    },
  };
}

describe('status verdict', () => {
  it('gcp: all traffic on GCP, AWS in standby at 0 (its always-on proxy running), no fence left', () => {
    const v = statusVerdict(settled('gcp'));
    expect(v.verdict).toBe('gcp');
    expect(verdictLine(v)).toMatch(
      /^verdict: on GCP \(all traffic on GCP; AWS overlay standby, AWS apps at 0 but for 1 always on \(Deployment shop\/edge-proxy: 1 ready\)\)$/,
    );
  });

  it('aws: all traffic on AWS, AWS overlay active and every workload ready', () => {
    const v = statusVerdict(settled('aws'));
    expect(v).toEqual({
      verdict: 'aws',
      reason: 'all traffic on AWS; AWS overlay active, AWS apps running',
    });
  });

  const cases: [string, (r: StatusReport) => void, RegExp][] = [
    [
      'weights neither 0 nor 100',
      (r) => {
        if (r.weights?.ok) r.weights.value[0]!.weights = { gcp: 128, aws: 127 };
      },
      /traffic is split: gcp 50.2% \/ aws 49.8% on shop\.example\.org\./,
    ],
    [
      'Route 53 still applying',
      (r) => {
        if (r.weights?.ok) r.weights.value[0]!.state = 'Updating';
      },
      /still applying a change to shop\.example\.org\. \(Updating\)/,
    ],
    [
      'weights unreadable',
      (r) => {
        r.weights = { ok: false, error: 'throttled', code: 'FO_X' };
      },
      /cannot be read \(throttled\)/,
    ],
    [
      'traffic on GCP but the AWS overlay still active (failback half done)',
      (r) => {
        const o = r.overlays.aws;
        if (o?.ok) o.value.state = 'active';
      },
      /all traffic on GCP, but the AWS overlay is active \(failback not finished\)/,
    ],
    [
      'traffic on GCP but GKE CronJobs still fenced',
      (r) => {
        const o = r.overlays.gcp;
        if (o?.ok) o.value.entries = ['fence.yaml'];
      },
      /GKE's overlay still has its standby entries \(fence\.yaml\)/,
    ],
    [
      'traffic on GCP but an AWS Deployment still runs in standby',
      (r) => {
        const a = r.apps.aws;
        if (a?.ok) a.value[0]!.workloads[0] = deploy('api', 4, 2);
      },
      /Deployment shop\/api in shop-aws still runs 2 replica\(s\) in standby/,
    ],
  ];
  it.each(cases)('split: %s', (_name, mutate, reason) => {
    const report = settled('gcp');
    mutate(report);
    const v = statusVerdict(report);
    expect(v.verdict).toBe('split');
    expect(v.reason).toMatch(reason);
    expect(verdictLine(v)).toMatch(/^verdict: split \/ in transition \(/);
  });

  const awsCases: [string, (r: StatusReport) => void, RegExp][] = [
    [
      'traffic on AWS but its overlay in standby (someone moved the weights by hand)',
      (r) => {
        const o = r.overlays.aws;
        if (o?.ok) o.value.state = 'standby';
      },
      /all traffic on AWS, but the AWS overlay is in standby, so Argo CD keeps AWS dormant while it serves .*`failover to-aws` activates it again, `failover to-gcp` moves the traffic back$/,
    ],
    [
      'traffic on AWS, its standby kept outside the kustomization failover edits',
      (r) => {
        const o = r.overlays.aws;
        if (o?.ok) Object.assign(o.value, { state: 'standby', standbyElsewhere: true });
      },
      /in standby, so Argo CD keeps AWS dormant while it serves .*: the standby lives outside its kustomization \(a parent overlay or an inline patch\): remove it there, or `failover to-gcp` moves the traffic back$/,
    ],
    [
      'traffic on AWS, the apps still rolling out',
      (r) => {
        const a = r.apps.aws;
        if (a?.ok) a.value[0]!.workloads[0] = deploy('api', 4, 1);
      },
      /Deployment shop\/api in shop-aws is 1\/4 ready/,
    ],
    [
      'traffic on AWS, an app still syncing',
      (r) => {
        const a = r.apps.aws;
        if (a?.ok) a.value[0]!.operationInFlight = true;
      },
      /Argo CD app shop-aws is syncing/,
    ],
    [
      'two instances on different sides',
      (r) => {
        if (r.weights?.ok)
          r.weights.value.push({
            ...r.weights.value[0]!,
            id: 'tpi-2',
            name: 'api.example.org.',
            weights: { gcp: 255, aws: 0 },
          });
      },
      /the instances disagree: shop\.example\.org\. on aws, api\.example\.org\. on gcp/,
    ],
  ];
  it('aws: a Deployment git keeps at 0 on AWS (meant only for GKE) is as rendered, not a split', () => {
    const report = settled('aws');
    const a = report.apps.aws;
    if (a?.ok) a.value[0]!.workloads.push(deploy('gke-only-exporter', 0, 0));
    expect(statusVerdict(report).verdict).toBe('aws');
  });

  it('aws: every workload at 0 while traffic is on AWS is a split: nothing serves', () => {
    const report = settled('aws');
    const a = report.apps.aws;
    if (a?.ok) a.value[0]!.workloads = [deploy('api', 0, 0), deploy('edge-proxy', 0, 0)];
    const v = statusVerdict(report);
    expect(v.verdict).toBe('split');
    expect(v.reason).toMatch(/Deployment shop\/api in shop-aws is 0\/0 ready/);
  });

  it.each(awsCases)('split: %s', (_name, mutate, reason) => {
    const report = settled('aws');
    mutate(report);
    const v = statusVerdict(report);
    expect(v.verdict).toBe('split');
    expect(v.reason).toMatch(reason);
  });
});
