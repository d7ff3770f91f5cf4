import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type AlbOrdering,
  type Finding,
  fixIngressText,
  formatIngressReport,
  type IngressLintReport,
  ingressExitCode,
  lintIngress,
  lintIngressPaths,
  type PathType,
  readIngressInputs,
} from '../../src/lint/ingress/index.js';
import {
  candidateRequestPaths,
  gcePathPatterns,
  globContains,
  globMatch,
  NOT_FOUND,
  type RoutableIngress,
  routeAws,
  routeGcp,
} from '../../src/lint/ingress/matching.js';
import { parseIngressFile } from '../../src/lint/ingress/parse.js';

const FIXTURES = 'test/fixtures/ingress';

function fixture(name: string): { file: string; text: string } {
  const file = `${FIXTURES}/${name}`;
  return { file, text: readFileSync(file, 'utf8') };
}

const ofKind = (report: IngressLintReport, kind: Finding['kind']) =>
  report.findings.filter((f) => f.kind === kind);

// ---------------------------------------------------------------------------------------------
// Routing models

type PathSpec = [path: string, pathType: PathType, backend: string];

function ingressOf(paths: PathSpec[], defaultBackend?: string, host = 'example.com'): RoutableIngress {
  return {
    defaultBackend,
    rules: [
      {
        host,
        hasHttp: true,
        paths: paths.map(([path, pathType, backend], id) => ({
          id,
          host,
          ruleIndex: 0,
          path,
          pathType,
          backend,
        })),
      },
    ],
  };
}

