/**
 * The kustomization edit and the file's history: a version is restored only when reverting the
 * change that left it fits exactly and changes nothing but the standby entries (not a resource, a
 * patch, a field, or an entry outside the scope); versions from before a deletion, or that do not
 * parse, are passed over; entries re-inserted at the end of their list are re-indented.
 */
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../src/engine/errors.js';
import {
  findStandbyEntries,
  type HistoryVersion,
  planToggle,
  revertChange,
  type StandbyMatcher,
  type ToggleRequest,
} from '../../src/providers/git/kustomization.js';

const MATCHER: StandbyMatcher = {
  patchPaths: ['cronjob-suspend.yml', 'replicas-zero.yml', 'standby/dormant.yaml'],
  components: ['components/standby', 'components/standby-crons'],
};
const FILE = 'apps/billing/overlays/eks/kustomization.yaml';
const CRON = '  - path: cronjob-suspend.yml\n    target:\n      kind: CronJob\n';
const REPLICAS = '  - path: replicas-zero.yml\n    target:\n      kind: Deployment\n';

function history(...texts: (string | undefined)[]): HistoryVersion[] {
  return texts.map((text, i) => ({ commit: `${i + 1}`.repeat(40), text }));
}

function toggle(request: Partial<ToggleRequest> & Pick<ToggleRequest, 'text' | 'target'>) {
  return planToggle({ file: FILE, scope: 'all', matcher: MATCHER, ...request });
}

