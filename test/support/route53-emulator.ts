/**
 * One Route 53 emulator for a test file, driven through the real AWS SDK: started before the
 * file's tests (with static credentials for the SDK, throttling off), its propagation delay,
 * injected faults and request log reset after each test, closed at the end.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type Route53Emulator, startRoute53Emulator } from '../../src/sandbox/route53/index.js';

export function useRoute53Emulator(onStarted: (emulator: Route53Emulator) => void): void {
  let emulator: Route53Emulator | undefined;
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    emulator = await startRoute53Emulator({ rateLimit: false });
    onStarted(emulator);
  });
  afterEach(() => {
    if (!emulator) return;
    emulator.control.knobs.propagationDelayMs = 0;
    emulator.control.clearFaults();
    emulator.control.log.clear();
  });
  afterAll(async () => {
    await emulator?.close();
  });
}
