/**
 * `failover sandbox …`: start the emulators (until Ctrl-C), and flip their switches from another
 * terminal through the sandbox's control API (its address is in DIR/sandbox.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { invalidInput, stepFailed } from '../../engine/errors.js';
import { Redactor } from '../../engine/redact.js';
import { FAULT_KINDS, SERVICES, SUPPORTED_FAULTS } from '../../sandbox/common/control.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';

export interface StartOptions {
  dir: string;
  repoFrom?: string;
  awsOverlay?: string;
  gcpOverlay?: string;
  recordSets?: boolean;
  instances?: string;
  apps?: string;
  route53Throttling?: string;
  kustomizeBuildOptions?: string;
}

function count(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw invalidInput(
      'FO_SANDBOX_E6003',
      `${flag} must be a whole number from 1 to ${max} (got "${value}")`,
      {
        hint: `e.g. ${flag} 50`,
      },
    );
  }
  return n;
}

/** `documented` | `off` | `RATE/BURST` (the account bucket; the per-operation ones stay as documented). */
export function parseThrottling(
  value: string | undefined,
): false | { account: { perSecond: number; burst: number } } | undefined {
  if (value === undefined || value === 'documented' || value === 'on') return undefined;
  if (value === 'off') return false;
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value);
  if (!match || Number(match[1]) <= 0 || Number(match[2]) < 1) {
    throw invalidInput(
      'FO_SANDBOX_E6004',
      `--route53-throttling must be documented, off or RATE/BURST (got "${value}")`,
      { hint: 'e.g. --route53-throttling 20/100 (20 requests per second, bursts of 100)' },
    );
  }
  return { account: { perSecond: Number(match[1]), burst: Number(match[2]) } };
}