function catchError(fn: () => unknown): FailoverError {
  try {
    fn();
  } catch (error) {
    if (FailoverError.is(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('the history', () => {
  const standby = `resources:\n  - ../../base\n  - legacy-worker.yaml\npatches:\n  - path: neg.yml\n${CRON}${REPLICAS}namespace: billing\n`;

  it('a restore that would also bring back a resource the activation removed is not taken', () => {
    // The activation also dropped legacy-worker.yaml; going back to standby must not revive it.
    const active = 'resources:\n  - ../../base\npatches:\n  - path: neg.yml\nnamespace: billing\n';
    const result = toggle({ text: active, target: 'standby', history: history(active, standby) });
    expect(result.method).toBe('history-append');
    expect(result.text).toBe(
      `resources:\n  - ../../base\npatches:\n  - path: neg.yml\n${CRON}${REPLICAS}namespace: billing\n`,
    );
    expect(result.warnings).toEqual([
      `the lines around the standby entries in ${FILE} changed since 222222222222; the entries were re-inserted at the end of their list`,
    ]);
  });

  it('nor one that would bring back another patch, a field, or an empty mapping', () => {
    const dropPatch = standby.replace('  - path: neg.yml\n', '').replace(CRON + REPLICAS, '');
    const cases = [
      dropPatch,
      standby.replace(CRON + REPLICAS, '').replace('namespace: billing\n', ''),
      `${standby.replace(CRON + REPLICAS, '')}commonAnnotations:\n  team: billing\n`,
    ];
    const versions = (active: string) =>
      history(active, `${standby}${active.includes('commonAnnotations') ? 'commonAnnotations:\n' : ''}`);
    for (const active of cases) {
      const result = toggle({ text: active, target: 'standby', history: versions(active) });
      expect(result.method).not.toBe('history');
      expect(findStandbyEntries(result.text, FILE, MATCHER)).toHaveLength(2);
    }
  });

  it('stops at a version where the file did not exist', () => {
    const active = 'resources:\n  - ../../base\n';
    // Deleted and created again: what was before the deletion is another file.
    const error = catchError(() =>
      toggle({ text: active, target: 'standby', history: history(active, undefined, standby) }),
    );
    expect(error.code).toBe('FO_GIT_E3125');
    const back = toggle({ text: standby, target: 'active', history: history(standby, undefined, active) });
    expect(back.method).toBe('removed');
  });

  it('says which standby version no longer fits when none of it can be put back', () => {
    // `patches` is now a mapping: no list to put the entries into.
    const now = 'resources:\n  - ../../base\npatches: {}\n';
    const error = catchError(() =>
      toggle({
        text: now,
        target: 'standby',
        history: history(now, 'resources:\n  - ../../base\n', standby),
      }),
    );
    expect(error.code).toBe('FO_GIT_E3125');
    expect(error.message).toContain('the standby entries of 333333333333 do not fit the file as it is now');
    expect(error.message).not.toContain('no earlier standby version');
  });

  it('passes over a version that does not parse', () => {
    const active = standby.replace(CRON + REPLICAS, '');
    const broken = 'resources: [\n';
    const result = toggle({ text: active, target: 'standby', history: history(active, broken, standby) });
    expect(result.method).toBe('history-append');
    expect(findStandbyEntries(result.text, FILE, MATCHER)).toHaveLength(2);
    const restored = toggle({ text: active, target: 'standby', history: history(broken, active, standby) });
    expect(restored.method).toBe('history');
    expect(restored.text).toBe(standby);
  });

  it('re-inserts entries at the indentation of the list now, their comment lines too', () => {
    const old = `patches:\n  - path: a.yml\n# stand-by: keep dormant\n${CRON}${REPLICAS}`;
    const now = 'patches:\n- path: a2.yml\n- path: b2.yml\n';
    const result = toggle({
      text: now,
      target: 'standby',
      history: history(now, 'patches:\n  - path: a.yml\n', old),
    });
    expect(result.method).toBe('history-append');
    expect(result.text).toBe(
      `${now}# stand-by: keep dormant\n- path: cronjob-suspend.yml\n  target:\n    kind: CronJob\n- path: replicas-zero.yml\n  target:\n    kind: Deployment\n`,
    );
  });

  it('re-inserts an entry of a flow list into the flow list now, as it was written', () => {
    const old = 'components: [../../components/gke, ../../components/standby]\n';
    const now = 'components: [../../components/gke-v2]\n';
    const result = toggle({
      text: now,
      target: 'standby',
      history: history(now, 'components: [../../components/gke]\n', old),
    });
    expect(result.method).toBe('history-append');
    expect(result.text).toBe('components: [../../components/gke-v2, ../../components/standby]\n');
  });

  it('re-inserts a flow item of a `replicas:` list into the block list now, as a flow item', () => {
    const matcher: StandbyMatcher = { ...MATCHER, replicasField: true };
    const old = `replicas: [{name: web, count: 0}, {name: worker, count: 0}]\npatches:\n${CRON}`;
    const activated = `replicas: []\npatches:\n${CRON}`;
    // The team sized one workload for AWS since, writing the list in block style.
    const now = 'replicas:\n  - name: api\n    count: 2\n';
    const result = toggle({ text: now, target: 'standby', matcher, history: history(now, activated, old) });
    expect(result.method).toBe('history-append');
    expect(result.text).toBe(
      `replicas:\n  - name: api\n    count: 2\n  - {name: web, count: 0}\n  - {name: worker, count: 0}\npatches:\n${CRON}`,
    );
    expect(findStandbyEntries(result.text, FILE, matcher).map((e) => e.path)).toEqual([
      'web',
      'worker',
      'cronjob-suspend.yml',
    ]);
  });

  it('revertChange: an unchanged file gives the current text once', () => {
    expect(revertChange('a: 1\n', 'b: 2\n', 'b: 2\n')).toEqual(['a: 1\n']);
  });

  it('a restore for scope cronjobs that would also drop a Deployment entry is not taken', () => {
    // One commit replaced the CronJob entry by the Deployment one; reverting it would undo both.
    const older = `patches:\n  - path: neg.yml\n${CRON}`;
    const now = `patches:\n  - path: neg.yml\n${REPLICAS}`;
    const result = toggle({ text: now, target: 'standby', scope: 'cronjobs', history: history(now, older) });
    expect(result.method).toBe('history-append');
    expect(result.text).toBe(`${now}${CRON}`);
  });

  it('entries added in two commits: reverting only the older one does not reach active', () => {
    const v1 = 'patches:\n  - path: neg.yml\n';
    const v2 = `${v1}${CRON}`;
    const v3 = `${v2}${REPLICAS}`;
    const result = toggle({ text: v3, target: 'active', history: history(v3, v2, v1) });
    expect(result.method).toBe('removed');
    expect(result.text).toBe(v1);
  });

  it('block entries go into a list now written as a flow list in flow style', () => {
    const old = `patches:\n  - path: a.yml\n${CRON}${REPLICAS}`;
    const now = 'patches: [{path: a2.yml}]\n';
    const result = toggle({
      text: now,
      target: 'standby',
      history: history(now, 'patches:\n  - path: a.yml\n', old),
    });
    expect(result.method).toBe('history-append');
    expect(result.text).toBe(
      'patches: [{path: a2.yml}, { path: cronjob-suspend.yml, target: { kind: CronJob } }, { path: replicas-zero.yml, target: { kind: Deployment } }]\n',
    );
  });
});
