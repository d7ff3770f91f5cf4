import { describe, expect, it } from 'vitest';
import { z as zodItself } from 'zod';

describe('zod set-up', () => {
  it('is jitless once a schema module is loaded: one-shot parses build no parser with new Function', async () => {
    const { Config } = await import('../../../src/config/schema.js');
    expect(zodItself.config().jitless).toBe(true);
    // Parsing still reports issues by path as before.
    const result = Config.safeParse({ route53: { instances: 'x' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.some((issue) => issue.path[0] === 'route53')).toBe(true);
  });
});
