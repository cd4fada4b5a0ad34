import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';

const PASSWORD = 'correct horse battery staple';

describe('GET /v1/auth/session', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    await gh.createUser('alice@example.com', ['approver'], PASSWORD);
  });
  afterAll(async () => gh?.stop());

  it('answers {user: null} without a session, and the person with the CSRF token with one', async () => {
    const anonymous = await gh.api('/v1/auth/session');
    expect(anonymous).toEqual({ status: 200, body: { user: null } });
    const forged = await fetch(new URL('/v1/auth/session', gh.url), {
      headers: { cookie: 'gh_session=forged' },
    });
    expect(forged.status).toBe(200);
    expect(await forged.json()).toEqual({ user: null });

    const login = await fetch(new URL('/v1/auth/login', gh.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: gh.url.replace(/\/$/, '') },
      body: JSON.stringify({ email: 'alice@example.com', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const signedIn = await fetch(new URL('/v1/auth/session', gh.url), { headers: { cookie } });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toMatchObject({
      user: { email: 'alice@example.com', roles: ['approver'] },
      csrfToken: expect.any(String),
    });
    // The strict call keeps its meaning for API clients.
    expect((await gh.api('/v1/auth/me')).status).toBe(401);
  });
});
