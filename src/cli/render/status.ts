/** `failover status` for people: clusters, weights in percent, health checks, overlays, apps. */
import type { Section, StatusReport } from '../../steps/status/collect.js';
import { percentages } from '../../steps/status/collect.js';
import type { Colors } from '../io.js';
import { renderTable } from './table.js';

const SIDE = { gcp: 'GCP (GKE)', aws: 'AWS' } as const;

function failed<T>(s: Section<T>, c: Colors): string | undefined {
  return s.ok ? undefined : c.red(`unreadable: ${s.error}`);
}

/** A bar of 20 cells showing a percentage. */
export function bar(percent: number, c: Colors): string {
  const cells = Math.round(percent / 5);
  return c.cyan('█'.repeat(cells)) + c.dim('░'.repeat(20 - cells));
}

export function renderStatus(report: StatusReport, c: Colors): string {
  const out: string[] = [];
  const clusters = Object.entries(report.clusters) as [
    keyof typeof SIDE,
    Section<import('../../providers/types.js').ClusterHealth>,
  ][];
  if (clusters.length) {
    out.push(c.bold('Clusters'));
    out.push(
      renderTable(
        ['SIDE', 'CLUSTER', 'STATUS', 'NOTES'],
        clusters.map(([role, s]) =>
          s.ok
            ? [
                SIDE[role],
                s.value.name,
                s.value.usable
                  ? s.value.warnings.length
                    ? c.yellow(s.value.status)
                    : c.green(s.value.status)
                  : c.red(s.value.status),
                [...s.value.problems.map((p) => c.red(p)), ...s.value.warnings.map((w) => c.yellow(w))].join(
                  '; ',
                ),
              ]
            : [SIDE[role], '', c.red('UNREACHABLE'), failed(s, c) ?? ''],
        ),
        c.dim,
      ),
    );
  }
  if (report.weights) {
    out.push('', c.bold('Traffic (Route 53)'));
    if (!report.weights.ok) out.push(`  ${failed(report.weights, c)}`);
    else {
      out.push(
        renderTable(
          ['TARGET', 'STATE', 'GCP', '', 'AWS', 'DETAIL'],
          report.weights.value.map((t) => {
            const p = percentages(t.weights);
            const detail = Object.entries(t.detail)
              .filter(([k]) => ['policyVersion', 'ttl'].includes(k))
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' ');
            return [
              `${t.name} ${c.dim(t.id)}`,
              t.state === 'Applied' || t.state === 'INSYNC' ? c.green(t.state) : c.yellow(t.state),
              `${p.gcp}% ${c.dim(`(${t.weights.gcp})`)}`,
              bar(p.aws, c),
              `${p.aws}% ${c.dim(`(${t.weights.aws})`)}`,
              c.dim(detail),
            ];
          }),
          c.dim,
        ),
      );
    }
  }
  if (report.healthChecks) {
    out.push('', c.bold('Route 53 health checks'));
    if (!report.healthChecks.ok) out.push(`  ${failed(report.healthChecks, c)}`);
    else
      out.push(
        renderTable(
          ['ROLE', 'ID', 'HEALTH', 'CHECKERS'],
          report.healthChecks.value.map((h) => [
            h.role,
            h.id,
            h.healthy ? c.green('healthy') : c.red('unhealthy'),
            c.dim(h.summary),
          ]),
          c.dim,
        ),
      );
  }
  const overlays = Object.entries(report.overlays) as [
    keyof typeof SIDE,
    Section<import('../../providers/git/port.js').OverlayState>,
  ][];
  if (overlays.length) {
    out.push('', c.bold('GitOps overlays'));
    out.push(
      renderTable(
        ['SIDE', 'OVERLAY', 'STATE', 'AT', 'STANDBY ENTRIES'],
        overlays.map(([role, s]) =>
          s.ok
            ? [
                SIDE[role],
                s.value.path,
                s.value.state === 'active'
                  ? c.green('active')
                  : s.value.state === 'standby'
                    ? c.cyan('standby')
                    : c.yellow(s.value.state),
                s.value.revision.slice(0, 8),
                s.value.standbyElsewhere
                  ? c.yellow(`none: every Deployment renders at 0 by something else (to-aws refuses)`)
                  : c.dim(s.value.entries.join(', ') || '-'),
              ]
            : [SIDE[role], '', c.red('UNREADABLE'), '', failed(s, c) ?? ''],
        ),
        c.dim,
      ),
    );
    for (const [, s] of overlays) {
      if (s.ok && s.value.alwaysOn?.length) out.push(`always on in standby: ${s.value.alwaysOn.join(', ')}`);
    }
  }
  const apps = Object.entries(report.apps) as [
    keyof typeof SIDE,
    Section<import('../../providers/argocd/port.js').AppState[]>,
  ][];
  if (apps.length) {
    out.push('', c.bold('Argo CD apps'));
    const rows: string[][] = [];
    for (const [role, s] of apps) {
      if (!s.ok) {
        rows.push([SIDE[role], '', c.red('UNREADABLE'), '', '', failed(s, c) ?? '']);
        continue;
      }
      for (const app of s.value) {
        const runningOf = (kind: string) => {
          const all = app.workloads.filter((w) => w.kind === kind);
          return [all.filter((w) => (w.desired ?? 0) > 0 && w.ready === w.desired).length, all.length];
        };
        const [running, deployments] = runningOf('Deployment');
        const [runningSets, statefulSets] = runningOf('StatefulSet');
        const cron = app.workloads.filter((w) => w.kind === 'CronJob');
        const active = cron.filter((w) => w.suspended === false).length;
        rows.push([
          SIDE[role],
          app.name,
          app.syncStatus === 'Synced'
            ? c.green(app.syncStatus)
            : c.yellow(app.outOfSyncOnlyToPrune ? 'OutOfSync (to prune)' : app.syncStatus),
          app.health === 'Healthy' ? c.green(app.health) : c.yellow(app.health),
          (app.revision ?? '').slice(0, 8),
          `${running}/${deployments} deployments running, ${
            statefulSets ? `${runningSets}/${statefulSets} statefulsets running, ` : ''
          }${active}/${cron.length} cronjobs active`,
        ]);
      }
    }
    out.push(renderTable(['SIDE', 'APP', 'SYNC', 'HEALTH', 'REVISION', 'WORKLOADS'], rows, c.dim));
    for (const [role] of apps) {
      const cluster = report.clusters[role];
      if (cluster && !cluster.ok)
        out.push(
          c.yellow(
            `! the ${SIDE[role]} cluster is unreachable: its rows are Argo CD's last view, not what runs there now`,
          ),
        );
    }
  }
  if (report.lock) {
    out.push('', c.bold('Run lock'));
    const lock = report.lock;
    if (!lock.ok) out.push(`${c.red('UNREADABLE')} ${failed(lock, c) ?? ''}`);
    else if (!lock.value) out.push(c.green('free'));
    else {
      const expired = Date.parse(lock.value.expiresAt) <= Date.now();
      out.push(
        `${c.yellow('held')} by ${lock.value.operator} (run ${lock.value.runId}) on ${lock.value.host} since ${lock.value.startedAt}, ${expired ? c.red(`expired ${lock.value.expiresAt}`) : `expires ${lock.value.expiresAt}`}${lock.value.purpose ? c.dim(`: ${lock.value.purpose}`) : ''}`,
      );
    }
  }
  if (out.length === 0)
    out.push(c.dim('nothing configured: the config names no cluster, DNS, GitOps repo or Argo CD server'));
  return out.join('\n');
}
