import { describe, expect, it } from 'vitest';
import { withoutRunningReplicasItems } from '../../src/providers/git/standby-checks.js';

describe('withoutRunningReplicasItems', () => {
  it('takes out the items with a count other than 0 and keeps the rest of the file as written', () => {
    const text = [
      'resources:',
      '  - ../../base # the shared base',
      'replicas:',
      '  - name: api',
      '    count: 5 # raised for INC-7',
      '  - name: web',
      '    count: 0',
      '  - name: worker',
      '    count: "2"',
      '',
    ].join('\n');
    const result = withoutRunningReplicasItems(text);
    expect(result?.items).toEqual([
      { name: 'api', count: 5 },
      { name: 'worker', count: '2' },
    ]);
    expect(result?.text).toBe(
      [
        'resources:',
        '  - ../../base # the shared base',
        'replicas:',
        '  - name: web',
        '    count: 0',
        '',
      ].join('\n'),
    );
  });

  it('drops the key when no item is left, and says nothing when every count is 0 or there is no key', () => {
    expect(
      withoutRunningReplicasItems('resources: [base]\nreplicas:\n  - {name: api, count: 3}\n')?.text,
    ).toBe('resources: [ base ]\n');
    expect(withoutRunningReplicasItems('replicas:\n  - {name: api, count: 0}\n')).toBeUndefined();
    expect(withoutRunningReplicasItems('resources: [base]\n')).toBeUndefined();
  });
});
