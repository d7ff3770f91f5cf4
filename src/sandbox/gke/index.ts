/** The GKE emulator: `google.container.v1.ClusterManager` over gRPC on 127.0.0.1. See SPEC.md. */
import { EmulatorControl, type Knobs } from '../common/control.js';
import { GkeModel } from './model.js';
import { startClusterManagerServer } from './server.js';

export {
  type LocalGoogleClientOptions,
  localGoogleClientOptions,
} from '../../providers/google/client-options.js';
export * from './model.js';

export interface GkeEmulatorOptions {
  /** Defaults to an ephemeral port. */
  port?: number;
  knobs?: Partial<Knobs>;
}

export interface GkeEmulator {
  /** `127.0.0.1:PORT`, to pass to `localGoogleClientOptions`. */
  endpoint: string;
  port: number;
  control: EmulatorControl;
  model: GkeModel;
  close(): Promise<void>;
}

export async function startGkeEmulator(options: GkeEmulatorOptions = {}): Promise<GkeEmulator> {
  const control = new EmulatorControl('gke', options.knobs);
  const model = new GkeModel();
  const server = await startClusterManagerServer(model, control, options.port);
  return { endpoint: server.endpoint, port: server.port, control, model, close: server.close };
}

/** The active cluster of the write-up: `admin-gke` in asia-northeast1, RUNNING. */
export function seedWriteupGke(model: GkeModel): { project: string; location: string; cluster: string } {
  const seed = { project: 'karte-prod', location: 'asia-northeast1', cluster: 'admin-gke' };
  model.createCluster({
    project: seed.project,
    location: seed.location,
    name: seed.cluster,
    status: 'RUNNING',
    nodePools: [
      {
        name: 'default-pool',
        initialNodeCount: 3,
        autoscaling: { enabled: true, minNodeCount: 3, maxNodeCount: 10 },
      },
    ],
  });
  return seed;
}
