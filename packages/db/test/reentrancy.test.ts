import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { type DatabaseHandle, databaseErrorOf, openDatabase } from '../src/index.ts';

const codeOf = (attempt: Promise<unknown>) =>
  attempt.then(
    () => 'resolved',
    (error: unknown) => databaseErrorOf(error)?.code ?? String(error),
  );

/**
 * A call on the outer handle from inside a transaction waits for a connection the
 * transaction holds: on PGlite that wait never ends. Both drivers refuse it at once, so the
 * suite on PostgreSQL catches what would wedge the embedded mode.
 */
describe.each(['postgres', 'pglite'] as const)('transactions on %s', (driver) => {
  let handle: DatabaseHandle;
  let database: TestDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-reentrancy-'));

  beforeAll(async () => {
    if (driver === 'postgres') database = await createTestDatabase();
    handle = await openDatabase({ url: database?.url, dataDir });
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a query on the outer handle from inside a transaction, and the transaction rolls back', async () => {
    await handle.db.execute(sql`create table if not exists probe (n int)`);
    const attempt = handle.db.transaction(async (tx) => {
      await tx.execute(sql`insert into probe values (1)`);
      await handle.db.execute(sql`select 1`);
    });
    expect(await codeOf(attempt)).toBe('ERR_DB_REENTRANT');
    const rows = await handle.db.execute(sql`select count(*)::int as n from probe`);
    expect(rows.rows[0]).toEqual({ n: 0 });
  });

  it('refuses a second transaction opened from inside one', async () => {
    const attempt = handle.db.transaction(async () => {
      await handle.db.transaction(async () => {});
    });
    expect(await codeOf(attempt)).toBe('ERR_DB_REENTRANT');
  });

  it('lets work started inside a transaction use the database once it has ended', async () => {
    let later: Promise<unknown> | undefined;
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      later = new Promise((resolve) => setTimeout(resolve, 10)).then(() => handle.db.execute(sql`select 2`));
    });
    await expect(later).resolves.toBeDefined();
  });

  it('keeps serving queries and transactions side by side', async () => {
    const results = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => handle.db.execute(sql`select ${i}::int as n`)),
      ...Array.from({ length: 5 }, (_, i) =>
        handle.db.transaction(async (tx) => tx.execute(sql`select ${i}::int as n`)),
      ),
    ]);
    expect(results).toHaveLength(25);
  });
});
