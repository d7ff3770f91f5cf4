/**
 * Compares, host by host, the backend Google Cloud Load Balancing and an AWS ALB pick for the same
 * Ingress, and reports divergences (with an example request), ALB rules that can never match, and
 * duplicates.
 */
import {
  albHostCovers,
  albPathPatterns,
  albRuleOrder,
  candidateRequestPaths,
  gcePathPatterns,
  globContains,
  isWildcardHost,
  NOT_FOUND,
  type Route as RouteOf,
  routeAws,
  routeGcp,
} from './matching.js';
import type { ParsedIngress, ParsedPath } from './parse.js';
import type { AlbOrdering, Finding, RuleRef } from './types.js';

type Route = RouteOf<ParsedPath>;

/** Request host used for "a host no rule names" (only rules without host apply). */
const OTHER_HOST = 'unnamed-host.invalid';

export interface RequestHost {
  /** Sent to the routing models. */
  request: string;
  /** Shown to people: the host, or `*` for any other host. */
  display: string;
}

/** The hosts worth sending requests to: every host named, a sample for each wildcard, any other host. */
export function requestHosts(ingress: ParsedIngress): RequestHost[] {
  const seen = new Set<string>();
  const hosts: RequestHost[] = [];
  let hostless = false;
  for (const rule of ingress.rules) {
    if (rule.host === '') {
      hostless = true;
      continue;
    }
    const host = rule.host.toLowerCase();
    if (seen.has(host)) continue;
    seen.add(host);
    hosts.push({ request: isWildcardHost(host) ? `any${host.slice(1)}` : host, display: host });
  }
  if (hostless || hosts.length === 0) hosts.push({ request: OTHER_HOST, display: '*' });
  return hosts;
}

export function allPaths(ingress: ParsedIngress): ParsedPath[] {
  return ingress.rules.flatMap((rule) => rule.paths);
}

export function describePath(entry: ParsedPath): string {
  const path = entry.path === '' ? '(empty path)' : entry.path;
  return entry.pathTypeWritten ? `${path} [${entry.pathType}]` : path;
}

export function ruleRef(file: string, entry: ParsedPath): RuleRef {
  return {
    file,
    line: entry.line,
    path: entry.path,
    pathType: entry.pathTypeWritten ? entry.pathType : undefined,
    backend: entry.backend,
  };
}

function orderingNote(orderings: readonly AlbOrdering[], checked: readonly AlbOrdering[]): string {
  if (orderings.length === checked.length) return '';
  return orderings[0] === 'sorted'
    ? ' (with aws-load-balancer-controller >= v2.4.3, which puts Exact, then Prefix longest first, before ImplementationSpecific paths)'
    : ' (with rules kept in manifest order: ALB ingress controller v1 or aws-load-balancer-controller < v2.4.3)';
}

function backendLabel(route: Route, cloud: 'gcp' | 'aws'): string {
  if (route.matched) return route.backend;
  if (route.backend !== NOT_FOUND) return `${route.backend} (default backend)`;
  return cloud === 'gcp' ? '404 (default-http-backend)' : '404 (ALB default action)';
}

function pickedBy(route: Route, how: string): string {
  return route.matched ? `${describePath(route.matched)} (line ${route.matched.line}, ${how})` : 'no rule';
}

interface DivergenceAccumulator {
  host: RequestHost;
  example: string;
  gcp: Route;
  aws: Route;
  orderings: AlbOrdering[];
}

/** Evaluation rank of the aws-load-balancer-controller >= v2.4.3 sort. */
const PATH_TYPE_RANK = { Exact: 0, Prefix: 1, ImplementationSpecific: 2 } as const;

function shareUrlMapPath(a: ParsedPath, b: ParsedPath): boolean {
  const left = gcePathPatterns(a.path, a.pathType);
  return gcePathPatterns(b.path, b.pathType).some((pattern) => left.includes(pattern));
}

