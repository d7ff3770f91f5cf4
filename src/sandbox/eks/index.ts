/** The EKS emulator: Amazon EKS REST-JSON on 127.0.0.1. See SPEC.md. */
import { EmulatorControl, type Knobs } from '../common/control.js';
import { startHttpServer } from '../common/http-server.js';
import { EksModel } from './model.js';
import { createEksHandler } from './server.js';

export * from './model.js';

export interface EksEmulatorOptions {
  /** Defaults to an ephemeral port. */
  port?: number;
  knobs?: Partial<Knobs>;
  /** Region and account that appear in ARNs and endpoints (default us-east-1, 123456789012). */
  region?: string;
  accountId?: string;
}

export interface EksEmulator {
  /** `http://127.0.0.1:PORT`, the SDK's `endpoint` / the CLI's `--endpoint-url`. */
  url: string;
  control: EmulatorControl;
  model: EksModel;
  close(): Promise<void>;
}

export async function startEksEmulator(options: EksEmulatorOptions = {}): Promise<EksEmulator> {
  const control = new EmulatorControl('eks', options.knobs);
  const model = new EksModel(options.region, options.accountId);
  const server = await startHttpServer(createEksHandler(model, control), options.port);
  return { url: server.url, control, model, close: server.close };
}

/** The standby of the write-up: `standby-aws` (ACTIVE, 1.31) with node group `general` (2–10, 3 desired). */
export function seedWriteupEks(model: EksModel): { cluster: string; nodeGroups: string[] } {
  const cluster = 'standby-aws';
  model.createCluster({ name: cluster, version: '1.31', status: 'ACTIVE' });
  model.createNodegroup(cluster, {
    nodegroupName: 'general',
    status: 'ACTIVE',
    scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 3 },
  });
  return { cluster, nodeGroups: ['general'] };
}
