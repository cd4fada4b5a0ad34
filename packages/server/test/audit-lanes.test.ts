import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatabaseHandle, migrate, openDatabase } from '@gatehouse/db';
import { generateVerdictKeyPair } from '@gatehouse/verdict';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query, type TestDatabase } from '../../../test/support/postgres.ts';
import { verifyDatabase } from '../src/audit/log.ts';
import { AuditWriter } from '../src/audit/writer.ts';

const event = (i: number) => ({
  type: 'test.event',
  actor: { type: 'system' as const, id: 'lanes' },
  data: { i },
});

async function chains(db: DatabaseHandle): Promise<string[]> {
  const rows = await db.db.execute(sql`select distinct chain from audit_events order by chain`);
  return (rows.rows as { chain: string }[]).map((r) => r.chain);
}

async function verified(db: DatabaseHandle) {
  const pair = await generateVerdictKeyPair();
  return verifyDatabase(db.db, [pair.publicJwk]);
}

/** Lanes are leased: restarts reuse them, live writers never share one, a killed writer's lanes come back. */
describe('audit lanes on PostgreSQL', () => {
  let database: TestDatabase;
  let db: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase('gh_lanes');
    db = await openDatabase({ url: database.url, dataDir: '', poolSize: 6 });
    await migrate(db.db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('a restart takes up the lanes the stopped process released, at their heads', async () => {
    const first = new AuditWriter(db.db, { lanes: 4 });
    await first.start();
    await Promise.all(Array.from({ length: 20 }, (_, i) => first.append(event(i))));
    const lanes = first.lanes;
    expect(lanes).toHaveLength(4);
    await first.close();

    for (let restart = 0; restart < 3; restart++) {
      const next = new AuditWriter(db.db, { lanes: 4 });
      await next.start();
      expect(next.lanes).toEqual(lanes);
      await Promise.all(Array.from({ length: 10 }, (_, i) => next.append(event(100 + i))));
      await next.close();
    }
    // However many restarts, the events are in the first writer's lanes (group commit may
    // have used only some of them).
    const used = await chains(db);
    expect(used.length).toBeGreaterThan(0);
    expect(lanes).toEqual(expect.arrayContaining(used));
    const report = await verified(db);
    expect(report.problems).toEqual([]);
    expect(report.events).toBe(50);
  });

  it('two live writers never share a lane', async () => {
    const a = new AuditWriter(db.db, { lanes: 4 });
    const b = new AuditWriter(db.db, { lanes: 4 });
    await Promise.all([a.start(), b.start()]);
    expect(a.lanes.filter((l) => b.lanes.includes(l))).toEqual([]);
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => a.append(event(i))),
      ...Array.from({ length: 20 }, (_, i) => b.append(event(i))),
    ]);
    await Promise.all([a.close(), b.close()]);
    expect((await verified(db)).problems).toEqual([]);
  });

  it('a killed writer’s lanes are reused once its lease runs out, not before', async () => {
    // Its own connections: closing them is what the database sees of a kill -9 (no release,
    // no more renewals).
    const own = await openDatabase({ url: database.url, dataDir: '', poolSize: 2 });
    const killed = new AuditWriter(own.db, { lanes: 2, leaseSeconds: 2 });
    await killed.start();
    await killed.append(event(1));
    const held = killed.lanes;
    await own.close();

    const early = new AuditWriter(db.db, { lanes: 2, leaseSeconds: 2 });
    await early.start();
    expect(early.lanes.filter((l) => held.includes(l))).toEqual([]);
    await early.close();

    await new Promise((r) => setTimeout(r, 2_300));
    const later = new AuditWriter(db.db, { lanes: 8, leaseSeconds: 2 });
    await later.start();
    expect(later.lanes).toEqual(expect.arrayContaining(held));
    await later.append(event(2));
    await later.close();
    expect((await verified(db)).problems).toEqual([]);
  });

  it('a writer whose lane was taken over gives it up instead of forking the chain', async () => {
    const lost: [string, string][] = [];
    const a = new AuditWriter(db.db, {
      lanes: 1,
      leaseSeconds: 30,
      onLaneLost: (chain, why) => lost.push([chain, why]),
    });
    await a.start();
    await a.append(event(1));
    const [lane] = a.lanes;
    // Another writer claims the lane behind a's back (as after a pause longer than the lease)
    // and appends to it first.
    await query(
      database.url,
      `update audit_lanes set lease_until = now() - interval '1 second' where chain = $1`,
      [lane],
    );
    const b = new AuditWriter(db.db, { lanes: 1, leaseSeconds: 30 });
    await b.start();
    expect(b.lanes).toEqual([lane]);
    await b.append(event(2));
    // a's next append meets the (chain, seq) index, gives the lane up, and commits on a new one.
    await a.append(event(9003));
    expect(lost).toEqual([[lane, expect.stringMatching(/another writer appended to it/)]]);
    expect(a.lanes).not.toContain(lane);
    await Promise.all([a.close(), b.close()]);
    const report = await verified(db);
    expect(report.problems).toEqual([]);
    const rows = await query<{ n: number }>(
      database.url,
      `select count(*)::int as n from audit_events where data->>'i' = '9003'`,
    );
    expect(rows[0]!.n).toBe(1);
  });
});

describe('audit lanes on the embedded database', () => {
  it('the one process reuses its lanes across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-lanes-'));
    const open = async () => {
      const handle = await openDatabase({ dataDir });
      await migrate(handle.db);
      return handle;
    };
    let handle = await open();
    const first = new AuditWriter(handle.db, { lanes: 2 });
    await first.append(event(1));
    const lanes = first.lanes;
    await first.close();
    await handle.close();
    handle = await open();
    try {
      const second = new AuditWriter(handle.db, { lanes: 2 });
      await second.append(event(2));
      expect(second.lanes).toEqual(lanes);
      await second.close();
      const rows = await handle.db.execute(sql`select count(distinct chain)::int as n from audit_events`);
      expect(rows.rows[0]).toEqual({ n: 1 });
    } finally {
      await handle.close();
    }
  });
});
