/**
 * `failover lint …`: the multi-cloud traps, checked before the incident does it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadDotEnv } from '../../config/load.js';
import { GitopsConfig, StandbyEntries } from '../../config/schema.js';
import { Redactor } from '../../engine/redact.js';
import {
  fixIngressText,
  formatIngressReport,
  ingressExitCode,
  lintIngress,
  readIngressInputs,
} from '../../lint/ingress/index.js';
import type { ServedApis } from '../../lint/portability/live.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';

/** `failover lint ingress PATH…` (or `-`/nothing for stdin): GCLB vs ALB path routing. */
export async function ingress(
  globals: GlobalOptions,
  paths: string[],
  options: { fix?: boolean },
): Promise<ExitCode> {
  const io = new Io(globals, new Redactor());
  try {
    const fromStdin = paths.length === 0 || (paths.length === 1 && paths[0] === '-');
    if (fromStdin && options.fix) {
      io.err(
        io.colors.red('error') +
          ' --fix rewrites files; it cannot rewrite standard input (pass the files instead)',
      );
      return EXIT.usage;
    }
    if (paths.length === 0 && process.stdin.isTTY) {
      // Reading a terminal would wait silently for input the user does not know is expected.
      io.err(
        `${io.colors.red('error')} nothing to lint: pass files or directories of manifests, or pipe rendered output (\`kubectl kustomize DIR | failover lint ingress\`)`,
      );
      return EXIT.usage;
    }
    const stdinText = fromStdin ? readFileSync(0, 'utf8') : '';
    if (fromStdin && stdinText.trim() === '') {
      io.err(`${io.colors.red('error')} standard input is empty: nothing was checked`);
      return EXIT.usage;
    }
    const { inputs, problems } = fromStdin
      ? { inputs: [{ file: '<stdin>', text: stdinText }], problems: [] }
      : await readIngressInputs(paths);
    if (options.fix) {
      for (const input of inputs) {
        const fixed = fixIngressText(input.text, input.file);
        if (fixed.changed) {
          const before = lintIngress([input]).findings.length;
          writeFileSync(input.file, fixed.text);
          io.err(
            `${io.colors.green('fixed')} ${input.file}: rules reordered, ${before} finding(s) before the fix`,
          );
          input.text = fixed.text;
        }
        for (const note of fixed.notes) io.err(io.colors.yellow(`${input.file}: ${note}`));
      }
    }
    const report = lintIngress(inputs);
    report.problems.unshift(...problems);
    if (globals.output === 'json') io.json(report);
    else io.out(formatIngressReport(report, { color: io.colors.isColorSupported }));
    return ingressExitCode(report) as ExitCode;
  } catch (error) {
    return reportError(io, error);
  }
}

/** `failover lint standby [--overlay DIR | --repo DIR]`: is the AWS overlay dormant, and what would the toggle start? */
export async function standby(
  globals: GlobalOptions,
  options: { overlay?: string; repo?: string; renderer?: 'auto' | 'kubectl' | 'kustomize' },
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const { lintStandby, formatStandbyReport, standbyExitCode } = await import('../../lint/standby/index.js');
    const { gitops, kustomize } = ctx.config(false).config;
    const overlay =
      options.overlay ??
      resolve(options.repo ?? '.', gitops?.awsOverlay ?? GitopsConfig.shape.awsOverlay.parse(undefined));
    const report = await lintStandby(overlay, {
      matcher: gitops?.standby ?? StandbyEntries.parse({}),
      renderer: options.renderer ?? 'auto',
      ...(kustomize ? { kustomize } : {}),
    });
    if (globals.output === 'json') io.json(report);
    else io.out(formatStandbyReport(report, { color: io.colors.isColorSupported }));
    return standbyExitCode(report) as ExitCode;
  } catch (error) {
    return reportError(io, error);
  }
}

/** `failover lint runbook FILE…`: schema and semantic checks; every file is checked, whatever the others hold. */
export async function runbook(globals: GlobalOptions, files: string[]): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const { formatLintReport, lintExitCode, lintRunbookFiles } = await import('../../lint/runbook/index.js');
    const { createRegistry } = await import('../../steps/registry.js');
    const report = await lintRunbookFiles(files, createRegistry());
    if (globals.output === 'json') io.json(report);
    else io.out(formatLintReport(report, { color: io.colors.isColorSupported }));
    return lintExitCode(report) as ExitCode;
  } catch (error) {
    return reportError(io, error);
  }
}