describe('routing models', () => {
  it.each<{
    name: string;
    paths: PathSpec[];
    request: string;
    gcp: string;
    manifest: string;
    sorted: string;
    defaultBackend?: string;
  }>([
    {
      name: 'Prefix /foo matches /foo',
      paths: [['/foo', 'Prefix', 'foo']],
      request: '/foo',
      gcp: 'foo',
      manifest: 'foo',
      sorted: 'foo',
    },
    {
      name: 'Prefix /foo matches /foo/',
      paths: [['/foo', 'Prefix', 'foo']],
      request: '/foo/',
      gcp: 'foo',
      manifest: 'foo',
      sorted: 'foo',
    },
    {
      name: 'Prefix /foo matches /foo/bar',
      paths: [['/foo', 'Prefix', 'foo']],
      request: '/foo/bar',
      gcp: 'foo',
      manifest: 'foo',
      sorted: 'foo',
    },
    {
      name: 'Prefix /foo does not match /foobar',
      paths: [['/foo', 'Prefix', 'foo']],
      request: '/foobar',
      gcp: NOT_FOUND,
      manifest: NOT_FOUND,
      sorted: NOT_FOUND,
    },
    {
      name: 'Prefix /foo/ (trailing slash) matches /foo',
      paths: [['/foo/', 'Prefix', 'foo']],
      request: '/foo',
      gcp: 'foo',
      manifest: 'foo',
      sorted: 'foo',
    },
    {
      name: 'Exact /foo does not match /foo/',
      paths: [['/foo', 'Exact', 'foo']],
      request: '/foo/',
      gcp: NOT_FOUND,
      manifest: NOT_FOUND,
      sorted: NOT_FOUND,
    },
    {
      name: 'Exact /foo/ does not match /foo',
      paths: [['/foo/', 'Exact', 'foo']],
      request: '/foo',
      gcp: NOT_FOUND,
      manifest: NOT_FOUND,
      sorted: NOT_FOUND,
    },
    {
      name: 'GCE-style /foo/* does not match /foo',
      paths: [['/foo/*', 'ImplementationSpecific', 'foo']],
      request: '/foo',
      gcp: NOT_FOUND,
      manifest: NOT_FOUND,
      sorted: NOT_FOUND,
    },
    {
      name: 'GCE-style /foo/* matches /foo/',
      paths: [['/foo/*', 'ImplementationSpecific', 'foo']],
      request: '/foo/',
      gcp: 'foo',
      manifest: 'foo',
      sorted: 'foo',
    },
    {
      name: 'ImplementationSpecific /foo is exact on both',
      paths: [['/foo', 'ImplementationSpecific', 'foo']],
      request: '/foo/bar',
      gcp: NOT_FOUND,
      manifest: NOT_FOUND,
      sorted: NOT_FOUND,
    },
    {
      name: 'the write-up: /* first, /hoge/123',
      paths: [
        ['/*', 'ImplementationSpecific', 'default'],
        ['/hoge/*', 'ImplementationSpecific', 'hoge'],
      ],
      request: '/hoge/123',
      gcp: 'hoge',
      manifest: 'default',
      sorted: 'default',
    },
    {
      name: 'the write-up reordered',
      paths: [
        ['/hoge/*', 'ImplementationSpecific', 'hoge'],
        ['/*', 'ImplementationSpecific', 'default'],
      ],
      request: '/hoge/123',
      gcp: 'hoge',
      manifest: 'hoge',
      sorted: 'hoge',
    },
    {
      name: 'Exact after a Prefix catch-all',
      paths: [
        ['/', 'Prefix', 'web'],
        ['/login', 'Exact', 'auth'],
      ],
      request: '/login',
      gcp: 'auth',
      manifest: 'web',
      sorted: 'auth',
    },
    {
      name: 'shorter Prefix first',
      paths: [
        ['/', 'Prefix', 'web'],
        ['/api', 'Prefix', 'api'],
      ],
      request: '/api/v1',
      gcp: 'api',
      manifest: 'web',
      sorted: 'api',
    },
    {
      name: 'sorted controller puts Prefix before ImplementationSpecific',
      paths: [
        ['/hoge/*', 'ImplementationSpecific', 'hoge'],
        ['/', 'Prefix', 'web'],
      ],
      request: '/hoge/1',
      gcp: 'hoge',
      manifest: 'hoge',
      sorted: 'web',
    },
    {
      name: 'nested wildcards: the longer one wins on GKE',
      paths: [
        ['/a/*', 'ImplementationSpecific', 'a'],
        ['/a/b/*', 'ImplementationSpecific', 'ab'],
      ],
      request: '/a/b/c',
      gcp: 'ab',
      manifest: 'a',
      sorted: 'a',
    },
    {
      name: 'an exact path beats a wildcard of the same length on GKE',
      paths: [
        ['/foo/*', 'ImplementationSpecific', 'wild'],
        ['/foo/', 'Exact', 'exact'],
      ],
      request: '/foo/',
      gcp: 'exact',
      manifest: 'wild',
      sorted: 'exact',
    },
    {
      name: 'a repeated path: GKE keeps the last, ALB takes the first',
      paths: [
        ['/api', 'Prefix', 'a'],
        ['/api', 'Prefix', 'b'],
      ],
      request: '/api',
      gcp: 'b',
      manifest: 'a',
      sorted: 'a',
    },
    {
      name: 'the default backend answers when nothing matches',
      paths: [['/api', 'Prefix', 'api']],
      request: '/other',
      defaultBackend: 'default:80',
      gcp: 'default:80',
      manifest: 'default:80',
      sorted: 'default:80',
    },
  ])('$name', ({ paths, request, gcp, manifest, sorted, defaultBackend }) => {
    const ingress = ingressOf(paths, defaultBackend);
    expect(routeGcp(ingress, 'example.com', request).backend).toBe(gcp);
    expect(routeAws(ingress, 'example.com', request, 'manifest').backend).toBe(manifest);
    expect(routeAws(ingress, 'example.com', request, 'sorted').backend).toBe(sorted);
  });

  const rule = (host: string, paths: PathSpec[], firstId: number) => ({
    host,
    hasHttp: true,
    paths: paths.map(([path, pathType, backend], i) => ({
      id: firstId + i,
      host,
      ruleIndex: 0,
      path,
      pathType,
      backend,
    })),
  });

  it.each<{ name: string; ingress: RoutableIngress; host: string; path: string; gcp: string; aws: string }>([
    {
      name: 'GKE prefers the exact host to a wildcard host listed earlier',
      ingress: {
        rules: [
          rule('*.example.com', [['/', 'Prefix', 'wild']], 0),
          rule('www.example.com', [['/', 'Prefix', 'www']], 1),
        ],
      },
      host: 'www.example.com',
      path: '/x',
      gcp: 'www',
      aws: 'wild',
    },
    {
      name: 'a rule without host catches every host on ALB, but not a host with its own rule on GKE',
      ingress: {
        rules: [
          rule('', [['/', 'Prefix', 'web']], 0),
          rule('api.example.com', [['/v1', 'Prefix', 'api']], 1),
        ],
      },
      host: 'api.example.com',
      path: '/other',
      gcp: NOT_FOUND,
      aws: 'web',
    },
    {
      name: 'a second entry for the same host replaces the first on GKE',
      ingress: {
        rules: [
          rule('example.com', [['/api', 'Prefix', 'api']], 0),
          rule('example.com', [['/', 'Prefix', 'web']], 1),
        ],
      },
      host: 'example.com',
      path: '/api',
      gcp: 'web',
      aws: 'api',
    },
  ])('$name', ({ ingress, host, path, gcp, aws }) => {
    expect(routeGcp(ingress, host, path).backend).toBe(gcp);
    expect(routeAws(ingress, host, path, 'manifest').backend).toBe(aws);
  });

  it.each([
    ['/hoge/*', '/hoge/', true],
    ['/hoge/*', '/hoge', false],
    ['/hoge/*', '/hoge/a/b', true],
    ['/a?c', '/abc', true],
    ['/a?c', '/ac', false],
    ['*', '', true],
    ['/*/x', '/a/b/x', true],
  ] as const)('ALB glob %s matches %s: %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it.each([
    ['/*', '/hoge/*', true],
    ['/hoge/*', '/*', false],
    ['/a/*', '/a/b/c', true],
    ['/a/*', '/a/?', true],
    ['/a/?', '/a/*', false],
    ['/a/*', '/a', false],
  ] as const)('glob %s contains %s: %s', (outer, inner, expected) => {
    expect(globContains(outer, inner)).toBe(expected);
  });

  it('translates Prefix paths the way ingress-gce does', () => {
    expect(gcePathPatterns('/', 'Prefix')).toEqual(['/*']);
    expect(gcePathPatterns('/foo', 'Prefix')).toEqual(['/foo', '/foo/*']);
    expect(gcePathPatterns('/foo/', 'Prefix')).toEqual(['/foo', '/foo/*']);
    expect(gcePathPatterns('', 'ImplementationSpecific')).toEqual(['/*']);
  });

  it('generates a request below each wildcard, with and without trailing slash', () => {
    const candidates = candidateRequestPaths(['/hoge/*', '/api']);
    expect(candidates).toEqual(
      expect.arrayContaining(['/hoge/123', '/hoge/', '/hoge', '/api', '/api/', '/api/123', '/']),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Lint over fixtures

interface ExpectedDivergence {
  example: string;
  gcp: string;
  aws: string;
  orderings?: AlbOrdering[];
}

interface LintCase {
  fixture: string;
  divergences: ExpectedDivergence[];
  shadowed?: number;
  duplicates?: number;
  invalidShape?: number;
  /** `--fix` makes the file clean (only invalid-shape warnings may remain). */
  fixable: boolean;
}

const BOTH: AlbOrdering[] = ['manifest', 'sorted'];

const lintCases: LintCase[] = [
  {
    fixture: 'writeup-unsafe.yaml',
    divergences: [
      { example: 'example.com/hoge/123', gcp: 'hoge:80', aws: 'default:80', orderings: BOTH },
      { example: 'example.com/huga/123', gcp: 'huga:80', aws: 'default:80', orderings: BOTH },
    ],
    shadowed: 2,
    invalidShape: 1,
    fixable: true,
  },
  { fixture: 'writeup-safe.yaml', divergences: [], shadowed: 0, invalidShape: 1, fixable: true },
  {
    fixture: 'v1-prefix-catch-all-first.yaml',
    divergences: [
      { example: 'shop.example.com/api', gcp: 'api:8080', aws: 'storefront:80', orderings: ['manifest'] },
    ],
    shadowed: 1,
    fixable: true,
  },
  {
    fixture: 'v1-exact-after-prefix.yaml',
    divergences: [{ example: 'example.com/login', gcp: 'auth:http', aws: 'web:80', orderings: ['manifest'] }],
    shadowed: 1,
    fixable: true,
  },
  {
    fixture: 'nested-wildcards.yaml',
    divergences: [
      { example: 'example.com/a/b/123', gcp: 'ab:80', aws: 'a:80', orderings: BOTH },
      { example: 'example.com/a/b/c', gcp: 'abc:80', aws: 'a:80', orderings: BOTH },
    ],
    shadowed: 2,
    fixable: true,
  },
  {
    fixture: 'mixed-path-types.yaml',
    divergences: [
      { example: 'example.com/hoge/123', gcp: 'hoge:80', aws: 'default:80', orderings: ['sorted'] },
    ],
    shadowed: 1,
    fixable: false,
  },
  {
    fixture: 'trailing-slash.yaml',
    divergences: [
      { example: 'example.com/blog/archive', gcp: 'archive:80', aws: 'blog:80', orderings: ['manifest'] },
    ],
    shadowed: 1,
    fixable: true,
  },
  {
    fixture: 'several-hosts.yaml',
    divergences: [
      { example: 'admin.example.com/preview/123', gcp: 'preview-proxy:80', aws: 'admin:80', orderings: BOTH },
    ],
    shadowed: 1,
    fixable: true,
  },
  {
    fixture: 'hostless-first.yaml',
    divergences: [{ example: 'api.example.com/123', gcp: 'api:80', aws: 'web:80', orderings: BOTH }],
    shadowed: 1,
    fixable: true,
  },
  {
    fixture: 'hostless-fallthrough.yaml',
    divergences: [
      { example: 'api.example.com/123', gcp: '404 (default-http-backend)', aws: 'web:80', orderings: BOTH },
    ],
    fixable: false,
  },
  {
    fixture: 'wildcard-host.yaml',
    divergences: [
      { example: 'www.preview.example.com/123', gcp: 'preview-site:80', aws: 'preview-proxy:8080' },
    ],
    shadowed: 1,
    fixable: true,
  },
  { fixture: 'default-backend.yaml', divergences: [], shadowed: 0, fixable: true },
  {
    fixture: 'legacy-default-backend.yaml',
    divergences: [{ example: '/static/images/123', gcp: 'images:80', aws: 'static:80', orderings: BOTH }],
    shadowed: 1,
    fixable: true,
  },
  { fixture: 'shadowed-same-backend.yaml', divergences: [], shadowed: 1, fixable: true },
  {
    fixture: 'duplicates.yaml',
    divergences: [{ example: 'example.com/old', gcp: 'old-b:80', aws: 'old-a:80', orderings: ['manifest'] }],
    duplicates: 2,
    fixable: false,
  },
  {
    fixture: 'duplicate-host.yaml',
    divergences: [{ example: 'example.com/api', gcp: 'web:80', aws: 'api:80', orderings: BOTH }],
    duplicates: 1,
    fixable: false,
  },
  { fixture: 'invalid-paths.yaml', divergences: [], invalidShape: 3, fixable: false },
  {
    fixture: 'empty-path.yaml',
    divergences: [{ example: 'example.com/api/123', gcp: 'api:80', aws: 'web:80', orderings: BOTH }],
    shadowed: 1,
    fixable: true,
  },
];

describe('lintIngress', () => {
  it.each(lintCases)(
    '$fixture',
    ({ fixture: name, divergences, shadowed, duplicates, invalidShape, fixable }) => {
      const input = fixture(name);
      const report = lintIngress([input]);
      expect(report.problems).toEqual([]);
      expect(report.checkedFiles).toBe(1);
      expect(report.ingresses).toBe(1);

      const found = ofKind(report, 'divergence');
      expect(found.map((f) => f.example).sort()).toEqual(divergences.map((d) => d.example).sort());
      for (const expected of divergences) {
        const finding = found.find((f) => f.example === expected.example);
        expect(finding?.backends).toEqual({ gcp: expected.gcp, aws: expected.aws });
        expect(finding?.severity).toBe('error');
        if (expected.orderings) expect(finding?.albOrderings?.sort()).toEqual([...expected.orderings].sort());
      }
      if (shadowed !== undefined) expect(ofKind(report, 'shadowed')).toHaveLength(shadowed);
      if (duplicates !== undefined) expect(ofKind(report, 'duplicate')).toHaveLength(duplicates);
      if (invalidShape !== undefined) expect(ofKind(report, 'invalid-shape')).toHaveLength(invalidShape);

      // Every line reported is the line of the rule it names.
      const lines = input.text.split('\n');
      for (const finding of report.findings) {
        expect(finding.file).toBe(input.file);
        for (const rule of finding.rules) {
          expect(lines[rule.line - 1]).toContain(rule.path === '' ? '- backend:' : `path: ${rule.path}`);
        }
      }

      const hasError = report.findings.some((f) => f.severity === 'error');
      expect(ingressExitCode(report)).toBe(hasError ? 1 : 0);

      // Findings that reordering resolves say so; the others give advice by hand.
      const reorderable = [...found, ...ofKind(report, 'shadowed')];
      for (const finding of reorderable) {
        if (fixable) expect(finding.fix).toMatch(/^`--fix` /);
        else expect(finding.fix ?? '').not.toMatch(/^`--fix` /);
      }
      const fixed = fixIngressText(input.text, input.file);
      const relinted = lintIngress([{ file: input.file, text: fixed.text }]);
      if (fixable) {
        expect(relinted.findings.filter((f) => f.kind !== 'invalid-shape')).toEqual([]);
      } else {
        expect(ofKind(relinted, 'divergence')).toHaveLength(divergences.length);
      }
    },
  );

  it('reports the legacy shape of the write-up (`http:` holding the paths) as a warning with its line', () => {
    const report = lintIngress([fixture('writeup-unsafe.yaml')]);
    const [shape] = ofKind(report, 'invalid-shape');
    expect(shape).toMatchObject({ severity: 'warning', line: 11, host: 'example.com' });
    expect(shape?.message).toMatch(/http: paths/);
  });

  it('names the rules involved in a divergence with their lines', () => {
    const report = lintIngress([fixture('writeup-unsafe.yaml')]);
    const finding = ofKind(report, 'divergence').find((f) => f.example === 'example.com/hoge/123');
    expect(finding).toMatchObject({
      file: `${FIXTURES}/writeup-unsafe.yaml`,
      line: 15,
      host: 'example.com',
      ingress: 'default/admin',
    });
    expect(finding?.rules).toEqual([
      {
        file: `${FIXTURES}/writeup-unsafe.yaml`,
        line: 15,
        path: '/hoge/*',
        pathType: undefined,
        backend: 'hoge:80',
      },
      {
        file: `${FIXTURES}/writeup-unsafe.yaml`,
        line: 11,
        path: '/*',
        pathType: undefined,
        backend: 'default:80',
      },
    ]);
  });

  it("warns about a backend written in the other API version's form and still compares it", () => {
    const text = fixture('v1-prefix-catch-all-first.yaml').text.replace(
      '            backend:\n              service:\n                name: api\n                port:\n                  number: 8080',
      '            backend:\n              serviceName: api\n              servicePort: 8080',
    );
    const report = lintIngress([{ file: 'mixed-forms.yaml', text }]);
    const [shape] = ofKind(report, 'invalid-shape');
    expect(shape).toMatchObject({ severity: 'warning', line: 21 });
    expect(shape?.message).toContain('serviceName/servicePort is the legacy v1beta1 form');
    expect(ofKind(report, 'divergence').map((f) => f.backends)).toEqual([
      { gcp: 'api:8080', aws: 'storefront:80' },
    ]);
  });

  it('lets the caller check only one ALB ordering', () => {
    const report = lintIngress([fixture('mixed-path-types.yaml')], { albOrderings: ['manifest'] });
    expect(ofKind(report, 'divergence')).toEqual([]);
  });

  it('reads standard input passed as a pseudo file', () => {
    const report = lintIngress([{ file: '<stdin>', text: fixture('writeup-unsafe.yaml').text }]);
    expect(report.findings.every((f) => f.file === '<stdin>')).toBe(true);
    expect(ofKind(report, 'divergence')).toHaveLength(2);
  });

  it('treats an empty input as checked with nothing to report', () => {
    const report = lintIngress([{ file: 'empty.yaml', text: '' }]);
    expect(report).toEqual({ findings: [], problems: [], checkedFiles: 1, ingresses: 0 });
    expect(ingressExitCode(report)).toBe(0);
  });
});

describe('bad input', () => {
  it('reports broken YAML with its line and still checks the other files', () => {
    const report = lintIngress([fixture('bad/broken.yaml'), fixture('writeup-unsafe.yaml')]);
    expect(report.problems).toEqual([
      { file: `${FIXTURES}/bad/broken.yaml`, line: 12, message: expect.stringMatching(/^YAML syntax error/) },
    ]);
    expect(report.checkedFiles).toBe(1);
    expect(ofKind(report, 'divergence')).toHaveLength(2);
    expect(ingressExitCode(report)).toBe(1);
  });

  it('skips a non-Kubernetes document of a multi-document file and checks the others', () => {
    const report = lintIngress([fixture('bad/multi-doc.yaml')]);
    expect(report.problems).toEqual([
      {
        file: `${FIXTURES}/bad/multi-doc.yaml`,
        line: 9,
        message: expect.stringMatching(/document 2 is not a Kubernetes object/),
      },
    ]);
    expect(report.ingresses).toBe(1);
    // The Ingress after the patch is analysed: Prefix "/" comes before ImplementationSpecific paths
    // on aws-load-balancer-controller >= v2.4.3.
    const examples = ofKind(report, 'divergence').map((f) => f.example);
    expect(examples).toContain('example.com/api/123');
  });

  it('reports an unknown apiVersion with its line and checks the next document', () => {
    const report = lintIngress([fixture('bad/unknown-api.yaml')]);
    expect(report.problems).toEqual([
      {
        file: `${FIXTURES}/bad/unknown-api.yaml`,
        line: 1,
        message: expect.stringContaining('unknown Ingress apiVersion "networking.k8s.io/v2"'),
      },
    ]);
    expect(report.ingresses).toBe(1);
    expect(report.findings).toEqual([]);
  });

  it('exits 2 only when nothing could be checked', async () => {
    const broken = lintIngress([fixture('bad/broken.yaml')]);
    expect(broken.checkedFiles).toBe(0);
    expect(ingressExitCode(broken)).toBe(2);

    const missing = await lintIngressPaths([`${FIXTURES}/does-not-exist.yaml`]);
    expect(missing.problems).toEqual([
      { file: `${FIXTURES}/does-not-exist.yaml`, message: 'cannot read: no such file or directory' },
    ]);
    expect(ingressExitCode(missing)).toBe(2);

    const mixed = await lintIngressPaths([
      `${FIXTURES}/does-not-exist.yaml`,
      `${FIXTURES}/writeup-safe.yaml`,
    ]);
    expect(ingressExitCode(mixed)).toBe(0);
    expect(mixed.problems).toHaveLength(1);
  });

  it('reads directories recursively, YAML files only, in a stable order', async () => {
    const { inputs, problems } = await readIngressInputs([FIXTURES]);
    expect(problems).toEqual([]);
    const files = inputs.map((i) => i.file);
    expect(files).toContain(`${FIXTURES}/bad/broken.yaml`);
    expect(files).toContain(`${FIXTURES}/fix/commented.yaml`);
    expect(files.every((f) => /\.ya?ml$/.test(f))).toBe(true);
    expect([...files].sort()).toEqual(files);
  });
});

// ---------------------------------------------------------------------------------------------
// --fix

/** GKE's answer for every interesting request of every Ingress in the text. */
function gkeRouting(text: string): string[] {
  const parsed = parseIngressFile(text, 'x.yaml');
  return parsed.ingresses.flatMap((ingress) => {
    const paths = ingress.rules.flatMap((r) => r.paths);
    const candidates = candidateRequestPaths(
      paths.flatMap((p) => gcePathPatterns(p.path, p.pathType)),
    ).sort();
    const hosts = [...new Set(ingress.rules.map((r) => r.host || 'other.invalid'))].sort();
    return hosts.flatMap((host) =>
      candidates.map((path) => {
        const route = routeGcp(ingress, host, path);
        return `${ingress.name} ${host}${path} ${route.backend} ${route.matched ? `${route.matched.path}|${route.matched.pathType}` : '-'}`;
      }),
    );
  });
}

const fixableFixtures = [
  'writeup-unsafe.yaml',
  'v1-prefix-catch-all-first.yaml',
  'v1-exact-after-prefix.yaml',
  'nested-wildcards.yaml',
  'trailing-slash.yaml',
  'several-hosts.yaml',
  'hostless-first.yaml',
  'wildcard-host.yaml',
  'legacy-default-backend.yaml',
  'empty-path.yaml',
  'shadowed-same-backend.yaml',
  'fix/commented.yaml',
  'fix/no-final-newline.yaml',
  'fix/list-kind.yaml',
];

describe('fixIngressText', () => {
  it.each(fixableFixtures)('%s: round trip', (name) => {
    const { file, text } = fixture(name);
    const fixed = fixIngressText(text, file);
    expect(fixed.changed).toBe(true);
    expect(fixed.notes).toEqual([]);
    // Re-linting the fixed text reports nothing (the write-up's shape warning aside).
    expect(
      lintIngress([{ file, text: fixed.text }]).findings.filter((f) => f.kind !== 'invalid-shape'),
    ).toEqual([]);
    // Running it again changes nothing.
    expect(fixIngressText(fixed.text, file)).toEqual({ text: fixed.text, changed: false, notes: [] });
    // Only lines moved: same lines, and everything before the first and after the last moved line is untouched.
    const before = text.split('\n');
    const after = fixed.text.split('\n');
    expect([...after].sort()).toEqual([...before].sort());
    const firstChanged = before.findIndex((line, i) => line !== after[i]);
    const lastChanged =
      before.length - 1 - [...before].reverse().findIndex((line, i) => line !== after[after.length - 1 - i]);
    expect(before.slice(0, firstChanged)).toEqual(after.slice(0, firstChanged));
    expect(before.slice(lastChanged + 1)).toEqual(after.slice(lastChanged + 1));
    expect(before.slice(0, firstChanged).some((line) => /^\s*rules:/.test(line))).toBe(true);
    // GKE (production) routes exactly as before.
    expect(gkeRouting(fixed.text)).toEqual(gkeRouting(text));
  });

  it('reorders the write-up example into the order the write-up recommends', () => {
    const { file, text } = fixture('writeup-unsafe.yaml');
    const paths = fixIngressText(text, file)
      .text.split('\n')
      .filter((line) => line.includes('- path:'))
      .map((line) => line.trim());
    expect(paths).toEqual(['- path: /hoge/*', '- path: /huga/*', '- path: /*']);
  });

  it('keeps comments with their items and leaves the other documents byte for byte', () => {
    const { file, text } = fixture('fix/commented.yaml');
    const fixed = fixIngressText(text, file).text;
    const lines = fixed.split('\n');
    const lineAfter = (comment: string) => lines[lines.indexOf(comment) + 1];
    expect(lineAfter('      # Preview proxy (runs only on AWS, see the write-up).')).toBe(
      "      - path: /preview/*   # keep in sync with the proxy's base path",
    );
    expect(lineAfter('      # Everything else goes to the admin UI.')).toBe('      - path: /*');
    expect(lineAfter('  # The admin UI.')).toBe('  - host: admin.example.com');
    expect(lineAfter('  # Catch-all for any other host.')).toBe('  - http:');
    const documents = (t: string) => t.split('\n---\n');
    expect(documents(fixed)[0]).toBe(documents(text)[0]);
    expect(documents(fixed)[2]).toBe(documents(text)[2]);
    const order = lines.filter((line) => line.includes('- path:')).map((line) => line.trim().split(/\s+/)[2]);
    expect(order).toEqual(['/preview/*', '/api/*', '/*', '/*']);
  });

  it('keeps a file without final newline without one', () => {
    const { file, text } = fixture('fix/no-final-newline.yaml');
    const fixed = fixIngressText(text, file).text;
    expect(text.endsWith('\n')).toBe(false);
    expect(fixed.endsWith('number: 80')).toBe(true);
    expect(fixed.endsWith('\n')).toBe(false);
    expect(fixed.indexOf('path: /api')).toBeLessThan(fixed.indexOf('path: /\n'));
  });

  it('handles CRLF line endings', () => {
    const { file, text } = fixture('writeup-unsafe.yaml');
    const crlf = text.replace(/\n/g, '\r\n');
    const fixed = fixIngressText(crlf, file);
    expect(fixed.changed).toBe(true);
    expect(fixed.text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(fixed.text.replace(/\r\n/g, '\n')).toBe(fixIngressText(text, file).text);
  });

  it('moves a specific host above the rules without host when they would catch it', () => {
    const { file, text } = fixture('fix/list-kind.yaml');
    const fixed = fixIngressText(text, file).text;
    expect(fixed.indexOf('- host: api.example.com')).toBeLessThan(fixed.indexOf('    - http:'));
  });

  it('leaves flow-style lists alone and says why', () => {
    const { file, text } = fixture('fix/flow-paths.yaml');
    const fixed = fixIngressText(text, file);
    expect(fixed.changed).toBe(false);
    expect(fixed.text).toBe(text);
    expect(fixed.notes).toEqual([expect.stringContaining('flow lists')]);
  });

  it.each([
    'writeup-safe.yaml',
    'default-backend.yaml',
    'mixed-path-types.yaml',
    'duplicates.yaml',
    'duplicate-host.yaml',
  ])('%s: nothing to reorder (or nothing reordering may touch), text unchanged', (name) => {
    const { file, text } = fixture(name);
    expect(fixIngressText(text, file)).toEqual({ text, changed: false, notes: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Output

describe('formatIngressReport', () => {
  it('shows file:line, the example request, what each cloud picks and the fix', () => {
    const text = formatIngressReport(lintIngress([fixture('writeup-unsafe.yaml')]), { color: false });
    expect(text).toContain(`${FIXTURES}/writeup-unsafe.yaml:15  error  divergence`);
    expect(text).toMatch(/request\s+example\.com\/hoge\/123/);
    expect(text).toMatch(/GKE\s+hoge:80\s+via \/hoge\/\* \(line 15, most specific match\)/);
    expect(text).toMatch(/AWS ALB\s+default:80\s+via \/\* \(line 11, first match in order\)/);
    expect(text).toContain('fix      `--fix` reorders the paths of host example.com');
    expect(text).toContain('2 errors, 3 warnings (1 file checked, 1 Ingress)');
    expect(text).not.toContain('\u001b[');
  });

  it('lists input problems and colours only on request', () => {
    const report = lintIngress([fixture('bad/broken.yaml'), fixture('writeup-safe.yaml')]);
    const plain = formatIngressReport(report, { color: false });
    expect(plain).toContain('Could not check:');
    expect(plain).toContain(`${FIXTURES}/bad/broken.yaml:12  YAML syntax error`);
    expect(formatIngressReport(report, { color: true })).toContain('\u001b[');
  });

  it('says so when everything agrees', () => {
    const text = formatIngressReport(lintIngress([fixture('default-backend.yaml')]), { color: false });
    expect(text).toBe('No routing differences between GKE and AWS ALB (1 file checked, 1 Ingress)');
  });

  it('produces a report that survives JSON unchanged', () => {
    const report = lintIngress([fixture('writeup-unsafe.yaml'), fixture('bad/multi-doc.yaml')]);
    // toEqual ignores undefined properties, which JSON drops: everything else must survive.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(Object.keys(report).sort()).toEqual(['checkedFiles', 'findings', 'ingresses', 'problems']);
  });
});
