/**
 * The standby toggle as a text edit: entries cut and restored byte for byte, comments and unrelated
 * lines untouched, both shapes (patch entries and a Component), CRLF files, the GKE fencing entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../src/engine/errors.js';
import {
  commentedItems,
  FENCE_FILE,
  FENCE_PATCH,
  findStandbyEntries,
  type HistoryVersion,
  planToggle,
  removeEntries,
  type StandbyMatcher,
  stateOf,
  type ToggleRequest,
} from '../../src/providers/git/kustomization.js';
import { standbyCommitMessage } from '../../src/providers/git/message.js';
import { demoTreeDir } from '../../src/sandbox/gitops-demo/index.js';

const MATCHER: StandbyMatcher = {
  patchPaths: ['cronjob-suspend.yml', 'cronjob-suspend.yaml', 'replicas-zero.yml', 'replicas-zero.yaml'],
  components: ['standby', 'components/standby'],
};
const FILE = 'overlays/aws/kustomization.yaml';

const demoAws = readFileSync(join(demoTreeDir(), 'overlays', 'aws', 'kustomization.yaml'), 'utf8');
const demoGke = readFileSync(join(demoTreeDir(), 'overlays', 'gke', 'kustomization.yaml'), 'utf8');
const componentAws = readFileSync(
  join(
    import.meta.dirname,
    '..',
    'fixtures',
    'gitops',
    'component-repo',
    'overlays',
    'aws',
    'kustomization.yaml',
  ),
  'utf8',
);

function toggle(text: string, target: 'active' | 'standby', extra: Partial<ToggleRequest> = {}) {
  return planToggle({ text, file: FILE, target, scope: 'all', matcher: MATCHER, ...extra });
}

/** History as the adapter supplies it: the versions at the commits that changed the file, newest first. */
function history(...texts: string[]): HistoryVersion[] {
  return texts.map((text, i) => ({ commit: `c${texts.length - i}`.padEnd(40, '0'), text }));
}

const crlf = (text: string) => text.replace(/\n/g, '\r\n');

interface Case {
  name: string;
  standby: string;
  active: string;
}

const cases: Case[] = [
  {
    name: 'write-up layout (demo aws overlay): the list and its key go, the comment above stays',
    standby: demoAws,
    active: demoAws.replace(
      /patches:\n {2}- path: cronjob-suspend.yml\n {4}target:\n {6}kind: CronJob\n {2}- path: replicas-zero.yml\n {4}target:\n {6}kind: Deployment\n/,
      '',
    ),
  },
  {
    name: 'standby entries between other patches, with their own comments',
    standby:
      'resources:\n  - ../../base\npatches:\n  - path: ingress-alb.yml\n  # standby: suspend every CronJob\n  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n  - path: hpa.yml # keep\n    target: {kind: HorizontalPodAutoscaler}\n  - path: replicas-zero.yml\n    target:\n      kind: Deployment\n\n  - path: last.yml\nimages:\n  - name: web\n    newTag: "1.2"\n',
    active:
      'resources:\n  - ../../base\npatches:\n  - path: ingress-alb.yml\n  - path: hpa.yml # keep\n    target: {kind: HorizontalPodAutoscaler}\n\n  - path: last.yml\nimages:\n  - name: web\n    newTag: "1.2"\n',
  },
  {
    name: 'standby entries first, the write-up`s path/to/ prefix, indentless list',
    standby:
      'patches:\n- path: path/to/replicas-zero.yml\n  target:\n    kind: Deployment\n- path: path/to/cronjob-suspend.yml\n  target:\n    kind: CronJob\n- path: keep.yml\nnamespace: admin\n',
    active: 'patches:\n- path: keep.yml\nnamespace: admin\n',
  },
  {
    name: 'Component in a block list with a trailing comment, another component kept',
    standby: componentAws,
    active: componentAws.replace('  - ../../components/standby # keep dormant\n', ''),
  },
  {
    name: 'Component as the only item of a flow list',
    standby: 'resources: [../../base]\ncomponents: [ ../../components/standby ]\nnamePrefix: aws-\n',
    active: 'resources: [../../base]\nnamePrefix: aws-\n',
  },
  {
    name: 'Component first of two in a flow list',
    standby: 'components: [../../components/standby, ../../components/extra]\n',
    active: 'components: [../../components/extra]\n',
  },
  {
    name: 'no final newline',
    standby:
      'resources:\n  - ../../base\npatches:\n  - path: cronjob-suspend.yml\n  - path: replicas-zero.yml',
    active: 'resources:\n  - ../../base\n',
  },
];

