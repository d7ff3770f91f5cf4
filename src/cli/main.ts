/**
 * The command-line program. Every command is declared here (so `--help` lists them all) and
 * implemented in its own module under ./commands, imported only when the command runs: `--help`
 * and `--version` load no cloud SDK.
 */
import { Command, CommanderError, Option } from 'commander';
import { TOOL_VERSION } from '../util/version.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { endByHangUp } from './forced-exit.js';
import { addExamples } from './help-examples.js';
import type { GlobalOptions } from './io.js';
import { routeNodeWarnings, verboseWanted } from './node-warnings.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  success (a dry-run or rehearsal that found no problem)
  1  a step or check failed; the run failed or was rolled back; a drill found a problem;
     a saved plan drifted or lacks an approval by someone else
  2  bad usage or invalid input (flags, runbook, config, parameters, a tampered plan file); nothing ran
  3  aborted by the operator (declined confirmation, Ctrl-C); \`failover resume\` continues
  4  another run holds the lock
  5  internal error (a bug in failover)

Environment: FAILOVER_CONFIG, FAILOVER_STATE_DIR, NO_COLOR, and the variables in .env.example.`;

const PLAN_OUT_HELP =
  'write the full plan and the facts it rests on to this file and change nothing (no lock, no journal); `failover apply FILE` runs it';

