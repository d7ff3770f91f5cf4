/**
 * How each cloud's load balancer picks the backend for a request, modelled from the controllers'
 * sources. Sources (read for this module; line references are to the files named):
 *
 * GKE — ingress-gce, pkg/controller/translator/translator.go (`validateAndGetPaths`,
 * `validateAndModifyPrefixPathType`, `TranslateIngress`) and pkg/utils/gceurlmap.go
 * (`PutPathRulesForHost`), plus the Compute API reference for PathMatcher/PathRule:
 * - a missing pathType is ImplementationSpecific: the path goes into the URL map as written;
 *   an empty path becomes `/*`;
 * - Exact: the path as written; a `*` is rejected ("invalid wildcard");
 * - Prefix: `/` becomes `/*`; `/foo` and `/foo/` both become the two URL-map paths `/foo` and
 *   `/foo/*` (the URL map needs both: `/foo/*` does not match `/foo`); a `*` is rejected;
 * - URL-map paths must start with `/`, a `*` is allowed only at the very end after a `/`, and `?`/`#`
 *   are not allowed (PathRule.paths reference);
 * - "The BackendService from the longest-matched rule will serve the URL. If no rule was matched,
 *   the default service is used" (PathMatcher reference): order is irrelevant. When an exact path and
 *   a `/*` path of the same literal length both match (`/foo/` and `/foo/*` for the request `/foo/`)
 *   we assume the exact path wins; the reference does not say.
 * - one host rule per host; a rule without host goes to the `*` host rule. A second Ingress rule for
 *   the same host *replaces* the first one, and within a host a repeated URL-map path keeps the *last*
 *   backend (`PutPathRulesForHost`). A host rule's path matcher falls back to the Ingress default
 *   backend (not to the rules without host); without spec.defaultBackend that is the cluster's
 *   default-http-backend, which answers 404.
 * - hosts: exact host first, then wildcard hosts (`*.example.com`, `*` matching `[a-z0-9-.]*`), then
 *   `*`. Preferring the longest wildcard among several is our assumption.
 *
 * AWS — aws-load-balancer-controller, pkg/ingress/model_build_listener_rules.go
 * (`buildPathPatterns*`, `sortIngressPaths`, `buildRuleConditions`) and model_build_listener.go
 * (`buildListenerDefaultActions`), plus the ELB "path-pattern" condition documentation:
 * - ImplementationSpecific (or no pathType): the path is used as an ALB path pattern as written,
 *   where `*` matches any characters (including `/`, and none) and `?` exactly one; matching is
 *   case-sensitive and covers the whole path. An empty path adds no path condition (all paths).
 * - Exact: the path as a pattern (wildcards rejected); Prefix: `/` becomes `/*`, otherwise the path
 *   without trailing `/` plus that path + `/*` (wildcards rejected).
 * - A rule with a host gets a host-header condition (case-insensitive, `*`/`?` wildcards); a rule
 *   without host has none and so matches every host.
 * - The ALB evaluates listener rules by priority and takes the first match. The controller assigns
 *   priorities following spec.rules in order; within one rule it keeps the paths in the order written
 *   up to v2.4.3, and from v2.4.3 it sorts them: Exact first, then Prefix longest first, then
 *   ImplementationSpecific (and missing pathType) in the order written (see AlbOrdering).
 *   IngressGroups (several Ingresses sharing one ALB, `group.order`) are not modelled.
 * - With no match the listener's default action answers: spec.defaultBackend when set, otherwise a
 *   fixed 404 response.
 */
import type { AlbOrdering, PathType } from './types.js';

/** One `paths[]` entry of an Ingress rule, as far as routing is concerned. */
export interface RoutablePath {
  /** Unique within its Ingress. */
  id: number;
  host: string;
  /** Index of the Ingress rule (spec.rules[]) it belongs to. */
  ruleIndex: number;
  path: string;
  pathType: PathType;
  backend: string;
}

export interface RoutableRule<P extends RoutablePath = RoutablePath> {
  host: string;
  /** False when the rule has no `http` section: both controllers skip it. */
  hasHttp: boolean;
  /** Only the paths both controllers accept. */
  paths: P[];
}

export interface RoutableIngress<P extends RoutablePath = RoutablePath> {
  rules: RoutableRule<P>[];
  defaultBackend?: string;
}

/** Backend key of the "nothing matched and there is no default backend" answer (404 on both clouds). */
export const NOT_FOUND = '<404>';

export interface Route<P extends RoutablePath = RoutablePath> {
  /** The path entry that matched; undefined when the default answered. */
  matched?: P;
  /** `service:port`, or NOT_FOUND. */
  backend: string;
}

// ---------------------------------------------------------------------------------------------
// Translation of one Ingress path into each load balancer's path patterns

/** URL-map paths ingress-gce creates for an Ingress path. */
export function gcePathPatterns(path: string, pathType: PathType): string[] {
  if (pathType === 'Prefix') {
    if (path === '/') return ['/*'];
    return path.endsWith('/') ? [path.slice(0, -1), `${path}*`] : [path, `${path}/*`];
  }
  if (pathType === 'ImplementationSpecific' && path === '') return ['/*'];
  return [path];
}

