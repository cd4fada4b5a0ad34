import { readFileSync } from 'node:fs';
import { insertRows, migrate, openDatabase, schema } from '@gatehouse/db';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, query, type TestDatabase } from '../support/postgres.ts';
import {
  ensureWebBuilt,
  launchChromium,
  newPage,
  reviewerAndApprover,
  screenshot,
  signIn,
} from './support.ts';

/**
 * The security console in real Chromium, over a real server whose own jobs built the rollups
 * and raised the drift alarm from a history written to the database before it started:
 *   ci/staging:           70% auto-approved, then 100% in the last 7 days → a ceiling alarm
 *   coding-agent/staging: 50% throughout → no alarm
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DAYS = 14;
const NOW = Date.now();
const START = Math.floor(NOW / HOUR) * HOUR - DAYS * DAY;

async function writeHistory(database: TestDatabase): Promise<number> {
  const handle = await openDatabase({ url: database.url, dataDir: '/nonexistent', poolSize: 2 });
  try {
    await migrate(handle.db);
    const agents = [
      { id: 'agt_hist_ci', name: 'ci-runner', type: 'ci' },
      { id: 'agt_hist_coder', name: 'coder', type: 'coding-agent' },
    ];
    await handle.db.insert(schema.agents).values(
      agents.map((a) => ({
        ...a,
        keyHash: `unused-${a.id}`,
        createdBy: 'admin',
        environments: ['staging'],
      })),
    );
    const rows: Record<string, unknown>[] = [];
    for (const agent of agents) {
      let c = 0;
      for (let t = START; t < Math.floor(NOW / HOUR) * HOUR; t += HOUR) {
        for (let j = 0; j < 3; j++, c++) {
          const inWindow = t >= NOW - 7 * DAY + HOUR;
          const share = agent.type === 'ci' ? (inWindow ? 1 : 0.7) : 0.5;
          const auto = Math.floor((c + 1) * share) > Math.floor(c * share);
          const createdAt = t + j * 1_000_000;
          rows.push({
            id: `req_hist_${agent.type}_${c}`,
            agentId: agent.id,
            sessionId: 'ses_hist',
            kind: 'shell',
            command: auto ? 'kubectl get pods' : 'kubectl delete pod web-1',
            context: { environment: 'staging' },
            cmdHash: `h-${agent.id}-${c}`,
            score: auto ? 5 : 45,
            tier: auto ? 'auto' : 'review',
            reasons: [{ rule: auto ? 'k8s.read' : 'k8s.delete', category: 'x', weight: 1, detail: '' }],
            commands: [
              { kind: 'shell', name: 'kubectl', args: [auto ? 'get' : 'delete'], text: '', via: [] },
            ],
            policyVersion: 'hist',
            whitelistedBy: auto ? 'kubectl-read' : null,
            status: auto ? 'auto_approved' : c % 2 ? 'approved' : 'rejected',
            requiredApprovals: auto ? 0 : 1,
            createdAt: new Date(createdAt).toISOString(),
            decidedAt: new Date(createdAt + (auto ? 0 : 120_000)).toISOString(),
          });
        }
      }
    }
    await handle.db.execute(insertRows([{ table: schema.requests, rows }]));
    return rows.length;
  } finally {
    await handle.close();
  }
}

describe('security console', () => {
  let database: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;
  let reviewer: Page;
  let approver: Page;
  let historySize: number;

  beforeAll(async () => {
    ensureWebBuilt();
    database = await createTestDatabase();
    historySize = await writeHistory(database);
    [gh, browser] = await Promise.all([
      startGatehouse({
        database,
        redis: false,
        env: { GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: '1', GATEHOUSE_DRIFT_CHECK_SECONDS: '1' },
      }),
      launchChromium(),
    ]);
    ({ reviewer, approver } = await reviewerAndApprover(browser, gh));
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([reviewer, approver].map((p) => p?.context().close()));
    await browser?.close();
    await gh?.stop();
    await database?.drop();
  });

  it('is reached from the keyboard and draws the rate chart from the rollups', async () => {
    // Keyboard only: tab to the Console link in the main navigation, Enter.
    const link = reviewer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' });
    await link.waitFor();
    let focused = false;
    for (let i = 0; i < 40 && !focused; i++) {
      await reviewer.keyboard.press('Tab');
      focused = await link.evaluate((el) => el === (el as any).ownerDocument.activeElement);
    }
    expect(focused).toBe(true);
    await reviewer.keyboard.press('Enter');
    await reviewer.getByRole('heading', { name: 'Security console' }).waitFor();
    await reviewer.getByRole('heading', { name: /Auto-approval rate per day/ }).waitFor();

    // The legend names the series; the canvas holds pixels of the first series' colour.
    const legend = reviewer.locator('[data-testid="rate-chart"] .u-legend');
    await expect(legend.textContent()).resolves.toContain('ci');
    await expect(legend.textContent()).resolves.toContain('coding-agent');
    const drawn = await reviewer.locator('[data-testid="rate-chart"] canvas').evaluate((canvas: any) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4)
        if (
          Math.abs(data[i]! - 0x24) < 30 &&
          Math.abs(data[i + 1]! - 0x57) < 30 &&
          Math.abs(data[i + 2]! - 0xc5) < 30
        )
          n++;
      return n;
    });
    expect(drawn).toBeGreaterThan(100);
    await expect(reviewer.getByTestId('kpi-rate').textContent()).resolves.toMatch(/%$/);
    await reviewer.getByRole('heading', { name: 'Top auto-approved command families' }).waitFor();
    await expect(reviewer.locator('table.bars').first().textContent()).resolves.toContain('auto');
    await reviewer
      .getByRole('region', { name: 'Top auto-approved command families' })
      .getByText('kubectl get', { exact: true })
      .waitFor();
  });

  it('shows every number in a table view, and exports them as CSV', async () => {
    const ratePanel = reviewer.getByRole('region', { name: /Auto-approval rate per/ });
    const table = ratePanel.getByRole('button', { name: 'Table', exact: true });
    await table.focus();
    await reviewer.keyboard.press('Space');
    const grid = reviewer.getByTestId('rate-table');
    await grid.waitFor();
    // The last full day of ci is 100% by construction.
    const lastRows = await grid.locator('tbody tr').allTextContents();
    expect(lastRows.length).toBeGreaterThanOrEqual(DAYS);
    expect(lastRows.at(-2)).toContain('100.0%');

    const [download] = await Promise.all([
      reviewer.waitForEvent('download'),
      reviewer
        .getByRole('region', { name: /Auto-approval rate per/ })
        .getByRole('button', { name: 'CSV' })
        .click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('key,label,bucket_start,total,auto_approved,rate');
    expect(csv).toMatch(/\r\nci,ci,\d{4}-\d\d-\d\dT00:00:00\.000Z,\d+,\d+,/);
    const total = csv
      .trim()
      .split('\r\n')
      .slice(1)
      .reduce((n, line) => n + Number(line.split(',')[3]), 0);
    expect(total).toBe(historySize);
    await ratePanel.getByRole('button', { name: 'Chart', exact: true }).click();
  });

  it('shows what anomaly detection judges each agent type against', async () => {
    // The baseline job folds the history in on its first rounds; until then the panel says so.
    const rows = reviewer.getByTestId('baseline-table').locator('tbody tr');
    for (let i = 0; i < 30 && (await rows.count()) < 2; i++) {
      await reviewer.waitForTimeout(500);
      await reviewer.reload();
      await reviewer.getByRole('heading', { name: 'Anomaly baselines per agent type' }).waitFor();
      await reviewer.getByTestId('baselines').locator('table, p.empty').first().waitFor();
    }
    const ci = rows.filter({ has: reviewer.locator('th', { hasText: /^ci$/ }) });
    const text = await ci.textContent();
    // 3 requests an hour for 14 days: learned, every hour worked, one a minute at most.
    expect(text).toContain('learned');
    expect(text).toContain('kubectl');
    expect(text).toContain('1.0/min · 30/min');
    expect(text).toContain('none');
  });

  it('shows the drift alarm to approvers read-only, and a reviewer acknowledges it with a comment', async () => {
    await approver.goto(new URL('/console', gh.url).href);
    const seen = approver.getByRole('alert').filter({ hasText: 'drift' });
    await seen.waitFor();
    await expect(seen.textContent()).resolves.toContain('ci/staging');
    await expect(seen.getByRole('button', { name: /Acknowledge/ }).count()).resolves.toBe(0);

    const banner = reviewer.getByRole('alert').filter({ hasText: 'drift' });
    await banner.waitFor();
    await expect(banner.textContent()).resolves.toContain('ci/staging');
    await expect(banner.textContent()).resolves.not.toContain('coding-agent');
    await banner.getByRole('button', { name: 'Acknowledge…' }).click();
    // The comment box has the focus; type and submit from the keyboard.
    await reviewer.keyboard.type('Whitelist kubectl-read rolled out to CI on purpose; reviewed.');
    await reviewer.keyboard.press('Tab');
    await reviewer.keyboard.press('Enter');
    await reviewer.getByTestId('no-drift').waitFor();

    const [alarm] = await query<{ comment: string; acknowledged_by: string }>(
      gh.database.url,
      `select comment, acknowledged_by from drift_alarms`,
    );
    expect(alarm?.comment).toBe('Whitelist kubectl-read rolled out to CI on purpose; reviewed.');
    const events = await query(
      gh.database.url,
      `select type from audit_events where type like 'insights.drift.%' order by id`,
    );
    expect(events.map((e) => e.type)).toEqual(['insights.drift.raised', 'insights.drift.acknowledged']);
  });

  it('updates live when requests arrive', async () => {
    const kpi = reviewer.locator('.kpis dd').first();
    const before = Number((await kpi.textContent())!.replace(/\D/g, ''));
    const agent = await gh.createAgent({ name: 'live-bot', type: 'ci', environments: ['staging'] });
    const session = await gh.session(agent.key);
    for (const command of ['ls', 'pwd', 'whoami'])
      await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    await reviewer.waitForFunction(
      (n) =>
        Number((globalThis as any).document.querySelector('.kpis dd')?.textContent?.replace(/\D/g, '')) === n,
      before + 3,
      { timeout: 15_000 },
    );
    await screenshot(reviewer, 'console.png');
  });

  it('designs its loading, error and empty states', async () => {
    const page = await newPage(browser);
    await signIn(page, gh.url, 'security@example.com');
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/v1/insights/summary*', async (route) => {
      await held;
      await route.fulfill({ status: 503, json: { error: { code: 'DATABASE_BUSY', message: 'busy' } } });
    });
    await page.goto(new URL('/console', gh.url).href);
    await page.getByText('Loading the auto-approval rates…').waitFor();
    release();
    const failed = page.getByRole('alert').filter({ hasText: 'could not be loaded' });
    await failed.waitFor();
    await expect(failed.textContent()).resolves.toContain('DATABASE_BUSY');

    await page.unroute('**/v1/insights/summary*');
    await page.route('**/v1/insights/summary*', (route) =>
      route.fulfill({
        json: {
          from: new Date(NOW - DAY).toISOString(),
          to: new Date(NOW).toISOString(),
          updatedAt: null,
          total: 0,
          autoApproved: 0,
          rate: null,
          tiers: { auto: 0, review: 0, multi_party: 0, deny: 0 },
          outcomes: { pending: 0, approved: 0, rejected: 0, expired: 0, cancelled: 0 },
          decisionLatency: { count: 0, p50Seconds: null, p90Seconds: null },
          topFamilies: [],
          topWhitelist: [],
          topReasons: [],
        },
      }),
    );
    await failed.getByRole('button', { name: 'Try again' }).click();
    await page.getByTestId('console-empty').waitFor();
    await expect(page.getByText('Nothing was auto-approved.').count()).resolves.toBe(1);
    await page.context().close();
  });
});
