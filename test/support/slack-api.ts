import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Slack: the Web API methods Gatehouse calls (chat.postMessage,
 * chat.update, chat.postEphemeral, views.open, users.info), answered the way Slack answers
 * them (`{ok: true, …}` or `{ok: false, error}`, form-encoded arguments with JSON-encoded
 * blocks, bearer token), plus interaction payloads signed exactly as Slack signs them.
 * Listens on 127.0.0.1 only; point `GATEHOUSE_SLACK_API_URL` at `apiUrl`.
 */

/** Arguments the Web API takes as JSON inside a form field. */
const JSON_ARGUMENTS = new Set(['blocks', 'attachments', 'view', 'metadata']);

export interface SlackMember {
  id: string;
  email?: string;
  teamId?: string;
  confirmed?: boolean;
  bot?: boolean;
  deleted?: boolean;
}

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  token: string | undefined;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: any[];
  updates: number;
}

export interface FakeSlack {
  apiUrl: string;
  token: string;
  teamId: string;
  calls: SlackCall[];
  messages: SlackMessage[];
  addMember(member: SlackMember): void;
  /** The next call of `method` answers `{ok: false, error}`. */
  failNext(method: string, error: string): void;
  waitFor(method: string, match?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  close(): Promise<void>;
}

export async function startFakeSlack(options: { token?: string; teamId?: string } = {}): Promise<FakeSlack> {
  const token = options.token ?? 'xoxb-test-token';
  const teamId = options.teamId ?? 'T0TEAM';
  const calls: SlackCall[] = [];
  const messages: SlackMessage[] = [];
  const members = new Map<string, SlackMember>();
  const failures = new Map<string, string>();
  const waiters: { method: string; match: (c: SlackCall) => boolean; resolve: (c: SlackCall) => void }[] = [];
  let seq = 0;

  const answer = (call: SlackCall): Record<string, unknown> => {
    if (call.token !== token) return { ok: false, error: 'invalid_auth' };
    const failure = failures.get(call.method);
    if (failure) {
      failures.delete(call.method);
      return { ok: false, error: failure };
    }
    const a = call.args;
    switch (call.method) {
      case 'chat.postMessage': {
        if (!a.channel) return { ok: false, error: 'channel_not_found' };
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
        const message = { channel: a.channel, ts, text: a.text ?? '', blocks: a.blocks ?? [], updates: 0 };
        messages.push(message);
        return { ok: true, channel: a.channel, ts, message: { text: message.text, blocks: message.blocks } };
      }
      case 'chat.update': {
        const message = messages.find((m) => m.channel === a.channel && m.ts === a.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = a.text ?? message.text;
        message.blocks = a.blocks ?? message.blocks;
        message.updates++;
        return { ok: true, channel: a.channel, ts: a.ts, text: message.text };
      }
      case 'chat.postEphemeral':
        if (!a.channel || !a.user) return { ok: false, error: 'channel_not_found' };
        return { ok: true, message_ts: `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}` };
      case 'views.open':
        if (!a.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        return { ok: true, view: { id: `V${++seq}`, ...a.view } };
      case 'users.info': {
        const member = members.get(a.user);
        if (!member) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: {
            id: member.id,
            team_id: member.teamId ?? teamId,
            name: member.id.toLowerCase(),
            deleted: member.deleted ?? false,
            is_bot: member.bot ?? false,
            is_app_user: false,
            is_email_confirmed: member.confirmed ?? true,
            profile: { email: member.email, real_name: member.id },
          },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
      const raw = Buffer.concat(chunks).toString('utf8');
      let args: Record<string, any> = {};
      if ((req.headers['content-type'] ?? '').includes('application/json')) {
        args = raw ? JSON.parse(raw) : {};
      } else {
        for (const [key, value] of new URLSearchParams(raw)) {
          // The SDK sends objects and arrays (blocks, view) as JSON strings.
          args[key] = JSON_ARGUMENTS.has(key) ? JSON.parse(value) : value;
        }
      }
      const auth = req.headers.authorization;
      const call: SlackCall = {
        method,
        args,
        token: auth?.startsWith('Bearer ') ? auth.slice(7) : args.token,
      };
      calls.push(call);
      const body = answer(call);
      for (const waiter of [...waiters]) {
        if (waiter.method === method && waiter.match(call)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(call);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    token,
    teamId,
    calls,
    messages,
    addMember: (member) => members.set(member.id, member),
    failNext: (method, error) => failures.set(method, error),
    waitFor: (method, match = () => true, timeoutMs = 15_000) => {
      const found = calls.find((c) => c.method === method && match(c));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { method, match, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i !== -1) {
            waiters.splice(i, 1);
            reject(new Error(`no ${method} call matched within ${timeoutMs} ms`));
          }
        }, timeoutMs).unref();
      });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * An interaction as Slack sends it to the Interactivity Request URL: the payload as the
 * `payload` field of an application/x-www-form-urlencoded body, signed with the app's signing
 * secret over `v0:{timestamp}:{body}` (HMAC-SHA256, hex) in X-Slack-Signature, the timestamp in
 * X-Slack-Request-Timestamp.
 */
export function signInteraction(
  signingSecret: string,
  payload: unknown,
  timestamp: number = Math.floor(Date.now() / 1000),
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
  };
}
