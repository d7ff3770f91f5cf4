/**
 * The recap at the end of a run: what changed (weights before → after per instance, commits
 * pushed, apps and workloads now running, fencing), the warnings, and the command to run next.
 * Built from the run's result (plan and step outputs), so it says what the run did, not what
 * it meant to do.
 */
import type { Json, RunOutcome, RunWarning } from '../../engine/events.js';
import type { PlannedStep, RunPlan } from '../../engine/plan.js';
import { describeDnsCounts } from '../../steps/verify/dns-sides.js';
import type { Colors } from '../io.js';

type Percent = { gcp: number; aws: number };
type JsonObject = { [key: string]: Json };

export interface RecapInput {
  runbook: string;
  outcome: RunOutcome;
  plan: RunPlan;
  outputs: Record<string, Record<string, Json>>;
  warnings: RunWarning[];
  rolledBack: string[];
  incident?: string;
  /** `--config FILE` when the run was given one: the next command needs it too. */
  configArg?: string;
}

export interface Recap {
  traffic: { name: string; before?: Percent; after: Percent; rolledBack: boolean }[];
  commits: { stepId: string; action: string; commit: string; rolledBack: boolean }[];
  apps: { name: string; revision?: string; workloads: string[] }[];
  fencing: string[];
  probes: string[];
  /** What the name servers answered (verify.dns): `admin.example.com: 20/20 answers → AWS`. */
  dns: string[];
  warnings: string[];
  next?: { command: string; when: string };
}

const isObject = (value: Json | undefined): value is JsonObject =>
  Boolean(value) && typeof value === 'object' && !Array.isArray(value);

function percent(value: Json | undefined): Percent | undefined {
  if (!isObject(value) || typeof value.gcp !== 'number' || typeof value.aws !== 'number') return undefined;
  return { gcp: value.gcp, aws: value.aws };
}

function weightsPercent(value: Json | undefined): Percent | undefined {
  const w = percent(value);
  if (!w) return undefined;
  const total = w.gcp + w.aws;
  if (total === 0) return { gcp: 50, aws: 50 };
  const gcp = Math.round((w.gcp / total) * 1000) / 10;
  return { gcp, aws: Math.round((100 - gcp) * 10) / 10 };
}

const share = (p: Percent) => `gcp ${p.gcp}% / aws ${p.aws}%`;
const short = (commit: string) => commit.slice(0, 7);

function applied(plan: RunPlan, outputs: RecapInput['outputs']): { step: PlannedStep; out: JsonObject }[] {
  return [...plan.steps, ...plan.finally]
    .filter((s) => !s.skipped && outputs[s.id] !== undefined)
    .map((step) => ({ step, out: outputs[step.id] as JsonObject }));
}

function dnsLine(figures: JsonObject, ok: boolean): string {
  const count = (key: string) => (typeof figures[key] === 'number' ? (figures[key] as number) : 0);
  const counts = {
    name: String(figures.name ?? ''),
    type: String(figures.type ?? ''),
    server: String(figures.server ?? ''),
    samples: count('samples'),
    gcp: count('gcp'),
    aws: count('aws'),
    other: count('other'),
    answers: [],
    elapsedMs: count('elapsedMs'),
  };
  return `${describeDnsCounts(counts)}${ok ? '' : ' (FAILED)'}, asked ${counts.server}`;
}

function nextCommand(input: RecapInput): Recap['next'] {
  const flags = `${input.incident ? ` --incident ${input.incident}` : ''}${input.configArg ?? ''}`;
  if (input.outcome === 'succeeded' && input.runbook === 'to-aws')
    return {
      command: `failover to-gcp${flags}`,
      when: 'when GKE is healthy again (`failover status` shows it): traffic back, then AWS back to standby',
    };
  if (input.outcome === 'succeeded' && input.runbook === 'to-gcp')
    return { command: `failover status${input.configArg ?? ''}`, when: 'to see both sides settled on GKE' };
  if (input.outcome === 'rolled-back')
    return {
      command: `failover status${input.configArg ?? ''}`,
      when: 'to see where things stand; fix the cause above, then run the same command again',
    };
  return undefined;
}

