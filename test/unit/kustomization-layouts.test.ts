/**
 * The standby toggle on a tree unlike the demo (test/fixtures/standby-overlays.ts): standby entries
 * spread over `patches:` and `patchesJson6902:` beside inline, file and strategic-merge patches that
 * must stay; a StatefulSet entry; a legacy CRLF overlay whose entries are `patchesStrategicMerge`
 * files; a gke overlay with odd indentation and no entry, which fencing gives the generated one.
 * What these texts render to is checked with kubectl in test/integration/kustomization-render.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  FENCE_FILE,
  FENCE_PATCH,
  findStandbyEntries,
  type HistoryVersion,
  planToggle,
  stateOf,
  type ToggleRequest,
} from '../../src/providers/git/kustomization.js';
import {
  AWS_ACTIVE,
  AWS_FILE,
  AWS_STANDBY,
  GKE_ACTIVE,
  GKE_FILE,
  LEDGER_MATCHER,
  LEGACY_ACTIVE,
  LEGACY_FILE,
  LEGACY_STANDBY,
} from '../fixtures/standby-overlays.js';

/** The versions at the commits that changed the file, newest first, as the git adapter supplies them. */
function history(...texts: string[]): HistoryVersion[] {
  return texts.map((text, i) => ({ commit: `${'abcdef'[i]}`.repeat(40), text }));
}

function toggle(request: Partial<ToggleRequest> & Pick<ToggleRequest, 'text' | 'target'>) {
  return planToggle({ file: AWS_FILE, scope: 'all', matcher: LEDGER_MATCHER, ...request });
}

const AWS_ENTRY_TEXTS = [
  `    # standby: everything at zero but what must run in standby too
    - path: standby/replicas-zero.yaml
      target:
        kind: Deployment
        labelSelector: "ledger.example.com/standby notin (run)"
`,
  `    - path: standby/statefulset-zero.yaml
      target:
        kind: StatefulSet
`,
  `    # standby: settlement must never run on both clouds
    - target:
        group: batch
        version: v1
        kind: CronJob
        name: settle
      path: standby/cronjob-suspend.yaml
`,
];

describe('an overlay with every patch form: which items are standby entries', () => {
  it('the labelled Deployment patch, the StatefulSet patch and the json6902 CronJob patch; no other patch', () => {
    expect(findStandbyEntries(AWS_STANDBY, AWS_FILE, LEDGER_MATCHER)).toEqual([
      {
        key: 'patches',
        index: 2,
        shape: 'patch',
        path: 'standby/replicas-zero.yaml',
        kinds: ['Deployment'],
        selector: 'labelSelector=ledger.example.com/standby notin (run)',
        targetKind: 'Deployment',
      },
      {
        key: 'patches',
        index: 3,
        shape: 'patch',
        path: 'standby/statefulset-zero.yaml',
        kinds: ['StatefulSet'],
        targetKind: 'StatefulSet',
      },
      {
        key: 'patchesJson6902',
        index: 0,
        shape: 'patch',
        path: 'standby/cronjob-suspend.yaml',
        kinds: ['CronJob'],
        selector: 'name=settle',
        targetKind: 'CronJob',
      },
    ]);
    expect(findStandbyEntries(AWS_ACTIVE, AWS_FILE, LEDGER_MATCHER)).toEqual([]);
  });

  it('the legacy overlay: strategic-merge files, their kinds guessed from the file names', () => {
    expect(findStandbyEntries(LEGACY_STANDBY, LEGACY_FILE, LEDGER_MATCHER)).toEqual([
      {
        key: 'patchesStrategicMerge',
        index: 1,
        shape: 'patch',
        path: 'standby/api-replicas-zero.yaml',
        kinds: ['Deployment'],
      },
      {
        key: 'patchesStrategicMerge',
        index: 2,
        shape: 'patch',
        path: 'standby/ledger-db-replicas-zero.yaml',
        kinds: ['Deployment'],
      },
      {
        key: 'patchesStrategicMerge',
        index: 3,
        shape: 'patch',
        path: 'standby/settle-cron-suspend.yaml',
        kinds: ['CronJob'],
      },
    ]);
  });

  it('states: standby, active, and partial when only one kind is still kept dormant', () => {
    const entries = findStandbyEntries(AWS_STANDBY, AWS_FILE, LEDGER_MATCHER);
    expect(stateOf(entries, 'all')).toBe('standby');
    expect(stateOf(entries, 'cronjobs')).toBe('standby');
    expect(stateOf([], 'all')).toBe('active');
    expect(stateOf([], 'cronjobs')).toBe('active');
    expect(stateOf(entries.slice(0, 2), 'all')).toBe('partial');
    expect(stateOf(entries.slice(0, 2), 'cronjobs')).toBe('active');
    expect(stateOf(entries.slice(2), 'all')).toBe('partial');
  });
});

