import { GatehouseClient, type PendingRequest } from '@gatehouse/sdk';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedGatehouse, startEmbedded } from '../support/embedded.ts';
import {
  ensureWebBuilt,
  launchChromium,
  newPage,
  PASSWORD,
  screenshot,
  signIn,
  waitLive,
} from './support.ts';

/** Longer than the server's key refresh: the decision crosses one, as a person's would. */
const HUMAN_DELAY_MS = 6_500;

/**
 * The quick start as a new user lives it: `npm start` (embedded PGlite), an agent waiting
 * through the SDK, and people deciding in the web app in Chromium.
 */
describe('embedded mode in the browser: people decide while the agent waits', () => {
  let gh: EmbeddedGatehouse;
  let browser: Browser;
  let agent: { id: string; key: string };
  const pages: Page[] = [];
  const clients: GatehouseClient[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    [gh, browser] = await Promise.all([startEmbedded(), launchChromium()]);
    await gh.createUser('alice@example.com', ['approver'], PASSWORD);
    await gh.createUser('bob@example.com', ['approver'], PASSWORD);
    agent = await gh.createAgent({ name: 'release-bot', type: 'ci', environments: ['prod'] });
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.allSettled(pages.map((page) => page.context().close()));
    await browser?.close();
    await gh?.stop();
  });

  const open = async (email: string) => {
    const page = await newPage(browser);
    pages.push(page);
    await signIn(page, gh.url, email);
    await waitLive(page);
    return page;
  };

  const authorize = (command: string, kind: 'shell' | 'sql', stream: boolean) => {
    const sdk = new GatehouseClient({ url: gh.url, agentKey: agent.key, timeoutMs: 60_000, stream });
    clients.push(sdk);
    let announce: (pending: PendingRequest) => void = () => {};
    const pending = new Promise<PendingRequest>((resolve) => {
      announce = resolve;
    });
    return { pending, decision: sdk.authorize({ kind, command, onPending: (p) => announce(p) }) };
  };

  it('an approval in the page reaches the agent waiting on the stream', async () => {
    const alice = await open('alice@example.com');
    const command = 'git commit -m "release 4.2"';
    const { pending, decision } = authorize(command, 'shell', true);
    await pending;
    const row = alice.locator('.qrow', { hasText: command });
    await row.waitFor();
    await alice.waitForTimeout(HUMAN_DELAY_MS);
    await row.click();
    await alice
      .getByRole('button', { name: /^Approve/ })
      .first()
      .click();
    await alice.getByRole('button', { name: 'Approve this command' }).click();
    await alice.getByRole('status').filter({ hasText: 'Request approved' }).waitFor();
    await screenshot(alice, 'embedded-approved.png');
    await expect(decision).resolves.toMatchObject({ allowed: true, status: 'approved' });
  }, 90_000);

  it('two people complete a multi-party quorum while the agent long-polls', async () => {
    const [alice, bob] = await Promise.all([open('alice@example.com'), open('bob@example.com')]);
    const command = 'DROP TABLE sessions_2025';
    const { pending, decision } = authorize(command, 'sql', false);
    const { requestId } = await pending;
    for (const [page, comment] of [
      [alice, 'the 2025 sessions were archived last week'],
      [bob, 'archive verified, restore tested'],
    ] as const) {
      await page.goto(new URL(`/requests/${requestId}`, gh.url).href);
      await page.getByRole('heading', { name: 'Approvals' }).waitFor();
      await page.waitForTimeout(HUMAN_DELAY_MS / 2);
      await page
        .getByRole('button', { name: /^Approve/ })
        .first()
        .click();
      await page.locator('textarea[name=comment]').fill(comment);
      await page.getByRole('button', { name: 'Approve this command' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: page === alice ? '1 of 2' : 'Request approved' })
        .waitFor();
    }
    await expect(decision).resolves.toMatchObject({ allowed: true, status: 'approved' });
  }, 90_000);

  it('a rejection in the page reaches the waiting agent as a refusal', async () => {
    const bob = await open('bob@example.com');
    const command = 'git commit -m "friday deploy"';
    const { pending, decision } = authorize(command, 'shell', true);
    const { requestId } = await pending;
    await bob.goto(new URL(`/requests/${requestId}`, gh.url).href);
    await bob.waitForTimeout(HUMAN_DELAY_MS);
    await bob
      .getByRole('button', { name: /^Reject/ })
      .first()
      .click();
    await bob.locator('textarea[name=comment]').fill('not on a Friday');
    await bob.getByRole('button', { name: 'Reject this command' }).click();
    await bob.getByRole('status').filter({ hasText: 'Request rejected' }).waitFor();
    await expect(decision).resolves.toMatchObject({ allowed: false, status: 'rejected' });
  }, 90_000);
});
