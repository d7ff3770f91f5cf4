/**
 * `failover iam-policy [RUNBOOK…]`: the least-privilege AWS IAM policy and the Google Cloud
 * permissions the runbooks need (default: the shipped to-aws, to-gcp and drill), from their step
 * kinds and the config, for a security review to approve exactly what the tool does.
 */
import { buildIamPolicy, formatIamPolicy } from '../../lint/iam/index.js';
import { loadRunbook } from '../../runbook/load.js';
import { createRegistry } from '../../steps/registry.js';
import { shippedRunbook } from '../../util/package-root.js';
import { createContext } from '../context.js';
import { reportError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { type GlobalOptions, Io } from '../io.js';

export const DEFAULT_RUNBOOKS = ['to-aws', 'to-gcp', 'drill'] as const;

export default async function iamPolicy(globals: GlobalOptions, files: string[]): Promise<ExitCode> {
  const ctx = createContext(globals);
  const io = new Io(globals, ctx.redactor);
  try {
    const registry = createRegistry();
    const paths = files.length > 0 ? files : DEFAULT_RUNBOOKS.map(shippedRunbook);
    const runbooks = paths.map((file) => loadRunbook(file, registry));
    const loaded = ctx.config(false);
    // Without a config file the policy assumes every mode and uses wildcards where ids would go.
    const report = buildIamPolicy(runbooks, loaded.file ? loaded.config : undefined);
    if (!loaded.file)
      io.err(io.colors.yellow('no config file: the policy uses wildcards; pass --config to scope it'));
    if (globals.output === 'json') {
      io.json({
        aws: report.aws,
        gcp: report.gcp,
        runbooks: report.runbooks,
        usedBy: report.usedBy,
        notes: report.notes,
      });
    } else {
      io.out(formatIamPolicy(report));
    }
    return EXIT.ok;
  } catch (error) {
    return reportError(io, error);
  }
}