/** `failover lint config`: the config file (--config, FAILOVER_CONFIG or the default) against its schema and semantic rules. */
export async function config(globals: GlobalOptions): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const { formatLintReport, lintConfigFile, lintExitCode } = await import('../../lint/runbook/index.js');
    const file = resolve(globals.config ?? ctx.env.FAILOVER_CONFIG ?? DEFAULT_CONFIG_FILE);
    // As when the config is loaded for a run: a `.env` beside it applies too.
    loadDotEnv(ctx.env, resolve(dirname(file), '.env'));
    const report = await lintConfigFile(file, ctx.env);
    if (globals.output === 'json') io.json(report);
    else io.out(formatLintReport(report, { color: io.colors.isColorSupported }));
    return lintExitCode(report) as ExitCode;
  } catch (error) {
    return reportError(io, error);
  }
}

/** `failover lint portability [--overlay DIR --cloud aws|gcp | --repo DIR] [--fix]`: what the target cloud cannot serve. */
export async function portability(
  globals: GlobalOptions,
  options: { overlay?: string; cloud?: 'aws' | 'gcp'; repo?: string; fix?: boolean },
): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    if (options.overlay && !options.cloud) {
      io.err(
        `${io.colors.red('error')} --overlay needs --cloud aws|gcp: the cloud the overlay is deployed on`,
      );
      return EXIT.usage;
    }
    const p = await import('../../lint/portability/index.js');
    const { render } = await import('../../providers/kustomize/index.js');
    const { config } = ctx.config(false);
    let targets: { overlay: string; target: 'aws' | 'gcp' }[];
    let served: ((target: 'aws' | 'gcp') => Promise<ServedApis[]>) | undefined;
    if (options.overlay && options.cloud) {
      targets = [{ overlay: resolve(options.overlay), target: options.cloud }];
    } else {
      const gitops = config.gitops;
      // The config's overlays are its Argo CD apps' sources: compare with what their clusters serve.
      if (config.argocd) {
        const { createPorts } = await import('../../providers/index.js');
        const { servedByCluster } = await import('../../lint/portability/live.js');
        const { argocd } = createPorts({
          config,
          env: ctx.env,
          redactor: ctx.redactor,
          runId: 'lint-portability',
        }).read;
        served = async (target) =>
          servedByCluster(
            (await argocd.clusterApis?.(target, { signal: AbortSignal.timeout(30_000) })) ?? [],
          );
      }
      const repo = options.repo ?? '.';
      const of = (cloud: 'aws' | 'gcp') =>
        resolve(
          repo,
          cloud === 'aws'
            ? (gitops?.awsOverlay ?? GitopsConfig.shape.awsOverlay.parse(undefined))
            : (gitops?.gcpOverlay ?? GitopsConfig.shape.gcpOverlay.parse(undefined)),
        );
      const clouds = options.cloud ? [options.cloud] : (['aws', 'gcp'] as const);
      targets = clouds.map((cloud) => ({ overlay: of(cloud), target: cloud }));
    }
    // Rendered as Argo CD builds: with the configured kustomize.path and kustomize.buildOptions.
    const report = await p.lintPortability(targets, {
      render: (dir) => render(dir, { kustomize: config.kustomize }),
      ...(served ? { served } : {}),
    });
    const fix = options.fix ? await p.portabilityFixText(report, targets) : undefined;
    if (globals.output === 'json') io.json(fix === undefined ? report : { ...report, fix });
    else if (fix !== undefined) {
      // The patches go to stdout (to redirect or append); the report, to stderr.
      io.out(fix);
      io.err(p.formatPortabilityReport(report, { color: io.colors.isColorSupported }));
    } else io.out(p.formatPortabilityReport(report, { color: io.colors.isColorSupported }));
    return p.portabilityExitCode(report) as ExitCode;
  } catch (error) {
    return reportError(io, error);
  }
}