describe('removing and restoring standby entries', () => {
  for (const variant of ['LF', 'CRLF'] as const) {
    const convert = variant === 'CRLF' ? crlf : (t: string) => t;
    it.each(cases)(`${variant}: $name`, ({ standby: rawStandby, active: rawActive }) => {
      const standby = convert(rawStandby);
      const active = convert(rawActive);
      expect(stateOf(findStandbyEntries(standby, FILE, MATCHER), 'all')).toBe('standby');

      const activated = toggle(standby, 'active', { history: history(standby) });
      expect(activated.converged).toBe(false);
      expect(activated.before).toBe('standby');
      expect(activated.text).toBe(active);
      expect(activated.toggled.length).toBeGreaterThan(0);

      // Back to standby: the change that removed the entries is reverted: byte-identical.
      const restored = toggle(active, 'standby', { history: history(active, standby) });
      expect(restored.method).toBe('history');
      expect(restored.text).toBe(standby);
      expect(restored.toggled).toEqual(activated.toggled);

      // Converged both ways.
      expect(toggle(active, 'active').converged).toBe(true);
      expect(toggle(standby, 'standby').converged).toBe(true);
    });
  }

  it('keeps an edit made elsewhere in the file after the failover when restoring', () => {
    const standby = cases[1]!.standby;
    const active = cases[1]!.active;
    const editedLater = active
      .replace('newTag: "1.2"', 'newTag: "1.3"')
      .replace('  - ../../base\n', '  - ../../base\n  - extra.yml\n');
    const restored = toggle(editedLater, 'standby', { history: history(editedLater, active, standby) });
    expect(restored.method).toBe('history');
    expect(restored.text).toBe(
      standby
        .replace('newTag: "1.2"', 'newTag: "1.3"')
        .replace('  - ../../base\n', '  - ../../base\n  - extra.yml\n'),
    );
  });

  it('re-inserts the historical entry text at the end of the list when the lines around it changed', () => {
    const standby =
      'patches:\n  - path: a.yml\n  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n  - path: replicas-zero.yml\n    target:\n      kind: Deployment\n  - path: b.yml\n';
    const active = 'patches:\n  - path: a.yml\n  - path: b.yml\n';
    const rewritten = 'patches:\n  - path: a2.yml\n  - path: b2.yml\n';
    const restored = toggle(rewritten, 'standby', { history: history(rewritten, active, standby) });
    expect(restored.method).toBe('history-append');
    expect(restored.text).toBe(
      'patches:\n  - path: a2.yml\n  - path: b2.yml\n  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n  - path: replicas-zero.yml\n    target:\n      kind: Deployment\n',
    );
    expect(restored.warnings[0]).toMatch(/re-inserted at the end/);
  });

  it('removes only the CronJob entry with scope cronjobs', () => {
    const result = toggle(demoAws, 'active', { scope: 'cronjobs' });
    expect(result.text).toBe(
      demoAws.replace('  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n', ''),
    );
    expect(result.toggled).toEqual([{ key: 'patches', path: 'cronjob-suspend.yml', targetKind: 'CronJob' }]);
    expect(stateOf(findStandbyEntries(result.text, FILE, MATCHER), 'all')).toBe('partial');
  });

  it('removeEntries leaves a file without the entries untouched', () => {
    const text = 'patches:\n  - path: other.yml\n';
    expect(removeEntries(text, FILE, MATCHER, [{ key: 'patches', path: 'replicas-zero.yml' }])).toBe(text);
  });
});

