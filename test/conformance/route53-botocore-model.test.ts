/**
 * Every Route 53 operation the tool sends, checked against botocore's service model: the model's
 * method and path reach that operation in the emulator, the success status is the model's, the
 * parsed answer has every member the model requires, each error the emulator answers is one the
 * model lists for the operation with the model's status, and list pagination uses the model's
 * tokens (following them visits every item once).
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateTrafficPolicyVersionCommand,
  GetChangeCommand,
  GetHealthCheckStatusCommand,
  GetHostedZoneCommand,
  GetTrafficPolicyCommand,
  GetTrafficPolicyInstanceCommand,
  ListResourceRecordSetsCommand,
  ListTrafficPoliciesCommand,
  ListTrafficPolicyInstancesByHostedZoneCommand,
  ListTrafficPolicyInstancesByPolicyCommand,
  ListTrafficPolicyInstancesCommand,
  Route53Client,
  UpdateTrafficPolicyInstanceCommand,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Route53Emulator,
  seedWriteupScenario,
  startRoute53Emulator,
  type WriteupSeed,
} from '../../src/sandbox/route53/index.js';
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
if (reason) console.log(`Route 53 botocore-model conformance skipped: ${reason}`);
const service: BotocoreService | undefined =
  'dir' in data ? loadService(data.dir, 'route53', '2013-04-01') : undefined;
const operations = service ? toolOperations('src/providers/route53', service) : [];

const BOGUS_ID = 'FAKEFAKEFAKE123';
const BOGUS_UUID = '00000000-1111-2222-3333-444444444444';

let emu: Route53Emulator;
let sdk: Route53Client;
let seed: WriteupSeed;
let other: WriteupSeed;
let changeId: string;

// biome-ignore lint/suspicious/noExplicitAny: each case sends its own command type
type AnyCommand = any;

/** A call that succeeds against the seeded state, per operation. */
const successes: Record<string, () => AnyCommand> = {
  GetTrafficPolicy: () => new GetTrafficPolicyCommand({ Id: seed.trafficPolicyId, Version: 1 }),
  GetTrafficPolicyInstance: () =>
    new GetTrafficPolicyInstanceCommand({ Id: seed.trafficPolicyInstanceIds[0] as string }),
  ListTrafficPolicies: () => new ListTrafficPoliciesCommand({}),
  ListTrafficPolicyInstances: () => new ListTrafficPolicyInstancesCommand({}),
  ListTrafficPolicyInstancesByHostedZone: () =>
    new ListTrafficPolicyInstancesByHostedZoneCommand({ HostedZoneId: seed.hostedZoneId }),
  ListTrafficPolicyInstancesByPolicy: () =>
    new ListTrafficPolicyInstancesByPolicyCommand({
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    }),
  CreateTrafficPolicyVersion: () =>
    new CreateTrafficPolicyVersionCommand({ Id: seed.trafficPolicyId, Document: documentOf(seed) }),
  UpdateTrafficPolicyInstance: () =>
    new UpdateTrafficPolicyInstanceCommand({
      Id: seed.trafficPolicyInstanceIds[0] as string,
      TTL: 60,
      TrafficPolicyId: seed.trafficPolicyId,
      TrafficPolicyVersion: 1,
    }),
  ChangeResourceRecordSets: () =>
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: seed.hostedZoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: `conf.${seed.zoneName}`,
              Type: 'A',
              TTL: 30,
              ResourceRecords: [{ Value: '192.0.2.44' }],
            },
          },
        ],
      },
    }),
  ListResourceRecordSets: () => new ListResourceRecordSetsCommand({ HostedZoneId: seed.hostedZoneId }),
  GetChange: () => new GetChangeCommand({ Id: changeId }),
  GetHostedZone: () => new GetHostedZoneCommand({ Id: seed.hostedZoneId }),
  GetHealthCheckStatus: () => new GetHealthCheckStatusCommand({ HealthCheckId: seed.healthCheckIds.aws }),
};

