/**
 * The GitOps adapter over the git CLI: the standby toggle of the overlays (read and plan here; commit
 * and push with retries on a moved remote in writer.ts) and the run lock. Works in a cache clone
 * under the state directory; reads of one run share a fetch made a moment ago (cache.ts, FRESH_MS).
 */
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { GitopsConfig, KustomizeConfig } from '../../config/schema.js';
import { FailoverError, invalidInput } from '../../engine/errors.js';
import type { Json } from '../../engine/events.js';
import { defaultStateDir } from '../../engine/journal.js';
import { KUSTOMIZATION_FILES } from '../kustomize/files.js';
import type { KubeObject } from '../kustomize/index.js';
import type { AdapterOptions } from '../options.js';
import type { Role } from '../types.js';
import {
  cronJobsOnBothSides,
  cronJobsOnBothSidesError,
  dormantWithoutEntries,
  fenceReachesAws,
  stillAtZero,
} from './activation-checks.js';
import { approvalsNamespace, PlanApprovals } from './approvals.js';
import { cacheDirFor, GitCache, MissingRemoteRef } from './cache.js';
import { createGitRunner, displayUrl, gitMessage } from './cli.js';
import {
  type CanonicalEntry,
  entryLabels,
  findStandbyEntries,
  planToggle,
  type StandbyMatcher,
  stateOf,
  type ToggleResult,
} from './kustomization.js';
import { RunLock } from './lock.js';
import { standbyCommitMessage } from './message.js';
import type { GitReader, LockInfo, OverlayState, StandbyPlan, StandbyScope, StandbyState } from './port.js';
import type { ReadMode } from './remote-view.js';
import {
  alwaysOnIn,
  everyDeploymentAtZero,
  exportToTemporary,
  type RenderSummary,
  renderEdited,
  renderToggle,
} from './render.js';
import { keptUpByReplicasItems } from './standby-checks.js';

/** How far back the history is searched for the text of the entries to restore. */
const HISTORY_DEPTH = 50;

export interface Overlay {
  role: Role;
  /** The overlay directory, relative to the repository root. */
  dir: string;
  /** Its kustomization file. */
  file: string;
  text: string;
}

/** What the reader and the writer of one config share: the cache clone, the lock, render results. */
export class GitOps {
  readonly cache: GitCache;
  readonly lock: RunLock;
  readonly matcher: StandbyMatcher;
  private readonly renders = new Map<string, Promise<{ renderer: string; summary: RenderSummary }>>();

  constructor(
    readonly config: GitopsConfig,
    readonly env: NodeJS.ProcessEnv,
    stateDir: string,
    readonly kustomize: KustomizeConfig = {},
  ) {
    const parent = config.cacheDir ?? join(stateDir, 'git-cache');
    this.cache = new GitCache(
      createGitRunner(env, config.repo),
      config.repo,
      cacheDirFor(parent, config.repo),
    );
    this.lock = new RunLock(this.cache, config.lockRef);
    this.matcher = {
      patchPaths: config.standby.patchPaths,
      components: config.standby.components,
      replicasField: config.standby.replicasField,
    };
  }

  /** The matcher for one overlay: the gcp overlay is the primary one (see StandbyMatcher.primary). */
  matcherFor(role: Role): StandbyMatcher {
    return role === 'gcp' ? { ...this.matcher, primary: true } : this.matcher;
  }

  get where(): string {
    return `${displayUrl(this.config.repo)} (branch ${this.config.branch})`;
  }

  private keepAliveTimer: NodeJS.Timeout | undefined;

  /**
   * While this process runs, the lock it took is renewed every third of its time to live, so a
   * run that outlasts gitops.lockTtl is never taken for abandoned; a dead process stops renewing
   * and its lock expires. A failed renewal is retried at the next tick.
   */
  keepAlive(lock: LockInfo): void {
    this.stopKeepAlive();
    const ttl = Date.parse(lock.expiresAt) - Date.parse(lock.startedAt);
    if (!Number.isFinite(ttl) || ttl <= 0) return;
    let renewing = false;
    this.keepAliveTimer = setInterval(
      () => {
        if (renewing) return;
        renewing = true;
        const expiresAt = new Date(Date.now() + ttl).toISOString();
        this.lock
          .renew({ ...lock, expiresAt })
          .then((ours) => {
            if (!ours) this.stopKeepAlive();
          })
          .catch(() => {})
          .finally(() => {
            renewing = false;
          });
      },
      Math.max(1000, Math.floor(ttl / 3)),
    );
    // Renewal never keeps the process alive by itself.
    this.keepAliveTimer.unref();
  }

