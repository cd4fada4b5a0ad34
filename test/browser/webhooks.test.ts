import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { type FakeSlack, startFakeSlack } from '../support/slack-api.ts';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { createPerson, ensureWebBuilt, launchChromium, newPage, screenshot, signIn } from './support.ts';

/**
 * The admin page's Webhooks & Slack tab in real Chromium against a real server on PostgreSQL:
 * an endpoint registered from the form (its secret shown once), a test event sent from its
 * card, and the delivery seen in its log; then the Slack test button.
 */
describe('admin: webhooks and Slack', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let receiver: WebhookReceiver;
  let slack: FakeSlack;

  beforeAll(async () => {
    ensureWebBuilt();
    [receiver, slack] = await Promise.all([startReceiver(), startFakeSlack()]);
    [gh, browser] = await Promise.all([
      startGatehouse({
        redis: false,
        env: {
          GATEHOUSE_SLACK_BOT_TOKEN: slack.token,
          GATEHOUSE_SLACK_SIGNING_SECRET: randomBytes(16).toString('hex'),
          GATEHOUSE_SLACK_API_URL: slack.apiUrl,
          GATEHOUSE_SLACK_CHANNEL: 'C0APPROVALS',
        },
      }),
      launchChromium(),
    ]);
    await createPerson(gh, 'root@example.com', ['admin']);
    page = await newPage(browser);
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, gh.url, 'root@example.com');
  }, 90_000);

  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await gh?.stop();
    await Promise.all([receiver?.close(), slack?.close()]);
  });

  it('registers an endpoint, sends a test event and shows the delivery in the log', async () => {
    await page.goto(new URL('/admin/notifications', gh.url).href);
    const form = page.getByRole('form', { name: 'Register a webhook' });
    await form.getByLabel('URL').fill(`${receiver.url}/from-the-browser`);
    await form.getByLabel('Description').fill('on-call pager');
    await form.getByLabel('request.expired').check();
    await form.getByRole('button', { name: 'Register webhook' }).click();
    // Loopback without the admin's explicit allow flag: refused.
    await page.getByRole('alert').filter({ hasText: 'WEBHOOK_URL_REFUSED' }).waitFor();
    await form.getByLabel('Allow private network addresses').check();
    await form.getByRole('button', { name: 'Register webhook' }).click();

    const secret = (await page.getByTestId('secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Done' }).click();
    const card = page.getByTestId('webhook').filter({ hasText: '/from-the-browser' });
    await expect(card.textContent()).resolves.toContain('request.pending, request.decided, request.expired');
    expect(await page.locator('main').textContent()).not.toContain(secret);

    await card.getByRole('button', { name: 'Send test event' }).click();
    const row = card.getByTestId('delivery').filter({ hasText: 'webhook.test' });
    await row.filter({ hasText: 'delivered' }).waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toContain('delivered');
    expect(cells[2]).toBe('1');
    expect(cells[3]).toBe('200');
    expect(cells[4]).toMatch(/^\d+ ms$/);
    await screenshot(page, 'admin-webhooks.png');

    // What the receiver got verifies with the secret the page showed.
    const got = await receiver.waitFor((r) => r.path === '/from-the-browser');
    const verified = new Webhook(secret).verify(got.body, {
      'webhook-id': got.headers['webhook-id']!,
      'webhook-timestamp': got.headers['webhook-timestamp']!,
      'webhook-signature': got.headers['webhook-signature']!,
    }) as any;
    expect(verified).toMatchObject({ type: 'webhook.test', data: { sentBy: 'root@example.com' } });
  });

  it('sends the Slack test message from the admin page', async () => {
    await page.goto(new URL('/admin/notifications', gh.url).href);
    await page.getByText('/v1/slack/interactions').waitFor();
    await page.getByRole('button', { name: 'Send Slack test message' }).click();
    await page.getByRole('status').filter({ hasText: 'Test message posted to C0APPROVALS' }).waitFor();
    const posted = await slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    expect(JSON.stringify(posted.args.blocks)).toContain('gatehouse.sample');
    await screenshot(page, 'admin-slack.png');
  });
});
