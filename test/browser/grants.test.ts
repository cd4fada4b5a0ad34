import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import {
  createPerson,
  ensureWebBuilt,
  eventually,
  launchChromium,
  newPage,
  signIn,
  waitLive,
} from './support.ts';

/**
 * Just-in-time grants in real Chromium: an admin asks on behalf of an agent, an approver
 * decides it from the queue with the keyboard, the admin sees it active with its countdown
 * and revokes it; the agent's in-scope request is auto-approved only in between.
 */
describe('grants in the web app', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  const pages: Page[] = [];
  let agent: { id: string; key: string };
  let agentToken: string;

  beforeAll(async () => {
    ensureWebBuilt();
    [gh, browser] = await Promise.all([startGatehouse({ redis: false }), launchChromium()]);
    await createPerson(gh, 'root@example.com', ['admin', 'approver']);
    await createPerson(gh, 'alice@example.com', ['approver']);
    agent = await gh.createAgent({ name: 'deploy-bot' });
    agentToken = await gh.session(agent.key);
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled(pages.map((p) => p.context().close()));
    await browser?.close();
    await gh?.stop();
  });

  const open = async () => {
    const page = await newPage(browser);
    pages.push(page);
    return page;
  };
  const submit = () =>
    gh.api('/v1/requests', {
      token: agentToken,
      body: { kind: 'shell', command: 'kubectl delete pod web-1' },
    });

  it('asks, approves from the queue, counts down and revokes', async () => {
    const admin = await open();
    await signIn(admin, gh.url, 'root@example.com');
    await admin.getByRole('link', { name: 'Grants' }).click();
    await admin.getByRole('heading', { name: 'Grants' }).waitFor();
    await waitLive(admin);

    // The form, by keyboard: labelled controls, submitted with Enter.
    const form = admin.getByRole('form', { name: 'Ask for a grant' });
    await form.getByLabel('For agent').selectOption({ label: 'deploy-bot' });
    await form.getByLabel('Scope').selectOption('command');
    await form.getByLabel('Kind').selectOption('shell');
    await form.getByLabel('Programs').fill('kubectl');
    await form.getByLabel('Up to').selectOption('review');
    await form.getByLabel('Minutes').fill('30');
    await form.getByLabel('Reason').fill('restart the stuck web pods');
    await form.getByLabel('Reason').press('Enter');
    await admin
      .getByRole('status')
      .getByText(/approvers decide/)
      .waitFor();
    const [grant] = (await gh.api('/v1/grants', { token: gh.adminToken })).body.items;
    expect(grant).toMatchObject({
      agentId: agent.id,
      state: 'pending',
      ceiling: 'review',
      durationMinutes: 30,
    });
    expect(grant.requestedBy).not.toBeNull();
    // Pending, nothing is covered yet.
    expect((await submit()).body.status).toBe('pending');

    // The approver finds it in the queue and decides it from the keyboard.
    const alice = await open();
    await signIn(alice, gh.url, 'alice@example.com');
    const row = alice.locator(`a.qrow[data-request-id="${grant.requestId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(
      'grant shell commands matching {"program":["kubectl"]} up to review',
    );
    await row.focus();
    await alice.keyboard.press('Enter');
    const summary = alice.getByTestId('grant-summary');
    await summary.waitFor();
    const text = await summary.textContent();
    expect(text).toContain('shell commands matching {"program":["kubectl"]}');
    expect(text).toContain('review');
    expect(text).toContain('30 minutes');
    expect(text).toContain('restart the stuck web pods');
    // A grant is no command: there is nothing to whitelist.
    expect(await alice.getByRole('button', { name: 'Approve and whitelist…' }).count()).toBe(0);
    await alice.keyboard.press('a');
    await alice.getByRole('button', { name: 'Approve this grant' }).waitFor();
    await alice.keyboard.press('Tab');
    await alice.keyboard.press('Enter');
    await eventually(
      async () => (await gh.api(`/v1/grants/${grant.id}`, { token: gh.adminToken })).body.state,
      (state) => state === 'active',
    );

    // The admin's list turns it active (live) with a countdown from 30 minutes.
    const line = admin.locator(`tr[data-grant-id="${grant.id}"]`);
    await line.getByTestId('grant-state').getByText('active').waitFor();
    const left = await line.getByTestId('grant-left').textContent();
    expect(left).toMatch(/(29|30):\d\d/);
    await eventually(
      async () => (await submit()).body.status,
      (status) => status === 'auto_approved',
      3_000,
    );

    admin.once('dialog', (dialog) => void dialog.accept());
    await line.getByRole('button', { name: 'Revoke' }).click();
    // Gone from the active list at once.
    await line.waitFor({ state: 'detached' });
    expect((await gh.api(`/v1/grants/${grant.id}`, { token: gh.adminToken })).body.state).toBe('revoked');
    expect((await submit()).body.status).toBe('pending');
  }, 60_000);

  it('shows approvers the grants but not the form or the revoke button', async () => {
    const alice = await open();
    await signIn(alice, gh.url, 'alice@example.com');
    await alice.goto(new URL('/grants', gh.url).href);
    await alice.getByRole('heading', { name: 'Grants' }).waitFor();
    await alice.getByLabel('Show').selectOption('all');
    await alice.getByRole('table', { name: 'Grants' }).waitFor();
    expect(await alice.getByRole('form', { name: 'Ask for a grant' }).count()).toBe(0);
    expect(await alice.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
  }, 30_000);
});
