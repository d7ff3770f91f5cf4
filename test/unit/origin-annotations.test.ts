import { describe, expect, it } from 'vitest';
import { withOriginAnnotations } from '../../src/providers/git/activation-checks.js';

describe('withOriginAnnotations', () => {
  it('adds buildMetadata, or originAnnotations to the list already there, once', () => {
    expect(withOriginAnnotations('resources:\n  - ../../base\n')).toBe(
      'resources:\n  - ../../base\nbuildMetadata:\n  - originAnnotations\n',
    );
    expect(withOriginAnnotations('buildMetadata:\n  - managedByLabel\n')).toBe(
      'buildMetadata:\n  - managedByLabel\n  - originAnnotations\n',
    );
    const once = 'buildMetadata: [originAnnotations]\n';
    expect(withOriginAnnotations(once)).toBe(withOriginAnnotations(withOriginAnnotations(once)));
    expect(withOriginAnnotations(once)).toContain('originAnnotations');
    expect(withOriginAnnotations(once).match(/originAnnotations/g)).toHaveLength(1);
  });
});
