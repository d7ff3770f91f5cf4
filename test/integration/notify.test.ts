import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { Redactor } from '../../src/engine/redact.js';
import { createNotifier } from '../../src/providers/notify/index.js';
import { type RunningServer, readBody, startHttpServer } from '../../src/sandbox/common/http-server.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function receiver(status = 200, hang = false) {
  const received: Received[] = [];
  const server = await startHttpServer(async (req, res) => {
    received.push({ headers: req.headers, body: JSON.parse(await readBody(req)) as Record<string, unknown> });
    if (hang) return; // never answers
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{}');
  });
  servers.push(server);
  return { url: server.url, received };
}

function configWith(datadogEndpoint: string) {
  return Config.parse({
    notifications: {
      slack: { webhookUrlEnv: 'TEST_SLACK_URL' },
      datadog: { apiKeyEnv: 'TEST_DD_KEY', endpoint: datadogEndpoint, tags: ['team:admin'] },
    },
  });
}

const notification = {
  kind: 'failed' as const,
  runId: '20261126T010203Z-abcd',
  runbook: 'to-aws',
  operator: 'oncall',
  incident: 'INC-42',
  reason: 'GKE control plane down',
  detail: 'step "aws-running" timed out; token s3cr3t-dd-key-value leaked here',
};

describe('notifications', () => {
  it('posts a Slack message and a Datadog event with run id, operator, incident and outcome', async () => {
    const slack = await receiver();
    const datadog = await receiver();
    const env = { TEST_SLACK_URL: `${slack.url}/services/T000/B000/xyz`, TEST_DD_KEY: 's3cr3t-dd-key-value' };
    const notifier = createNotifier(configWith(datadog.url), env, new Redactor());
    expect(notifier.channels).toEqual(['slack', 'datadog']);

    const results = await notifier.notify(notification);

    expect(results).toEqual([
      { channel: 'slack', ok: true },
      { channel: 'datadog', ok: true },
    ]);
    expect(String(slack.received[0]?.body.text)).toContain(
      'to-aws (INC-42) failed — run 20261126T010203Z-abcd by oncall',
    );
    const event = datadog.received[0]!;
    expect(event.headers['dd-api-key']).toBe('s3cr3t-dd-key-value');
    expect(event.body).toMatchObject({
      alert_type: 'error',
      aggregation_key: 'failover-20261126T010203Z-abcd',
    });
    expect(event.body.tags).toEqual(
      expect.arrayContaining(['incident:INC-42', 'outcome:failed', 'team:admin']),
    );
    // The API key is a secret: it is masked in the text even though the detail contained it.
    expect(JSON.stringify(event.body)).not.toContain('s3cr3t-dd-key-value');
    expect(JSON.stringify(slack.received[0]?.body)).not.toContain('s3cr3t-dd-key-value');
  });

  it('reports a failing or hanging receiver without throwing, within its timeout', async () => {
    const broken = await receiver(500);
    const hanging = await receiver(200, true);
    const env = { TEST_SLACK_URL: broken.url, TEST_DD_KEY: 'key-1234' };
    const notifier = createNotifier(configWith(hanging.url), env, new Redactor(), 300);
    const started = Date.now();

    const results = await notifier.notify({ ...notification, kind: 'succeeded' });

    expect(results[0]).toMatchObject({ channel: 'slack', ok: false, error: 'HTTP 500' });
    expect(results[1]).toMatchObject({ channel: 'datadog', ok: false });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sends nothing when the secret variables are not set', async () => {
    const notifier = createNotifier(configWith('http://127.0.0.1:9'), {}, new Redactor());
    expect(notifier.channels).toEqual([]);
    expect(await notifier.notify(notification)).toEqual([]);
  });
});
