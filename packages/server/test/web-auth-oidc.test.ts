import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import {
  CookieJar,
  freePort,
  startOidcProvider,
  type TestOidcProvider,
} from '../../../test/support/oidc-provider.ts';
import { query } from '../../../test/support/postgres.ts';

/** A query on the test server's database. */
function sql<T = Record<string, unknown>>(gh: TestGatehouse, text: string, params: unknown[] = []) {
  return query<T>(gh.database.url, text, params);
}

describe('OIDC login (authorization code + PKCE) against a real provider', () => {
  let idp: TestOidcProvider;
  let gh: TestGatehouse;
  let publicUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({
      clientId: 'gatehouse',
      clientSecret: 'test-client-secret-0123456789',
      redirectUri: `${publicUrl}/v1/auth/oidc/callback`,
      users: [
        { sub: 'u-olga', email: 'Olga@Example.com', groups: ['eng-oncall', 'dba', 'unrelated'] },
        { sub: 'u-nina', email: 'nina@example.com', groups: ['marketing'] },
        { sub: 'u-eve', email: 'eve@example.com', groups: ['eng-oncall'], emailVerified: false },
      ],
    });
    gh = await startGatehouse({
      redis: false,
      env: {
        ...idp.gatehouseEnv,
        GATEHOUSE_PORT: String(port),
        GATEHOUSE_PUBLIC_URL: publicUrl,
        GATEHOUSE_OIDC_ROLE_MAP: JSON.stringify({
          'eng-oncall': 'approver',
          dba: ['group:dba', 'auditor'],
        }),
      },
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await idp?.stop();
  });

  it('offers both sign-in methods', async () => {
    expect((await gh.api('/v1/auth/providers')).body).toEqual({ local: true, oidc: true });
  });

  it('redirects to the provider with PKCE (S256), state and nonce', async () => {
    const r = await fetch(`${publicUrl}/v1/auth/oidc/login`, { redirect: 'manual' });
    expect(r.status).toBe(302);
    const location = new URL(r.headers.get('location')!);
    expect(location.origin).toBe(idp.issuer);
    expect(location.searchParams.get('redirect_uri')).toBe(`${publicUrl}/v1/auth/oidc/callback`);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith('gh_oidc='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  it('creates the user on first login, maps groups to roles and approver groups, and starts a session', async () => {
    const { callback, jar } = await idp.login(`${publicUrl}/v1/auth/oidc/login`, 'Olga@Example.com');
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/');
    const session = jar.get(publicUrl, 'gh_session');
    expect(session).toMatch(/^[\w-]{43}$/);
    expect(callback.headers.getSetCookie().find((c) => c.startsWith('gh_session='))).toMatch(
      /HttpOnly.*SameSite=Strict|SameSite=Strict.*HttpOnly/,
    );

    const me = await fetch(`${publicUrl}/v1/auth/me`, { headers: { cookie: `gh_session=${session}` } });
    expect(me.status).toBe(200);
    const body = (await me.json()) as any;
    expect(body.user).toEqual({
      id: expect.stringMatching(/^usr_/),
      email: 'olga@example.com',
      roles: ['approver', 'auditor'],
      groups: ['dba'],
    });
    const [row] = await sql(gh, 'select source, password_hash from users where id = $1', [body.user.id]);
    expect(row).toEqual({ source: 'oidc', password_hash: null });
    const members = await sql(
      gh,
      'select g.name from group_members m join approver_groups g on g.id = m.group_id where m.user_id = $1',
      [body.user.id],
    );
    expect(members).toEqual([{ name: 'dba' }]);
    const events = await sql<{ type: string; data: Record<string, unknown> }>(
      gh,
      "select type, data from audit_events where subject_id = $1 and type in ('user.created', 'login.succeeded') order by id",
      [body.user.id],
    );
    expect(events.map((e) => e.type)).toEqual(['user.created', 'login.succeeded']);
    expect(events[1]!.data).toMatchObject({ method: 'oidc', sub: 'u-olga' });

    // The session is a person like any other: a CSRF-protected call works with the token.
    const list = await fetch(`${publicUrl}/v1/requests?status=pending`, {
      headers: { cookie: `gh_session=${session}` },
    });
    expect(list.status).toBe(200);

    // A second login finds the same account.
    const again = await idp.login(`${publicUrl}/v1/auth/oidc/login`, 'Olga@Example.com');
    expect(again.callback.headers.get('location')).toBe('/');
    expect(await sql(gh, "select id from users where email = 'olga@example.com'")).toHaveLength(1);
  });

  it('refuses a person none of whose groups maps to a role, and creates no account', async () => {
    const { callback, jar } = await idp.login(`${publicUrl}/v1/auth/oidc/login`, 'nina@example.com');
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/login?error=no_role');
    expect(jar.get(publicUrl, 'gh_session')).toBeUndefined();
    expect(await sql(gh, "select id from users where email = 'nina@example.com'")).toEqual([]);
    const failed = await sql<{ data: Record<string, unknown> }>(
      gh,
      "select data from audit_events where type = 'login.failed' and data->>'email' = 'nina@example.com'",
    );
    expect(failed[0]?.data).toMatchObject({ method: 'oidc', reason: 'no_mapped_role' });
  });

  it('refuses an email address the provider has not verified', async () => {
    const { callback } = await idp.login(`${publicUrl}/v1/auth/oidc/login`, 'eve@example.com');
    expect(callback.headers.get('location')).toBe('/login?error=email_unverified');
  });

  it('refuses a callback without its transaction cookie or with a wrong state', async () => {
    const bare = await fetch(`${publicUrl}/v1/auth/oidc/callback?code=abc&state=xyz`, { redirect: 'manual' });
    expect(bare.headers.get('location')).toBe('/login?error=login_expired');

    const jar = new CookieJar();
    const start = await fetch(`${publicUrl}/v1/auth/oidc/login`, { redirect: 'manual' });
    jar.store(publicUrl, start);
    const forged = await fetch(`${publicUrl}/v1/auth/oidc/callback?code=abc&state=not-the-state`, {
      redirect: 'manual',
      headers: { cookie: jar.header(publicUrl) },
    });
    expect(forged.headers.get('location')).toBe('/login?error=oidc_failed');
    expect(
      forged.headers.getSetCookie().some((c) => c.startsWith('gh_session=') && !c.startsWith('gh_session=;')),
    ).toBe(false);
  });

  it('refuses a disabled account at the next OIDC login', async () => {
    const [olga] = await sql<{ id: string }>(gh, "select id from users where email = 'olga@example.com'");
    const disabled = await gh.api(`/v1/users/${olga!.id}/disable`, { token: gh.adminToken, method: 'POST' });
    expect(disabled.status).toBe(200);
    const { callback } = await idp.login(`${publicUrl}/v1/auth/oidc/login`, 'Olga@Example.com');
    expect(callback.headers.get('location')).toBe('/login?error=disabled');
  });
});
