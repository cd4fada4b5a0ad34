import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRows, schema } from '@gatehouse/db';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DESTROY_POLICY } from '../../../test/support/gatehouse.ts';
import { prepareBacktest, runBacktest } from '../src/backtest/service.ts';
import { loadConfig, type RunningGatehouse, serve } from '../src/index.ts';

// The embedded database (PGlite) runs on the server's own thread: a backtest over its history
// must leave room for the requests being served. 20,000 requests of the last day, every
// command different so every one goes through the parsers; while the run streams, an agent
// keeps submitting and each answer must come back promptly.
const TOTAL = 20_000;
const CANDIDATE = NO_DESTROY_POLICY;

describe('backtest on the embedded database', () => {
  let running: RunningGatehouse;
  let dataDir: string;
  let url: string;
  const adminToken = `test-admin-${randomBytes(16).toString('hex')}`;
  let session: string;

  const api = async (path: string, token: string, body?: unknown) => {
    const response = await fetch(new URL(path, url), {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gh-backtest-embedded-'));
    running = await serve(
      loadConfig({
        GATEHOUSE_HOST: '127.0.0.1',
        GATEHOUSE_PORT: '0',
        GATEHOUSE_DATA_DIR: dataDir,
        DATABASE_URL: '',
        REDIS_URL: '',
        GATEHOUSE_ADMIN_TOKEN: adminToken,
        GATEHOUSE_MASTER_KEY: `test-master-key-${randomBytes(8).toString('hex')}-0123456789`,
      }),
      { http: true, jobs: true, logger: false },
    );
    url = running.url!;
    const agent = (await api('/v1/agents', adminToken, { name: 'ci-1', type: 'ci' })).body;
    session = (await api('/v1/sessions', agent.key, {})).body.token;
    const now = Date.now();
    const rows = Array.from({ length: TOTAL }, (_, i) => ({
      id: `req_emb${String(i).padStart(6, '0')}`,
      agentId: agent.id,
      sessionId: 'ses_gen',
      kind: 'shell',
      command: i % 10 === 0 ? `terraform destroy -target=module.m${i}` : `git log -n ${i} -- src/`,
      context: { environment: 'dev' },
      cmdHash: `h${i}`,
      score: i % 10 === 0 ? 85 : 5,
      tier: i % 10 === 0 ? 'multi_party' : 'auto',
      reasons: [],
      commands: [],
      policyVersion: 'gen',
      status: i % 10 === 0 ? 'approved' : 'auto_approved',
      requiredApprovals: i % 10 === 0 ? 2 : 0,
      createdAt: new Date(now - 3_600_000 - i * 100).toISOString(),
    }));
    const db = running.runtime.database.db;
    for (let i = 0; i < rows.length; i += 5_000)
      await db.execute(insertRows([{ table: schema.requests, rows: rows.slice(i, i + 5_000) }]));
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps answering agents while it re-scores the whole history', async () => {
    const started = Date.now();
    const run = fetch(new URL('/v1/backtests', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ policy: CANDIDATE, since: '1d' }),
    }).then(async (r) => ({
      status: r.status,
      lines: (await r.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    }));
    let finished = false;
    void run.finally(() => {
      finished = true;
    });
    const latencies: number[] = [];
    while (!finished) {
      const t0 = Date.now();
      const answer = await api('/v1/requests', session, { kind: 'shell', command: 'git status' });
      latencies.push(Date.now() - t0);
      expect(answer.status).toBe(201);
    }
    const elapsed = Date.now() - started;
    const { status, lines } = await run;
    expect(status).toBe(200);
    const result = lines.at(-1);
    expect(result).toMatchObject({ type: 'result', total: TOTAL, moved: TOTAL / 10 });
    // The run is long enough for the measure to mean something, and no answer waited for it.
    expect(elapsed).toBeGreaterThan(1_000);
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(Math.max(750, elapsed / 3));
  }, 120_000);

  it('runs two backtests at once and refuses a third with 429 and Retry-After until one ends', async () => {
    // The newest quarter of the history: runs long enough to overlap, short enough to be quick.
    const quarter = new Date(Date.now() - 3_600_000 - 500_000).toISOString();
    const start = (since = quarter) =>
      fetch(new URL('/v1/backtests', url), {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ policy: CANDIDATE, since }),
      });
    // A fetch resolves at the headers, which leave with the first line: both runs are under way.
    const [a, b] = [await start(), await start()];
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await start();
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(((await third.json()) as any).error.code).toBe('BACKTEST_BUSY');
    for (const answer of [a, b])
      expect((await answer.text()).trim().split('\n').at(-1)).toContain('"type":"result"');
    // The slots are given back when the answers close.
    // Only the last hour: the requests of the first test, a quick run.
    let again = await start('1h');
    for (let i = 0; i < 20 && again.status === 429; i++) {
      await again.text();
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await start('1h');
    }
    expect(again.status).toBe(200);
    await again.text();
  }, 120_000);

  it('records a run that the client broke off as incomplete, with what it had counted', async () => {
    const prepared = await prepareBacktest(running.runtime.database.db, { policy: CANDIDATE, since: '1d' });
    const by = { type: 'admin', id: 'admin' } as const;
    const lines = runBacktest(running.runtime, by, prepared);
    // The first test's submissions are in the window too.
    const first = (await lines.next()).value as { type: string; done: number; total: number };
    expect(first).toMatchObject({ type: 'progress', done: 0 });
    expect(first.total).toBeGreaterThan(TOTAL);
    expect((await lines.next()).value).toMatchObject({ type: 'progress', done: 1_000 });
    // What Readable.from does when the response is destroyed: the generator is returned.
    await lines.return(undefined);
    const events = await running.runtime.database.db
      .select()
      .from(schema.auditEvents)
      .where(eq(schema.auditEvents.type, 'policy.backtested'))
      .orderBy(asc(schema.auditEvents.id));
    expect(events.at(-1)?.data).toMatchObject({
      complete: false,
      total: 1_000,
      policyHash: prepared.policyHash,
    });
  });
});
