import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createPerson, ensureWebBuilt, launchChromium, newPage, screenshot, signIn } from './support.ts';

const PENDING = 1000;

/** The queue stays usable with a thousand pending items: paged by the server, rendered by window. */
describe('queue at 1,000 pending items', () => {
  let gh: TestGatehouse;
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuilt();
    [gh, browser] = await Promise.all([startGatehouse({ redis: false }), launchChromium()]);
    await createPerson(gh, 'dana@example.com', ['approver']);
    const agent = await gh.createAgent({ name: 'batch-bot', type: 'ci' });
    const token = await gh.session(agent.key);
    let next = 0;
    let failed = false;
    const submit = async () => {
      while (next < PENDING && !failed) {
        const i = next++;
        for (let attempt = 0; ; attempt++) {
          const answer = await gh.api('/v1/requests', {
            token,
            body: {
              kind: 'shell',
              command: `systemctl restart worker-${i}`,
              context: { environment: 'staging' },
            },
          });
          if (answer.status === 201 && answer.body.status === 'pending') break;
          // Under this burst the server may ask to try again shortly, as the SDK would.
          const transient = answer.body?.error?.code === 'REVOCATION_STATE_STALE' || answer.status >= 500;
          if (!transient || attempt >= 20) {
            failed = true;
            throw new Error(`request ${i}: ${answer.status} ${JSON.stringify(answer.body)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, submit));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gh?.stop();
  });

  it('loads pages on scroll, renders only what is visible and answers keys at once', async () => {
    const page = await newPage(browser);
    try {
      await signIn(page, gh.url, 'dana@example.com');
      await page.locator('.qrow').first().waitFor();
      // The first page only: the rest comes from the server as the list is scrolled.
      const count = () => page.locator('#queue-title .count').textContent();
      await expect(count()).resolves.toBe('50');

      // Bounded by time rather than rounds: on a busy machine a page of items can take longer.
      const until = Date.now() + 45_000;
      while ((await count()) !== String(PENDING) && Date.now() < until) {
        await page.getByTestId('queue-scroller').evaluate((e) => {
          e.scrollTop = e.scrollHeight;
        });
        await page.waitForTimeout(150);
      }
      await expect(count()).resolves.toBe(String(PENDING));
      await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);

      // A window of rows, not a thousand.
      const rendered = await page.locator('.vrow').count();
      expect(rendered).toBeGreaterThan(5);
      expect(rendered).toBeLessThan(60);

      // The page stays responsive: keys move the selection and the main thread is free.
      await page.getByTestId('queue-scroller').evaluate((e) => {
        e.scrollTop = 0;
      });
      for (let i = 0; i < 5; i++) await page.keyboard.press('j');
      await expect(page.locator('.vrow[aria-posinset="6"] .qrow').getAttribute('aria-current')).resolves.toBe(
        'true',
      );
      const delay = await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const start = performance.now();
            setTimeout(() => resolve(performance.now() - start), 0);
          }),
      );
      // A frozen page blocks for seconds; the margin is for other tests sharing the CPU.
      expect(delay).toBeLessThan(1_000);
      await screenshot(page, 'queue-1000.png');
    } finally {
      await page.context().close();
    }
  }, 90_000);
});