function documentOf(s: WriteupSeed): string {
  return emu.model.getTrafficPolicy(s.trafficPolicyId, 1).Document;
}

/** Calls that fail, per operation, with the error code the real service answers. */
const failures: Record<string, Array<{ what: string; code: string; send: () => Promise<unknown> }>> = {
  GetTrafficPolicy: [
    {
      what: 'unknown policy',
      code: 'NoSuchTrafficPolicy',
      send: () => sdk.send(new GetTrafficPolicyCommand({ Id: BOGUS_UUID, Version: 1 })),
    },
  ],
  GetTrafficPolicyInstance: [
    {
      what: 'unknown instance',
      code: 'NoSuchTrafficPolicyInstance',
      send: () => sdk.send(new GetTrafficPolicyInstanceCommand({ Id: BOGUS_UUID })),
    },
  ],
  ListTrafficPolicies: [
    {
      what: 'MaxItems that is not a number',
      code: 'InvalidInput',
      send: () => rawGet('/2013-04-01/trafficpolicies?maxitems=many'),
    },
  ],
  ListTrafficPolicyInstances: [
    {
      what: 'MaxItems that is not a number',
      code: 'InvalidInput',
      send: () => rawGet('/2013-04-01/trafficpolicyinstances?maxitems=many'),
    },
  ],
  ListTrafficPolicyInstancesByHostedZone: [
    {
      what: 'unknown zone',
      code: 'NoSuchHostedZone',
      send: () => sdk.send(new ListTrafficPolicyInstancesByHostedZoneCommand({ HostedZoneId: BOGUS_ID })),
    },
  ],
  ListTrafficPolicyInstancesByPolicy: [
    {
      what: 'unknown policy',
      code: 'NoSuchTrafficPolicy',
      send: () =>
        sdk.send(
          new ListTrafficPolicyInstancesByPolicyCommand({
            TrafficPolicyId: BOGUS_UUID,
            TrafficPolicyVersion: 1,
          }),
        ),
    },
  ],
  CreateTrafficPolicyVersion: [
    {
      what: 'unknown policy',
      code: 'NoSuchTrafficPolicy',
      send: () =>
        sdk.send(new CreateTrafficPolicyVersionCommand({ Id: BOGUS_UUID, Document: documentOf(seed) })),
    },
    {
      what: 'a document Route 53 rejects',
      code: 'InvalidTrafficPolicyDocument',
      send: () =>
        sdk.send(
          new CreateTrafficPolicyVersionCommand({ Id: seed.trafficPolicyId, Document: '{"RecordType":"A"}' }),
        ),
    },
  ],
  UpdateTrafficPolicyInstance: [
    {
      what: 'unknown instance',
      code: 'NoSuchTrafficPolicyInstance',
      send: () =>
        sdk.send(
          new UpdateTrafficPolicyInstanceCommand({
            Id: BOGUS_UUID,
            TTL: 60,
            TrafficPolicyId: seed.trafficPolicyId,
            TrafficPolicyVersion: 1,
          }),
        ),
    },
    {
      what: 'unknown policy version',
      code: 'NoSuchTrafficPolicy',
      send: () =>
        sdk.send(
          new UpdateTrafficPolicyInstanceCommand({
            Id: seed.trafficPolicyInstanceIds[0] as string,
            TTL: 60,
            TrafficPolicyId: seed.trafficPolicyId,
            TrafficPolicyVersion: 999,
          }),
        ),
    },
    {
      what: 'an update while the previous one propagates',
      code: 'PriorRequestNotComplete',
      send: async () => {
        const update = () =>
          sdk.send(
            new UpdateTrafficPolicyInstanceCommand({
              Id: other.trafficPolicyInstanceIds[0] as string,
              TTL: 60,
              TrafficPolicyId: other.trafficPolicyId,
              TrafficPolicyVersion: 1,
            }),
          );
        emu.control.knobs.propagationDelayMs = 60_000;
        try {
          await update();
          return await update();
        } finally {
          emu.control.knobs.propagationDelayMs = 0;
          emu.model.completePropagation();
        }
      },
    },
    {
      what: 'a version of another DNS type',
      code: 'ConflictingTypes',
      send: async () => {
        const aaaa = emu.model.createTrafficPolicy({
          Name: `aaaa-${Date.now()}`,
          Document: JSON.stringify({
            AWSPolicyFormatVersion: '2015-10-01',
            RecordType: 'AAAA',
            Endpoints: { v6: { Type: 'value', Value: '2001:db8::1' } },
            StartEndpoint: 'v6',
          }),
        });
        return sdk.send(
          new UpdateTrafficPolicyInstanceCommand({
            Id: seed.trafficPolicyInstanceIds[0] as string,
            TTL: 60,
            TrafficPolicyId: aaaa.Id,
            TrafficPolicyVersion: 1,
          }),
        );
      },
    },
  ],
  ChangeResourceRecordSets: [
    {
      what: 'unknown zone',
      code: 'NoSuchHostedZone',
      send: () =>
        sdk.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: BOGUS_ID,
            ChangeBatch: {
              Changes: [{ Action: 'DELETE', ResourceRecordSet: { Name: 'x.invalid', Type: 'A' } }],
            },
          }),
        ),
    },
    {
      what: 'a weighted record without SetIdentifier (malformed)',
      code: 'InvalidInput',
      send: () =>
        sdk.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: seed.hostedZoneId,
            ChangeBatch: {
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: `w.${seed.zoneName}`,
                    Type: 'A',
                    Weight: 5,
                    TTL: 30,
                    ResourceRecords: [{ Value: '192.0.2.5' }],
                  },
                },
              ],
            },
          }),
        ),
    },
    {
      what: 'a DELETE of a record that does not exist (semantic)',
      code: 'InvalidChangeBatch',
      send: () =>
        sdk.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: seed.hostedZoneId,
            ChangeBatch: {
              Changes: [
                {
                  Action: 'DELETE',
                  ResourceRecordSet: {
                    Name: `missing.${seed.zoneName}`,
                    Type: 'A',
                    TTL: 30,
                    ResourceRecords: [{ Value: '192.0.2.6' }],
                  },
                },
              ],
            },
          }),
        ),
    },
    {
      what: 'an unknown health check',
      code: 'NoSuchHealthCheck',
      send: () =>
        sdk.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: seed.hostedZoneId,
            ChangeBatch: {
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: `hc.${seed.zoneName}`,
                    Type: 'A',
                    TTL: 30,
                    HealthCheckId: BOGUS_UUID,
                    ResourceRecords: [{ Value: '192.0.2.7' }],
                  },
                },
              ],
            },
          }),
        ),
    },
  ],
  ListResourceRecordSets: [
    {
      what: 'unknown zone',
      code: 'NoSuchHostedZone',
      send: () => sdk.send(new ListResourceRecordSetsCommand({ HostedZoneId: BOGUS_ID })),
    },
    {
      what: 'a type without a name',
      code: 'InvalidInput',
      send: () =>
        sdk.send(
          new ListResourceRecordSetsCommand({ HostedZoneId: seed.hostedZoneId, StartRecordType: 'A' }),
        ),
    },
  ],
  GetHostedZone: [
    {
      what: 'unknown zone',
      code: 'NoSuchHostedZone',
      send: () => sdk.send(new GetHostedZoneCommand({ Id: BOGUS_ID })),
    },
  ],
  GetChange: [
    {
      what: 'unknown change',
      code: 'NoSuchChange',
      send: () => sdk.send(new GetChangeCommand({ Id: 'CFAKEFAKE' })),
    },
  ],
  GetHealthCheckStatus: [
    {
      what: 'unknown health check',
      code: 'NoSuchHealthCheck',
      send: () => sdk.send(new GetHealthCheckStatusCommand({ HealthCheckId: BOGUS_UUID })),
    },
  ],
};