/** What a person should change; replaced by the `--fix` description when reordering resolves it. */
function divergenceAdvice(host: RequestHost, gcp: Route, aws: Route, found: readonly AlbOrdering[]): string {
  const g = gcp.matched;
  const a = aws.matched;
  if (g && a && g.host.toLowerCase() === a.host.toLowerCase() && shareUrlMapPath(g, a)) {
    return `${describePath(g)} (line ${g.line}) and ${describePath(a)} (line ${a.line}) produce the same load-balancer path: GKE uses the later one, ALB the earlier one, whatever the order; remove one or give them the same backend`;
  }
  if (a && a.host === '' && host.display !== '*' && !g) {
    return `GKE answers requests for ${host.display} that match none of its paths with the default backend, ALB falls through to the rules without host: give host ${host.display} its own catch-all path (or route the catch-all through spec.defaultBackend)`;
  }
  if (g && a && g.host.toLowerCase() === a.host.toLowerCase() && g.ruleIndex !== a.ruleIndex) {
    return `merge the spec.rules entries for host ${host.display} into one (GKE uses only the last entry)`;
  }
  if (g && a && found.includes('sorted') && PATH_TYPE_RANK[a.pathType] < PATH_TYPE_RANK[g.pathType]) {
    // The controller's sort puts `a` first whatever the written order.
    return (
      `aws-load-balancer-controller >= v2.4.3 evaluates Exact, then Prefix, then ImplementationSpecific paths whatever their order, so ${describePath(a)} always comes before ${describePath(g)}: ` +
      'give both paths the same pathType (for example Prefix "/hoge" instead of ImplementationSpecific "/hoge/*")' +
      (found.includes('manifest')
        ? `, and put ${describePath(g)} (line ${g.line}) above ${describePath(a)} (line ${a.line})`
        : '')
    );
  }
  if (g && a) return `put ${describePath(g)} (line ${g.line}) above ${describePath(a)} (line ${a.line})`;
  if (a)
    return `GKE does not use ${describePath(a)} (line ${a.line}) for this request; see the duplicate-host finding`;
  return 'make the rules for this host identical in meaning on both controllers';
}

function findDivergences(ingress: ParsedIngress, orderings: readonly AlbOrdering[]): Finding[] {
  const paths = allPaths(ingress);
  const candidates = candidateRequestPaths(
    paths.flatMap((p) => [...gcePathPatterns(p.path, p.pathType), ...albPathPatterns(p.path, p.pathType)]),
  );
  const byPair = new Map<string, DivergenceAccumulator>();
  for (const host of requestHosts(ingress)) {
    for (const requestPath of candidates) {
      const gcp = routeGcp(ingress, host.request, requestPath);
      for (const ordering of orderings) {
        const aws = routeAws(ingress, host.request, requestPath, ordering);
        if (gcp.backend === aws.backend) continue;
        // Once per (host, rule GCP picks, rule ALB picks): the first example found is kept.
        const key = `${host.display}\u0000${gcp.matched?.id ?? 'default'}\u0000${aws.matched?.id ?? 'default'}`;
        const known = byPair.get(key);
        if (known) {
          if (!known.orderings.includes(ordering)) known.orderings.push(ordering);
          continue;
        }
        const example = host.display === '*' ? requestPath : `${host.display}${requestPath}`;
        byPair.set(key, { host, example, gcp, aws, orderings: [ordering] });
      }
    }
  }
  return [...byPair.values()].map(({ host, example, gcp, aws, orderings: found }) => {
    const rules = [gcp.matched, aws.matched].filter((e): e is ParsedPath => e !== undefined);
    const primary = gcp.matched ?? aws.matched;
    return {
      kind: 'divergence',
      severity: 'error',
      file: ingress.file,
      line: primary?.line ?? ingress.line,
      host: host.display,
      message:
        `${example}: GKE picks ${pickedBy(gcp, 'most specific match')} → ${backendLabel(gcp, 'gcp')}, ` +
        `AWS ALB picks ${pickedBy(aws, 'first match in order')} → ${backendLabel(aws, 'aws')}` +
        orderingNote(found, orderings),
      example,
      backends: { gcp: backendLabel(gcp, 'gcp'), aws: backendLabel(aws, 'aws') },
      via: { gcp: pickedBy(gcp, 'most specific match'), aws: pickedBy(aws, 'first match in order') },
      rules: rules.map((entry) => ruleRef(ingress.file, entry)),
      fix: divergenceAdvice(host, gcp, aws, found),
      ingress: ingress.name,
      albOrderings: found,
    } satisfies Finding;
  });
}

function samePatterns(a: ParsedPath, b: ParsedPath): boolean {
  const left = gcePathPatterns(a.path, a.pathType).sort().join('\n');
  return left === gcePathPatterns(b.path, b.pathType).sort().join('\n');
}