function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0)
    throw new CommanderError(EXIT.usage, 'failover.param', `--param expects key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

// Commander passes positional arguments and options by position; each command module types its own.
// biome-ignore lint/suspicious/noExplicitAny: the argument list differs per command.
type Action = (globals: GlobalOptions, ...args: any[]) => Promise<ExitCode>;

/** Whether argv asks for JSON output (read before commander has parsed it, for usage errors). */
function jsonWanted(argv: readonly string[]): boolean {
  return argv.some(
    (arg, i) =>
      arg === '--output=json' ||
      arg === '-ojson' ||
      ((arg === '--output' || arg === '-o') && argv[i + 1] === 'json'),
  );
}

export function buildProgram(
  setExitCode: (code: ExitCode) => void,
  argv: readonly string[] = process.argv,
): Command {
  const json = jsonWanted(argv);
  const program = new Command('failover')
    .description(
      'Move production traffic between GKE and the standby cluster on AWS, safely, through runbooks.',
    )
    .version(TOOL_VERSION, '-V, --version')
    .option('-c, --config <file>', 'config file (default: failover.config.yaml, or FAILOVER_CONFIG)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'more detail on stderr')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('-y, --yes', 'answer confirmations with yes (automation)')
    .option('--dry-run', 'plan only: show every change, send no mutating request')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    .showHelpAfterError(json ? false : '(add --help for usage)')
    .exitOverride()
    .configureOutput({
      // With --output json every line on stderr is a JSON record, usage errors included.
      outputError: (text, write) =>
        write(
          json ? `${JSON.stringify({ level: 'error', code: 'FO_CLI_E2000', message: text.trim() })}\n` : text,
        ),
    })
    .configureHelp({ showGlobalOptions: true });

  /** Declares the action; the implementation module is imported when the command runs. */
  const lazy =
    (load: () => Promise<{ default: Action }>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      const { default: action } = await load();
      setExitCode(await action(globals, ...args.slice(0, -1)));
    };

  /** For modules with several commands: the named export is the action. */
  const namedAction = (load: () => Promise<object>, name: string) =>
    lazy(async () => ({ default: (await load())[name as keyof object] as Action }));

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const failoverCommand = (name: 'to-aws' | 'to-gcp' | 'drill', description: string, from: string) =>
    program
      .command(name)
      .description(description)
      .option('--incident <id>', 'incident id, recorded in commits, journal, report and notifications')
      .option('--reason <text>', 'why, recorded in commits, journal, report and notifications')
      .option('--operator <name>', 'who runs it (default: FAILOVER_OPERATOR, git user.name, login name)')
      .option(
        '--force',
        `go on even when ${from === 'AWS' ? 'an AWS' : 'a GKE'} check fails (loudly recorded)`,
      )
      .option(
        '--stages <list>',
        'move traffic in stages, percentages with health gates between them, e.g. 10,50,100',
      )
      .option(
        '--pause-between-stages <duration>',
        'wait this long after each stage before its gate, e.g. 5m (at a terminal the gate then asks: continue, hold or roll back)',
      )
      .option('--timeout <duration>', 'how long to wait for Argo CD and the workloads (default 15m)')
      .option(
        '--break-lock',
        'take over the lock of a run that has expired, or whose process is gone on this host (says so loudly)',
      )
      .option('-p, --param <key=value>', 'other runbook parameter (repeatable)', collectParam)
      .option(
        '--report <format:path>',
        'write a report: junit:PATH, json:PATH or md:PATH (repeatable)',
        collect,
      );

  failoverCommand(
    'to-aws',
    'fail over: move production traffic from GKE to the standby on AWS (runbooks/to-aws.yaml)',
    'AWS',
  )
    .option(
      '--no-rollback',
      'keep the AWS overlay active when its workloads do not come up (for investigation)',
    )
    .option('--plan-out <file>', PLAN_OUT_HELP)
    .action(namedAction(() => import('./commands/failover.js'), 'toAws'));
  failoverCommand(
    'to-gcp',
    'fail back: traffic back to GKE, then AWS back to standby (runbooks/to-gcp.yaml)',
    'GKE',
  )
    .option('--plan-out <file>', PLAN_OUT_HELP)
    .action(namedAction(() => import('./commands/failover.js'), 'toGcp'));

  failoverCommand(
    'drill',
    'scheduled drills: a read-only rehearsal (would a failover work today?) or a game-day round trip',
    'AWS',
  )
    .option('--mode <mode>', 'rehearsal (read-only) or game-day (to-aws, hold, to-gcp)', 'rehearsal')
    .option('--hold <duration>', 'game day: how long to stay on AWS', '1m')
    .option('--no-rollback', 'game day: keep the AWS overlay active when its workloads do not come up')
    .addHelpText(
      'after',
      '\nExit codes for schedulers: 0 all good, 1 a failover would fail (a held lock counts) or a game-day run failed, 2 bad usage, 3 aborted, 4 game day could not take the lock.',
    )
    .action(lazy(() => import('./commands/drill.js')));

  program
    .command('validate')
    .description('check runbooks (schema, step kinds, expressions) without running them')
    .argument('<runbook...>', 'runbook files')
    .action(lazy(() => import('./commands/validate.js')));

  program
    .command('plan')
    .description('show what a runbook would do; changes nothing')
    .argument('<runbook>', 'runbook file')
    .option('-p, --param <key=value>', 'runbook parameter (repeatable)', collectParam)
    .action(lazy(() => import('./commands/plan.js')));

  program
    .command('run')
    .description('run a runbook (plan, confirm, apply)')
    .argument('<runbook>', 'runbook file')
    .option('-p, --param <key=value>', 'runbook parameter (repeatable)', collectParam)
    .option('--operator <name>', 'who runs it (default: git user.name)')
    .option('--incident <id>', 'incident id, recorded in commits, journal and notifications')
    .option('--reason <text>', 'why, recorded in commits, journal and notifications')
    .option('--plan-out <file>', PLAN_OUT_HELP)
    .action(lazy(() => import('./commands/run.js')));

  program
    .command('approve')
    .description(
      'approve a saved plan (from --plan-out): shows it, asks for a typed confirmation, records the approval of its hash in the GitOps remote',
    )
    .argument('<plan-file>', 'the plan file written by --plan-out')
    .option('--operator <name>', 'who approves (default: FAILOVER_OPERATOR, git user.name, login name)')
    .addHelpText(
      'after',
      '\nThe approval is a ref in the GitOps remote (refs/failover/approvals/<plan sha256>/<approver>), so a colleague on another machine can approve; several people may approve the same plan.\nExit codes: 0 approved (or approved before), 1 the remote refused, 2 bad or tampered plan file, no terminal and no --yes, 3 not confirmed.',
    )
    .action(lazy(() => import('./commands/approve.js')));

  program
    .command('apply')
    .description(
      'run a saved plan exactly as planned: refuses on drift (the branch, weights, policy versions, app revisions changed), then lock, confirmation, journal, report',
    )
    .argument('<plan-file>', 'the plan file written by --plan-out')
    .option('--operator <name>', 'who applies (default: FAILOVER_OPERATOR, git user.name, login name)')
    .option(
      '--require-approval',
      'refuse unless someone other than the applier approved this plan (config: approval.required)',
    )
    .option(
      '--report <format:path>',
      'write a report: junit:PATH, json:PATH or md:PATH (repeatable)',
      collect,
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 applied, 1 drift, a missing or self approval, or a failed step (nothing changed before the run starts), 2 bad, tampered or truncated plan file, 3 aborted, 4 another run holds the lock.\nThe flow: failover to-aws --incident INC-42 --plan-out inc-42.plan.json; a colleague, anywhere: failover approve inc-42.plan.json; the on-call engineer: failover apply inc-42.plan.json --require-approval.',
    )
    .action(lazy(() => import('./commands/apply.js')));

  program
    .command('runs')
    .description('list runs from the journal, newest last')
    .option('-n, --limit <n>', 'show the last n runs', '20')
    .action(lazy(() => import('./commands/runs.js')));

  program
    .command('report')
    .description('write the report of past runs from their journals (Markdown, JUnit or JSON) to stdout')
    .argument('<run-id...>', 'run ids from `failover runs`')
    .option('-f, --format <format>', 'md, junit or json (default: json with --output json, else md)')
    .action(lazy(() => import('./commands/report.js')));

  program
    .command('resume')
    .description('continue an interrupted or failed run; completed work is detected, not repeated')
    .argument('<run-id>', 'run id from `failover runs`')
    .option(
      '--forward',
      'go on with the run where resume would otherwise stop and explain: after a rollback that failed, or when a later run succeeded since',
    )
    .option(
      '--timeout <duration>',
      "the run's --timeout for the resumed steps, e.g. after a wait that timed out (default: the run's own)",
    )
    .action(lazy(() => import('./commands/resume.js')));

  program
    .command('status')
    .description(
      'show both sides: clusters, Route 53 weights, health checks, overlays, Argo CD apps, the run lock',
    )
    .option('-w, --watch [interval]', 'refresh until Ctrl-C, every interval (default 5s, from 2s to 10m)')
    .addHelpText(
      'after',
      '\nEnds with a verdict: on GCP, on AWS, or split / in transition (with the reason); JSON has "verdict".\nExit codes: 0 everything could be read, 1 some part could not (shown as UNREACHABLE or UNREADABLE), 2 bad config; --watch exits 0 on Ctrl-C.',
    )
    .action(lazy(() => import('./commands/status.js')));

  program
    .command('demo')
    .description('the whole story on the built-in sandbox: GKE outage, to-aws, back to GKE, with a report')
    .option(
      '-d, --dir <dir>',
      'keep the sandbox, journals and report in this folder (default: a temp folder)',
    )
    .option('--stages <list>', 'shift traffic in stages, e.g. 10,50,100')
    .action(lazy(() => import('./commands/demo.js')));

  program
    .command('completion')
    .description('print a shell completion script (commands, options, runbook files, run ids)')
    .argument('<shell>', 'bash, zsh or fish')
    .action(lazy(() => import('./commands/completion.js')));

  const lint = program
    .command('lint')
    .description('catch multi-cloud traps before a failover does (ingress rule order, standby coverage)');
  lint
    .command('ingress')
    .description(
      'report Ingress path rules that route differently on Google Cloud Load Balancing and an AWS ALB',
    )
    .argument('[paths...]', 'manifest files or folders (none or - reads rendered YAML from stdin)')
    .option('--fix', 'reorder the rules so both clouds route alike (most specific first), keeping comments')
    .addHelpText('after', '\nExit codes: 0 no divergence, 1 divergences found, 2 nothing could be checked.')
    .action(namedAction(() => import('./commands/lint.js'), 'ingress'));
  lint
    .command('standby')
    .description(
      'check that the AWS overlay keeps every workload dormant in standby, and show what removing the standby entries would start',
    )
    .option('--overlay <dir>', 'the AWS overlay directory (default: gitops.awsOverlay inside --repo)')
    .option('--repo <dir>', 'local checkout of the GitOps repository (default: the current directory)')
    .addOption(
      new Option(
        '--renderer <name>',
        'who runs kustomize: auto takes kustomize.path from the config, else kustomize, else kubectl on PATH',
      )
        .choices(['auto', 'kubectl', 'kustomize'])
        .default('auto'),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 dormant (warnings allowed), 1 something runs in standby or the toggle would break, 2 nothing could be rendered.',
    )
    .action(namedAction(() => import('./commands/lint.js'), 'standby'));
  lint
    .command('portability')
    .description(
      'report objects and fields the target cloud cannot serve or ignores (GKE-only CRDs and annotations, node selectors, storage classes, external metrics of the other cloud)',
    )
    .option('--overlay <dir>', 'an overlay directory (with --cloud; default: both overlays of the config)')
    .addOption(new Option('--cloud <cloud>', 'the cloud the overlay is deployed on').choices(['aws', 'gcp']))
    .option('--repo <dir>', 'local checkout of the GitOps repository (default: the current directory)')
    .option('--fix', 'print the patches that make the overlay portable (to add to its kustomization)')
    .addHelpText(
      'after',
      '\nExit codes: 0 portable (warnings allowed), 1 something would not run or sync on the target, 2 nothing could be rendered.',
    )
    .action(namedAction(() => import('./commands/lint.js'), 'portability'));
  lint
    .command('runbook')
    .description(
      'check runbooks: schema, then rollback gaps, traffic moved before AWS runs, GCP dependencies of to-aws, unreachable steps, unused parameters',
    )
    .argument('<files...>', 'runbook files')
    .addHelpText(
      'after',
      '\nExit codes: 0 no error, 1 errors found (or a file unreadable), 2 nothing could be checked.',
    )
    .action(namedAction(() => import('./commands/lint.js'), 'runbook'));
  lint
    .command('config')
    .description(
      'check the config file (--config): schema, then settings that would fail or weaken a failover',
    )
    .addHelpText('after', '\nExit codes: 0 no error, 1 errors found, 2 the config could not be read.')
    .action(namedAction(() => import('./commands/lint.js'), 'config'));

  program
    .command('iam-policy')
    .description(
      'print the least-privilege AWS IAM policy and the Google Cloud permissions the runbooks need (default: to-aws, to-gcp, drill)',
    )
    .argument('[runbooks...]', 'runbook files (default: the shipped ones)')
    .addHelpText('after', '\nWith --config the resources are the configured ones; without, wildcards.')
    .action(lazy(() => import('./commands/iam-policy.js')));

  const sandbox = program
    .command('sandbox')
    .description(
      'local emulators of Route 53, EKS, GKE, Argo CD and a git remote: try everything without a cloud',
    );
  sandbox
    .command('start')
    .description('start the sandbox and write DIR/failover.config.yaml; runs until Ctrl-C')
    .option('-d, --dir <dir>', 'folder for config, git remote and journals', 'failover-sandbox')
    .option(
      '--repo-from <path>',
      'seed the git remote from this GitOps tree (rehearse against a copy of your repo)',
    )
    .option('--aws-overlay <path>', 'AWS overlay path in the repo (default overlays/aws)')
    .option('--gcp-overlay <path>', 'GKE overlay path in the repo (default overlays/gke)')
    .option('--record-sets', 'configure Route 53 weighted record sets instead of Traffic Flow')
    .option('--instances <n>', 'traffic policy instances sharing the policy, one per hostname (default 1)')
    .option('--apps <m>', 'Argo CD applications per side (default 1)')
    .option(
      '--route53-throttling <spec>',
      "Route 53 emulator throttling: 'documented' (default: Route 53's token buckets), 'off', or the account bucket as RATE/BURST (e.g. 20/100)",
    )
    .option(
      '--kustomize-build-options <flags>',
      "kustomize flags for every build, as your Argo CD's argocd-cm kustomize.buildOptions (e.g. '--load-restrictor LoadRestrictionsNone'); also written to the config",
    )
    .action(namedAction(() => import('./commands/sandbox.js'), 'start'));
  sandbox
    .command('outage')
    .description('switch an outage of one side on or off in a running sandbox')
    .argument('<side>', 'gke or aws')
    .argument('<state>', 'on or off')
    .option('-d, --dir <dir>', 'the sandbox folder', 'failover-sandbox')
    .action(namedAction(() => import('./commands/sandbox.js'), 'outage'));
  sandbox
    .command('fault')
    .description(
      'inject a fault into an emulator: throttle, server-error, prior-request-not-complete, policy-instance-failed (route53); rollout-stuck, crash-loop (apps: rollouts that start afterwards)',
    )
    .argument('[service]', 'route53, eks, gke, argocd, apps, datadog, prometheus')
    .argument('[kind]', 'fault kind')
    .option('-d, --dir <dir>', 'the sandbox folder', 'failover-sandbox')
    .option(
      '--operation <name>',
      'only this operation (e.g. UpdateTrafficPolicyInstance); apps: an endpoint (gcp, aws, public), an Argo CD app or a workload',
    )
    .option('--count <n>', 'only the next n requests')
    .option('--clear', 'remove every injected fault')
    .action(namedAction(() => import('./commands/sandbox.js'), 'fault'));
  sandbox
    .command('errors')
    .description(
      "override a side's error rate in the sandbox's Datadog and Prometheus (auto: follow its state)",
    )
    .argument('<side>', 'gcp or aws')
    .argument('<percent>', 'a percentage from 0 to 100, or auto')
    .option('-d, --dir <dir>', 'the sandbox folder', 'failover-sandbox')
    .action(namedAction(() => import('./commands/sandbox.js'), 'errors'));
  sandbox
    .command('secret-store')
    .description("make a side's ExternalSecrets fail to sync (SecretSyncedError), or heal them")
    .argument('<side>', 'gcp or aws')
    .argument('<state>', 'failing or ok')
    .option('-d, --dir <dir>', 'the sandbox folder', 'failover-sandbox')
    .option('--key <remoteKey...>', 'only ExternalSecrets reading these remote keys fail')
    .action(namedAction(() => import('./commands/sandbox-secrets.js'), 'secretStore'));
  sandbox
    .command('requests')
    .description('list the requests the emulators answered')
    .option('-d, --dir <dir>', 'the sandbox folder', 'failover-sandbox')
    .option('--mutating', 'only mutating requests')
    .action(namedAction(() => import('./commands/sandbox.js'), 'requests'));

  addExamples(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // The AWS SDK warns on every run under Node 20 that releases after January 2027 will need Node 22
  // (README, Requirements). Operators should not read that at 3 a.m.; set the variable to "false" to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  routeNodeWarnings(verboseWanted(argv), (line) => process.stderr.write(line));
  // A terminal that hung up fails every later write (EIO), as a closed pipe does (EPIPE): the run
  // still finishes what it must (its cleanup, the lock, the journal) without its output.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  let exitCode: ExitCode = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  }, argv);
  try {
    await program.parseAsync(argv);
    endByHangUp();
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return EXIT.ok;
      if (error.code === 'failover.param')
        process.stderr.write(
          jsonWanted(argv)
            ? `${JSON.stringify({ level: 'error', code: 'FO_CLI_E2000', message: error.message })}\n`
            : `error: ${error.message}\n`,
        );
      return EXIT.usage;
    }
    const { reportError } = await import('./errors.js');
    const { Io } = await import('./io.js');
    const { Redactor } = await import('../engine/redact.js');
    const globals = program.opts() as GlobalOptions;
    // No config was loaded for this error: mask what the environment says is secret.
    const redactor = new Redactor();
    redactor.addSecretLookingEnv(process.env);
    return reportError(new Io({ ...globals, output: globals.output ?? 'text' }, redactor), error);
  }
}
