import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../../../test/support/postgres.ts';
import { startTcpProxy, type TcpProxy } from '../../../test/support/tcp-proxy.ts';
import { type DatabaseHandle, databaseErrorOf, openDatabase } from '../src/index.ts';

/** What a call ended with: `ok`, or the DatabaseError code (or message) it failed with, and when. */
async function outcome(call: () => Promise<unknown>): Promise<{ result: string; ms: number }> {
  const started = performance.now();
  const result = await call().then(
    () => 'ok',
    (error: unknown) => databaseErrorOf(error)?.code ?? String(error),
  );
  return { result, ms: performance.now() - started };
}

/**
 * PostgreSQL through a TCP proxy the test cuts: every query and transaction fails as
 * ERR_DB_UNREACHABLE within bounded time, whether the connections are reset (a crash, a
 * failover) or go silent (a partition); no pool slot is lost on the way, so the same handle
 * works again as soon as the line is back.
 */
describe('a PostgreSQL outage, as the connection pool sees it', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let handle: DatabaseHandle;
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-outage-'));
  const POOL = 2;
  const QUERY_TIMEOUT_MS = 400;

  beforeAll(async () => {
    const upstream = new URL(TEST_DATABASE_URL);
    [database, proxy] = await Promise.all([
      createTestDatabase('gh_outage'),
      startTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) }),
    ]);
    handle = await openDatabase({
      url: proxy.via(database.url),
      dataDir,
      poolSize: POOL,
      queryTimeoutMs: QUERY_TIMEOUT_MS,
    });
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
    await proxy?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** More transactions than the pool has connections, and plain queries, at once. */
  const load = () =>
    Promise.all([
      ...Array.from({ length: POOL * 3 }, () =>
        outcome(() => handle.db.transaction(async (tx) => tx.execute(sql`select 1`))),
      ),
      ...Array.from({ length: POOL }, () => outcome(() => handle.db.execute(sql`select 1`))),
    ]);

  const worksAgain = async () => {
    // Every pool slot must be usable again: as many transactions at once as the pool holds, twice.
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        Array.from({ length: POOL * 2 }, () =>
          outcome(() => handle.db.transaction(async (tx) => tx.execute(sql`select 1`))),
        ),
      );
      expect(results.map((r) => r.result)).toEqual(results.map(() => 'ok'));
    }
  };

  it.each(['reset', 'silent'] as const)(
    'fails fast when the line is %s, and recovers',
    async (mode) => {
      expect((await load()).map((r) => r.result)).toEqual(Array(POOL * 4).fill('ok'));

      proxy.cut(mode);
      const during = await load();
      expect(new Set(during.map((r) => r.result))).toEqual(new Set(['ERR_DB_UNREACHABLE']));
      // Reset: at once. Silent: the query timeout, or the connect timeout for a new connection.
      const bound = mode === 'reset' ? 1_000 : 5_000 + 2 * QUERY_TIMEOUT_MS + 1_000;
      for (const r of during) expect(r.ms).toBeLessThan(bound);
      await expect(handle.ping()).rejects.toThrow();

      proxy.restore();
      await worksAgain();
    },
    30_000,
  );
});
