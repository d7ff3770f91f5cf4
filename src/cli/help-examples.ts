/**
 * The examples at the end of every command's `--help`: what an operator types, not what the
 * options mean. Keyed by the command's path (`lint standby`). A unit test parses every example
 * against the real program, so an example cannot name an option that does not exist.
 * Text after two spaces and `#` is a comment; a shell redirection (`>`) ends the command.
 */
import type { Command } from 'commander';

export const EXAMPLES: Record<string, readonly string[]> = {
  'to-aws': [
    'failover to-aws --incident INC-42 --reason "GKE control plane down" --dry-run',
    'failover to-aws --incident INC-42 --reason "GKE control plane down"',
    'failover to-aws --incident INC-42 --stages 10,50,100 --timeout 20m  # traffic in stages',
    'failover to-aws --incident INC-42 --plan-out inc-42.plan.json  # then: failover approve / apply',
  ],
  'to-gcp': [
    'failover to-gcp --incident INC-42 --dry-run',
    'failover to-gcp --incident INC-42 --stages 10,50,100 --pause-between-stages 5m  # decide at each gate',
    'failover to-gcp --incident INC-42 --plan-out failback.plan.json',
  ],
  drill: [
    'failover drill  # read-only rehearsal: would a failover work today?',
    'failover drill --mode rehearsal --report junit:out/drill.xml --report md:out/drill.md  # nightly',
    'failover drill --mode game-day --hold 10m --incident GAMEDAY-7 --yes',
  ],
  validate: ['failover validate runbooks/to-aws.yaml', 'failover validate runbooks/*.yaml'],
  plan: [
    'failover plan runbooks/to-aws.yaml',
    'failover plan runbooks/to-aws.yaml --param stages=10,50,100 --output json',
  ],
  run: [
    'failover run runbooks/custom.yaml --incident INC-42 --dry-run',
    'failover run runbooks/custom.yaml --param stages=50,100 --incident INC-42 --reason "planned move"',
  ],
  approve: [
    'failover approve inc-42.plan.json --operator alice',
    'failover approve inc-42.plan.json --operator alice --yes  # automation',
  ],
  apply: [
    'failover apply inc-42.plan.json --require-approval',
    'failover apply inc-42.plan.json --require-approval --yes --report md:inc-42.md',
  ],
  runs: ['failover runs', 'failover runs --limit 5 --output json'],
  report: [
    'failover report 20261206T104707Z-lhtf  # Markdown to stdout',
    'failover report 20261206T104707Z-lhtf --format junit > drill.xml',
  ],
  resume: [
    'failover resume 20261206T104707Z-lhtf',
    'failover resume 20261206T104707Z-lhtf --forward  # after a rollback that failed',
    'failover resume 20261206T104707Z-lhtf --timeout 30m  # the wait timed out: give it longer',
  ],
  status: ['failover status', 'failover status --watch 10s', 'failover status --output json'],
  demo: ['failover demo', 'failover demo --dir demo-run --stages 10,50,100'],
  completion: [
    'failover completion bash > ~/.local/share/bash-completion/completions/failover',
    'failover completion zsh > "${fpath[1]}/_failover"',
    'failover completion fish > ~/.config/fish/completions/failover.fish',
  ],
  'lint ingress': [
    'kubectl kustomize overlays/aws | failover lint ingress',
    'failover lint ingress overlays/ --fix',
  ],
  'lint standby': [
    'failover lint standby --repo ~/src/gitops',
    'failover lint standby --overlay overlays/aws --renderer kubectl',
  ],
  'lint portability': [
    'failover lint portability --repo ~/src/gitops',
    'failover lint portability --overlay overlays/aws --cloud aws --fix',
  ],
  'lint runbook': ['failover lint runbook runbooks/to-aws.yaml', 'failover lint runbook runbooks/*.yaml'],
  'lint config': ['failover lint config', 'failover lint config --config prod.failover.yaml'],
  'iam-policy': [
    'failover iam-policy  # wildcards',
    'failover iam-policy --config failover.config.yaml --output json',
  ],
  'sandbox start': [
    'failover sandbox start',
    'failover sandbox start --repo-from ~/src/gitops  # rehearse against a copy of your repo',
    'failover sandbox start --repo-from ~/src/gitops --kustomize-build-options "--load-restrictor LoadRestrictionsNone"',
    'failover sandbox start --instances 50 --apps 20  # a fleet',
  ],
  'sandbox outage': ['failover sandbox outage gke on', 'failover sandbox outage gke off'],
  'sandbox fault': [
    'failover sandbox fault route53 throttle --operation UpdateTrafficPolicyInstance --count 3',
    'failover sandbox fault apps crash-loop --operation aws',
    'failover sandbox fault --clear',
  ],
  'sandbox errors': ['failover sandbox errors aws 12', 'failover sandbox errors aws auto'],
  'sandbox secret-store': [
    'failover sandbox secret-store aws failing --key prod/db-password',
    'failover sandbox secret-store aws ok',
  ],
  'sandbox requests': ['failover sandbox requests', 'failover sandbox requests --mutating --output json'],
};

/** The command's path below the program: `lint standby`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Commands that run something (no subcommands of their own). */
export function leafCommands(program: Command): Command[] {
  return program.commands.flatMap((c) => (c.commands.length ? leafCommands(c) : [c]));
}

/** Appends each command's examples to its `--help`. */
export function addExamples(program: Command): void {
  for (const command of leafCommands(program)) {
    const examples = EXAMPLES[commandPath(command)];
    if (examples?.length)
      command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
  }
}