function findShadowed(ingress: ParsedIngress, orderings: readonly AlbOrdering[]): Finding[] {
  const found = new Map<number, { entry: ParsedPath; by: ParsedPath; orderings: AlbOrdering[] }>();
  for (const ordering of orderings) {
    const ordered = albRuleOrder(ingress, ordering);
    ordered.forEach((entry, position) => {
      const earlier = ordered.slice(0, position).filter((e) => albHostCovers(e.host, entry.host));
      const shadowers = albPathPatterns(entry.path, entry.pathType).map((pattern) =>
        earlier.find((e) =>
          albPathPatterns(e.path, e.pathType).some((outer) => globContains(outer, pattern)),
        ),
      );
      if (shadowers.some((s) => s === undefined)) return;
      const by = shadowers[0] as ParsedPath;
      // An identical path for the same host is reported as a duplicate instead.
      if (shadowers.every((s) => s === by) && by.host === entry.host && samePatterns(by, entry)) return;
      const known = found.get(entry.id);
      if (known) known.orderings.push(ordering);
      else found.set(entry.id, { entry, by, orderings: [ordering] });
    });
  }
  return [...found.values()].map(({ entry, by, orderings: when }) => ({
    kind: 'shadowed',
    severity: 'warning',
    file: ingress.file,
    line: entry.line,
    host: entry.host === '' ? '*' : entry.host,
    message:
      `${describePath(entry)} → ${entry.backend} can never match on AWS ALB: ${describePath(by)} (line ${by.line}` +
      `${by.host !== entry.host ? `, host ${by.host === '' ? '*' : by.host}` : ''}) comes first and matches everything it does` +
      orderingNote(when, orderings),
    rules: [ruleRef(ingress.file, entry), ruleRef(ingress.file, by)],
    fix:
      entry.backend === by.backend
        ? `remove ${describePath(entry)} (line ${entry.line}): ${describePath(by)} already sends its requests to ${by.backend}`
        : `put ${describePath(entry)} (line ${entry.line}) above ${describePath(by)} (line ${by.line})`,
    ingress: ingress.name,
    albOrderings: when,
  }));
}

function findDuplicates(ingress: ParsedIngress): Finding[] {
  const findings: Finding[] = [];
  const rulesByHost = new Map<string, typeof ingress.rules>();
  for (const rule of ingress.rules) {
    if (!rule.hasHttp) continue;
    const host = rule.host.toLowerCase();
    rulesByHost.set(host, [...(rulesByHost.get(host) ?? []), rule]);
  }
  for (const [host, rules] of rulesByHost) {
    const display = host === '' ? '*' : host;
    const signature = (r: (typeof rules)[number]) =>
      r.paths.map((p) => `${p.path} ${p.pathType} ${p.backend}`).join('\n');
    for (let i = 1; i < rules.length; i++) {
      const first = rules[0];
      const later = rules[i];
      if (!first || !later) continue;
      findings.push({
        kind: 'duplicate',
        severity: signature(first) === signature(later) ? 'warning' : 'error',
        file: ingress.file,
        line: later.line,
        host: display,
        message:
          `host ${display} has more than one entry in spec.rules (lines ${rules.map((r) => r.line).join(', ')}): ` +
          'GKE keeps only the last one, AWS ALB evaluates all of them in order',
        rules: [first, later].flatMap((r) => r.paths.map((p) => ruleRef(ingress.file, p))),
        fix: `merge the spec.rules entries for host ${display} into one`,
        ingress: ingress.name,
      });
    }
    const paths = rules.flatMap((r) => r.paths);
    paths.forEach((entry, index) => {
      const original = paths.slice(0, index).find((earlier) => samePatterns(earlier, entry));
      if (!original) return;
      const differs = original.backend !== entry.backend;
      findings.push({
        kind: 'duplicate',
        severity: differs ? 'error' : 'warning',
        file: ingress.file,
        line: entry.line,
        host: display,
        message: differs
          ? `${describePath(entry)} → ${entry.backend} (line ${entry.line}) repeats ${describePath(original)} → ${original.backend} (line ${original.line}): GKE uses the last one, AWS ALB the first`
          : `${describePath(entry)} (line ${entry.line}) repeats ${describePath(original)} (line ${original.line}) with the same backend`,
        rules: [ruleRef(ingress.file, original), ruleRef(ingress.file, entry)],
        fix: differs
          ? `keep one of them: reordering cannot help, GKE and ALB resolve duplicates in opposite directions`
          : `remove the repeated path (line ${entry.line})`,
        ingress: ingress.name,
      });
    });
  }
  return findings;
}

/** Every divergence, shadowed rule and duplicate of one Ingress. */
export function analyzeIngress(ingress: ParsedIngress, orderings: readonly AlbOrdering[]): Finding[] {
  return [
    ...findDivergences(ingress, orderings),
    ...findShadowed(ingress, orderings),
    ...findDuplicates(ingress),
  ];
}
