import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createPostgresTarget, type TestTarget } from '../support/targets.ts';
import { createPerson, ensureWebBuilt, launchChromium, newPage, screenshot, signIn } from './support.ts';

/**
 * The admin page's Connections tab in real Chromium against a real server: a connection to the
 * machine's PostgreSQL registered from the form, granted to an agent, edited with the password
 * left blank, and then used by that agent — while the password the admin typed appears nowhere
 * in the page's DOM nor in any answer the page received.
 */
describe('admin: connections', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let target: TestTarget;
  const answers: string[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    [gh, browser, target] = await Promise.all([
      startGatehouse({ redis: false }),
      launchChromium(),
      createPostgresTarget(),
    ]);
    await createPerson(gh, 'root@example.com', ['admin']);
    page = await newPage(browser);
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('response', (response) => {
      if (!new URL(response.url()).pathname.startsWith('/v1/')) return;
      void response
        .text()
        .then((text) => answers.push(text))
        .catch(() => {});
    });
    await signIn(page, gh.url, 'root@example.com');
  }, 90_000);

  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await gh?.stop();
    await target?.drop();
  });

  it('registers, grants and edits a connection; the password never comes back', async () => {
    const agent = await gh.createAgent({ name: 'report-bot', type: 'reporting' });
    await page.goto(new URL('/admin/connections', gh.url).href);
    await page.getByText('No connections yet.').waitFor();

    const form = page.getByRole('form', { name: 'Register a connection' });
    await form.getByLabel('Name').fill('orders-db');
    await form.getByLabel('Engine').selectOption('postgresql');
    await form.getByLabel('Host').fill(target.host);
    await form.getByLabel('Port').fill(String(target.port));
    await form.getByLabel('Database').fill(target.database);
    await form.getByLabel('User').fill(target.user);
    await form.getByLabel('Password').fill(target.password);
    // Keyboard only from here: Enter in a field submits the form.
    await form.getByLabel('Password').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Connection orders-db registered.' }).waitFor();
    expect(await form.getByLabel('Password').inputValue()).toBe('');

    const card = page.getByTestId('connection').filter({ hasText: 'orders-db' });
    await expect(card.textContent()).resolves.toContain(
      `postgresql · ${target.host}:${target.port}/${target.database}`,
    );
    await card.getByText('No agent may use it yet.').waitFor();

    // A duplicate name is refused with the catalogue's code.
    await form.getByLabel('Name').fill('orders-db');
    await form.getByLabel('Host').fill(target.host);
    await form.getByLabel('Database').fill(target.database);
    await form.getByLabel('User').fill('someone');
    await form.getByRole('button', { name: 'Register connection' }).click();
    await page.getByRole('alert').filter({ hasText: 'CONNECTION_EXISTS' }).waitFor();

    // Reload, so the agent list includes the agent, then grant it from the keyboard.
    await page.reload();
    const grantForm = page.getByRole('form', { name: 'Grant orders-db' });
    await grantForm.getByLabel('Agent or type').selectOption(`agent:${agent.id}`);
    await grantForm.getByLabel('Agent or type').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByTestId('connection-grant').filter({ hasText: 'agent report-bot' }).waitFor();

    // Edit the description only: the login fields are blank and say so; the login is kept.
    const edited = page.getByTestId('connection').filter({ hasText: 'orders-db' });
    await edited.getByRole('button', { name: 'Edit' }).click();
    const editForm = page.getByRole('form', { name: 'Edit orders-db' });
    expect(await editForm.getByLabel('New password').inputValue()).toBe('');
    expect(await editForm.getByLabel('New password').getAttribute('placeholder')).toBe('leave blank to keep');
    await editForm.getByLabel('Description').fill('orders, read replica');
    await editForm.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection orders-db saved.' }).waitFor();
    await edited.filter({ hasText: 'orders, read replica' }).waitFor();
    await screenshot(page, 'admin-connections.png');

    // The kept login still works: the granted agent runs a statement through the connection.
    const session = await gh.session(agent.key);
    const submitted = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'sql', connection: 'orders-db', command: 'select count(*) from numbers' },
    });
    expect(submitted.body.status).toBe('auto_approved');
    const ran = await gh.api(`/v1/requests/${submitted.body.id}/execute`, { token: session, body: {} });
    expect(ran.status, JSON.stringify(ran.body)).toBe(200);
    expect(ran.body.rows).toEqual([['5000']]);

    const dom = await page.content();
    const values = await page
      .locator('input')
      .evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value));
    expect(answers.length).toBeGreaterThan(3);
    for (const text of [dom, ...values, ...answers]) expect(text).not.toContain(target.password);
  });

  it('revokes the grant and deletes the connection', async () => {
    const card = page.getByTestId('connection').filter({ hasText: 'orders-db' });
    await card.getByRole('button', { name: 'Revoke' }).click();
    await card.getByText('No agent may use it yet.').waitFor();
    await card.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No connections yet.').waitFor();
    const listed = await gh.api('/v1/connections', { token: gh.adminToken });
    expect(listed.body.items).toEqual([]);
  });
});