  stopKeepAlive(): void {
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
  }

  /**
   * The branch tip: `shared`, as fetched or pushed by this run a moment ago (see FRESH_MS) or by a
   * fetch under way; `fresh`, from a fetch that starts now.
   */
  async fetch(signal?: AbortSignal, mode: ReadMode = 'shared'): Promise<string> {
    try {
      return await this.cache.fetchBranch(this.config.branch, signal, { mode });
    } catch (error) {
      if (error instanceof MissingRemoteRef) {
        throw invalidInput(
          'FO_GIT_E3102',
          `branch ${this.config.branch} does not exist in ${displayUrl(this.config.repo)}`,
          {
            hint: 'check gitops.branch in the config',
          },
        );
      }
      throw error;
    }
  }

  overlayDir(role: Role): string {
    const configured = role === 'aws' ? this.config.awsOverlay : this.config.gcpOverlay;
    const dir = posix.normalize(configured.replace(/\\/g, '/')).replace(/\/+$/, '').replace(/^\.\//, '');
    if (dir === '..' || dir.startsWith('../') || posix.isAbsolute(dir)) {
      throw invalidInput(
        'FO_GIT_E3110',
        `gitops.${role}Overlay "${configured}" must be a path inside the repository`,
        {
          hint: 'give the overlay directory relative to the repository root, e.g. overlays/aws',
        },
      );
    }
    return dir === '.' ? '' : dir;
  }

  async readOverlay(revision: string, role: Role): Promise<Overlay> {
    const dir = this.overlayDir(role);
    const setting = `gitops.${role === 'aws' ? 'awsOverlay' : 'gcpOverlay'}`;
    const type = dir === '' ? 'tree' : await this.cache.typeOf(revision, dir);
    if (type !== 'tree') {
      const parent = posix.dirname(dir) === '.' ? '' : posix.dirname(dir);
      const siblings = await this.cache
        .listDir(revision, parent)
        .then((entries) => entries.filter((e) => e.type === 'tree').map((e) => posix.join(parent, e.name)))
        .catch(() => [] as string[]);
      throw invalidInput(
        'FO_GIT_E3111',
        `the ${role} overlay ${dir} ${type === undefined ? 'does not exist' : 'is not a directory'} in ${this.where} at ${revision.slice(0, 12)}`,
        {
          hint: `check ${setting} in the config${siblings.length ? `; directories there: ${siblings.slice(0, 12).join(', ')}` : ''}`,
          details: { overlay: dir, revision },
        },
      );
    }
    const names = new Set(
      (await this.cache.listDir(revision, dir)).filter((e) => e.type === 'blob').map((e) => e.name),
    );
    const name = KUSTOMIZATION_FILES.find((n) => names.has(n));
    if (!name) {
      throw invalidInput(
        'FO_GIT_E3112',
        `the ${role} overlay ${dir || '.'} has no kustomization.yaml (at ${revision.slice(0, 12)})`,
        {
          hint: `check ${setting} in the config: it must name the directory of the overlay's kustomization`,
          details: { overlay: dir, revision },
        },
      );
    }
    const file = posix.join(dir, name);
    const text = (await this.cache.readFile(revision, file)) ?? '';
    return { role, dir, file, text };
  }

  /** The standby patches and components that exist in the tree, for adding entries without history. */
  async canonicalEntries(revision: string, overlay: Overlay): Promise<CanonicalEntry[]> {
    const out: CanonicalEntry[] = [];
    const files = await this.cache.listDir(revision, overlay.dir);
    for (const pattern of this.matcher.patchPaths) {
      const name = posix.basename(pattern);
      if (!files.some((f) => f.type === 'blob' && f.name === name)) continue;
      const kind = guessPatchKind(name, await this.cache.readFile(revision, posix.join(overlay.dir, name)));
      if (kind) out.push({ key: 'patches', path: name, kind });
    }
    const dirs = await this.cache.listDirs(revision);
    for (const dir of dirs) {
      if (!this.matcher.components.some((c) => dir === c || dir.endsWith(`/${c}`))) continue;
      const names = (await this.cache.listDir(revision, dir)).map((e) => e.name);
      const file = KUSTOMIZATION_FILES.find((n) => names.includes(n));
      const text = file ? await this.cache.readFile(revision, posix.join(dir, file)) : undefined;
      if (!text || !/^kind:\s*Component\s*$/m.test(text)) continue;
      out.push({ key: 'components', path: posix.relative(overlay.dir || '.', dir) });
    }
    return out;
  }

  async toggle(
    revision: string,
    overlay: Overlay,
    target: StandbyState,
    scope: StandbyScope,
  ): Promise<ToggleResult> {
    const history = await this.cache.fileHistory(revision, overlay.file, HISTORY_DEPTH);
    const canonical = target === 'standby' ? await this.canonicalEntries(revision, overlay) : [];
    const result = planToggle({
      text: overlay.text,
      file: overlay.file,
      target,
      scope,
      matcher: this.matcherFor(overlay.role),
      history,
      canonical,
    });
    if (scope === 'all' && target === 'active' && result.converged && result.before === 'active') {
      // No standby entry now. Fine after a failover; but if the history never had one either, the
      // config names entries this overlay does not use, and "already active" would be a lie.
      const everHadEntries = history.some((v) => {
        try {
          return (
            v.text !== undefined &&
            findStandbyEntries(v.text, overlay.file, this.matcherFor(overlay.role)).length > 0
          );
        } catch {
          return false;
        }
      });
      if (!everHadEntries) {
        throw invalidInput(
          'FO_GIT_E3113',
          `${overlay.file} has none of the configured standby entries, and had none in its recent history: cannot tell whether the ${overlay.role} overlay is active`,
          {
            hint: `set gitops.standby.patchPaths (now ${this.matcher.patchPaths.join(', ')}) or gitops.standby.components (now ${this.matcher.components.join(', ')}) to the entries this overlay uses for standby (\`replicas:\` items with count 0 count too, unless gitops.standby.replicasField is false)`,
            details: { file: overlay.file },
          },
        );
      }
    }
    if (!result.converged && target === 'standby') await this.checkReferencedPaths(revision, overlay, result);
    return result;
  }

  /** Restored entries must point at files that exist, or Argo CD could not render the overlay. */
  private async checkReferencedPaths(
    revision: string,
    overlay: Overlay,
    result: ToggleResult,
  ): Promise<void> {
    for (const entry of result.toggled) {
      if (entry.key === 'replicas') continue;
      const path = posix.normalize(posix.join(overlay.dir || '.', entry.path));
      if (path.startsWith('../')) continue;
      // Written by the same commit.
      if (
        result.files?.some(
          (f) => f.content !== null && posix.normalize(f.path) === posix.normalize(entry.path),
        )
      )
        continue;
      if ((await this.cache.typeOf(revision, path)) === undefined) {
        throw invalidInput(
          'FO_GIT_E3114',
          `cannot restore the standby entry ${entry.path} in ${overlay.file}: ${path} does not exist at ${revision.slice(0, 12)}`,
          {
            hint: `restore ${path} in the GitOps repository first`,
            details: { file: overlay.file, missing: path },
          },
        );
      }
    }
  }

  render(
    revision: string,
    overlay: Overlay,
    text: string,
    files: readonly RepoFile[] = [],
    standby?: 'before' | 'after',
  ) {
    const key = `${revision}\0${overlay.file}\0${standby ?? ''}\0${createHash('sha256').update(text).update(JSON.stringify(files)).digest('hex')}`;
    let rendered = this.renders.get(key);
    if (!rendered) {
      rendered = renderToggle(
        this.cache,
        revision,
        overlay.dir,
        overlay.file,
        text,
        files,
        standby,
        this.kustomize,
      );
      this.renders.set(key, rendered);
      rendered.catch(() => this.renders.delete(key));
      if (this.renders.size > 20) this.renders.delete(this.renders.keys().next().value as string);
    }
    return rendered;
  }

  /** The overlay rendered at a commit (cached by its tree: a tree's render never changes). */
  renderAt(revision: string, role: Role): Promise<KubeObject[]> {
    return renderEdited(this.cache, revision, this.overlayDir(role), undefined, undefined, this.kustomize);
  }

  /** Author and committer from gitops.author; otherwise the user's git configuration decides. */
  identityEnv(): NodeJS.ProcessEnv {
    const author = this.config.author;
    if (!author) return {};
    return {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
  }
}

/** Which kind a standby patch file keeps dormant, from its JSON patch paths or its name. */
function guessPatchKind(name: string, text: string | undefined): string | undefined {
  if (text && /path:\s*["']?\/spec\/suspend/.test(text)) return 'CronJob';
  if (text && /path:\s*["']?\/spec\/replicas/.test(text)) return 'Deployment';
  if (/cron/i.test(name)) return 'CronJob';
  if (/replica|deploy/i.test(name)) return 'Deployment';
  return undefined;
}

/** A file written (content) or deleted (null) with the kustomization, relative to the repository root. */
export interface RepoFile {
  path: string;
  content: string | null;
}

export function repoFiles(overlay: Overlay, result: ToggleResult): RepoFile[] {
  return (result.files ?? []).map((f) => ({ path: posix.join(overlay.dir, f.path), content: f.content }));
}

/** The kustomization diff, then one diff per generated file created or deleted. */
async function planDiff(
  gitops: GitOps,
  revision: string,
  overlay: Overlay,
  text: string,
  files: readonly RepoFile[],
): Promise<string> {
  const parts = [
    createTwoFilesPatch(`a/${overlay.file}`, `b/${overlay.file}`, overlay.text, text, '', '', { context: 3 }),
  ];
  for (const file of files) {
    const before = (await gitops.cache.readFile(revision, file.path)) ?? '';
    const from = before === '' ? '/dev/null' : `a/${file.path}`;
    const to = file.content === null ? '/dev/null' : `b/${file.path}`;
    parts.push(createTwoFilesPatch(from, to, before, file.content ?? '', '', '', { context: 3 }));
  }
  return parts.join('');
}

const shared = new WeakMap<AdapterOptions, GitOps>();

export function gitOpsOf(options: AdapterOptions): GitOps {
  let gitops = shared.get(options);
  if (!gitops) {
    const config = options.config.gitops;
    if (!config) {
      throw invalidInput('FO_GIT_E3100', 'the config has no `gitops` section', {
        hint: 'add gitops.repo (the GitOps repository URL Argo CD pulls from) to the config',
      });
    }
    options.redactor.addUrlCredentials(config.repo);
    const stateDir =
      options.env.FAILOVER_STATE_DIR || options.config.stateDir || defaultStateDir(options.env);
    gitops = new GitOps(config, options.env, stateDir, options.config.kustomize);
    shared.set(options, gitops);
  }
  return gitops;
}

function planData(gitops: GitOps, overlay: Overlay, result: ToggleResult, revision: string): Json {
  return {
    repo: displayUrl(gitops.config.repo),
    branch: gitops.config.branch,
    file: overlay.file,
    revision,
    method: result.method,
    ...(result.fromCommit ? { restoredFrom: result.fromCommit } : {}),
    toggled: result.toggled.map((entry, i) => ({ ...entry, text: result.toggledTexts[i] ?? '' })),
  };
}

export function createGitReader(options: AdapterOptions): GitReader {
  const gitops = gitOpsOf(options);
  return {
    async overlayState(role, signal) {
      const revision = await gitops.fetch(signal);
      const overlay = await gitops.readOverlay(revision, role);
      const entries = findStandbyEntries(overlay.text, overlay.file, gitops.matcherFor(role));
      const state: OverlayState = {
        role,
        path: overlay.dir,
        state: stateOf(entries, 'all'),
        cronJobs: stateOf(entries, 'cronjobs') === 'standby' ? 'standby' : 'active',
        revision,
        entries: entryLabels(entries),
      };
      // What stays on in the standby render (as it is, or as the toggle would make it): a courtesy
      // of the status, so a render that fails leaves it out.
      if (role === 'aws') {
        try {
          const current = state.state === 'active' ? await gitops.renderAt(revision, role) : undefined;
          if (current && everyDeploymentAtZero(current).length > 0) {
            // Active means no standby entry is listed; with nothing running, the render is the truth.
            state.state = 'standby';
            state.standbyElsewhere = true;
            state.alwaysOn = alwaysOnIn(current);
          } else if (state.state === 'standby') {
            const standby = await gitops.renderAt(revision, role);
            state.alwaysOn = alwaysOnIn(standby);
            if (standby.some((o) => o.kind === 'DaemonSet')) {
              // Whether the standby moves a DaemonSet off every node shows beside the active render.
              const result = await gitops.toggle(revision, overlay, 'active', 'all');
              const files = repoFiles(overlay, result);
              const rendered = await gitops.render(revision, overlay, result.text, files, 'before');
              if (rendered?.summary.alwaysOn) state.alwaysOn = rendered.summary.alwaysOn;
            }
          } else {
            const result = await gitops.toggle(revision, overlay, 'standby', 'all');
            const rendered = await gitops.render(
              revision,
              overlay,
              result.text,
              repoFiles(overlay, result),
              'after',
            );
            if (rendered?.summary.alwaysOn) state.alwaysOn = rendered.summary.alwaysOn;
          }
        } catch {
          // left out
        }
      }
      return state;
    },

    async planStandby(role, target, scope, meta, signal) {
      const revision = await gitops.fetch(signal);
      const overlay = await gitops.readOverlay(revision, role);
      const result = await gitops.toggle(revision, overlay, target, scope);
      const warnings = [...result.warnings];
      const files = repoFiles(overlay, result);
      let render: RenderSummary | undefined;
      if (!result.converged) {
        try {
          const standby = scope === 'all' ? (target === 'standby' ? 'after' : 'before') : undefined;
          render = (await gitops.render(revision, overlay, result.text, files, standby)).summary;
        } catch (error) {
          // The render only illustrates the diff; without kustomize the plan says it skipped it.
          warnings.push(
            FailoverError.is(error) && error.code === 'FO_KUSTOMIZE_E4001'
              ? `skipped the render of ${overlay.dir} that shows what starts and stops: ${error.message} (${error.hint ?? ''})`
              : `could not render ${overlay.dir} to show what starts and stops: ${gitMessage(error)}`,
          );
        }
      }
      if (render && target === 'active' && scope === 'all') warnings.push(...stillAtZero(overlay, render));
      if (target === 'active' && !result.converged) {
        // The commit refuses this once the other side is at rest (fenced, or in standby); saying it
        // now refuses the run before anything changes, and makes the rehearsal fail as the run would.
        const both = await cronJobsOnBothSides(gitops, revision, overlay, result, true).catch(() => []);
        if (both.length > 0) throw cronJobsOnBothSidesError(overlay, revision, both);
      }
      if (role === 'gcp' && target === 'standby' && !result.converged)
        warnings.push(...(await fenceReachesAws(gitops, revision, overlay, render)));
      // Like the render above, this only illustrates: a render that fails says nothing here.
      if (render && target === 'standby' && scope === 'all')
        warnings.push(
          ...(await keptUpByReplicasItems(gitops, revision, overlay, result, render).catch(() => [])),
        );
      if (result.converged && target === 'active' && scope === 'all')
        await dormantWithoutEntries(overlay, () => gitops.renderAt(revision, role));
      const plan: StandbyPlan = {
        role,
        scope,
        target,
        converged: result.converged,
        diff: result.converged ? '' : await planDiff(gitops, revision, overlay, result.text, files),
        commitMessage: standbyCommitMessage(role, target, scope, meta),
        baseRevision: revision,
        ...(render ? { render } : {}),
        data: planData(gitops, overlay, result, revision),
        current: result.before,
        file: overlay.file,
        entries: entryLabels(result.toggled),
        warnings,
      };
      return plan;
    },

    async renderActive(role, signal) {
      const revision = await gitops.fetch(signal);
      const overlay = await gitops.readOverlay(revision, role);
      const result = await gitops.toggle(revision, overlay, 'active', 'all');
      const objects = await renderEdited(
        gitops.cache,
        revision,
        overlay.dir,
        overlay.file,
        result.text,
        gitops.kustomize,
      );
      return { revision, dir: overlay.dir, objects };
    },

    async checkout(role, signal) {
      const revision = await gitops.fetch(signal);
      const overlay = await gitops.readOverlay(revision, role);
      const { root, remove } = await exportToTemporary(gitops.cache, revision, 'failover-checkout-');
      return { revision, root, overlayDir: join(root, overlay.dir), remove };
    },

    async readLock(signal) {
      return (await gitops.lock.read(signal))?.info;
    },

    async renderOverlay(role, revision, signal) {
      let at = revision;
      if (!at) at = await gitops.fetch(signal);
      // A commit the cache lacks is newer than what this run knows: only a new fetch brings it.
      else if (!(await gitops.cache.hasObject(at))) await gitops.fetch(signal, 'fresh');
      const resolved = (await gitops.cache.readRev(at)) ?? at;
      return {
        role,
        path: gitops.overlayDir(role),
        revision: resolved,
        objects: await gitops.renderAt(resolved, role),
      };
    },

    async contains(descendant, ancestor, signal) {
      if (!(await gitops.cache.hasObject(descendant)) || !(await gitops.cache.hasObject(ancestor)))
        await gitops.fetch(signal, 'fresh');
      return gitops.cache.isAncestor(ancestor, descendant);
    },

    async overlayDigest(role, signal) {
      const revision = await gitops.fetch(signal);
      const overlay = await gitops.readOverlay(revision, role);
      const tree = await gitops.cache.treeOf(revision, overlay.dir);
      return { branch: gitops.config.branch, revision, path: overlay.dir, tree };
    },

    approvals(planHash, signal) {
      return new PlanApprovals(gitops.cache, approvalsNamespace(gitops.config.lockRef)).list(
        planHash,
        signal,
      );
    },
  };
}

export { createGitWriter } from './writer.js';
