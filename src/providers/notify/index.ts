/**
 * Notifications: a Slack incoming webhook and a Datadog event at run start, finish, failure and
 * rollback. Best effort by design: a notifier that fails or hangs is logged and never fails (or
 * slows down by more than its timeout) a failover.
 */
import type { Config } from '../../config/schema.js';
import type { Redactor } from '../../engine/redact.js';

export type NotificationKind = 'started' | 'succeeded' | 'failed' | 'rolled-back' | 'aborted' | 'interrupted';

export interface Notification {
  kind: NotificationKind;
  runId: string;
  runbook: string;
  operator: string;
  incident?: string;
  reason?: string;
  /** One line: what happened (e.g. the error). */
  detail?: string;
  /** A succeeded run's warnings (what it did not do): the first one leads the message. */
  warnings?: string[];
}

export interface NotifyResult {
  channel: 'slack' | 'datadog';
  ok: boolean;
  error?: string;
}

export interface Notifier {
  readonly channels: string[];
  notify(notification: Notification): Promise<NotifyResult[]>;
}

const TIMEOUT_MS = 5000;
const ICON: Record<NotificationKind, string> = {
  started: ':arrows_counterclockwise:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  'rolled-back': ':leftwards_arrow_with_hook:',
  aborted: ':octagonal_sign:',
  interrupted: ':octagonal_sign:',
};

function headline(n: Notification): string {
  const incident = n.incident ? ` (${n.incident})` : '';
  const warned = n.kind === 'succeeded' && n.warnings?.length;
  const line = `failover ${n.runbook}${incident} ${warned ? 'succeeded with warnings' : n.kind} — run ${n.runId} by ${n.operator}`;
  // The warning comes first: it is what the reader must act on.
  return warned ? `${n.warnings![0]} — ${line}` : line;
}

function icon(n: Notification): string {
  return n.kind === 'succeeded' && n.warnings?.length ? ':warning:' : ICON[n.kind];
}

function details(n: Notification): string[] {
  return [n.reason && `reason: ${n.reason}`, ...(n.warnings ?? []).slice(1), n.detail].filter(
    (x): x is string => Boolean(x),
  );
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  await response.arrayBuffer();
}

export function createNotifier(
  config: Config,
  env: NodeJS.ProcessEnv,
  redactor: Redactor,
  timeoutMs = TIMEOUT_MS,
): Notifier {
  const senders: { channel: NotifyResult['channel']; send(n: Notification): Promise<void> }[] = [];
  const slack = config.notifications.slack;
  if (slack) {
    const url = env[slack.webhookUrlEnv];
    redactor.add(url);
    if (url) {
      senders.push({
        channel: 'slack',
        send: (n) =>
          post(
            url,
            {
              text: `${icon(n)} ${headline(n)}`,
              blocks: [
                { type: 'section', text: { type: 'mrkdwn', text: `${icon(n)} *${headline(n)}*` } },
                {
                  type: 'context',
                  elements: [
                    {
                      type: 'mrkdwn',
                      text: details(n).join(' · ') || ' ',
                    },
                  ],
                },
              ],
            },
            {},
            timeoutMs,
          ),
      });
    }
  }
  const datadog = config.notifications.datadog;
  if (datadog) {
    const key = env[datadog.apiKeyEnv];
    redactor.add(key);
    if (key) {
      const url = datadogEventsUrl(datadog, env);
      senders.push({
        channel: 'datadog',
        send: (n) =>
          post(
            url,
            {
              title: headline(n),
              text: details(n).join('\n') || headline(n),
              alert_type:
                n.kind === 'succeeded' && n.warnings?.length
                  ? 'warning'
                  : n.kind === 'succeeded'
                    ? 'success'
                    : n.kind === 'started'
                      ? 'info'
                      : n.kind === 'rolled-back'
                        ? 'warning'
                        : 'error',
              source_type_name: 'failover',
              aggregation_key: `failover-${n.runId}`,
              tags: [
                `runbook:${n.runbook}`,
                `run:${n.runId}`,
                `outcome:${n.kind}`,
                ...(n.incident ? [`incident:${n.incident}`] : []),
                ...datadog.tags,
              ],
            },
            { 'DD-API-KEY': key },
            timeoutMs,
          ),
      });
    }
  }
  return {
    channels: senders.map((s) => s.channel),
    async notify(n) {
      const clean = redactor.value(n);
      return Promise.all(
        senders.map(async (s) => {
          try {
            await s.send(clean);
            return { channel: s.channel, ok: true };
          } catch (error) {
            return {
              channel: s.channel,
              ok: false,
              error: redactor.text(error instanceof Error ? error.message : String(error)),
            };
          }
        }),
      );
    },
  };
}

/**
 * Where events go: the endpoint override, else the Events API of the site, which DD_SITE (or the
 * configured siteEnv) names as it does for the metric gates: a key of one site is refused by another.
 */
export function datadogEventsUrl(
  datadog: NonNullable<Config['notifications']['datadog']>,
  env: NodeJS.ProcessEnv,
): string {
  return datadog.endpoint ?? `https://api.${env[datadog.siteEnv] || datadog.site}/api/v1/events`;
}
