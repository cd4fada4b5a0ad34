import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { query } from '../../../test/support/postgres.ts';

const PASSWORD = 'a long enough password';

/** A query on the test server's database. */
function sql<T = Record<string, unknown>>(gh: TestGatehouse, text: string, params: unknown[] = []) {
  return query<T>(gh.database.url, text, params);
}

async function events(gh: TestGatehouse, type: string) {
  return sql<{ actor_type: string; actor_id: string; subject_id: string; data: Record<string, unknown> }>(
    gh,
    'select actor_type, actor_id, subject_id, data from audit_events where type = $1 order by id',
    [type],
  );
}

describe('admin: users and API tokens', () => {
  let gh: TestGatehouse;
  let admin: { id: string; token: string };
  let pat: { id: string; token: string };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    admin = await gh.createUser('boss@example.com', ['admin']);
    pat = await gh.createUser('pat@example.com', ['approver', 'auditor'], PASSWORD);
  });
  afterAll(async () => gh?.stop());

  const login = async (email: string, password = PASSWORD) => {
    const r = await fetch(`${gh.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const cookie = r.headers
      .getSetCookie()
      .find((c) => c.startsWith('gh_session='))
      ?.split(';')[0];
    return { status: r.status, cookie, body: (await r.json()) as any };
  };
  const me = async (cookie: string | undefined) =>
    (await fetch(`${gh.url}/v1/auth/me`, { headers: { cookie: cookie ?? '' } })).status;

  it('lists users with roles, groups and status, for admins only', async () => {
    const r = await gh.api('/v1/users', { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.items).toContainEqual(
      expect.objectContaining({
        id: pat.id,
        email: 'pat@example.com',
        roles: ['approver', 'auditor'],
        groups: [],
        disabledAt: null,
        hasPassword: true,
        source: 'local',
      }),
    );
    expect(JSON.stringify(r.body)).not.toMatch(/scrypt|password_hash|passwordHash/);
    expect((await gh.api('/v1/users', { token: pat.token })).status).toBe(403);
    expect((await gh.api('/v1/users')).status).toBe(401);
  });

  it('creates a token shown once, lists it without its value, and revokes it — each audited', async () => {
    const created = await gh.api(`/v1/users/${pat.id}/tokens`, {
      token: admin.token,
      body: { name: 'laptop' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^tok_/),
      name: 'laptop',
      userId: pat.id,
      token: expect.stringMatching(/^ghu_/),
    });
    const { id, token } = created.body;
    expect((await gh.api('/v1/requests?status=pending', { token })).status).toBe(200);

    const listed = await gh.api(`/v1/users/${pat.id}/tokens`, { token: admin.token });
    expect(listed.body.items.map((t: { name: string }) => t.name)).toEqual(['initial', 'laptop']);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    const [stored] = await sql<{ token_hash: string }>(
      gh,
      'select token_hash from api_tokens where id = $1',
      [id],
    );
    expect(stored!.token_hash).not.toContain(token);

    const revoked = await gh.api(`/v1/tokens/${id}/revoke`, { token: admin.token, method: 'POST' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ id, revokedAt: expect.any(String) });
    const refused = await gh.api('/v1/requests?status=pending', { token });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('INVALID_TOKEN');
    // The user's other token is untouched.
    expect((await gh.api('/v1/requests?status=pending', { token: pat.token })).status).toBe(200);

    expect(await events(gh, 'token.created')).toContainEqual(
      expect.objectContaining({
        actor_id: admin.id,
        subject_id: id,
        data: { userId: pat.id, name: 'laptop' },
      }),
    );
    expect(await events(gh, 'token.revoked')).toContainEqual(
      expect.objectContaining({ actor_id: admin.id, subject_id: id }),
    );
    expect((await gh.api('/v1/tokens/tok_nope/revoke', { token: admin.token, method: 'POST' })).status).toBe(
      404,
    );
    expect(
      (await gh.api(`/v1/users/${pat.id}/tokens`, { token: pat.token, body: { name: 'x' } })).status,
    ).toBe(403);
  });

  it('sets a password (12 characters at least), ending existing sessions — audited, without the password', async () => {
    const before = await login('pat@example.com');
    expect(before.status).toBe(200);
    const short = await gh.api(`/v1/users/${pat.id}/password`, {
      token: admin.token,
      body: { password: 'short' },
    });
    expect(short.status).toBe(400);

    const set = await gh.api(`/v1/users/${pat.id}/password`, {
      token: admin.token,
      body: { password: 'the new password, longer' },
    });
    expect(set.status).toBe(200);
    expect(await me(before.cookie)).toBe(401);
    expect((await login('pat@example.com')).status).toBe(401);
    const after = await login('pat@example.com', 'the new password, longer');
    expect(after.status).toBe(200);
    expect(await me(after.cookie)).toBe(200);

    const [stored] = await sql<{ password_hash: string }>(
      gh,
      'select password_hash from users where id = $1',
      [pat.id],
    );
    expect(stored!.password_hash).toMatch(/^scrypt\$/);
    const audit = await events(gh, 'user.password_set');
    expect(audit).toContainEqual(expect.objectContaining({ actor_id: admin.id, subject_id: pat.id }));
    expect(JSON.stringify(audit)).not.toContain('the new password');
    expect(
      (await gh.api('/v1/users/usr_nope/password', { token: admin.token, body: { password: PASSWORD } }))
        .status,
    ).toBe(404);
  });

  it('disables a user: sessions and tokens stop working at once — audited', async () => {
    const dora = await gh.createUser('dora@example.com', ['approver'], PASSWORD);
    const session = await login('dora@example.com');
    expect(await me(session.cookie)).toBe(200);

    const r = await gh.api(`/v1/users/${dora.id}/disable`, { token: admin.token, method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: dora.id, disabledAt: expect.any(String) });

    expect(await me(session.cookie)).toBe(401);
    expect((await gh.api('/v1/requests?status=pending', { token: dora.token })).status).toBe(401);
    expect((await login('dora@example.com')).status).toBe(401);
    const listed = await gh.api('/v1/users', { token: admin.token });
    expect(listed.body.items.find((u: { id: string }) => u.id === dora.id).disabledAt).toEqual(
      expect.any(String),
    );
    expect(await events(gh, 'user.disabled')).toContainEqual(
      expect.objectContaining({
        actor_id: admin.id,
        subject_id: dora.id,
        data: { email: 'dora@example.com', sessionsEnded: 1 },
      }),
    );
    // Once is enough: a second disable changes and records nothing.
    expect(
      (await gh.api(`/v1/users/${dora.id}/disable`, { token: admin.token, method: 'POST' })).status,
    ).toBe(200);
    expect(await events(gh, 'user.disabled')).toHaveLength(1);
    const token = await gh.api(`/v1/users/${dora.id}/tokens`, { token: admin.token, body: { name: 'late' } });
    expect(token.body.error.code).toBe('USER_DISABLED');
  });

  it('does not let an admin disable themselves', async () => {
    const r = await gh.api(`/v1/users/${admin.id}/disable`, { token: admin.token, method: 'POST' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('CANNOT_DISABLE_SELF');
  });

  it('creates a local account with a password through POST /v1/users', async () => {
    const r = await gh.api('/v1/users', {
      token: admin.token,
      body: { email: 'lou@example.com', roles: ['auditor'], password: PASSWORD },
    });
    expect(r.status).toBe(201);
    expect(r.body).not.toHaveProperty('password');
    const session = await login('lou@example.com');
    expect(session.status).toBe(200);
    expect(session.body.user).toEqual({
      id: r.body.id,
      email: 'lou@example.com',
      roles: ['auditor'],
      groups: [],
    });
    const created = await events(gh, 'user.created');
    expect(JSON.stringify(created)).not.toContain(PASSWORD);
  });
});