describe('the aws overlay: failover and back', () => {
  it('without history: the entries are cut with their comments, the json6902 key with its only item', () => {
    const result = toggle({ text: AWS_STANDBY, target: 'active' });
    expect(result).toEqual({
      converged: false,
      before: 'standby',
      // The blank line above the json6902 key is not part of it: it stays.
      text: AWS_ACTIVE.replace('\npatchesStrategicMerge:', '\n\npatchesStrategicMerge:'),
      method: 'removed',
      toggled: [
        {
          key: 'patches',
          path: 'standby/replicas-zero.yaml',
          selector: 'labelSelector=ledger.example.com/standby notin (run)',
          targetKind: 'Deployment',
        },
        { key: 'patches', path: 'standby/statefulset-zero.yaml', targetKind: 'StatefulSet' },
        {
          key: 'patchesJson6902',
          path: 'standby/cronjob-suspend.yaml',
          selector: 'name=settle',
          targetKind: 'CronJob',
        },
      ],
      toggledTexts: AWS_ENTRY_TEXTS,
      warnings: [],
    });
  });

  it('with history: the change that added the entries is reverted, naming its parent commit', () => {
    const versions = history(AWS_STANDBY, AWS_ACTIVE);
    const result = toggle({ text: AWS_STANDBY, target: 'active', history: versions });
    expect(result.method).toBe('history');
    expect(result.fromCommit).toBe(versions[1]!.commit);
    expect(result.text).toBe(AWS_ACTIVE);
    expect(result.files).toBeUndefined();
  });

  it('back to standby: byte for byte, the entries reported with their texts as restored', () => {
    const versions = history(AWS_ACTIVE, AWS_STANDBY);
    const result = toggle({ text: AWS_ACTIVE, target: 'standby', history: versions });
    expect(result.method).toBe('history');
    expect(result.before).toBe('active');
    expect(result.fromCommit).toBe(versions[1]!.commit);
    expect(result.text).toBe(AWS_STANDBY);
    expect(result.toggledTexts).toEqual(AWS_ENTRY_TEXTS);
    expect(result.warnings).toEqual([]);
  });

  it('a release bumped the image meanwhile: the restore keeps it', () => {
    const bumped = AWS_ACTIVE.replace('    - api-env.yaml\n', '    - api-env.yaml\n    - api-tag.yaml\n');
    const result = toggle({
      text: bumped,
      target: 'standby',
      history: history(bumped, AWS_ACTIVE, AWS_STANDBY),
    });
    expect(result.method).toBe('history');
    expect(result.fromCommit).toBe('c'.repeat(40));
    expect(result.text).toBe(
      AWS_STANDBY.replace('    - api-env.yaml\n', '    - api-env.yaml\n    - api-tag.yaml\n'),
    );
  });

  it('scope cronjobs takes out only the CronJob entry; the Deployments stay at zero', () => {
    const result = toggle({ text: AWS_STANDBY, target: 'active', scope: 'cronjobs' });
    expect(result.method).toBe('removed');
    expect(result.text).toBe(AWS_STANDBY.replace(`\npatchesJson6902:\n${AWS_ENTRY_TEXTS[2]}`, '\n'));
    expect(result.toggled).toEqual([
      {
        key: 'patchesJson6902',
        path: 'standby/cronjob-suspend.yaml',
        selector: 'name=settle',
        targetKind: 'CronJob',
      },
    ]);
    expect(stateOf(findStandbyEntries(result.text, AWS_FILE, LEDGER_MATCHER), 'all')).toBe('partial');
    // And back, from that history: the key and its comment return.
    const back = toggle({
      text: result.text,
      target: 'standby',
      scope: 'cronjobs',
      history: history(result.text, AWS_STANDBY),
    });
    expect(back.text).toBe(AWS_STANDBY);
  });

  it('converged both ways: nothing to do, the text as it is', () => {
    for (const [text, target] of [
      [AWS_STANDBY, 'standby'],
      [AWS_ACTIVE, 'active'],
    ] as const) {
      expect(toggle({ text, target })).toEqual({
        converged: true,
        before: target,
        text,
        method: 'unchanged',
        toggled: [],
        toggledTexts: [],
        warnings: [],
      });
    }
  });
});

