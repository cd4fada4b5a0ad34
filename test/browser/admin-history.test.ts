import { GatehouseClient } from '@gatehouse/sdk';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createPerson, ensureWebBuilt, launchChromium, newPage, screenshot, signIn } from './support.ts';

/**
 * The pages around the queue, in real Chromium against a real server on PostgreSQL: the admin
 * pages (agent key shown once, API tokens listed from the server, revocation), approve and
 * whitelist, the history filters, and the replay of masked output.
 */
describe('admin, history and replay pages', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let admin: Page;
  let approver: Page;
  const clients: GatehouseClient[] = [];

  const sdk = (agentKey: string) => {
    const client = new GatehouseClient({ url: gh.url, agentKey, timeoutMs: 30_000, stream: false });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    ensureWebBuilt();
    [gh, browser] = await Promise.all([startGatehouse({ redis: false }), launchChromium()]);
    await createPerson(gh, 'root@example.com', ['admin']);
    await createPerson(gh, 'carol@example.com', ['approver', 'auditor']);
    [admin, approver] = await Promise.all([newPage(browser), newPage(browser)]);
    // Revocations ask for confirmation first.
    admin.on('dialog', (dialog) => void dialog.accept());
    await Promise.all([
      signIn(admin, gh.url, 'root@example.com'),
      signIn(approver, gh.url, 'carol@example.com'),
    ]);
  }, 90_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.allSettled([admin, approver].map((p) => p?.context().close()));
    await browser?.close();
    await gh?.stop();
  });

  it('creates an agent whose key is shown once and works, then revokes it', async () => {
    await admin.goto(new URL('/admin/agents', gh.url).href);
    const form = admin.getByRole('form', { name: 'Create an agent' });
    await form.getByLabel('Name').fill('nightly-etl');
    await form.getByLabel('Type').fill('ci');
    await form.getByLabel('Environments').fill('staging, dev');
    await form.getByRole('button', { name: 'Create agent' }).click();
    const key = (await admin.getByTestId('secret').textContent()) ?? '';
    expect(key).not.toBe('');

    const decision = await sdk(key).authorize({ kind: 'shell', command: 'ls -la', context: {} });
    expect(decision).toMatchObject({ allowed: true, status: 'auto_approved' });

    await admin.getByRole('button', { name: 'Done' }).click();
    await expect(admin.getByTestId('secret').count()).resolves.toBe(0);
    const row = admin.locator('tr', { hasText: 'nightly-etl' });
    await expect(row.textContent()).resolves.toContain('staging, dev');
    // Bound: a request naming another environment is refused.
    const elsewhere = await sdk(key).authorize({
      kind: 'shell',
      command: 'ls',
      context: { environment: 'prod' },
    });
    expect(elsewhere.allowed).toBe(false);
    expect(elsewhere.error).toMatchObject({
      code: 'ERR_FORBIDDEN',
      message: expect.stringContaining('staging, dev'),
    });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText(/^revoked /).waitFor();

    const refused = await sdk(key).authorize({ kind: 'shell', command: 'ls -la', context: {} });
    expect(refused.allowed).toBe(false);
  });

  it("lists a person's API tokens from the server, and a revoked one stops working", async () => {
    await admin.goto(new URL('/admin/tokens', gh.url).href);
    await admin.getByLabel('Person').selectOption({ label: 'carol@example.com' });
    const form = admin.getByRole('form', { name: 'Issue an API token' });
    await form.getByLabel('Name').fill('laptop CLI');
    await form.getByRole('button', { name: 'Issue token' }).click();
    const token = (await admin.getByTestId('secret').textContent()) ?? '';
    const asCarol = () => gh.api('/v1/requests?status=pending', { token });
    expect((await asCarol()).status).toBe(200);

    // A fresh page load still lists it: the list comes from the server, never the value.
    await admin.reload();
    await admin.getByLabel('Person').selectOption({ label: 'carol@example.com' });
    const row = admin.locator('tr', { hasText: 'laptop CLI' });
    await row.waitFor();
    expect(await admin.locator('table').textContent()).not.toContain(token);
    await screenshot(admin, 'admin-tokens.png');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText(/^revoked /).waitFor();
    const after = await asCarol();
    expect(after.status).toBe(401);
  });

  it('approves and whitelists: the entry names its author and the next identical command is auto', async () => {
    const agent = await gh.createAgent({ name: 'ops-bot', type: 'coding-agent' });
    const client = sdk(agent.key);
    const command = 'systemctl restart php-fpm';
    const first = client.authorize({ kind: 'shell', command, context: {} });

    const row = approver.locator('.qrow', { hasText: command });
    await approver.goto(gh.url);
    await row.click();
    await approver.getByRole('button', { name: 'Approve and whitelist…' }).click();
    await expect(approver.getByLabel(/Pattern to add/).inputValue()).resolves.toBe(command);
    await approver.getByLabel('Reason').fill('php-fpm restarts are routine on this fleet');
    await screenshot(approver, 'approve-and-whitelist.png');
    await approver.getByRole('button', { name: 'Approve and add to whitelist' }).click();
    await approver.getByRole('status').filter({ hasText: 'Request approved' }).waitFor();
    await expect(first).resolves.toMatchObject({ allowed: true, status: 'approved' });

    const entries = (await gh.api('/v1/whitelist', { token: gh.adminToken })).body.items;
    expect(entries).toEqual([
      expect.objectContaining({
        command,
        reason: 'php-fpm restarts are routine on this fleet',
        createdBy: expect.objectContaining({ email: 'carol@example.com' }),
        active: true,
      }),
    ]);
    const entry = entries[0];
    const expiresIn = Date.parse(entry.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(6 * 86_400_000);
    expect(expiresIn).toBeLessThan(8 * 86_400_000);

    await expect(client.authorize({ kind: 'shell', command, context: {} })).resolves.toMatchObject({
      allowed: true,
      status: 'auto_approved',
    });
  });

  it('filters history on the server and replays masked output', async () => {
    const agent = await gh.createAgent({ name: 'report-bot', type: 'coding-agent' });
    const client = sdk(agent.key);
    const ran = await client.run("printf 'mail ops@example.com\\nkey AKIAIOSFODNN7EXAMPLE\\ndone\\n'", {
      stdio: 'pipe',
      record: true,
    });
    expect(ran).toMatchObject({ allowed: true, exitCode: 0 });
    expect(ran.reportError).toBeUndefined();

    await approver.goto(new URL('/history', gh.url).href);
    const filters = approver.getByRole('form', { name: 'Filters' });
    await filters.getByLabel('Search commands').fill('printf');
    await filters.getByLabel('Status').selectOption('auto_approved');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await approver.waitForURL(/\/history\?.*status=auto_approved/);
    const rows = approver.locator('table.grid tbody tr');
    await expect
      .poll(async () => rows.allTextContents(), { timeout: 10_000 })
      .toEqual([expect.stringContaining('printf')]);

    // A status that matches nothing says so.
    await filters.getByLabel('Status').selectOption('rejected');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await approver.getByText('No request matches.').waitFor();

    await filters.getByLabel('Status').selectOption('auto_approved');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await rows.first().getByRole('link').click();
    await approver.getByRole('heading', { name: 'Output' }).waitFor();
    await approver.getByRole('button', { name: 'Replay output' }).click();
    await approver.getByRole('button', { name: 'Skip to end' }).click();
    const terminal = approver.getByTestId('terminal');
    await expect.poll(async () => terminal.textContent(), { timeout: 10_000 }).toContain('done');
    const shown = (await terminal.textContent()) ?? '';
    expect(shown).toContain('[MASKED:EMAIL]');
    expect(shown).toContain('[MASKED:AWS_ACCESS_KEY]');
    expect(shown).not.toContain('ops@example.com');
    expect(shown).not.toContain('AKIAIOSFODNN7EXAMPLE');
    await screenshot(approver, 'replay.png');
  });
});
