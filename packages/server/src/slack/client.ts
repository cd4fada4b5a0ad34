import { LogLevel, type Logger as SlackLogger, WebClient } from '@slack/web-api';
import { GatehouseError } from '../errors.ts';
import type { Logger } from '../platform/log.ts';
import type { Runtime } from '../platform/runtime.ts';

/**
 * The Slack Web API client (Slack's own SDK), one per runtime. It does not retry on its own:
 * the job queue retries a sync, and an interaction has Slack's three seconds. Rate-limited
 * calls fail at once for the same reason. Its log goes to the server's log; the SDK never logs
 * the token.
 */
const clients = new WeakMap<object, WebClient>();

export function slackClient(rt: Pick<Runtime, 'config' | 'log'>): WebClient {
  const cfg = rt.config.slack;
  if (!cfg) throw new GatehouseError('SLACK_NOT_CONFIGURED', 'Slack is not configured');
  let client = clients.get(rt.config);
  if (!client) {
    client = new WebClient(cfg.botToken, {
      slackApiUrl: cfg.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 5_000,
      logger: slackLogger(rt.log),
    });
    clients.set(rt.config, client);
  }
  return client;
}

function slackLogger(log: Logger): SlackLogger {
  let level = LogLevel.WARN;
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : String(p))).join(' ');
  return {
    debug: (...parts) => log.debug({ slack: text(parts) }, 'slack web api'),
    info: (...parts) => log.debug({ slack: text(parts) }, 'slack web api'),
    warn: (...parts) => log.warn({ slack: text(parts) }, 'slack web api'),
    error: (...parts) => log.error({ slack: text(parts) }, 'slack web api'),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** What Slack said when a call failed: its error code (`channel_not_found`), or the transport's. */
export function slackError(error: unknown): string {
  const data = (error as { data?: { error?: string } }).data;
  return data?.error ?? (error as Error).message ?? 'unknown error';
}