/** A raw GET whose error answer is turned into { name, status } like the SDK's. */
async function rawGet(path: string): Promise<never> {
  const response = await fetch(`${emu.url}${path}`);
  const text = await response.text();
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'none';
  if (response.ok) throw new Error(`expected an error from ${path}, got ${response.status}`);
  throw Object.assign(new Error(text), { name: code, $metadata: { httpStatusCode: response.status } });
}

/** Sample values for the path labels of the operations. */
function labels(): Record<string, string> {
  return {
    Id: seed.trafficPolicyId,
    Version: '1',
    HealthCheckId: seed.healthCheckIds.aws,
  };
}

describe.skipIf(!service)(
  reason
    ? `Route 53 against botocore's model — skipped: ${reason}`
    : "Route 53: the emulator against botocore's service model, for every operation the tool sends",
  () => {
    const model = service?.model;

    beforeAll(async () => {
      emu = await startRoute53Emulator({ rateLimit: false });
      seed = seedWriteupScenario(emu.model, {
        zoneName: 'conformance.example.org.',
        policyName: 'conf-a',
        instances: 3,
      });
      other = seedWriteupScenario(emu.model, { zoneName: 'second.example.org.', policyName: 'conf-b' });
      // A second instance in the first zone, so the per-zone list has two pages too.
      emu.model.createTrafficPolicyInstance({
        HostedZoneId: seed.hostedZoneId,
        Name: `beta.${seed.zoneName}`,
        TTL: 60,
        TrafficPolicyId: seed.trafficPolicyId,
        TrafficPolicyVersion: 1,
      });
      emu.model.completePropagation();
      sdk = new Route53Client({
        region: 'us-east-1',
        endpoint: emu.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      const change = (await sdk.send(successes.ChangeResourceRecordSets?.())) as {
        ChangeInfo: { Id: string };
      };
      changeId = change.ChangeInfo.Id;
    });

    afterAll(async () => {
      sdk?.destroy();
      await emu?.close();
    });

    it('finds the operations the tool sends in its sources, and each is in the model', () => {
      expect(operations).toContain('UpdateTrafficPolicyInstance');
      expect(operations).toContain('GetChange'); // through waitUntilResourceRecordSetsChanged
      for (const op of operations) expect(model?.operations[op], op).toBeDefined();
      // Each has a success case and at least one error case below.
      expect(operations.filter((op) => !successes[op] || !failures[op]?.length)).toEqual([]);
    });

    it.each(operations)('%s: the model’s method and path reach it, with the model’s status', async (op) => {
      const operation = model!.operations[op]!;
      emu.control.log.clear();
      const path = requestPath(operation, labels());
      const response = await fetch(`${emu.url}${path}`, {
        method: operation.http.method,
        ...(operation.http.method === 'POST' ? { body: '<x/>' } : {}),
      });
      await response.arrayBuffer();
      expect(emu.control.log.entries.at(-1)?.operation).toBe(op);

      const make = successes[op];
      const output = await sdk.send(make!());
      expect(output.$metadata.httpStatusCode).toBe(operation.http.responseCode ?? 200);
      expect(missingRequired(model!, operation.output!.shape, output, op)).toEqual([]);
      emu.model.completePropagation();
    });

    it.each(operations)('%s: every error it answers is one the model lists, with its status', async (op) => {
      const listed = (model!.operations[op]!.errors ?? []).map((e) => e.shape);
      const seen: string[] = [];
      for (const failure of failures[op] ?? []) {
        const error = (await failure.send().then(
          () => undefined,
          (e: unknown) => e,
        )) as { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
        expect(error, `${op}: ${failure.what} should fail`).toBeDefined();
        expect([failure.what, error?.name]).toEqual([failure.what, failure.code]);
        expect(listed, `${op} lists ${failure.code}`).toContain(failure.code);
        expect([failure.what, error?.$metadata?.httpStatusCode]).toEqual([
          failure.what,
          errorStatus(model!, failure.code),
        ]);
        seen.push(failure.code);
      }
      expect(seen.length).toBeGreaterThan(0);
    });

    const pagedLists = [
      {
        op: 'ListResourceRecordSets',
        limit: 'MaxItems',
        first: () => ({ HostedZoneId: seed.hostedZoneId }),
        items: 'ResourceRecordSets',
        key: (r: Record<string, unknown>) => `${r.Name} ${r.Type} ${r.SetIdentifier ?? ''}`,
        command: (input: Record<string, unknown>): AnyCommand =>
          new ListResourceRecordSetsCommand(input as never),
      },
      {
        op: 'ListTrafficPolicyInstances',
        limit: 'MaxItems',
        first: () => ({}),
        items: 'TrafficPolicyInstances',
        key: (r: Record<string, unknown>) => String(r.Id),
        command: (input: Record<string, unknown>): AnyCommand =>
          new ListTrafficPolicyInstancesCommand(input as never),
      },
      {
        op: 'ListTrafficPolicyInstancesByHostedZone',
        limit: 'MaxItems',
        first: () => ({ HostedZoneId: seed.hostedZoneId }),
        items: 'TrafficPolicyInstances',
        key: (r: Record<string, unknown>) => String(r.Id),
        command: (input: Record<string, unknown>): AnyCommand =>
          new ListTrafficPolicyInstancesByHostedZoneCommand(input as never),
      },
      {
        op: 'ListTrafficPolicyInstancesByPolicy',
        limit: 'MaxItems',
        first: () => ({ TrafficPolicyId: seed.trafficPolicyId, TrafficPolicyVersion: 1 }),
        items: 'TrafficPolicyInstances',
        key: (r: Record<string, unknown>) => String(r.Id),
        command: (input: Record<string, unknown>): AnyCommand =>
          new ListTrafficPolicyInstancesByPolicyCommand(input as never),
      },
    ];

    it.each(pagedLists)(
      '$op: one item a page through the model’s tokens visits every item once',
      async (list) => {
        const operation = model!.operations[list.op]!;
        const input = model!.shapes[operation.input!.shape]!.members ?? {};
        const outputMembers = Object.keys(model!.shapes[operation.output!.shape]!.members ?? {});
        // The paginator's tokens, or (lists without one) the markers the input and output share.
        const paginator = service!.paginators[list.op];
        const inputTokens = paginator
          ? asList(paginator.input_token)
          : Object.keys(input).filter((m) => outputMembers.includes(m) && m !== list.limit);
        const outputTokens = paginator ? asList(paginator.output_token) : inputTokens;
        expect(inputTokens.length).toBeGreaterThan(0);
        for (const token of outputTokens) expect(outputMembers).toContain(token);

        const everything = (await sdk.send(list.command(list.first()))) as unknown as Record<string, unknown>;
        const all = (everything[list.items] as Array<Record<string, unknown>>).map(list.key);
        expect(all.length).toBeGreaterThanOrEqual(2);

        const visited: string[] = [];
        let next: Record<string, unknown> = {};
        for (let page = 0; page < 50; page++) {
          const out = (await sdk.send(
            list.command({ ...list.first(), ...next, [list.limit]: 1 }),
          )) as unknown as Record<string, unknown>;
          visited.push(...(out[list.items] as Array<Record<string, unknown>>).map(list.key));
          if (!out.IsTruncated) break;
          // The first output token is always there on a truncated page; the others when they apply.
          expect(out[outputTokens[0] as string], `${list.op} page ${page}`).toBeDefined();
          next = {};
          outputTokens.forEach((token, i) => {
            if (out[token] !== undefined) next[inputTokens[i] as string] = out[token];
          });
        }
        expect(visited).toEqual(all);
      },
    );
  },
);