describe('GKE fencing: the commented-out CronJob entry', () => {
  const gkeFile = 'overlays/gke/kustomization.yaml';
  const fence = (text: string, target: 'active' | 'standby', versions?: HistoryVersion[]) =>
    planToggle({
      text,
      file: gkeFile,
      target,
      scope: 'cronjobs',
      matcher: MATCHER,
      ...(versions ? { history: versions } : {}),
    });

  it('finds the commented copy', () => {
    const blocks = commentedItems(demoGke);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.uncommented).toBe('  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n');
  });

  it.each(['LF', 'CRLF'])(
    '%s: uncomments it to suspend, and the history brings the comment back',
    (variant) => {
      const original = variant === 'CRLF' ? crlf(demoGke) : demoGke;
      expect(fence(original, 'active').converged).toBe(true);
      const fenced = fence(original, 'standby', history(original));
      expect(fenced.method).toBe('uncommented');
      const expected = original
        .replace('  # - path: cronjob-suspend.yml', '  - path: cronjob-suspend.yml')
        .replace('  #   target:', '    target:')
        .replace('  #     kind: CronJob', '      kind: CronJob');
      expect(fenced.text).toBe(expected);
      expect(fenced.toggled).toEqual([
        { key: 'patches', path: 'cronjob-suspend.yml', targetKind: 'CronJob' },
      ]);

      const unfenced = fence(fenced.text, 'active', history(fenced.text, original));
      expect(unfenced.method).toBe('history');
      expect(unfenced.text).toBe(original);
    },
  );

  it('without history and a commented copy, cutting the uncommented entry is the fallback', () => {
    const fenced = fence(demoGke, 'standby').text;
    const unfenced = fence(fenced, 'active');
    expect(unfenced.method).toBe('removed');
    expect(stateOf(findStandbyEntries(unfenced.text, gkeFile, MATCHER), 'cronjobs')).toBe('active');
  });
});

describe('fencing a gke overlay that has no standby entry: the generated patch', () => {
  const gkeFile = 'overlays/gke/kustomization.yaml';
  const fence = (text: string, target: 'active' | 'standby', versions?: HistoryVersion[]) =>
    planToggle({
      text,
      file: gkeFile,
      target,
      scope: 'cronjobs',
      matcher: MATCHER,
      ...(versions ? { history: versions } : {}),
    });

  it.each([
    [
      'no patches key, components only',
      'resources:\n  - ../../base\ncomponents:\n  - ../../components/gke\n',
    ],
    [
      'a patches list of other patches',
      '# GKE\nresources:\n- ../../base\npatches:\n- path: backendconfig.yaml # ingress\n',
    ],
    ['CRLF', 'resources:\r\n  - ../../base\r\n'],
  ])('%s: adds the file and its entry; failback restores the text byte for byte', (_name, original) => {
    const fenced = fence(original, 'standby', history(original));
    expect(fenced.method).toBe('fence');
    expect(fenced.toggled).toEqual([{ key: 'patches', path: FENCE_FILE, targetKind: 'CronJob' }]);
    expect(fenced.files).toEqual([{ path: FENCE_FILE, content: FENCE_PATCH }]);
    expect(fenced.text).toContain(`- path: ${FENCE_FILE}`);
    expect(fenced.text).toContain('# generated by failover (fencing)');
    expect(stateOf(findStandbyEntries(fenced.text, gkeFile, MATCHER), 'cronjobs')).toBe('standby');
    // Routine: the plan's change names the generated file; no warning.
    expect(fenced.warnings).toEqual([]);

    // With the history (the usual case) and without it (the entry is cut, its comment too).
    for (const versions of [history(fenced.text, original), undefined]) {
      const unfenced = fence(fenced.text, 'active', versions);
      expect(unfenced.text).toBe(original);
      expect(unfenced.files).toEqual([{ path: FENCE_FILE, content: null }]);
    }
  });

  it('the generated patch suspends CronJobs whether or not they set spec.suspend', () => {
    expect(FENCE_PATCH).toMatch(/^- op: add\n {2}path: \/spec\/suspend\n {2}value: true$/m);
  });
});

