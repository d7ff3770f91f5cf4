/**
 * The Anthos-clusters-on-AWS emulator: `google.cloud.gkemulticloud.v1.AwsClusters` over gRPC on
 * 127.0.0.1. See SPEC.md.
 */
import { EmulatorControl, type Knobs } from '../common/control.js';
import { AnthosAwsModel } from './model.js';
import { startAwsClustersServer } from './server.js';

export {
  type LocalGoogleClientOptions,
  localGoogleClientOptions,
} from '../../providers/google/client-options.js';
export * from './model.js';
export { CLUSTER_NOT_FOUND, NODE_POOL_NOT_FOUND } from './server.js';

export interface AnthosAwsEmulatorOptions {
  /** Defaults to an ephemeral port. */
  port?: number;
  knobs?: Partial<Knobs>;
}

export interface AnthosAwsEmulator {
  /** `127.0.0.1:PORT`, to pass to `localGoogleClientOptions` (or `anthosAws.endpoint` in the config). */
  endpoint: string;
  port: number;
  control: EmulatorControl;
  model: AnthosAwsModel;
  close(): Promise<void>;
}

export async function startAnthosAwsEmulator(
  options: AnthosAwsEmulatorOptions = {},
): Promise<AnthosAwsEmulator> {
  const control = new EmulatorControl('anthos-aws', options.knobs);
  const model = new AnthosAwsModel();
  const server = await startAwsClustersServer(model, control, options.port);
  return { endpoint: server.endpoint, port: server.port, control, model, close: server.close };
}

/**
 * The write-up's AWS side as an Anthos cluster: `admin-aws`, managed from us-east4, running in AWS
 * us-east-1, RUNNING, with one node pool.
 */
export function seedWriteupAnthos(model: AnthosAwsModel): {
  project: string;
  location: string;
  cluster: string;
} {
  const seed = { project: 'karte-prod', location: 'us-east4', cluster: 'admin-aws' };
  model.createCluster({
    project: seed.project,
    location: seed.location,
    name: seed.cluster,
    description: 'AWS standby of the write-up (Anthos clusters on AWS)',
    awsRegion: 'us-east-1',
    state: 'RUNNING',
    nodePools: [{ name: 'general', autoscaling: { minNodeCount: 2, maxNodeCount: 10 } }],
  });
  return seed;
}
