import { readFileSync } from 'node:fs';
import { insertRows, migrate, openDatabase, schema } from '@gatehouse/db';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { createPerson, ensureWebBuilt, eventually, launchChromium, newPage, signIn } from './support.ts';

/**
 * The console's custom range, its link, and the mix per bucket, in real Chromium over a real
 * server whose own job built the rollups from a history written before it started. Day d
 * (0 = twenty days ago) holds, all at noon UTC:
 *   2 + d % 3   auto / auto_approved
 *   1           review / approved (after 60 s)
 *   d % 2       review / rejected (after 600 s)
 *   1 if d % 4 = 0   deny / denied
 *   1 if d % 5 = 0   multi_party / expired (after an hour; one left pending would be expired
 *                    by the server's own sweep anyway)
 */
const DAY = 86_400_000;
const DAYS = 20;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const START = TODAY - DAYS * DAY;
const day = (d: number) => new Date(START + d * DAY).toISOString().slice(0, 10);

function expected(d: number) {
  const auto = 2 + (d % 3);
  const rejected = d % 2;
  const deny = d % 4 === 0 ? 1 : 0;
  const expired = d % 5 === 0 ? 1 : 0;
  return {
    total: auto + 1 + rejected + deny + expired,
    tiers: { auto, review: 1 + rejected, multi_party: expired, deny },
    outcomes: { approved: 1, rejected, expired, cancelled: 0, pending: 0 },
  };
}

async function writeHistory(database: TestDatabase): Promise<number> {
  const handle = await openDatabase({ url: database.url, dataDir: '/nonexistent', poolSize: 2 });
  try {
    await migrate(handle.db);
    await handle.db.insert(schema.agents).values({
      id: 'agt_range',
      name: 'range-bot',
      type: 'ci',
      keyHash: 'unused-agt_range',
      createdBy: 'admin',
      environments: ['staging'],
    });
    const rows: Record<string, unknown>[] = [];
    for (let d = 0; d < DAYS; d++) {
      const e = expected(d);
      const kinds: { tier: string; status: string; after: number | null }[] = [
        ...Array.from({ length: e.tiers.auto }, () => ({
          tier: 'auto',
          status: 'auto_approved',
          after: null,
        })),
        { tier: 'review', status: 'approved', after: 60 },
        ...Array.from({ length: e.outcomes.rejected }, () => ({
          tier: 'review',
          status: 'rejected',
          after: 600,
        })),
        ...Array.from({ length: e.tiers.deny }, () => ({ tier: 'deny', status: 'denied', after: null })),
        ...Array.from({ length: e.outcomes.expired }, () => ({
          tier: 'multi_party',
          status: 'expired',
          after: 3600,
        })),
      ];
      kinds.forEach((kind, i) => {
        const createdAt = START + d * DAY + DAY / 2 + i * 60_000;
        rows.push({
          id: `req_range_${d}_${i}`,
          agentId: 'agt_range',
          sessionId: 'ses_range',
          kind: 'shell',
          command: kind.tier === 'auto' ? 'git status' : 'terraform apply',
          context: { environment: 'staging' },
          cmdHash: `range-${d}-${i}`,
          score: kind.tier === 'auto' ? 5 : 45,
          tier: kind.tier,
          reasons: [],
          commands: [{ kind: 'shell', name: 'git', args: ['status'], text: '', via: [] }],
          policyVersion: 'range',
          whitelistedBy: null,
          status: kind.status,
          requiredApprovals: kind.tier === 'auto' || kind.tier === 'deny' ? 0 : 1,
          createdAt: new Date(createdAt).toISOString(),
          decidedAt: kind.after === null ? null : new Date(createdAt + kind.after * 1000).toISOString(),
        });
      });
    }
    await handle.db.execute(insertRows([{ table: schema.requests, rows }]));
    return rows.length;
  } finally {
    await handle.close();
  }
}

/** Pixels of the canvas within 30 of the colour in every channel. */
function pixelsOf(page: Page, testId: string, rgb: [number, number, number]): Promise<number> {
  return page.locator(`[data-testid="${testId}"] canvas`).evaluate((canvas: any, [r, g, b]) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4)
      if (Math.abs(data[i] - r) < 30 && Math.abs(data[i + 1] - g) < 30 && Math.abs(data[i + 2] - b) < 30) n++;
    return n;
  }, rgb);
}

