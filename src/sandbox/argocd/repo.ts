/**
 * What Argo CD's repo-server does for the emulator: resolve a revision of a git remote to a commit,
 * and render an application path at that commit with kustomize itself, as the repo-server does
 * (`kustomize build PATH` plus the configured build options). Each commit is exported once
 * (`git archive`, then `tar -x`) into a cache directory, and each (commit, path) is rendered once, as
 * commits never change (a render is a kustomize process, a fraction of a second each). Successful
 * builds are also shared by every repo-server in the process, by the commit's tree: sandboxes
 * started one after another from the same files (a test suite, the demo run again) build each
 * tree once; with a render store (kustomize.cacheDir), across processes too.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join, normalize } from 'node:path';
import { storedTreeRender } from '../../providers/git/render-store.js';
import { type KubeObject, type KustomizeTool, render } from '../../providers/kustomize/index.js';
import { ExecError, exec } from '../../util/exec.js';
import { git, localRepoPath } from '../gitops-demo/git.js';

/** A failure Argo CD reports as a ComparisonError condition. */
export class ComparisonError extends Error {
  override name = 'ComparisonError';
  constructor(
    message: string,
    /** The same commit fails the same way again (kustomize refused it): cached until a hard refresh. */
    readonly deterministic = false,
  ) {
    super(message);
  }
}

function errorText(error: unknown): string {
  if (error instanceof ExecError) return error.stderr.trim() || error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The repo-server's text for a failed build (gitops-engine's CmdError): the command line, the exit
 * status, then kustomize's own stderr.
 */
function buildFailure(tool: KustomizeTool, dir: string, error: unknown): string {
  const exec = error instanceof Error && error.cause instanceof ExecError ? error.cause : undefined;
  if (!exec) return errorText(error);
  const status = exec.exitCode !== null ? `exit status ${exec.exitCode}` : exec.message;
  const stderr = exec.stderr.trim();
  return `\`${[basename(tool.path), ...tool.args(dir)].join(' ')}\` failed ${status}${stderr ? `: ${stderr}` : ''}`;
}

/**
 * The identity of every file a revision may be read from (files backend): the loose branch and tag
 * refs, packed-refs and HEAD, each by inode, size and modification time. Undefined for HEAD
 * itself and on the reftable backend, which this does not follow.
 */
async function refFilesState(gitDir: string, revision: string): Promise<string | undefined> {
  // HEAD follows whatever branch it names: not worth following here.
  if (revision === 'HEAD' || existsSync(join(gitDir, 'reftable'))) return undefined;
  const files = ['HEAD', 'packed-refs', join('refs', 'heads', revision), join('refs', 'tags', revision)];
  const parts = await Promise.all(
    files.map(async (file) => {
      const info = await stat(join(gitDir, file)).catch(() => undefined);
      return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : '-';
    }),
  );
  return parts.join('|');
}

/**
 * Successful builds by (tree, path, tool, options). Not failures: a failure's text names the
 * directory it was built in. Not a tree whose files git archive rewrites per commit (export-subst)
 * either: the key would not tell two such commits apart; the emulated repos have none.
 */
const sharedRenders = new Map<string, Promise<KubeObject[]>>();
const SHARED_LIMIT = 128;

export class RepoService {
  /** The shared render keys this server used, per repo: a hard refresh drops them too. */
  private readonly sharedKeys = new Map<string, Set<string>>();
  private readonly exports = new Map<string, Promise<string>>();
  private readonly renders = new Map<string, Promise<KubeObject[]>>();
  /** Resolves in flight: a reconcile sweep over many apps of one repo asks git once. */
  private readonly resolving = new Map<string, Promise<string>>();
  /** The last answer per revision with the state of the ref files it was read from. */
  private readonly resolved = new Map<string, { files: string; sha: string }>();

  constructor(
    private readonly cacheDir: string,
    /** Located before the emulator starts: without kustomize there is no Argo CD to emulate. */
    private readonly kustomize: KustomizeTool,
    /** A directory where successful builds are also kept for other processes, by tree. */
    private readonly renderStore?: string,
  ) {}

  /** The commit sha a branch, tag, `HEAD` or sha stands for in the repository. */
  resolve(repoURL: string, revision: string): Promise<string> {
    const key = `${repoURL}\n${revision}`;
    let pending = this.resolving.get(key);
    if (!pending) {
      pending = this.resolveChecked(repoURL, revision, key).finally(() => this.resolving.delete(key));
      this.resolving.set(key, pending);
    }
    return pending;
  }

  /**
   * The reconcile loop asks several times a second; git is asked again only when a file a ref lives
   * in changed. git rewrites a ref by renaming a new file over it, so its inode changes with every
   * update (push, update-ref, pack-refs). Repositories on the reftable backend are always asked.
   */
  private async resolveChecked(repoURL: string, revision: string, key: string): Promise<string> {
    const files = await refFilesState(localRepoPath(repoURL), revision);
    const last = this.resolved.get(key);
    if (files !== undefined && last?.files === files) return last.sha;
    const sha = await this.resolveUncached(repoURL, revision);
    if (files !== undefined) this.resolved.set(key, { files, sha });
    return sha;
  }

