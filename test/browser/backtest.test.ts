import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRows, schema } from '@gatehouse/db';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DESTROY_POLICY, startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { ensureWebBuilt, launchChromium, reviewerAndApprover, screenshot } from './support.ts';

/**
 * The policy backtest page in real Chromium, over a real server with a history written to its
 * database: 20,000 requests of the last week, every 8th a `terraform destroy` (multi_party),
 * the rest `git status` (auto). The uploaded candidate makes destroys a deny.
 */
const TOTAL = 20_000;
const DESTROYS = TOTAL / 8;
const CANDIDATE = NO_DESTROY_POLICY;

describe('policy backtest page', () => {
  let gh: TestGatehouse;
  let browser: Browser;
  let reviewer: Page;
  let approver: Page;
  const dir = mkdtempSync(join(tmpdir(), 'gh-backtest-web-'));
  const policyFile = join(dir, 'no-destroy.yaml');

  beforeAll(async () => {
    ensureWebBuilt();
    [gh, browser] = await Promise.all([startGatehouse({ redis: false }), launchChromium()]);
    const agent = await gh.createAgent({ name: 'ci-1', type: 'ci' });
    const now = Date.now();
    const rows = Array.from({ length: TOTAL }, (_, i) => {
      const destroy = i % 8 === 0;
      return {
        id: `req_web${String(i).padStart(6, '0')}`,
        agentId: agent.id,
        sessionId: 'ses_gen',
        kind: 'shell',
        command: destroy ? `terraform destroy -target=module.m${i % 3}` : 'git status',
        context: { environment: 'dev' },
        cmdHash: `h${i}`,
        score: destroy ? 85 : 5,
        tier: destroy ? 'multi_party' : 'auto',
        reasons: [],
        commands: [],
        policyVersion: 'gen',
        status: destroy ? 'approved' : 'auto_approved',
        requiredApprovals: destroy ? 2 : 0,
        createdAt: new Date(now - 6 * 86_400_000 + i * 10_000).toISOString(),
      };
    });
    const db = gh.running.runtime.database.db;
    for (let i = 0; i < rows.length; i += 5_000)
      await db.execute(insertRows([{ table: schema.requests, rows: rows.slice(i, i + 5_000) }]));
    writeFileSync(policyFile, CANDIDATE);
    ({ reviewer, approver } = await reviewerAndApprover(browser, gh));
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([reviewer, approver].map((p) => p?.context().close()));
    await browser?.close();
    await gh?.stop();
  });

  it('is reached from the console by keyboard, takes an uploaded policy, shows progress, then the moves', async () => {
    await reviewer.goto(`${gh.url}/console`);
    const link = reviewer.getByTestId('backtest-link');
    await link.waitFor();
    let focused = false;
    for (let i = 0; i < 40 && !focused; i++) {
      await reviewer.keyboard.press('Tab');
      focused = await link.evaluate((el) => el === (el as any).ownerDocument.activeElement);
    }
    expect(focused).toBe(true);
    await reviewer.keyboard.press('Enter');
    await reviewer.getByRole('heading', { name: 'Policy backtest' }).waitFor();
    expect(new URL(reviewer.url()).pathname).toBe('/console/backtest');

    // Empty state; nothing to run yet.
    await reviewer.getByTestId('backtest-empty').waitFor();
    const run = reviewer.getByRole('button', { name: 'Run backtest' });
    expect(await run.isDisabled()).toBe(true);

    await reviewer.getByLabel('Policy file').setInputFiles(policyFile);
    const editor = reviewer.getByLabel('Policy (YAML)');
    await expect.poll(() => editor.inputValue()).toBe(CANDIDATE);
    await reviewer.getByText('loaded no-destroy.yaml').waitFor();
    await reviewer.getByLabel('History').selectOption('7d');

    // Record every progress value the page draws while the run streams.
    await reviewer.evaluate(() => {
      // Runs in the page: the DOM's globals, which this file's types do not know.
      const w = globalThis as any;
      w.__progress = [];
      new w.MutationObserver(() => {
        const bar = w.document.querySelector('[data-testid="backtest-progress"] progress');
        if (bar?.hasAttribute('value'))
          w.__progress.push([Number(bar.getAttribute('value')), Number(bar.getAttribute('max'))]);
      }).observe(w.document.body, { subtree: true, childList: true, attributes: true });
    });
    await editor.focus();
    await reviewer.keyboard.press('Control+Enter');

    const result = reviewer.getByTestId('backtest-result');
    await result.waitFor({ timeout: 60_000 });
    const progress: [number, number][] = await reviewer.evaluate(() => (globalThis as any).__progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every(([, max]) => max === TOTAL)).toBe(true);
    // It moved: some value drawn between the start and the end.
    expect(progress.some(([value]) => value > 0 && value < TOTAL)).toBe(true);

    // The result takes the focus, so a keyboard user lands on it.
    const heading = reviewer.getByRole('heading', {
      name: `${DESTROYS.toLocaleString()} of ${TOTAL.toLocaleString()} requests change tier`,
    });
    await heading.waitFor();
    expect(await heading.evaluate((el) => el === (el as any).ownerDocument.activeElement)).toBe(true);
    const rate = `${(((TOTAL - DESTROYS) / TOTAL) * 100).toFixed(1)}%`;
    expect(await reviewer.getByTestId('rate-now').textContent()).toBe(rate);
    expect(await reviewer.getByTestId('rate-candidate').textContent()).toBe(rate);
    const tiers = reviewer.getByRole('table', { name: 'Requests per tier' });
    expect(await tiers.getByRole('row', { name: /^multi-party/ }).textContent()).toBe(
      `multi-party${DESTROYS.toLocaleString()}0`,
    );
    expect(await tiers.getByRole('row', { name: /^deny/ }).textContent()).toBe(
      `deny0${DESTROYS.toLocaleString()}`,
    );
    const move = reviewer.locator('[data-move="multi_party>deny"]');
    expect(await move.locator('td').nth(2).textContent()).toBe(DESTROYS.toLocaleString());
    const examples = move.locator('li');
    expect(await examples.count()).toBe(5);
    for (const text of await examples.allTextContents())
      expect(text).toMatch(/^terraform destroy -target=module\.m\d dev · shell\.terraform\.destroy/);
    expect(await reviewer.locator('[data-move]').count()).toBe(1);
    await reviewer.getByRole('table', { name: 'Tier moves' }).scrollIntoViewIfNeeded();
    await screenshot(reviewer, 'backtest-result.png');
  }, 90_000);

  it('shows the validator’s line and column for a broken policy', async () => {
    const editor = reviewer.getByLabel('Policy (YAML)');
    await editor.fill('version: "1"\nextends: default\nthresholds:\n  review: high\n');
    await reviewer.getByRole('button', { name: 'Run backtest' }).click();
    const alert = reviewer.getByTestId('backtest-error');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/line 4, column \d+.*\(POLICY_INVALID\)/);
    expect(await reviewer.getByTestId('backtest-result').count()).toBe(0);
  });

  it('tells an approver that backtests are for auditors and admins, and the console offers no link', async () => {
    await approver.goto(`${gh.url}/console`);
    await approver.getByRole('heading', { name: 'Security console' }).waitFor();
    expect(await approver.getByTestId('backtest-link').count()).toBe(0);
    await approver.goto(`${gh.url}/console/backtest`);
    await approver.getByText('Backtests are for auditors and admins').waitFor();
    expect(await approver.getByRole('button', { name: 'Run backtest' }).count()).toBe(0);
  });
});