describe('the legacy CRLF overlay', () => {
  it('cuts the strategic-merge entries and their comment, CRLF kept; the history restores them', () => {
    const active = toggle({ text: LEGACY_STANDBY, file: LEGACY_FILE, target: 'active' });
    expect(active.method).toBe('removed');
    expect(active.text).toBe(LEGACY_ACTIVE);
    expect(active.toggledTexts).toEqual([
      '# standby (remove on failover):\r\n- standby/api-replicas-zero.yaml\r\n',
      '- standby/ledger-db-replicas-zero.yaml\r\n',
      '- standby/settle-cron-suspend.yaml\r\n',
    ]);
    const back = toggle({
      text: LEGACY_ACTIVE,
      file: LEGACY_FILE,
      target: 'standby',
      history: history(LEGACY_ACTIVE, LEGACY_STANDBY),
    });
    expect(back.method).toBe('history');
    expect(back.text).toBe(LEGACY_STANDBY);
  });

  it('when the old change no longer fits, the entries (and their comment) go at the end of their list', () => {
    // The file was rewritten since (another image tag line): the old change no longer fits.
    const rewritten = LEGACY_ACTIVE.replace('- api-env.yaml\r\n', '- api-env-v2.yaml\r\n');
    const result = toggle({
      text: rewritten,
      file: LEGACY_FILE,
      target: 'standby',
      history: history(rewritten, LEGACY_ACTIVE, LEGACY_STANDBY),
    });
    expect(result.method).toBe('history-append');
    expect(result.fromCommit).toBe('c'.repeat(40));
    expect(result.text).toBe(
      rewritten.replace(
        '- api-env-v2.yaml\r\n',
        '- api-env-v2.yaml\r\n# standby (remove on failover):\r\n- standby/api-replicas-zero.yaml\r\n- standby/ledger-db-replicas-zero.yaml\r\n- standby/settle-cron-suspend.yaml\r\n',
      ),
    );
  });
});

describe('the gke overlay without standby entries: the generated fence', () => {
  const fence = (text: string, target: 'active' | 'standby', versions?: HistoryVersion[]) =>
    toggle({ text, file: GKE_FILE, target, scope: 'cronjobs', ...(versions ? { history: versions } : {}) });

  it('is added at the list`s own indentation, with its file; failback deletes both', () => {
    const fenced = fence(GKE_ACTIVE, 'standby', history(GKE_ACTIVE));
    const entry = `   # generated by failover (fencing): suspends the CronJobs; removed on failback
   - path: ${FENCE_FILE}
     target:
       kind: CronJob
`;
    expect(fenced.text).toBe(GKE_ACTIVE + entry);
    expect(fenced.method).toBe('fence');
    expect(fenced.files).toEqual([{ path: FENCE_FILE, content: FENCE_PATCH }]);
    expect(fenced.toggledTexts).toEqual([entry]);
    for (const versions of [history(fenced.text, GKE_ACTIVE), undefined]) {
      const back = fence(fenced.text, 'active', versions);
      expect(back.text).toBe(GKE_ACTIVE);
      expect(back.files).toEqual([{ path: FENCE_FILE, content: null }]);
      expect(back.toggledTexts).toEqual([entry]);
    }
  });

  it('scope all on it is refused: nothing to restore, nothing to add', () => {
    expect(() => toggle({ text: GKE_ACTIVE, file: GKE_FILE, target: 'standby' })).toThrow(
      /overlays\/gke\/kustomization.yaml: cannot put the overlay in standby: .* for Deployment and CronJob$/,
    );
  });
});
