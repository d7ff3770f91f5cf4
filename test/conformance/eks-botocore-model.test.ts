/**
 * Every EKS operation the tool sends, checked against botocore's service model: the model's method
 * and path reach it in the emulator, the success status is the model's, the parsed answer has the
 * members the model requires, each error the emulator answers (not found, bad parameters, an
 * outage, a server error) is one the model lists with the model's status, and ListNodegroups
 * pages through the paginator's tokens.
 */
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EksEmulator, seedWriteupEks, startEksEmulator } from '../../src/sandbox/eks/index.js';
import {
  asList,
  type BotocoreService,
  botocoreDataDir,
  errorStatus,
  loadService,
  missingRequired,
  requestPath,
  toolOperations,
} from './botocore-model.js';

const data = botocoreDataDir();
const reason = 'reason' in data ? data.reason : undefined;
if (reason) console.log(`EKS botocore-model conformance skipped: ${reason}`);
const service: BotocoreService | undefined =
  'dir' in data ? loadService(data.dir, 'eks', '2017-11-01') : undefined;
const operations = service ? toolOperations('src/providers/eks', service) : [];

let emu: EksEmulator;
let sdk: EKSClient;
const CLUSTER = 'standby-aws';

// biome-ignore lint/suspicious/noExplicitAny: each case sends its own command type
type AnyCommand = any;

const successes: Record<string, () => AnyCommand> = {
  DescribeCluster: () => new DescribeClusterCommand({ name: CLUSTER }),
  DescribeNodegroup: () => new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: 'general' }),
  ListNodegroups: () => new ListNodegroupsCommand({ clusterName: CLUSTER }),
};

const failures: Record<string, Array<{ what: string; code: string; send: () => Promise<unknown> }>> = {
  DescribeCluster: [
    {
      what: 'unknown cluster',
      code: 'ResourceNotFoundException',
      send: () => sdk.send(new DescribeClusterCommand({ name: 'no-such-cluster' })),
    },
  ],
  DescribeNodegroup: [
    {
      what: 'unknown node group',
      code: 'ResourceNotFoundException',
      send: () => sdk.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: 'nope' })),
    },
  ],
  ListNodegroups: [
    {
      what: 'unknown cluster',
      code: 'ResourceNotFoundException',
      send: () => sdk.send(new ListNodegroupsCommand({ clusterName: 'no-such-cluster' })),
    },
    {
      what: 'maxResults above 100',
      code: 'InvalidParameterException',
      send: () => sdk.send(new ListNodegroupsCommand({ clusterName: CLUSTER, maxResults: 101 })),
    },
  ],
};

describe.skipIf(!service)(
  reason
    ? `EKS against botocore's model — skipped: ${reason}`
    : "EKS: the emulator against botocore's service model, for every operation the tool sends",
  () => {
    const model = service?.model;

    beforeAll(async () => {
      emu = await startEksEmulator();
      seedWriteupEks(emu.model);
      emu.model.createNodegroup(CLUSTER, {
        nodegroupName: 'batch',
        status: 'ACTIVE',
        scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 1 },
      });
      emu.model.createNodegroup(CLUSTER, {
        nodegroupName: 'arm64',
        status: 'UPDATING',
        scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 2 },
      });
      sdk = new EKSClient({
        region: 'eu-central-1',
        endpoint: emu.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
    });

    afterAll(async () => {
      sdk?.destroy();
      await emu?.close();
    });

    it('finds the operations the tool sends in its sources, and each is in the model', () => {
      expect(operations).toEqual(['DescribeCluster', 'DescribeNodegroup', 'ListNodegroups']);
      for (const op of operations) expect(model?.operations[op], op).toBeDefined();
      expect(operations.filter((op) => !successes[op] || !failures[op]?.length)).toEqual([]);
    });

    it.each(operations)('%s: the model’s method and path reach it, with the model’s status', async (op) => {
      const operation = model!.operations[op]!;
      emu.control.log.clear();
      const response = await fetch(
        `${emu.url}${requestPath(operation, { name: CLUSTER, nodegroupName: 'general' })}`,
        { method: operation.http.method },
      );
      expect(response.status).toBe(operation.http.responseCode ?? 200);
      await response.arrayBuffer();
      expect(emu.control.log.entries.at(-1)?.operation).toBe(op);
      const output = await sdk.send(successes[op]!());
      expect(missingRequired(model!, operation.output!.shape, output, op)).toEqual([]);
    });

    it.each(operations)('%s: every error it answers is one the model lists, with its status', async (op) => {
      const listed = (model!.operations[op]!.errors ?? []).map((e) => e.shape);
      const cases = [
        ...(failures[op] ?? []),
        {
          what: 'an outage',
          code: 'ServiceUnavailableException',
          send: async () => {
            emu.control.knobs.outage = true;
            try {
              return await sdk.send(successes[op]!());
            } finally {
              emu.control.knobs.outage = false;
            }
          },
        },
        {
          what: 'a server error',
          code: 'ServerException',
          send: () => {
            emu.control.injectFault('server-error', { operation: op, count: 1 });
            return sdk.send(successes[op]!());
          },
        },
      ];
      for (const failure of cases) {
        const error = (await failure.send().then(
          () => undefined,
          (e: unknown) => e,
        )) as { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
        expect([failure.what, error?.name]).toEqual([failure.what, failure.code]);
        expect(listed, `${op} lists ${failure.code}`).toContain(failure.code);
        expect([failure.what, error?.$metadata?.httpStatusCode]).toEqual([
          failure.what,
          errorStatus(model!, failure.code),
        ]);
      }
    });

    it('ListNodegroups: one item a page through the paginator’s tokens visits every node group once', async () => {
      const paginator = service!.paginators.ListNodegroups!;
      const operation = model!.operations.ListNodegroups!;
      const outputMembers = Object.keys(model!.shapes[operation.output!.shape]!.members ?? {});
      const [inputToken] = asList(paginator.input_token);
      const [outputToken] = asList(paginator.output_token);
      expect(outputMembers).toContain(outputToken);
      const all = (await sdk.send(new ListNodegroupsCommand({ clusterName: CLUSTER }))).nodegroups ?? [];
      expect(all.length).toBe(3);
      const visited: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < 10; page++) {
        const out = (await sdk.send(
          new ListNodegroupsCommand({
            clusterName: CLUSTER,
            [paginator.limit_key as string]: 1,
            ...(token ? { [inputToken as string]: token } : {}),
          }),
        )) as unknown as Record<string, unknown>;
        visited.push(...((out[paginator.result_key as string] as string[]) ?? []));
        token = out[outputToken as string] as string | undefined;
        if (!token) break;
      }
      expect(visited).toEqual(all);
    });
  },
);
