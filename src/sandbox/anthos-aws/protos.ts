/** Where the AwsClusters protos live: inside the installed npm packages, found by module resolution. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ProtoLocation } from '../gke/protos.js';

export const AWS_CLUSTERS_SERVICE = 'google.cloud.gkemulticloud.v1.AwsClusters';

export function awsClustersProtos(): ProtoLocation {
  const require = createRequire(import.meta.url);
  // The package's entry point is build/src/index.js; its protos sit next to it in build/protos.
  const multicloudEntry = require.resolve('@google-cloud/gkemulticloud');
  const multicloudProtos = join(dirname(multicloudEntry), '..', 'protos');
  // Imports such as google/longrunning/operations.proto come from the google-gax copy this package
  // uses (hoisted or nested), resolved from the package itself like the GKE emulator does.
  const gaxEntry = createRequire(multicloudEntry).resolve('google-gax');
  const gaxProtos = join(dirname(gaxEntry), '..', 'protos');
  return {
    protoFile: join(multicloudProtos, 'google', 'cloud', 'gkemulticloud', 'v1', 'aws_service.proto'),
    includeDirs: [multicloudProtos, gaxProtos],
  };
}
