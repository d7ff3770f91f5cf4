/** Where the ClusterManager protos live: inside the installed npm packages, found by module resolution. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const CLUSTER_MANAGER_SERVICE = 'google.container.v1.ClusterManager';

export interface ProtoLocation {
  protoFile: string;
  includeDirs: string[];
}

export function clusterManagerProtos(): ProtoLocation {
  const require = createRequire(import.meta.url);
  const containerPackageJson = require.resolve('@google-cloud/container/package.json');
  const containerProtos = join(dirname(containerPackageJson), 'build', 'protos');
  // google-gax does not export its package.json; its entry point is build/src/index.js. Resolving it
  // from the container package finds the copy that package actually uses, hoisted or nested.
  const gaxEntry = createRequire(containerPackageJson).resolve('google-gax');
  const gaxProtos = join(dirname(gaxEntry), '..', 'protos');
  return {
    protoFile: join(containerProtos, 'google', 'container', 'v1', 'cluster_service.proto'),
    includeDirs: [containerProtos, gaxProtos],
  };
}
