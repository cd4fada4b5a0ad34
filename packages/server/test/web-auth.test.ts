import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { query } from '../../../test/support/postgres.ts';

const PASSWORD = 'correct horse battery staple';

interface Call {
  method?: string;
  body?: unknown;
  cookie?: string;
  csrf?: string;
  token?: string;
  /** Connect from this loopback address, to act as another client for per-address limits. */
  from?: string;
}

/** node:http rather than fetch: it can pick the local address a call comes from. */
function send(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; localAddress?: string },
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: init.method,
        headers: init.headers,
        ...(init.localAddress ? { localAddress: init.localAddress } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
              headers.append(name, v);
          }
          resolve({ status: res.statusCode ?? 0, headers, text });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

async function call(gh: TestGatehouse, path: string, init: Call = {}) {
  const response = await send(new URL(path, gh.url), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.cookie ? { cookie: `gh_session=${init.cookie}` } : {}),
      ...(init.csrf ? { 'x-csrf-token': init.csrf } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    ...(init.from ? { localAddress: init.from } : {}),
  });
  const { text } = response;
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

function sessionCookie(headers: Headers): { value: string; attributes: string[] } | undefined {
  const line = headers.getSetCookie().find((c) => c.startsWith('gh_session='));
  if (!line) return undefined;
  const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
  return { value: pair.slice('gh_session='.length), attributes };
}

async function login(gh: TestGatehouse, email: string, password = PASSWORD, address?: string) {
  const r = await call(gh, '/v1/auth/login', {
    body: { email, password },
    ...(address ? { from: address } : {}),
  });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { cookie: sessionCookie(r.headers)!.value, csrf: r.body.csrfToken as string, body: r.body };
}

/** A query on the test server's database. */
function sql<T = Record<string, unknown>>(gh: TestGatehouse, text: string, params: unknown[] = []) {
  return query<T>(gh.database.url, text, params);
}

