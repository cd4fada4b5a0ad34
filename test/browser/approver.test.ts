import { GatehouseClient } from '@gatehouse/sdk';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import {
  createPerson,
  ensureWebBuilt,
  launchChromium,
  newPage,
  screenshot,
  signIn,
  waitLive,
} from './support.ts';

/**
 * The approver web app in real Chromium against a real server on PostgreSQL: local sign-in,
 * the live queue, a multi-party quorum decided by two people in two browsers, the owner's
 * refusal, and CSRF.
 */
describe('approver web app', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  const pages: Page[] = [];
  let agent: { id: string; key: string };

  beforeAll(async () => {
    ensureWebBuilt();
    [gh, browser] = await Promise.all([startGatehouse({ redis: false }), launchChromium()]);
    const owner = await createPerson(gh, 'owner@example.com', ['approver']);
    await createPerson(gh, 'alice@example.com', ['approver']);
    await createPerson(gh, 'bob@example.com', ['approver']);
    agent = await gh.createAgent({ name: 'deploy-bot', type: 'ci', owner: owner.id });
  }, 90_000);

  afterAll(async () => {
    for (const sdk of clients) sdk.close();
    await Promise.allSettled(pages.map((p) => p.context().close()));
    await browser?.close();
    await gh?.stop();
  });

  const open = async () => {
    const page = await newPage(browser);
    pages.push(page);
    return page;
  };
  const clients: GatehouseClient[] = [];
  // The agent waits by long-polling; the page's own live stream is what these tests are about.
  const client = () => {
    const sdk = new GatehouseClient({ url: gh.url, agentKey: agent.key, timeoutMs: 60_000, stream: false });
    clients.push(sdk);
    return sdk;
  };

  it('serves the page with security headers and falls back to it for page paths', async () => {
    const response = await fetch(new URL('/requests/anything', gh.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const api = await fetch(new URL('/v1/no-such-route', gh.url));
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('signs in with a local account; a new request appears live, and a reject needs a comment', async () => {
    const page = await open();
    await signIn(page, gh.url, 'alice@example.com');
    await waitLive(page);
    const verdict = client().authorize({
      kind: 'shell',
      command: 'systemctl restart nginx',
      context: { environment: 'staging', host: 'web-1', justification: 'config reload after deploy' },
    });

    // No reload: the WebSocket brings it.
    const row = page.locator('.qrow', { hasText: 'systemctl restart nginx' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('deploy-bot');
    await expect(row.textContent()).resolves.toContain('staging');
    await screenshot(page, 'queue.png');

    // Keyboard: select, then r opens the reject confirmation on the detail page.
    await page.keyboard.press('j');
    await page.keyboard.press('r');
    await page.getByRole('button', { name: 'Reject this command' }).waitFor();
    await page.getByRole('button', { name: 'Reject this command' }).click();
    // The browser's own validation holds the empty comment back; the server would refuse it too.
    expect(
      await page.locator('textarea[name=comment]').evaluate((e) => (e as any).validity.valueMissing),
    ).toBe(true);
    await page.locator('textarea[name=comment]').fill('not during business hours');
    await page.getByRole('button', { name: 'Reject this command' }).click();
    await page.getByRole('status').filter({ hasText: 'Request rejected' }).waitFor();
    await expect(verdict).resolves.toMatchObject({ allowed: false, status: 'rejected' });

    // Esc goes back; the decided item has left the queue.
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: /Pending/ }).waitFor();
    await page.locator('.empty').waitFor();
    await expect(page.locator('.qrow', { hasText: 'systemctl restart nginx' }).count()).resolves.toBe(0);
  }, 60_000);

  it('two approvers complete a multi-party quorum and the SDK receives the verdict; the owner cannot approve', async () => {
    const command = 'terraform destroy -target=module.staging_cache';
    const [alice, bob, owner] = await Promise.all([open(), open(), open()]);
    await Promise.all([
      signIn(alice, gh.url, 'alice@example.com'),
      signIn(bob, gh.url, 'bob@example.com'),
      signIn(owner, gh.url, 'owner@example.com'),
    ]);
    await waitLive(alice);
    const verdict = client().authorize({
      kind: 'shell',
      command,
      context: { environment: 'prod', cwd: '/srv/infra', justification: 'retire the old cache' },
    });

    await alice.locator('.qrow', { hasText: command }).click();
    await alice.getByRole('heading', { name: 'Approvals' }).waitFor();
    expect(await alice.getByTestId('command').textContent()).toBe(command);
    await expect(alice.getByTestId('quorum').textContent()).resolves.toMatch(/0 of 2/);
    await screenshot(alice, 'detail.png');
    const id = decodeURIComponent(new URL(alice.url()).pathname.split('/').pop() ?? '');

    // The owner sees why not, and no approve button; the server refuses a forged attempt anyway.
    await owner.goto(new URL(`/requests/${id}`, gh.url).href);
    await owner.getByTestId('cannot-decide').waitFor();
    expect(await owner.getByTestId('cannot-decide').textContent()).toMatch(/own the agent/);
    await expect(owner.getByRole('button', { name: /Approve/ }).count()).resolves.toBe(0);
    const forged = await owner.evaluate(async (requestId) => {
      const me = (await (await fetch('/v1/auth/me')).json()) as any;
      const response = await fetch(`/v1/requests/${requestId}/decisions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ decision: 'approve', comment: 'my own agent, trust me' }),
      });
      return { status: response.status, body: await response.json() };
    }, id);
    expect(forged.status).toBe(403);

    // Alice approves (a multi-party approval needs a comment): 1 of 2.
    await alice.getByRole('button', { name: /^Approve…/ }).click();
    await alice.locator('textarea[name=comment]').fill('checked the plan, cache is unused');
    await alice.getByRole('button', { name: 'Approve this command' }).click();
    await alice.getByRole('status').filter({ hasText: '1 of 2' }).waitFor();
    await expect(alice.getByTestId('cannot-decide').textContent()).resolves.toMatch(/already decided/);

    // Bob completes the quorum from his own browser.
    await bob.goto(new URL(`/requests/${id}`, gh.url).href);
    await expect(bob.getByTestId('quorum').textContent()).resolves.toMatch(/1 of 2/);
    await bob.keyboard.press('a');
    await bob.locator('textarea[name=comment]').fill('second pair of eyes: agreed');
    await bob.getByRole('button', { name: 'Approve this command' }).click();
    await bob.getByRole('status').filter({ hasText: 'Request approved' }).waitFor();

    await expect(verdict).resolves.toMatchObject({ allowed: true, status: 'approved' });
    // Alice's open page follows live.
    await alice.locator('.badge.status-approved').first().waitFor();
    await expect(alice.getByTestId('quorum').textContent()).resolves.toMatch(/2 of 2/);
  }, 60_000);

  it('refuses a state-changing call with a wrong or missing CSRF token', async () => {
    const page = await open();
    await signIn(page, gh.url, 'bob@example.com');
    const pending = client().authorize({ kind: 'shell', command: 'systemctl restart redis', context: {} });
    const row = page.locator('.qrow', { hasText: 'systemctl restart redis' });
    await row.waitFor();
    const id = await row.getAttribute('data-request-id');
    const attempts = await page.evaluate(async (requestId) => {
      const post = (headers: Record<string, string>) =>
        fetch(`/v1/requests/${requestId}/decisions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ decision: 'approve' }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
      return [await post({ 'x-csrf-token': 'forged-token' }), await post({})];
    }, id);
    for (const attempt of attempts) {
      expect(attempt.status).toBe(403);
      expect(attempt.body.error.code).toBe('CSRF_FAILED');
    }
    // Nothing was decided.
    const detail = await gh.api(`/v1/requests/${id}`, { token: gh.adminToken });
    expect(detail.body).toMatchObject({ status: 'pending', decisions: [] });
    // Clean up: decide it through the page so the SDK call ends.
    await row.click();
    await page.getByRole('button', { name: /^Reject…/ }).click();
    await page.locator('textarea[name=comment]').fill('test cleanup');
    await page.getByRole('button', { name: 'Reject this command' }).click();
    await expect(pending).resolves.toMatchObject({ allowed: false });
  }, 60_000);
});