describe('adding entries without history', () => {
  it('adds canonical entries to an existing list, with its indentation', () => {
    const text = 'resources:\n- ../../base\npatches:\n- path: other.yml\n';
    const result = toggle(text, 'standby', {
      canonical: [
        { key: 'patches', path: 'cronjob-suspend.yml', kind: 'CronJob' },
        { key: 'patches', path: 'replicas-zero.yml', kind: 'Deployment' },
      ],
    });
    expect(result.method).toBe('canonical');
    expect(result.text).toBe(
      `${text}- path: cronjob-suspend.yml\n  target:\n    kind: CronJob\n- path: replicas-zero.yml\n  target:\n    kind: Deployment\n`,
    );
    expect(result.warnings[0]).toMatch(/no earlier standby version/);
  });

  it('creates the patches key when it is missing (CRLF kept)', () => {
    const text = 'resources:\r\n  - ../../base'; // no final newline
    const result = toggle(text, 'standby', {
      scope: 'cronjobs',
      canonical: [{ key: 'patches', path: 'cronjob-suspend.yml', kind: 'CronJob' }],
    });
    expect(result.text).toBe(
      'resources:\r\n  - ../../base\r\npatches:\r\n  - path: cronjob-suspend.yml\r\n    target:\r\n      kind: CronJob\r\n',
    );
  });

  it('adds a component to a flow list', () => {
    const text = 'components: [../../components/extra]\n';
    const result = toggle(text, 'standby', {
      canonical: [{ key: 'components', path: '../../components/standby' }],
    });
    expect(result.text).toBe('components: [../../components/extra, ../../components/standby]\n');
  });

  it('refuses when there is nothing to restore, naming the file', () => {
    const error = catchError(() => toggle('resources:\n  - ../../base\n', 'standby'));
    expect(error.category).toBe('invalid-input');
    expect(error.code).toBe('FO_GIT_E3125');
    expect(error.message).toContain(FILE);
  });
});

describe('bad input', () => {
  it.each([
    ['invalid YAML', 'patches: [\n', 'FO_GIT_E3121'],
    ['not a mapping', '- a\n- b\n', 'FO_GIT_E3122'],
    ['two documents', 'a: 1\n---\nb: 2\n', 'FO_GIT_E3120'],
  ])('%s', (_name, text, code) => {
    const error = catchError(() => toggle(text, 'active'));
    expect(error.code).toBe(code);
    expect(error.category).toBe('invalid-input');
    expect(error.message).toContain(FILE);
  });

  it('scope cronjobs cannot resume CronJobs that a component keeps suspended', () => {
    const error = catchError(() => toggle(componentAws, 'active', { scope: 'cronjobs' }));
    expect(error.code).toBe('FO_GIT_E3124');
  });
});

describe('commit messages', () => {
  it.each([
    ['aws', 'active', 'all', 'failover: activate aws overlay (INC-42)'],
    ['aws', 'standby', 'all', 'failover: put aws overlay in standby (INC-42)'],
    ['gcp', 'standby', 'cronjobs', 'failover: suspend gcp cronjobs (INC-42)'],
    ['gcp', 'active', 'cronjobs', 'failover: resume gcp cronjobs (INC-42)'],
  ] as const)('%s %s %s', (role, state, scope, subject) => {
    const message = standbyCommitMessage(role, state, scope, {
      runId: 'r1',
      operator: 'alice',
      incident: 'INC-42',
    });
    expect(message).toBe(
      `${subject}\n\nFailover-Run: r1\nFailover-Operator: alice\nFailover-Incident: INC-42\n`,
    );
  });

  it('folds a multi-line reason into one line, as body and trailer, so it cannot forge trailers; rollback says so', () => {
    const message = standbyCommitMessage(
      'aws',
      'standby',
      'all',
      { runId: 'r1', operator: 'alice', reason: 'GKE is down.\nSee the status page.' },
      { rollback: true },
    );
    expect(message).toBe(
      'failover: rollback: put aws overlay in standby\n\nGKE is down. See the status page.\n\nFailover-Run: r1\nFailover-Operator: alice\nFailover-Reason: GKE is down. See the status page.\n',
    );
  });
});

function catchError(fn: () => unknown): FailoverError {
  try {
    fn();
  } catch (error) {
    if (FailoverError.is(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}
