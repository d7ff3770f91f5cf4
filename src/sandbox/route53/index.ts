/**
 * Route 53 emulator (REST-XML, API 2013-04-01) for the sandbox, tests and the demo. The real
 * `@aws-sdk/client-route-53` and the AWS CLI talk to it through their endpoint setting. See SPEC.md.
 */
import { EmulatorControl, type Knobs } from '../common/control.js';
import { startHttpServer } from '../common/http-server.js';
import { Route53Model } from './model.js';
import { DEFAULT_RATE_LIMIT, type RateLimitSettings, TokenBucket } from './rate-limit.js';
import { createRoute53Handler } from './server.js';

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
export { createRoute53Handler, isMutatingOperation } from './server.js';
export type * from './types.js';

export interface Route53EmulatorOptions {
  /** Default: an ephemeral port on 127.0.0.1. */
  port?: number;
  knobs?: Partial<Knobs>;
  /** The per-account token bucket; `false` turns throttling off. Default burst 50, 10/s. */
  rateLimit?: RateLimitSettings | false;
}

export interface Route53Emulator {
  /** `http://127.0.0.1:PORT`, for the SDK's `endpoint` or the CLI's `--endpoint-url`. */
  url: string;
  control: EmulatorControl;
  model: Route53Model;
  /** Tune or switch off throttling at run time: `rateLimit.configure({ burst: 2, perSecond: 1 })`. */
  rateLimit: TokenBucket;
  close(): Promise<void>;
}

export async function startRoute53Emulator(options: Route53EmulatorOptions = {}): Promise<Route53Emulator> {
  const control = new EmulatorControl('route53', options.knobs);
  const model = new Route53Model({ control });
  const rateLimit = new TokenBucket(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const server = await startHttpServer(createRoute53Handler(model, control, rateLimit), options.port ?? 0);
  return { url: server.url, control, model, rateLimit, close: () => server.close() };
}
