import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { freePort, startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.ts';
import { ensureWebBuilt, launchChromium, newPage } from './support.ts';

/** Single sign-on from the login page through a real OpenID Connect provider, in Chromium. */
describe('web sign-in through OpenID Connect', () => {
  let gh: TestGatehouse;
  let idp: TestOidcProvider;
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuilt();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({
      clientId: 'gatehouse-web',
      clientSecret: 'a-client-secret-of-reasonable-length',
      redirectUri: `${publicUrl}/v1/auth/oidc/callback`,
      users: [{ sub: 'carol-1', email: 'carol@example.com', groups: ['oncall'] }],
    });
    [gh, browser] = await Promise.all([
      startGatehouse({
        redis: false,
        env: {
          ...idp.gatehouseEnv,
          GATEHOUSE_PORT: String(port),
          GATEHOUSE_PUBLIC_URL: publicUrl,
          GATEHOUSE_OIDC_ROLE_MAP: JSON.stringify({ oncall: 'approver' }),
        },
      }),
      launchChromium(),
    ]);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await gh?.stop();
    await idp?.stop();
  });

  it('signs in at the provider and lands on the queue with the mapped role', async () => {
    const page = await newPage(browser);
    try {
      await page.goto(gh.url);
      await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
      await page.getByRole('button', { name: 'Sign in as carol@example.com' }).click();
      await page.getByRole('heading', { name: /Pending/ }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      await expect(page.locator('.who').textContent()).resolves.toBe('carol@example.com');
      const me: any = await page.evaluate(async () => (await fetch('/v1/auth/me')).json());
      expect(me.user.roles).toContain('approver');
      await page.locator('output.live[data-status="live"]').waitFor();
    } finally {
      await page.context().close();
    }
  }, 60_000);
});
