/**
 * Loads the config: `.env` (never overriding the real environment), the YAML file, environment
 * overrides, then schema validation. Every problem comes back with its field path and position.
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { invalidInput, type Problem } from '../engine/errors.js';
import { readInputFile } from '../util/input-file.js';
import { parseYamlSource, problemsFromIssues } from '../util/yaml-source.js';
import { flattenIssues } from '../util/zod-issues.js';
import { Config } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'failover.config.yaml';

/** Environment variables that override config fields. Documented in .env.example. */
export const ENV_OVERRIDES: Record<string, readonly string[]> = {
  FAILOVER_AWS_REGION: ['aws', 'region'],
  FAILOVER_AWS_PROFILE: ['aws', 'profile'],
  FAILOVER_GITOPS_REPO: ['gitops', 'repo'],
  FAILOVER_GITOPS_BRANCH: ['gitops', 'branch'],
  FAILOVER_ARGOCD_SERVER: ['argocd', 'server'],
  FAILOVER_STATE_DIR: ['stateDir'],
  FAILOVER_KUSTOMIZE_CACHE_DIR: ['kustomize', 'cacheDir'],
};

export interface LoadedConfig {
  config: Config;
  file: string;
  /** The config as plain data, for `${{ config.x }}` expressions. */
  raw: Record<string, unknown>;
}

/** Reads a `.env` file into the environment, without overriding what is set; empty values are ignored. */
export function loadDotEnv(env: NodeJS.ProcessEnv, file = resolve('.env')): string[] {
  if (!existsSync(file)) return [];
  const parsed = parseEnv(readInputFile(file, { what: '.env file', code: 'FO_CONFIG_E2005' }));
  const applied: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (env[key] === undefined && value) {
      env[key] = value;
      applied.push(key);
    }
  }
  return applied;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * The argocd CLI's own variables as defaults: ARGOCD_SERVER (host[:port], https assumed) fills an
 * `argocd` section without `server`; the token is read from ARGOCD_AUTH_TOKEN unless `tokenEnv`
 * names another variable. The config file and FAILOVER_ARGOCD_SERVER win.
 */
function applyArgoCdCliDefaults(data: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const argocd = data.argocd;
  const server = env.ARGOCD_SERVER?.trim();
  if (!server || typeof argocd !== 'object' || argocd === null || Array.isArray(argocd)) return;
  const section = argocd as Record<string, unknown>;
  if (section.server === undefined)
    section.server = /^https?:\/\//.test(server) ? server : `https://${server}`;
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  const source = parseYamlSource(text, file);
  if (source.problems.length > 0) throw configProblems(file, source.problems);
  const raw = source.value ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configProblems(file, [{ file, line: 1, column: 1, message: 'the config must be a YAML mapping' }]);
  }
  const data = structuredClone(raw) as Record<string, unknown>;
  const overridden = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      setPath(data, path, value);
      overridden.set(path.join('.'), name);
    }
  }
  applyArgoCdCliDefaults(data, env);
  const result = Config.safeParse(data);
  if (!result.success) {
    const issues = flattenIssues(result.error.issues, [], { schema: Config, input: data });
    const problems = problemsFromIssues(source, issues).map((problem) => {
      // A bad value that came from the environment is not at any place in the file: name the variable.
      const name = problem.path ? overridden.get(problem.path) : undefined;
      return name
        ? { file, path: problem.path, message: `${problem.message} (from ${name})`, hint: `check ${name}` }
        : problem;
    });
    throw configProblems(file, problems);
  }
  const config = result.data;
  // Relative paths in the config are relative to the config file.
  if (config.stateDir) config.stateDir = resolve(dirname(file), config.stateDir);
  if (config.kustomize?.cacheDir)
    config.kustomize.cacheDir = resolve(dirname(file), config.kustomize.cacheDir);
  // A kustomize.path with a slash is a file; a bare name is looked up on PATH.
  if (config.kustomize?.path && /[\\/]/.test(config.kustomize.path))
    config.kustomize.path = resolve(dirname(file), config.kustomize.path);
  if (config.gitops?.cacheDir) config.gitops.cacheDir = resolve(dirname(file), config.gitops.cacheDir);
  if (config.gitops && !/^[a-z+]+:\/\/|^[^/]+@[^:]+:/.test(config.gitops.repo)) {
    config.gitops.repo = resolve(dirname(file), config.gitops.repo);
  }
  return { config, file, raw: config as unknown as Record<string, unknown> };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv): LoadedConfig {
  const path = resolve(file);
  const missingHint = `pass --config FILE or set FAILOVER_CONFIG; \`failover sandbox start --dir DIR\` writes a working one to DIR/${DEFAULT_CONFIG_FILE}`;
  if (!existsSync(path) && !isLink(path)) {
    throw invalidInput('FO_CONFIG_E2001', `config file not found: ${path}`, { hint: missingHint });
  }
  if (isDirectory(path)) {
    const inside = join(path, DEFAULT_CONFIG_FILE);
    throw invalidInput('FO_CONFIG_E2003', `--config names a directory: ${path}`, {
      hint: existsSync(inside)
        ? `did you mean --config ${inside}?`
        : `pass the config file itself (${DEFAULT_CONFIG_FILE}), not its directory`,
    });
  }
  const text = readInputFile(path, { what: 'config', code: 'FO_CONFIG_E2004', missingHint });
  return parseConfig(text, path, env);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A dangling link or a link loop: there is something at the path, which the reader describes. */
function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function configProblems(file: string, problems: Problem[]) {
  return invalidInput('FO_CONFIG_E2002', `invalid config ${file}: ${problems.length} problem(s)`, {
    problems,
    hint: 'fix the fields listed above; README.md (Configuration) describes every field',
  });
}