describe('browser sessions', () => {
  let gh: TestGatehouse;
  let admin: { id: string; token: string };
  let approver: { id: string; token: string };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    admin = await gh.createUser('root@example.com', ['admin'], PASSWORD);
    approver = await gh.createUser('ann@example.com', ['approver'], PASSWORD);
  });
  afterAll(async () => gh?.stop());

  it('signs in with a password: user, CSRF token and a HttpOnly SameSite=Strict cookie', async () => {
    const r = await call(gh, '/v1/auth/login', { body: { email: 'Ann@Example.com', password: PASSWORD } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      user: { id: approver.id, email: 'ann@example.com', roles: ['approver'], groups: [] },
      csrfToken: expect.stringMatching(/^[\w-]{43}$/),
    });
    const cookie = sessionCookie(r.headers)!;
    expect(cookie.value).toMatch(/^[\w-]{43}$/);
    expect(cookie.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/']));
    // Served over plain http here (no https GATEHOUSE_PUBLIC_URL): a Secure cookie would be dropped.
    expect(cookie.attributes).not.toContain('Secure');
    // Only the hash of the cookie value is stored.
    const rows = await sql(gh, 'select id_hash from web_sessions where user_id = $1', [approver.id]);
    expect(rows.map((row) => row.id_hash)).not.toContain(cookie.value);

    const me = await call(gh, '/v1/auth/me', { cookie: cookie.value });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: r.body.user, csrfToken: r.body.csrfToken });
  });

  it('refuses a wrong password and an unknown email with the same answer, and never logs the password', async () => {
    const wrong = await call(gh, '/v1/auth/login', {
      body: { email: 'ann@example.com', password: 'not the password' },
    });
    const unknown = await call(gh, '/v1/auth/login', {
      body: { email: 'ghost@example.com', password: 'not the password' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(sessionCookie(wrong.headers)).toBeUndefined();

    const events = await sql<{ data: Record<string, unknown> }>(
      gh,
      "select data from audit_events where type = 'login.failed' order by id",
    );
    expect(events.map((e) => e.data.reason)).toEqual(['wrong_password', 'unknown_user']);
    expect(JSON.stringify(events)).not.toContain('not the password');
    const succeeded = await sql(gh, "select subject_id from audit_events where type = 'login.succeeded'");
    expect(succeeded.length).toBeGreaterThan(0);
  });

  it('refuses a state-changing call with the cookie but without the right x-csrf-token, and changes nothing', async () => {
    const { cookie, csrf } = await login(gh, 'root@example.com');
    const body = { name: 'csrf-probe', type: 'ci' };
    const missing = await call(gh, '/v1/agents', { cookie, body });
    const wrong = await call(gh, '/v1/agents', { cookie, body, csrf: `${csrf.slice(0, -2)}xx` });
    for (const r of [missing, wrong]) {
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('CSRF_FAILED');
    }
    expect(await sql(gh, "select id from agents where name = 'csrf-probe'")).toEqual([]);

    const ok = await call(gh, '/v1/agents', { cookie, body, csrf });
    expect(ok.status).toBe(201);
    expect(await sql(gh, "select id from agents where name = 'csrf-probe'")).toHaveLength(1);
    const created = await sql(
      gh,
      "select actor_type, actor_id from audit_events where type = 'agent.created'",
    );
    expect(created).toContainEqual({ actor_type: 'user', actor_id: admin.id });
  });

  it('applies roles to cookie sessions exactly as to personal tokens', async () => {
    const { cookie, csrf } = await login(gh, 'ann@example.com');
    const r = await call(gh, '/v1/agents', { cookie, csrf, body: { name: 'x', type: 'ci' } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('FORBIDDEN');
    // A read needs no CSRF token.
    expect((await call(gh, '/v1/requests?status=pending', { cookie })).status).toBe(200);
  });

  it('leaves bearer-token calls unaffected, and a bearer token wins over a cookie', async () => {
    const plain = await call(gh, '/v1/agents', {
      token: admin.token,
      body: { name: 'bearer-1', type: 'ci' },
    });
    expect(plain.status).toBe(201);
    const { cookie } = await login(gh, 'ann@example.com');
    // Ann's cookie plus the admin's token: the token decides, and needs no CSRF header.
    const both = await call(gh, '/v1/agents', {
      token: admin.token,
      cookie,
      body: { name: 'bearer-2', type: 'ci' },
    });
    expect(both.status).toBe(201);
    expect((await call(gh, '/v1/agents', { body: { name: 'anon', type: 'ci' } })).status).toBe(401);
    expect((await call(gh, '/v1/auth/me', { token: admin.token })).status).toBe(401);
  });

  it('logs out: 204, cookie cleared, session dead; a forged logout is refused', async () => {
    const { cookie, csrf } = await login(gh, 'ann@example.com');
    const forged = await call(gh, '/v1/auth/logout', { cookie, body: {} });
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('CSRF_FAILED');
    expect((await call(gh, '/v1/auth/me', { cookie })).status).toBe(200);

    const out = await call(gh, '/v1/auth/logout', { cookie, csrf, body: {} });
    expect(out.status).toBe(204);
    const cleared = sessionCookie(out.headers)!;
    expect(cleared.value).toBe('');
    expect(cleared.attributes.some((a) => /^Expires=Thu, 01 Jan 1970/.test(a) || a === 'Max-Age=0')).toBe(
      true,
    );
    const me = await call(gh, '/v1/auth/me', { cookie });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('SESSION_EXPIRED');
    expect((await call(gh, '/v1/requests?status=pending', { cookie })).status).toBe(401);
    const events = await sql(gh, "select actor_id from audit_events where type = 'logout'");
    expect(events).toContainEqual({ actor_id: approver.id });
  });

  it('ends a session after the idle timeout and after the absolute lifetime', async () => {
    const idle = await login(gh, 'ann@example.com');
    const stays = await login(gh, 'ann@example.com');
    // 29 minutes idle is still within the default 30; 31 is not.
    await sql(gh, "update web_sessions set last_seen_at = now() - interval '29 minutes'");
    expect((await call(gh, '/v1/auth/me', { cookie: idle.cookie })).status).toBe(200);
    await sql(gh, "update web_sessions set last_seen_at = now() - interval '31 minutes' where user_id = $1", [
      approver.id,
    ]);
    const expired = await call(gh, '/v1/auth/me', { cookie: idle.cookie });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('SESSION_EXPIRED');

    const fresh = await login(gh, 'ann@example.com');
    await sql(gh, "update web_sessions set expires_at = now() - interval '1 second' where user_id = $1", [
      approver.id,
    ]);
    expect((await call(gh, '/v1/auth/me', { cookie: fresh.cookie })).status).toBe(401);
    expect((await call(gh, '/v1/auth/me', { cookie: stays.cookie })).status).toBe(401);
    expect((await call(gh, '/v1/auth/me', { cookie: 'not-a-session' })).status).toBe(401);
  });

  it('opens the live stream with the cookie from our own origin only', async () => {
    const { cookie } = await login(gh, 'ann@example.com');
    const wsUrl = `${gh.url.replace(/^http/, 'ws')}/v1/stream`;
    const hello = await new Promise<any>((resolve, reject) => {
      const socket = new WebSocket(wsUrl, { headers: { cookie: `gh_session=${cookie}`, origin: gh.url } });
      socket.once('message', (data) => {
        socket.close();
        resolve(JSON.parse(String(data)));
      });
      socket.once('error', reject);
    });
    expect(hello).toEqual({ type: 'hello', data: { principal: { type: 'user', id: approver.id } } });

    for (const origin of ['https://evil.example', undefined]) {
      const status = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(wsUrl, {
          headers: { cookie: `gh_session=${cookie}`, ...(origin ? { origin } : {}) },
        });
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('open', () => reject(new Error(`stream opened from origin ${origin}`)));
        socket.once('error', () => {});
      });
      expect(status).toBe(403);
    }
  });
});

describe('login lockout', () => {
  let gh: TestGatehouse;

  beforeAll(async () => {
    gh = await startGatehouse({
      redis: false,
      env: { GATEHOUSE_PUBLIC_URL: 'https://gatehouse.example.com' },
    });
    await gh.createUser('lena@example.com', ['approver'], PASSWORD);
    await gh.createUser('max@example.com', ['approver'], PASSWORD);
  });
  afterAll(async () => gh?.stop());

  it('marks the cookie Secure when served over https', async () => {
    const r = await call(gh, '/v1/auth/login', {
      body: { email: 'max@example.com', password: PASSWORD },
      from: '127.0.0.9',
    });
    expect(r.status).toBe(200);
    expect(sessionCookie(r.headers)!.attributes).toContain('Secure');
  });

  it('locks an account and an address after 5 failures in 15 minutes, with 429, Retry-After and when to retry', async () => {
    const attempt = (email: string, password: string, address: string) =>
      call(gh, '/v1/auth/login', { body: { email, password }, from: address });
    for (let i = 1; i <= 4; i++) {
      expect((await attempt('lena@example.com', `wrong password ${i}`, '127.0.0.2')).status).toBe(401);
    }
    const fifth = await attempt('lena@example.com', 'wrong password 5', '127.0.0.2');
    expect(fifth.status).toBe(429);
    expect(fifth.body.error.code).toBe('LOCKED_OUT');

    // The right password no longer helps, from any address.
    const locked = await attempt('lena@example.com', PASSWORD, '127.0.0.3');
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('LOCKED_OUT');
    expect(locked.body.error.message).toMatch(/try again/);
    expect(locked.body.error.message).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    // The address that failed is locked for every account; another address is not.
    expect((await attempt('max@example.com', PASSWORD, '127.0.0.2')).status).toBe(429);
    expect((await attempt('max@example.com', PASSWORD, '127.0.0.3')).status).toBe(200);

    // An unknown email is locked the same way, so a lock tells nothing about existence.
    for (let i = 1; i <= 5; i++) await attempt('nobody@example.com', `guess ${i}`, `127.0.1.${i}`);
    expect((await attempt('nobody@example.com', 'guess 6', '127.0.1.9')).body.error.code).toBe('LOCKED_OUT');

    const events = await sql<{ type: string; data: Record<string, unknown> }>(
      gh,
      "select type, data from audit_events where type in ('login.locked', 'login.failed') order by id",
    );
    expect(events.filter((e) => e.type === 'login.locked').map((e) => e.data)).toEqual(
      expect.arrayContaining([
        { account: 'lena@example.com', until: expect.any(String) },
        { address: '127.0.0.2', until: expect.any(String) },
      ]),
    );
    expect(events.some((e) => e.type === 'login.failed' && e.data.reason === 'locked_out')).toBe(true);

    // When the lock has run out, the right password works again.
    await sql(
      gh,
      "update login_failures set locked_until = now() - interval '1 second', window_start = now() - interval '16 minutes'",
    );
    expect((await attempt('lena@example.com', PASSWORD, '127.0.0.2')).status).toBe(200);
  });
});