  private async resolveUncached(repoURL: string, revision: string): Promise<string> {
    const gitDir = localRepoPath(repoURL);
    const candidates =
      revision === 'HEAD' || /^[0-9a-f]{7,40}$/i.test(revision)
        ? [revision]
        : [`refs/heads/${revision}`, `refs/tags/${revision}`, revision];
    for (const candidate of candidates) {
      try {
        const { stdout } = await git([
          '--git-dir',
          gitDir,
          'rev-parse',
          '--verify',
          '--quiet',
          `${candidate}^{commit}`,
        ]);
        const sha = stdout.trim();
        if (sha) return sha;
      } catch {
        // try the next form
      }
    }
    throw new ComparisonError(`unable to resolve '${revision}' to a commit SHA`);
  }

  /** The rendered manifests of `path` at `sha`. */
  async render(repoURL: string, sha: string, path: string): Promise<KubeObject[]> {
    const key = `${repoURL}\n${sha}\n${path}`;
    let rendered = this.renders.get(key);
    if (!rendered) {
      rendered = this.renderShared(repoURL, sha, path);
      this.renders.set(key, rendered);
      // A failed render is retried next time unless kustomize itself refused the commit; a timeout
      // or a failed export may pass.
      rendered.catch((error: unknown) => {
        if (!(error instanceof ComparisonError && error.deterministic)) this.renders.delete(key);
      });
    }
    return structuredClone(await rendered);
  }

  private async renderShared(repoURL: string, sha: string, path: string): Promise<KubeObject[]> {
    const tree = await git([
      '--git-dir',
      localRepoPath(repoURL),
      'rev-parse',
      '--verify',
      '--quiet',
      `${sha}^{tree}`,
    ])
      .then(({ stdout }) => stdout.trim())
      .catch(() => '');
    if (!tree) return this.renderUncached(repoURL, sha, path);
    const key = [tree, normalize(path || '.'), this.kustomize.path, ...this.kustomize.args('')].join('\n');
    const used = this.sharedKeys.get(repoURL) ?? new Set<string>();
    this.sharedKeys.set(repoURL, used.add(key));
    const known = sharedRenders.get(key);
    if (known) {
      try {
        return await known;
      } catch {
        // Built elsewhere and failed there: build here, with this repo's own error text.
      }
    }
    const built = this.renderStore
      ? storedTreeRender(this.renderStore, tree, normalize(path || '.'), this.kustomize, () =>
          this.renderUncached(repoURL, sha, path),
        )
      : this.renderUncached(repoURL, sha, path);
    sharedRenders.set(key, built);
    built.catch(() => {
      if (sharedRenders.get(key) === built) sharedRenders.delete(key);
    });
    if (sharedRenders.size > SHARED_LIMIT) sharedRenders.delete(sharedRenders.keys().next().value as string);
    return built;
  }

  /** Drops cached renders and resolved revisions (a hard refresh). */
  invalidate(repoURL: string): void {
    for (const key of this.sharedKeys.get(repoURL) ?? []) sharedRenders.delete(key);
    this.sharedKeys.delete(repoURL);
    for (const key of this.renders.keys()) if (key.startsWith(`${repoURL}\n`)) this.renders.delete(key);
    for (const key of this.resolved.keys()) if (key.startsWith(`${repoURL}\n`)) this.resolved.delete(key);
  }

  private async renderUncached(repoURL: string, sha: string, path: string): Promise<KubeObject[]> {
    const root = await this.exportCommit(repoURL, sha);
    const relative = normalize(path || '.');
    if (relative.startsWith('..')) throw new ComparisonError(`app path ${path} is outside the repository`);
    const dir = join(root, relative);
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new ComparisonError(`${path}: app path does not exist`);
    }
    try {
      return await render(dir, { tool: this.kustomize });
    } catch (error) {
      const exit = error instanceof Error && error.cause instanceof ExecError ? error.cause : undefined;
      throw new ComparisonError(
        `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${buildFailure(this.kustomize, dir, error)}`,
        exit?.exitCode !== null && exit?.exitCode !== undefined,
      );
    }
  }

  private exportCommit(repoURL: string, sha: string): Promise<string> {
    const key = `${repoURL}\n${sha}`;
    let exported = this.exports.get(key);
    if (!exported) {
      exported = this.exportUncached(repoURL, sha);
      this.exports.set(key, exported);
      exported.catch(() => this.exports.delete(key));
    }
    return exported;
  }

  private async exportUncached(repoURL: string, sha: string): Promise<string> {
    const dir = join(this.cacheDir, `${this.exports.size}-${sha}`);
    const tarball = `${dir}.tar`;
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      await git(['--git-dir', localRepoPath(repoURL), 'archive', '--format=tar', '-o', tarball, sha]);
      await exec('tar', ['-xf', tarball, '-C', dir], { timeoutMs: 30_000 });
    } catch (error) {
      throw new ComparisonError(
        `rpc error: code = Unknown desc = failed to check out ${sha}: ${errorText(error)}`,
      );
    } finally {
      await rm(tarball, { force: true });
    }
    return dir;
  }
}