export function buildRecap(input: RecapInput): Recap {
  const done = applied(input.plan, input.outputs);
  const rolledBack = new Set(input.rolledBack);
  const recap: Recap = {
    traffic: [],
    commits: [],
    apps: [],
    fencing: [],
    probes: [],
    dns: [],
    warnings: input.warnings.map((w) => w.message),
  };
  let mutated = false;
  for (const { step, out } of done) {
    const back = rolledBack.has(step.id);
    if (step.kind === 'route53.set-weights' && out.stagesApplied !== undefined) {
      const after = percent(out.percent);
      const targets = Array.isArray(out.targets) ? out.targets.filter(isObject) : [];
      for (const target of targets.length ? targets : [{ name: 'traffic' } as JsonObject]) {
        const before = weightsPercent(target.weights);
        if (after)
          recap.traffic.push({
            name: String(target.name ?? target.id ?? 'traffic'),
            ...(before ? { before } : {}),
            after,
            rolledBack: back,
          });
      }
      mutated = true;
    }
    if (step.kind === 'gitops.set-standby' && typeof out.commit === 'string') {
      const action = (step.plan?.summary ?? step.id).split(':')[0]!.replace(/ if needed.*$/, '');
      if (out.changed === true) {
        recap.commits.push({ stepId: step.id, action, commit: out.commit, rolledBack: back });
        mutated = true;
      }
      if (/cronjobs/.test(action)) {
        // The state the step left (its output); the summary words differ when it was already so
        // ("gcp cronjobs suspended already").
        const suspended = out.state === undefined ? /^suspend/.test(action) : out.state === 'standby';
        const what = suspended ? 'fenced (suspended)' : 'unfenced (resumed)';
        const side = /\bgcp\b/.test(action) ? 'GKE' : 'AWS';
        recap.fencing.push(
          back
            ? `${side} CronJobs: the change was rolled back`
            : `${side} CronJobs ${what} in git at ${short(out.commit)}${out.changed === true ? '' : ' (already so)'}`,
        );
      }
    }
    if (step.kind === 'argocd.wait' && Array.isArray(out.apps)) {
      for (const app of out.apps.filter(isObject)) {
        const workloads = (Array.isArray(app.workloads) ? app.workloads.filter(isObject) : []).map((w) =>
          w.kind === 'CronJob' || 'suspended' in w
            ? `${w.kind} ${w.name} ${w.suspended ? 'suspended' : 'scheduled'}`
            : `${w.kind} ${w.name} ${w.ready ?? '?'}/${w.desired ?? '?'} ready`,
        );
        const name = String(app.name);
        const existing = recap.apps.findIndex((a) => a.name === name);
        const entry = {
          name,
          ...(typeof app.revision === 'string' ? { revision: app.revision } : {}),
          workloads,
        };
        // A later wait (after the shift) describes the state the run ends with.
        if (existing >= 0) recap.apps[existing] = entry;
        else recap.apps.push(entry);
      }
    }
    if (step.kind === 'check.http' && mutated && Array.isArray(out.results)) {
      for (const r of out.results.filter(isObject))
        recap.probes.push(
          `${r.name}: ${r.ok ? 'ok' : 'FAILED'}${typeof r.successes === 'number' ? ` (${r.successes}/${r.wanted ?? r.successes})` : ''}${typeof r.servedBy === 'string' ? `, served by ${r.servedBy}` : ''}`,
        );
    }
    if (step.kind === 'verify.dns' && isObject(out.dns)) recap.dns.push(dnsLine(out.dns, out.ok === true));
  }
  // A fence step that did not run, or failed and let the run go on, is a warning already: say it here too.
  const fenceWarning = input.warnings.find((w) => /NOT fenced/.test(w.message));
  if (fenceWarning) recap.fencing.unshift(fenceWarning.message);
  // A wait for a side's CronJobs suspended in the cluster (the fence applied by its Argo CD) that
  // failed and let the run go on: that fence is in git only, which belongs under fencing.
  for (const warning of input.warnings) {
    const step = input.plan.steps.find((s) => s.id === warning.stepId);
    if (step?.kind !== 'argocd.wait' || !/CronJob[s]? suspended/.test(warning.message)) continue;
    const side = /\bgcp\b/.test(step.plan?.summary ?? '') ? 'GKE' : 'AWS';
    const line = `${side} CronJobs NOT fenced in the cluster yet, suspended in git only (${warning.stepId}: ${warning.message})`;
    recap.fencing.push(line);
    recap.warnings = recap.warnings.filter((w) => w !== warning.message);
  }
  const next = nextCommand(input);
  if (next) recap.next = next;
  return recap;
}

/** Whether there is anything to recap: a run that changed nothing needs no recap. */
export function recapIsEmpty(recap: Recap): boolean {
  return recap.traffic.length + recap.commits.length + recap.apps.length + recap.fencing.length === 0;
}

export function renderRecap(recap: Recap, c: Colors): string {
  const lines = [c.bold('Recap')];
  const row = (label: string, items: string[]) =>
    items.forEach((item, index) => {
      lines.push(`  ${index === 0 ? c.bold(label.padEnd(9)) : ' '.repeat(9)} ${item}`);
    });
  row(
    'traffic',
    recap.traffic.length
      ? recap.traffic.map(
          (t) =>
            `${t.name}: ${t.before ? `${share(t.before)} → ` : ''}${share(t.after)}${t.rolledBack ? c.yellow(' (rolled back)') : ''}`,
        )
      : [c.dim('weights not changed')],
  );
  row(
    'commits',
    recap.commits.length
      ? recap.commits.map(
          (k) =>
            `${short(k.commit)} ${k.action}${k.rolledBack ? c.yellow(' (reverted by the rollback)') : ''}`,
        )
      : [c.dim('none pushed')],
  );
  row(
    'running',
    recap.apps.map(
      (app) =>
        `${app.name}${app.revision ? ` at ${short(app.revision)}` : ''}: ${app.workloads.join(', ') || 'no workloads'}`,
    ),
  );
  row(
    'fencing',
    recap.fencing.map((f) => (/NOT fenced/.test(f) ? c.yellow(f) : f)),
  );
  row('probes', recap.probes);
  row('dns', recap.dns);
  for (const warning of recap.warnings.filter((w) => !recap.fencing.includes(w)))
    lines.push(`  ${c.yellow(`⚠ ${warning}`)}`);
  if (recap.next)
    lines.push(`  ${c.bold('next'.padEnd(9))} ${c.cyan(recap.next.command)}  ${c.dim(recap.next.when)}`);
  return lines.join('\n');
}
