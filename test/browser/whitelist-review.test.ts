import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refreshWhitelistHits } from '@gatehouse/server';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { query } from '../support/postgres.ts';
import { ensureWebBuilt, eventually, launchChromium, reviewerAndApprover, screenshot } from './support.ts';

const NGINX = 'systemctl restart nginx';
const API = 'systemctl restart api';
const POLICY = `extends: default
version: browser-review
defaultWhitelist: false
whitelist:
  - id: br.restart-nginx
    command: ${NGINX}
    expires: 2099-12-31
    reason: nginx restarts are routine
  - id: br.restart-api
    command: ${API}
    expires: 2099-12-31
    reason: api restarts are routine
`;
const DAY = 86_400_000;

/** Presses Tab until `target` has the focus: the reviewer gets there by keyboard alone. */
async function tabTo(page: Page, target: Locator, max = 60): Promise<void> {
  await target.waitFor();
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === el.ownerDocument.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`could not reach ${target} with Tab`);
}

/** The label of the focused field, or the text of the focused button or heading. */
const focusedLabel = (page: Page) =>
  page.evaluate(() => {
    // Runs in the page: the test's tsconfig has no DOM types.
    const el = (globalThis as any).document.activeElement;
    return (el?.closest('label')?.textContent ?? el?.textContent ?? '').trim() as string;
  });

/** The whitelist review in real Chromium: a reviewer renews one entry and retires another by keyboard. */
describe('whitelist review in the console', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let reviewer: Page;
  let approver: Page;
  let session: string;
  const dir = mkdtempSync(join(tmpdir(), 'gh-browser-review-'));

  beforeAll(async () => {
    ensureWebBuilt();
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    [gh, browser] = await Promise.all([
      startGatehouse({ redis: false, env: { GATEHOUSE_POLICY_FILE: join(dir, 'policy.yaml') } }),
      launchChromium(),
    ]);
    const agent = await gh.createAgent({ name: 'deploy-bot', type: 'ci' });
    session = await gh.session(agent.key);
    for (const command of [NGINX, NGINX, API])
      await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    // nginx: seen 100 days ago, overdue within its grace; api: seen 80 days ago, due within 14 days.
    await query(
      gh.database.url,
      `update whitelist_reviews set first_seen_at = now() - (case entry_id when 'br.restart-nginx' then interval '100 days' else interval '80 days' end)`,
    );
    await refreshWhitelistHits(gh.running.runtime.database.db);
    ({ reviewer, approver } = await reviewerAndApprover(browser, gh));
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([reviewer, approver].map((p) => p?.context().close()));
    await browser?.close();
    await gh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tier = async (command: string) =>
    (await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } })).body.tier;

  it('shows the queue with hits to approvers, without review actions', async () => {
    await approver.goto(new URL('/whitelist', gh.url).href);
    const queue = approver.getByRole('list', { name: 'Entries due for review' });
    await queue.waitFor();
    const nginx = queue.locator('[data-entry="br.restart-nginx"]');
    await expect(nginx.textContent()).resolves.toContain('overdue (in grace)');
    await expect(nginx.textContent()).resolves.toMatch(/2 hits, last .*; deploy-bot \(2\); types ci/);
    await expect(queue.locator('[data-entry="br.restart-api"]').textContent()).resolves.toContain('due soon');
    await expect(approver.getByRole('button', { name: /^Renew / }).count()).resolves.toBe(0);
    await expect(approver.getByRole('button', { name: /^Retire / }).count()).resolves.toBe(0);
    const row = approver.locator('table.governance tr[data-entry="br.restart-nginx"]');
    await expect(row.textContent()).resolves.toContain('review → auto');
    await expect(row.textContent()).resolves.toContain('blast radius wide');
  });

  it('says so when the queue cannot load, and loads on Retry', async () => {
    await reviewer.route('**/v1/whitelist/review', (route) => route.abort());
    await reviewer.goto(new URL('/whitelist', gh.url).href);
    const failure = reviewer.getByRole('alert').filter({ hasText: 'Could not load the whitelist review' });
    await failure.waitFor();
    await reviewer.unroute('**/v1/whitelist/review');
    await tabTo(reviewer, failure.getByRole('button', { name: 'Retry' }));
    await reviewer.keyboard.press('Enter');
    await reviewer.getByRole('list', { name: 'Entries due for review' }).waitFor();
    await screenshot(reviewer, 'whitelist-review.png');
  });

  it('a reviewer renews one entry and retires another with the keyboard alone', async () => {
    const queue = reviewer.getByRole('list', { name: 'Entries due for review' });
    await tabTo(reviewer, queue.getByRole('button', { name: 'Renew br.restart-nginx…' }));
    await reviewer.keyboard.press('Enter');
    // The form opens with the date focused; Escape closes it and gives the focus back.
    await expect.poll(() => focusedLabel(reviewer)).toContain('Next review');
    await reviewer.keyboard.press('Escape');
    await expect.poll(() => focusedLabel(reviewer)).toBe('Renew br.restart-nginx…');
    await reviewer.keyboard.press('Enter');
    await expect.poll(() => focusedLabel(reviewer)).toContain('Next review');

    const next = new Date(Date.now() + 45 * DAY).toISOString().slice(0, 10);
    await reviewer.keyboard.press('ControlOrMeta+A');
    await reviewer.keyboard.type(next);
    await reviewer.keyboard.press('Tab');
    await reviewer.keyboard.type('Checked with the web team: still needed for deploys.');
    await reviewer.keyboard.press('Tab');
    await reviewer.keyboard.press('Enter');
    await reviewer
      .getByRole('status')
      .filter({ hasText: `Renewed br.restart-nginx: next review ${next}.` })
      .waitFor();
    await expect.poll(() => queue.locator('[data-entry="br.restart-nginx"]').count()).toBe(0);
    // The focus is back at the queue: the next Tab reaches the remaining entry's first action.
    await expect.poll(() => focusedLabel(reviewer)).toBe('Whitelist review');

    await tabTo(reviewer, queue.getByRole('button', { name: 'Retire br.restart-api…' }), 5);
    await reviewer.keyboard.press('Enter');
    await expect.poll(() => focusedLabel(reviewer)).toContain('Why retire it?');
    await reviewer.keyboard.type('The api restarts through the pipeline now.');
    await reviewer.keyboard.press('Tab');
    await reviewer.keyboard.press('Enter');
    await reviewer
      .getByRole('status')
      .filter({ hasText: 'Retired br.restart-api: it no longer applies.' })
      .waitFor();
    await reviewer.getByText('No entry is due for review.').waitFor();

    const { body } = await gh.api('/v1/whitelist/governance', { token: gh.adminToken });
    const byId = new Map(body.items.map((e: any) => [e.id, e]));
    expect(byId.get('br.restart-nginx')).toMatchObject({
      active: true,
      review: {
        state: 'current',
        nextReviewAt: `${next}T00:00:00.000Z`,
        history: [{ action: 'renew', by: { email: 'security@example.com' } }],
      },
    });
    expect(byId.get('br.restart-api')).toMatchObject({
      active: false,
      review: {
        state: 'retired',
        history: [{ action: 'retire', comment: 'The api restarts through the pipeline now.' }],
      },
    });
    expect(await tier(NGINX)).toBe('auto');
    expect(
      await eventually(
        () => tier(API),
        (t) => t === 'review',
      ),
    ).toBe('review');
    const row = reviewer.locator('table.governance tr[data-entry="br.restart-api"]');
    await expect(row.textContent()).resolves.toContain('retired · not applying');
  });
});
