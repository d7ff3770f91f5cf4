/**
 * Which kustomize renders: a configured binary (`kustomize.path`), else `kustomize` on PATH, else
 * `kubectl` on PATH (kubectl embeds kustomize). Argo CD's repo-server runs the kustomize binary, so
 * nothing else may render an overlay: a different renderer could only be wrong in ways that mislead
 * a plan. Build options are passed through as Argo CD passes `kustomize.buildOptions`.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve, sep } from 'node:path';
import { type FailoverError, invalidInput } from '../../engine/errors.js';
import { findOnPath } from '../../util/exec.js';

/** The `kustomize` section of the config (also the Argo CD emulator's setting, like argocd-cm). */
export interface KustomizeSettings {
  /** A kustomize binary, or a kubectl, to run instead of looking on PATH. */
  path?: string | undefined;
  /**
   * Flags added to every build, as in Argo CD's `kustomize.buildOptions`: a string is split on
   * whitespace as Argo CD does (`--load-restrictor LoadRestrictionsNone --enable-helm`); a list is
   * taken as it is.
   */
  buildOptions?: string | readonly string[] | undefined;
  /** Where the CLI keeps renders for the next command (render-store.ts); builds ignore it. */
  cacheDir?: string | undefined;
}

export interface KustomizeTool {
  /** How the tool names the command in messages: `kustomize build` or `kubectl kustomize`. */
  name: 'kustomize build' | 'kubectl kustomize';
  /** The binary's path. */
  path: string;
  /** The arguments of a build of `dir`: the subcommand, the directory, then the build options. */
  args(dir: string): string[];
}

export const INSTALL_HINT =
  'install kubectl (includes kustomize) or kustomize: https://kubectl.docs.kubernetes.io/installation/kustomize/ ; or set kustomize.path in failover.config.yaml';

/** No kustomize to render with: the operator installs one or points the config at it (exit 2). */
export function kustomizeNotFound(detail: string): FailoverError {
  return invalidInput('FO_KUSTOMIZE_E4001', `cannot render Kustomize overlays: ${detail}`, {
    hint: INSTALL_HINT,
  });
}

export function buildOptionsOf(settings: KustomizeSettings): string[] {
  const { buildOptions } = settings;
  if (buildOptions === undefined) return [];
  if (typeof buildOptions === 'string') return buildOptions.split(/\s+/).filter(Boolean);
  return [...buildOptions];
}

function toolAt(path: string, options: readonly string[]): KustomizeTool {
  // A configured kubectl renders with its `kustomize` subcommand; anything else is a kustomize binary.
  const kubectl = /^kubectl(?:$|[-_.])/.test(basename(path));
  return kubectl
    ? { name: 'kubectl kustomize', path, args: (dir) => ['kustomize', dir, ...options] }
    : { name: 'kustomize build', path, args: (dir) => ['build', dir, ...options] };
}

/** The tool at a known path (a kustomize, or a kubectl by its name), with the settings' build options. */
export function kustomizeToolAt(path: string, settings: KustomizeSettings = {}): KustomizeTool {
  return toolAt(path, buildOptionsOf(settings));
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

const located = new Map<string, Promise<KustomizeTool>>();

/**
 * The tool to render with, looked up once per (settings, PATH) in a process. Throws the typed
 * `FO_KUSTOMIZE_E4001` (invalid input, exit 2) when there is none.
 */
export function locateKustomize(
  settings: KustomizeSettings = {},
  pathVariable: string = process.env.PATH ?? '',
): Promise<KustomizeTool> {
  const options = buildOptionsOf(settings);
  const key = JSON.stringify([settings.path ?? '', options, pathVariable]);
  let tool = located.get(key);
  if (!tool) {
    tool = locateUncached(settings.path, options, pathVariable);
    located.set(key, tool);
    // A tool installed later is found on the next call.
    tool.catch(() => located.delete(key));
  }
  return tool;
}

async function locateUncached(
  configured: string | undefined,
  options: readonly string[],
  pathVariable: string,
): Promise<KustomizeTool> {
  if (configured) {
    // A bare name is looked up on PATH; anything with a slash is a file. The config loader makes a
    // relative one relative to the config file; one given otherwise is from the working directory.
    const path =
      configured.includes('/') || configured.includes(sep)
        ? isAbsolute(configured)
          ? configured
          : resolve(configured)
        : await findOnPath(configured, pathVariable);
    if (!path || !(await executable(path))) {
      throw kustomizeNotFound(`kustomize.path ${configured} is not an executable file`);
    }
    return toolAt(path, options);
  }
  const kustomize = await findOnPath('kustomize', pathVariable);
  if (kustomize) return toolAt(kustomize, options);
  const kubectl = await findOnPath('kubectl', pathVariable);
  if (kubectl) return toolAt(kubectl, options);
  throw kustomizeNotFound('neither kustomize nor kubectl is on PATH');
}
