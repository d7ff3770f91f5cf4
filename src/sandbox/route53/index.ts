/**
 * Route 53 emulator (REST-XML, API 2013-04-01) for the sandbox, tests and the demo. The real
 * `@aws-sdk/client-route-53` and the AWS CLI talk to it through their endpoint setting. See SPEC.md.
 */
import { EmulatorControl, type Knobs } from '../common/control.js';
import { startHttpServer } from '../common/http-server.js';
import { Route53Model } from './model.js';
import type { RateLimitSettings } from './rate-limit.js';
import { createRoute53Handler } from './server.js';
import { Route53Throttling, type ThrottlingSettings } from './throttling.js';

export {
  healthCheckReferences,
  parseWeight,
  type TrafficPolicyDocument,
  type TrafficPolicyEndpoint,
  type TrafficPolicyRule,
  validateTrafficPolicyDocument,
  type WeightedItem,
} from './document.js';
export { Route53Error, type Route53ErrorCode } from './errors.js';
export {
  MAX_TRAFFIC_POLICY_VERSIONS,
  Route53Model,
  type Route53ModelOptions,
  type TrafficSplitTarget,
} from './model.js';
export { DEFAULT_RATE_LIMIT, type RateLimitSettings, TokenBucket } from './rate-limit.js';
export {
  seedWriteupScenario,
  type WriteupSeed,
  type WriteupSeedOptions,
  writeupPolicyDocument,
} from './seed.js';
export { changeCount, createRoute53Handler, isMutatingOperation } from './server.js';
export {
  DEFAULT_CHANGE_LIMIT,
  DEFAULT_OPERATION_LIMIT,
  DOCUMENTED_OPERATION_LIMITS,
  Route53Throttling,
  type ThrottledBy,
  type ThrottlingSettings,
} from './throttling.js';
export type * from './types.js';

export interface Route53EmulatorOptions {
  /** Default: an ephemeral port on 127.0.0.1. */
  port?: number;
  knobs?: Partial<Knobs>;
  /** The account's token bucket; `false` turns all throttling off. Default burst 50, 10/s. */
  rateLimit?: RateLimitSettings | false;
  /** Every bucket (account, per operation, change throughput); wins over `rateLimit`. Default: as documented. */
  throttling?: ThrottlingSettings | false;
}

export interface Route53Emulator {
  /** `http://127.0.0.1:PORT`, for the SDK's `endpoint` or the CLI's `--endpoint-url`. */
  url: string;
  control: EmulatorControl;
  model: Route53Model;
  /**
   * Tune or switch off throttling at run time: `rateLimit.configure({ burst: 2, perSecond: 1 })`
   * (the account bucket), `rateLimit.configureAll({ operations: {...} })`, `configure(false)`.
   */
  rateLimit: Route53Throttling;
  close(): Promise<void>;
}

export async function startRoute53Emulator(options: Route53EmulatorOptions = {}): Promise<Route53Emulator> {
  const control = new EmulatorControl('route53', options.knobs);
  const model = new Route53Model({ control });
  const rateLimit = new Route53Throttling(
    options.throttling ??
      (options.rateLimit === false ? false : options.rateLimit ? { account: options.rateLimit } : {}),
  );
  const server = await startHttpServer(createRoute53Handler(model, control, rateLimit), options.port ?? 0);
  return { url: server.url, control, model, rateLimit, close: () => server.close() };
}