const MIX_COLUMNS = [
  'total',
  'auto',
  'review',
  'multi_party',
  'deny',
  'approved',
  'rejected',
  'expired',
  'cancelled',
  'pending',
];
const row = (e: ReturnType<typeof expected>) => [
  e.total,
  e.tiers.auto,
  e.tiers.review,
  e.tiers.multi_party,
  e.tiers.deny,
  e.outcomes.approved,
  e.outcomes.rejected,
  e.outcomes.expired,
  e.outcomes.cancelled,
  e.outcomes.pending,
];

describe('security console: custom range and the mix per bucket', () => {
  let database: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let historySize: number;

  beforeAll(async () => {
    ensureWebBuilt();
    database = await createTestDatabase();
    historySize = await writeHistory(database);
    [gh, browser] = await Promise.all([
      startGatehouse({
        database,
        redis: false,
        env: { GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: '1', GATEHOUSE_DRIFT_CHECK_SECONDS: '3600' },
      }),
      launchChromium(),
    ]);
    await createPerson(gh, 'security@example.com', ['auditor']);
    // The first round of the rollup job folds the history in; the page reads what it built.
    const summary = await eventually(
      () => gh.api(`/v1/insights/summary?from=${new Date(START).toISOString()}`, { token: gh.adminToken }),
      (answer) => answer.body.total === historySize,
      20_000,
    );
    expect(summary.body.total).toBe(historySize);
    page = await newPage(browser);
    await signIn(page, gh.url, 'security@example.com');
  }, 120_000);

  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await gh?.stop();
    await database?.drop();
  });

  const rates = () => page.getByRole('region', { name: /Auto-approval rate per/ });
  const mix = () => page.getByRole('region', { name: /Tier mix and outcomes per/ });

  it('applies a custom range chosen from the keyboard, and keeps it in the link', async () => {
    await page.goto(new URL('/console', gh.url).href);
    await mix().waitFor();
    const tiersBefore = await page
      .getByTestId('tier-chart')
      .locator('canvas')
      .evaluate((c: any) => c.toDataURL());

    const range = page.getByLabel(/^Range\b/);
    await range.focus();
    await page.keyboard.type('c'); // type-ahead: "custom range…"
    const from = page.getByLabel(/^From\b/);
    await from.waitFor();
    await page.keyboard.press('Tab');
    await expect(from.evaluate((el) => el === (el as any).ownerDocument.activeElement)).resolves.toBe(true);
    await from.fill(day(5));
    await page.keyboard.press('Tab');
    await page.getByLabel(/^To\b/).fill(day(11));
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`range=custom&from=${day(5)}&to=${day(11)}&bucket=day`));

    // The stacked chart redrew, from the days of the range: its caption sums them.
    const days = [5, 6, 7, 8, 9, 10, 11];
    const autoSum = days.reduce((n, d) => n + expected(d).tiers.auto, 0);
    await mix()
      .getByText(new RegExp(`^auto: ${autoSum};`))
      .waitFor();
    const tiersAfter = await page
      .getByTestId('tier-chart')
      .locator('canvas')
      .evaluate((c: any) => c.toDataURL());
    expect(tiersAfter).not.toBe(tiersBefore);
    expect(await pixelsOf(page, 'tier-chart', [0x1a, 0x7f, 0x37])).toBeGreaterThan(200);
    expect(await pixelsOf(page, 'outcome-chart', [0x1a, 0x7f, 0x37])).toBeGreaterThan(100);
    expect(await pixelsOf(page, 'latency-chart', [0x24, 0x57, 0xc5])).toBeGreaterThan(50);

    await rates().getByRole('button', { name: 'Table', exact: true }).click();
    const rateRows = await page.getByTestId('rate-table').locator('tbody th').allTextContents();
    expect(rateRows).toEqual(days.map(day));
    await rates().getByRole('button', { name: 'Chart', exact: true }).click();
  });

  it('holds the numbers of the mix chart in its table view and its CSV export', async () => {
    const table = mix().getByRole('button', { name: 'Table', exact: true });
    await table.focus();
    await page.keyboard.press('Space');
    const lines = await page
      .getByTestId('mix-table')
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr: any) => [...tr.children].map((cell: any) => cell.textContent as string)),
      );
    const days = [5, 6, 7, 8, 9, 10, 11];
    expect(lines.map((cells) => cells[0])).toEqual(days.map(day));
    expect(lines.map((cells) => cells.slice(1, 1 + MIX_COLUMNS.length).map(Number))).toEqual(
      days.map((d) => row(expected(d))),
    );
    // Day 5: closed after 60 s, 600 s and 3600 s: p50 (rank 1.5) is halfway into 300–600 s,
    // p90 (rank 2.7) 70% into 1800–3600 s. Day 6: one approval alone, interpolated in 30–60 s.
    expect(lines[0]!.slice(-2)).toEqual(['8 min', '51 min']);
    expect(lines[1]!.slice(-2)).toEqual(['45 s', '57 s']);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      mix().getByRole('button', { name: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('mix-day.csv');
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe(
      'bucket_start,total,tier_auto,tier_review,tier_multi_party,tier_deny,approved,rejected,expired,cancelled,pending,decided,p50_seconds,p90_seconds',
    );
    expect(csv.slice(1).map((line) => line.split(',').slice(1, 11).map(Number))).toEqual(
      days.map((d) => row(expected(d))),
    );
    expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual(
      days.map((d) => new Date(START + d * DAY).toISOString()),
    );
  });

  it('opens a shared link on the same view', async () => {
    const other = await newPage(browser);
    await signIn(other, gh.url, 'security@example.com');
    await other.goto(page.url());
    await other.getByRole('region', { name: /Tier mix and outcomes per day/ }).waitFor();
    await expect(other.getByLabel(/^From\b/).inputValue()).resolves.toBe(day(5));
    await expect(other.getByLabel(/^To\b/).inputValue()).resolves.toBe(day(11));
    await expect(other.getByLabel(/^Range\b/).inputValue()).resolves.toBe('custom');
    await other.context().close();
  });

  it('shows why a range is refused beside the dates, and recovers when it is fixed', async () => {
    await page.goto(new URL(`/console?range=custom&from=${day(5)}&to=${day(11)}`, gh.url).href);
    await mix().waitFor();
    // Reversed, from the keyboard: the server's message, not a blank page.
    await page.getByLabel(/^From\b/).fill(day(11));
    await page.getByLabel(/^To\b/).fill(day(5));
    await page.getByLabel(/^To\b/).press('Enter');
    const problem = page.getByTestId('range-problem');
    await expect(problem.textContent()).resolves.toBe('`from` must be before `to`');
    await page.getByTestId('console-invalid').waitFor();
    await page.getByRole('heading', { name: 'Security console' }).waitFor();

    // Too many hour buckets, from a hand-made link.
    const long = `/console?range=custom&from=${day(-100)}&to=${day(DAYS)}&bucket=hour&by=all`;
    await page.goto(new URL(long, gh.url).href);
    await expect(page.getByTestId('range-problem').textContent()).resolves.toContain(
      'at most 2000 hour buckets',
    );
    await expect(page.getByLabel(/^To\b/).getAttribute('aria-invalid')).resolves.toBe('true');

    await page.getByLabel(/^Bucket\b/).selectOption('week');
    await page.waitForURL(/bucket=week/);
    await mix().getByRole('heading', { name: 'Tier mix and outcomes per week' }).waitFor();
    await expect(page.getByTestId('range-problem').count()).resolves.toBe(0);

    // A day that is not a day is caught before asking.
    await page.getByLabel(/^From\b/).fill('');
    await page.getByLabel(/^From\b/).press('Enter');
    await expect(page.getByTestId('range-problem').textContent()).resolves.toBe(
      'Enter both days as YYYY-MM-DD.',
    );

    // The 90-day preset spans more than 2,000 hours: its totals must not trip the hourly limit.
    await page.getByLabel(/^Range\b/).selectOption('90d');
    await page.waitForURL(/range=90d&bucket=week/);
    await page.getByTestId('kpi-rate').waitFor();
    await mix().waitFor();
    await expect(page.getByTestId('range-problem').count()).resolves.toBe(0);
  });

  it('updates the mix live over the stream', async () => {
    await page.goto(new URL(`/console?range=custom&from=${day(15)}&to=${day(DAYS)}&bucket=day`, gh.url).href);
    await mix().getByRole('button', { name: 'Table', exact: true }).click();
    const today = page.getByTestId('mix-table').locator('tbody tr').last();
    await expect(today.locator('th').textContent()).resolves.toBe(day(DAYS));
    const before = Number(await today.locator('td').first().textContent());
    const agent = await gh.createAgent({ name: 'live-bot', type: 'ci', environments: ['staging'] });
    const session = await gh.session(agent.key);
    for (const command of ['ls', 'pwd'])
      await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    await page.waitForFunction(
      (n) => {
        const rows = (globalThis as any).document.querySelectorAll('[data-testid="mix-table"] tbody tr');
        return Number(rows[rows.length - 1]?.querySelector('td')?.textContent) === n;
      },
      before + 2,
      { timeout: 15_000 },
    );
  });
});
