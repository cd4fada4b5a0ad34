import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TestGatehouse } from '../support/gatehouse.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = join(ROOT, 'apps/web');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/**
 * The web app must be built before a server starts (the server decides at start whether it
 * serves it). `npm install`/`npm ci` build it; this covers a checkout where that was skipped
 * or the sources changed since. Built into a private directory and swapped into place, so
 * parallel test files never see a half-written build.
 */
export function ensureWebBuilt(): void {
  const index = join(WEB, 'dist/index.html');
  const sources = ['src', 'index.html', 'vite.config.ts'].map((p) => newestSource(join(WEB, p)));
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources)) return;
  const cache = join(ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const out = mkdtempSync(join(cache, 'gatehouse-web-'));
  try {
    execFileSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '--outDir', out, '--emptyOutDir'], {
      cwd: WEB,
      stdio: 'pipe',
    });
    const old = `${out}-old`;
    if (existsSync(join(WEB, 'dist'))) renameSync(join(WEB, 'dist'), old);
    renameSync(out, join(WEB, 'dist'));
    rmSync(old, { recursive: true, force: true });
  } catch (error) {
    // Another test file swapped its build in first; that one is as fresh as ours.
    if (!existsSync(index)) throw error;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    timeout: 30_000,
  });
}

/** A fresh context (own cookies) and page; the caller closes the context. */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  context.setDefaultTimeout(15_000);
  return context.newPage();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });
}

export const PASSWORD = 'correct horse battery staple';

/** A person with a local password, created through the admin API. */
export async function createPerson(
  gh: TestGatehouse,
  email: string,
  roles: string[],
): Promise<{ id: string }> {
  const answer = await gh.api('/v1/users', {
    token: gh.adminToken,
    body: { email, roles, password: PASSWORD },
  });
  if (answer.status !== 201)
    throw new Error(`user ${email}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Signs in through the login form and waits for the queue. */
export async function signIn(page: Page, url: string, email: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: /Pending/ }).waitFor();
}

/**
 * The security console's two readers, each signed in on a page of their own: a security
 * reviewer (auditor) who may act, and an on-call approver who may only look.
 */
export async function reviewerAndApprover(
  browser: Browser,
  gh: TestGatehouse,
): Promise<{ reviewer: Page; approver: Page }> {
  await createPerson(gh, 'security@example.com', ['auditor']);
  await createPerson(gh, 'oncall@example.com', ['approver']);
  const [reviewer, approver] = await Promise.all([newPage(browser), newPage(browser)]);
  await Promise.all([
    signIn(reviewer, gh.url, 'security@example.com'),
    signIn(approver, gh.url, 'oncall@example.com'),
  ]);
  return { reviewer, approver };
}

/** The live indicator says the WebSocket is connected. */
export async function waitLive(page: Page): Promise<void> {
  await page.locator('output.live[data-status="live"]').waitFor();
}

/** Polls the API until `check` holds (for state the page is expected to reflect). */
export async function eventually<T>(
  fn: () => Promise<T>,
  check: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (check(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