/** ALB path patterns the aws-load-balancer-controller creates for an Ingress path. */
export function albPathPatterns(path: string, pathType: PathType): string[] {
  if (pathType === 'Prefix') {
    if (path === '/') return ['/*'];
    const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
    return [trimmed, `${trimmed}/*`];
  }
  // No path condition at all matches every path, like `/*`.
  if (pathType === 'ImplementationSpecific' && path === '') return ['/*'];
  return [path];
}

/**
 * Why a path cannot be routed the same way on both clouds (one or both controllers reject it),
 * or undefined when both accept it.
 */
export function pathShapeError(path: string, pathType: PathType): string | undefined {
  if (path !== '' && !path.startsWith('/')) return `path "${path}" must start with "/"`;
  if (pathType !== 'ImplementationSpecific') {
    if (path === '') return `a ${pathType} path must not be empty`;
    if (/[*?]/.test(path)) {
      return `${pathType} path "${path}" contains a wildcard: both controllers reject it (use ImplementationSpecific, or ${pathType} without "*")`;
    }
    return undefined;
  }
  if (path.includes('?') || path.includes('#')) {
    return `path "${path}" contains "?" or "#": GKE URL maps do not allow them (ALB reads "?" as a one-character wildcard)`;
  }
  const star = path.indexOf('*');
  if (star !== -1 && (star !== path.length - 1 || path[star - 1] !== '/')) {
    return `path "${path}" puts "*" somewhere else than at the end after "/": GKE rejects it, ALB accepts it`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Matching primitives

/** URL-map path match: exact, or `prefix/*` matching everything that starts with `prefix/`. */
export function gceMatch(pattern: string, requestPath: string): boolean {
  if (pattern.endsWith('/*')) return requestPath.startsWith(pattern.slice(0, -1));
  return requestPath === pattern;
}

/** Longest-match rank of a URL-map path: literal length, then exact before wildcard. */
export function gceRank(pattern: string): number {
  const wildcard = pattern.endsWith('/*');
  const literalLength = wildcard ? pattern.length - 1 : pattern.length;
  return literalLength * 2 + (wildcard ? 0 : 1);
}

/** ALB glob: `*` any run of characters (possibly empty), `?` exactly one. Whole-string match. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '?' || (pc !== undefined && pc !== '*' && pc === text[t])) {
      p++;
      t++;
    } else if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * True when every string the glob `inner` matches is matched by the glob `outer` (both ALB globs).
 * Sound: a true answer is always right; it may miss exotic containments, which only means a
 * shadowed rule goes unreported.
 */
export function globContains(outer: string, inner: string): boolean {
  const memo = new Map<number, boolean>();
  const covers = (i: number, j: number): boolean => {
    const key = i * (inner.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const o = outer[i];
    const n = inner[j];
    if (o === undefined) result = n === undefined;
    else if (o === '*') result = covers(i + 1, j) || (n !== undefined && covers(i, j + 1));
    else if (o === '?') result = n !== undefined && n !== '*' && covers(i + 1, j + 1);
    else result = n === o && covers(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return covers(0, 0);
}

export function isWildcardHost(host: string): boolean {
  return host.startsWith('*.');
}

/** ALB host-header condition match (case-insensitive glob). */
export function albHostMatch(ruleHost: string, requestHost: string): boolean {
  return ruleHost === '' || globMatch(ruleHost.toLowerCase(), requestHost.toLowerCase());
}

/** Whether every request the ALB host condition `inner` accepts is also accepted by `outer`. */
export function albHostCovers(outer: string, inner: string): boolean {
  if (outer === '') return true;
  if (inner === '') return false;
  return globContains(outer.toLowerCase(), inner.toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Routing

// Routing is asked thousands of times per Ingress: build each model once per (unchanged) object.
const urlMaps = new WeakMap<RoutableIngress, Map<string, Map<string, RoutablePath>>>();
const albOrders = new WeakMap<RoutableIngress, Map<AlbOrdering, RoutablePath[]>>();

/** Host → (URL-map path → entry), as ingress-gce builds it. */
function urlMapOf<P extends RoutablePath>(ingress: RoutableIngress<P>): Map<string, Map<string, P>> {
  const cached = urlMaps.get(ingress);
  if (cached) return cached as Map<string, Map<string, P>>;
  const hostRules = new Map<string, Map<string, P>>();
  for (const rule of ingress.rules) {
    if (!rule.hasHttp) continue;
    const pathRules = new Map<string, P>();
    // A repeated URL-map path keeps the last backend.
    for (const entry of rule.paths) {
      for (const pattern of gcePathPatterns(entry.path, entry.pathType)) pathRules.set(pattern, entry);
    }
    // A later Ingress rule for the same host replaces the earlier one.
    hostRules.set(rule.host === '' ? '*' : rule.host.toLowerCase(), pathRules);
  }
  urlMaps.set(ingress, hostRules);
  return hostRules;
}

/** Google Cloud Load Balancing (URL map built by ingress-gce): longest match, order irrelevant. */
export function routeGcp<P extends RoutablePath>(
  ingress: RoutableIngress<P>,
  requestHost: string,
  requestPath: string,
): Route<P> {
  const fallback: Route<P> = { backend: ingress.defaultBackend ?? NOT_FOUND };
  const hostRules = urlMapOf(ingress);
  const host = requestHost.toLowerCase();
  let matcher = hostRules.get(host);
  if (!matcher) {
    let bestSuffix = -1;
    for (const [pattern, rules] of hostRules) {
      if (!isWildcardHost(pattern)) continue;
      const suffix = pattern.slice(1);
      if (host.endsWith(suffix) && host.length > suffix.length && suffix.length > bestSuffix) {
        bestSuffix = suffix.length;
        matcher = rules;
      }
    }
  }
  matcher ??= hostRules.get('*');
  if (!matcher) return fallback;
  let best: { entry: P; rank: number } | undefined;
  for (const [pattern, entry] of matcher) {
    if (!gceMatch(pattern, requestPath)) continue;
    const rank = gceRank(pattern);
    if (!best || rank > best.rank) best = { entry, rank };
  }
  return best ? { matched: best.entry, backend: best.entry.backend } : fallback;
}

/** The ALB listener rules the controller creates, in priority order. */
export function albRuleOrder<P extends RoutablePath>(
  ingress: RoutableIngress<P>,
  ordering: AlbOrdering,
): P[] {
  const cached = albOrders.get(ingress)?.get(ordering);
  if (cached) return cached as P[];
  const ordered: P[] = [];
  for (const rule of ingress.rules) {
    if (!rule.hasHttp) continue;
    if (ordering === 'manifest') {
      ordered.push(...rule.paths);
      continue;
    }
    const exact = rule.paths.filter((p) => p.pathType === 'Exact');
    // Array.prototype.sort is stable, like Go's sort.SliceStable used by the controller.
    const prefix = rule.paths
      .filter((p) => p.pathType === 'Prefix')
      .sort((a, b) => b.path.length - a.path.length);
    const implementationSpecific = rule.paths.filter((p) => p.pathType === 'ImplementationSpecific');
    ordered.push(...exact, ...prefix, ...implementationSpecific);
  }
  const byOrdering = albOrders.get(ingress) ?? new Map<AlbOrdering, RoutablePath[]>();
  byOrdering.set(ordering, ordered);
  albOrders.set(ingress, byOrdering);
  return ordered;
}

/** AWS ALB (rules created by aws-load-balancer-controller): first match in priority order. */
export function routeAws<P extends RoutablePath>(
  ingress: RoutableIngress<P>,
  requestHost: string,
  requestPath: string,
  ordering: AlbOrdering,
): Route<P> {
  for (const entry of albRuleOrder(ingress, ordering)) {
    if (!albHostMatch(entry.host, requestHost)) continue;
    if (albPathPatterns(entry.path, entry.pathType).some((pattern) => globMatch(pattern, requestPath))) {
      return { matched: entry, backend: entry.backend };
    }
  }
  return { backend: ingress.defaultBackend ?? NOT_FOUND };
}

// ---------------------------------------------------------------------------------------------
// Request generation

/** A segment that no rule is likely to name, used to instantiate wildcards. */
const SAMPLE_SEGMENT = '123';

function joinSegment(base: string, segment: string): string {
  return base.endsWith('/') ? base + segment : `${base}/${segment}`;
}

/**
 * Request paths that exercise the given patterns: each pattern's literal part, with and without a
 * trailing slash, a path below it, and each wildcard filled in. Because every routing decision above
 * depends only on literal prefixes and exact strings, these (plus `/` and a path nothing names) reach
 * every distinct routing outcome of patterns that both clouds accept.
 */
export function candidateRequestPaths(patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const pattern of patterns) {
    const firstWildcard = pattern.search(/[*?]/);
    if (firstWildcard === -1) {
      out.add(pattern);
      if (pattern.endsWith('/')) out.add(pattern.length > 1 ? pattern.slice(0, -1) : pattern);
      else out.add(`${pattern}/`);
      out.add(joinSegment(pattern, SAMPLE_SEGMENT));
      continue;
    }
    const literal = pattern.slice(0, firstWildcard);
    out.add(pattern.replace(/\*/g, SAMPLE_SEGMENT).replace(/\?/g, 'x'));
    out.add(pattern.replace(/\*/g, '').replace(/\?/g, 'x'));
    if (literal.endsWith('/') && literal.length > 1) out.add(literal.slice(0, -1));
    out.add(pattern.replace(/\*/g, `${SAMPLE_SEGMENT}/456`).replace(/\?/g, 'x'));
  }
  out.add('/');
  out.add('/no-rule-names-this-path');
  return [...out].filter((p) => p.startsWith('/'));
}