export async function start(globals: GlobalOptions, options: StartOptions): Promise<ExitCode> {
  const io = new Io(globals, new Redactor());
  try {
    const dir = resolve(options.dir);
    if (existsSync(join(dir, 'gitops.git'))) {
      throw invalidInput('FO_SANDBOX_E6001', `${dir} already holds a sandbox`, {
        hint: `remove it (rm -rf ${options.dir}) or pass another --dir`,
      });
    }
    if (options.repoFrom && !existsSync(options.repoFrom)) {
      throw invalidInput('FO_SANDBOX_E6002', `--repo-from ${options.repoFrom} does not exist`, {
        hint: 'pass the root of a GitOps tree',
      });
    }
    const instances = count(options.instances, '--instances', 1000);
    const apps = count(options.apps, '--apps', 1000);
    const throttling = parseThrottling(options.route53Throttling);
    const { startSandbox } = await import('../../sandbox/sandbox.js');
    const sandbox = await startSandbox({
      ...(instances ? { instances } : {}),
      ...(apps ? { apps } : {}),
      ...(throttling !== undefined ? { route53Throttling: throttling } : {}),
      dir,
      ...(options.repoFrom ? { repoFrom: resolve(options.repoFrom) } : {}),
      ...(options.awsOverlay ? { awsOverlay: options.awsOverlay } : {}),
      ...(options.gcpOverlay ? { gcpOverlay: options.gcpOverlay } : {}),
      route53Mode: options.recordSets ? 'record-sets' : 'traffic-flow',
      ...(options.kustomizeBuildOptions ? { kustomizeBuildOptions: options.kustomizeBuildOptions } : {}),
    });
    const c = io.colors;
    const info = sandbox.info;
    if (globals.output === 'json') io.json(info);
    else {
      io.out(`${c.green('sandbox running')} in ${info.dir}`);
      const ids = info.route53.trafficPolicyInstanceIds;
      const throttle = info.route53.throttling;
      io.out(
        `  route53  ${info.route53.endpoint}  (traffic policy instance${ids.length > 1 ? `s: ${ids.length}, e.g.` : ''} ${ids.slice(0, 3).join(', ')}; throttling ${throttle ? `${throttle.perSecond}/s, burst ${throttle.burst}` : 'off'})`,
      );
      io.out(`  eks      ${info.eks.endpoint}  (cluster ${info.eks.cluster})`);
      io.out(`  gke      ${info.gke.endpoint}  (gRPC, cluster ${info.gke.cluster})`);
      const apps = [...info.argocd.apps.aws, ...info.argocd.apps.gcp];
      io.out(
        `  argocd   ${info.argocd.endpoint}  (apps ${apps.length > 6 ? `${apps.length}: ${apps.slice(0, 2).join(', ')}, …` : apps.join(', ')})`,
      );
      io.out(
        `  git      ${info.git.remote}  (branch ${info.git.branch}, aws overlay ${info.git.awsOverlay})`,
      );
      io.out(`  apps     gke ${info.apps.gcp}  aws ${info.apps.aws}  public ${info.apps.public}`);
      io.out(`  metrics  datadog ${info.datadog.endpoint}  prometheus ${info.prometheus.endpoint}`);
      io.out(
        `  delays   argocd sync ${info.delays.argocdSyncS}s, rollout ${info.delays.rolloutS}s, route53 propagation ${info.delays.route53PropagationS}s`,
      );
      io.out(
        `  dns      ${info.dns.host}:${info.dns.port} udp+tcp  (dig @${info.dns.host} -p ${info.dns.port} admin.example.com)`,
      );
      io.out('');
      io.out(`  config   ${info.config}`);
      io.out(`  try:     failover status --config ${info.config}`);
      io.out(`           failover sandbox outage gke on --dir ${options.dir}`);
      io.out(`           failover to-aws --config ${info.config} --dry-run`);
      io.out(c.dim('  Ctrl-C stops the sandbox.'));
    }
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.err(c.dim('stopping the sandbox…'));
    await sandbox.close();
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}

function readInfo(dir: string): { control: { endpoint: string } } {
  const file = resolve(dir, 'sandbox.json');
  if (!existsSync(file)) {
    throw invalidInput('FO_SANDBOX_E6003', `no sandbox in ${resolve(dir)} (no sandbox.json)`, {
      hint: `start one with \`failover sandbox start --dir ${dir}\`, or pass its --dir`,
    });
  }
  return JSON.parse(readFileSync(file, 'utf8')) as { control: { endpoint: string } };
}

export async function control(
  dir: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const info = readInfo(dir);
  let response: Response;
  try {
    response = await fetch(`${info.control.endpoint}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    throw stepFailed(
      'FO_SANDBOX_E6004',
      `the sandbox in ${resolve(dir)} does not answer (${(error as Error).message})`,
      {
        hint: 'is `failover sandbox start` still running? Start it again if not',
      },
    );
  }
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw invalidInput('FO_SANDBOX_E6005', String(json.error ?? `HTTP ${response.status}`));
  return json;
}

export async function outage(
  globals: GlobalOptions,
  side: string,
  state: string,
  options: { dir: string },
): Promise<ExitCode> {
  const io = new Io(globals, new Redactor());
  try {
    if (side !== 'gke' && side !== 'aws')
      throw invalidInput('FO_SANDBOX_E6006', `unknown side "${side}"`, { hint: 'use gke or aws' });
    if (state !== 'on' && state !== 'off')
      throw invalidInput('FO_SANDBOX_E6007', `unknown state "${state}"`, { hint: 'use on or off' });
    const result = await control(options.dir, 'POST', '/outage', { side, on: state === 'on' });
    if (globals.output === 'json') io.json(result);
    else io.out(`${side} outage ${state === 'on' ? io.colors.red('on') : io.colors.green('off')}`);
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}

export async function errors(
  globals: GlobalOptions,
  side: string,
  percent: string,
  options: { dir: string },
): Promise<ExitCode> {
  const io = new Io(globals, new Redactor());
  try {
    if (side !== 'gcp' && side !== 'gke' && side !== 'aws')
      throw invalidInput('FO_SANDBOX_E6011', `unknown side "${side}"`, { hint: 'use gcp or aws' });
    const value = percent === 'auto' ? 'auto' : Number(percent.replace(/%$/, ''));
    if (value !== 'auto' && !(percent.trim() !== '' && Number.isFinite(value) && value >= 0 && value <= 100))
      throw invalidInput(
        'FO_SANDBOX_E6012',
        `error rate must be a percentage from 0 to 100, or auto (got "${percent}")`,
        {
          hint: 'e.g. `failover sandbox errors aws 30`, then `failover sandbox errors aws auto`',
        },
      );
    const result = await control(options.dir, 'POST', '/errors', { side, percent: value });
    if (globals.output === 'json') io.json(result);
    else
      io.out(
        value === 'auto'
          ? `${side} error rate follows the sandbox's state again`
          : `${side} error rate set to ${value} %`,
      );
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}

export async function fault(
  globals: GlobalOptions,
  service: string,
  kind: string,
  options: { dir: string; operation?: string; count?: string; clear?: boolean },
): Promise<ExitCode> {
  const io = new Io(globals, new Redactor());
  try {
    if (!options.clear) {
      if (!(SERVICES as readonly string[]).includes(service))
        throw invalidInput('FO_SANDBOX_E6008', `unknown service "${service ?? ''}"`, {
          hint: `use one of ${SERVICES.join(', ')}`,
        });
      if (!(FAULT_KINDS as readonly string[]).includes(kind))
        throw invalidInput('FO_SANDBOX_E6009', `unknown fault "${kind ?? ''}"`, {
          hint: `use one of ${FAULT_KINDS.join(', ')}, or --clear`,
        });
      const supported = SUPPORTED_FAULTS[service as keyof typeof SUPPORTED_FAULTS];
      if (!supported.includes(kind as (typeof supported)[number]))
        throw invalidInput('FO_SANDBOX_E6013', `the ${service} emulator does not apply the fault "${kind}"`, {
          hint: `${service} applies ${supported.join(', ')}`,
        });
      if (
        options.count !== undefined &&
        !(Number.isInteger(Number(options.count)) && Number(options.count) > 0)
      )
        throw invalidInput(
          'FO_SANDBOX_E6010',
          `--count must be a whole number above 0 (got "${options.count}")`,
        );
    }
    const result = options.clear
      ? await control(options.dir, 'POST', '/clear')
      : await control(options.dir, 'POST', '/fault', {
          service,
          kind,
          ...(options.operation ? { operation: options.operation } : {}),
          ...(options.count ? { count: Number(options.count) } : {}),
        });
    if (globals.output === 'json') io.json(result);
    else
      io.out(
        options.clear
          ? 'faults cleared'
          : `fault ${kind} injected into ${service}${options.operation ? ` (${options.operation})` : ''}`,
      );
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}

export async function requests(
  globals: GlobalOptions,
  options: { dir: string; mutating?: boolean },
): Promise<ExitCode> {
  const io = new Io(globals, new Redactor());
  try {
    const result = (await control(
      options.dir,
      'GET',
      `/requests${options.mutating ? '?mutating=true' : ''}`,
    )) as {
      requests: { at: string; service: string; operation: string; mutating: boolean; status: number }[];
    };
    if (globals.output === 'json') io.json(result.requests);
    else if (result.requests.length === 0)
      io.err(io.colors.dim(options.mutating ? 'no mutating request so far' : 'no request so far'));
    else
      for (const r of result.requests)
        io.out(
          `${r.at} ${r.service.padEnd(8)} ${r.mutating ? io.colors.yellow('W') : ' '} ${r.status} ${r.operation}`,
        );
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}
