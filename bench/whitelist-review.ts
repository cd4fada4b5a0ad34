import { migrate, openDatabase } from '@gatehouse/db';
import { createRiskEngine } from '@gatehouse/risk';
import { refreshWhitelistHits, whitelistGovernance } from '@gatehouse/server';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from '../test/support/postgres.ts';
import { type BenchResult, percentile } from './types.ts';

const REQUESTS = Number(process.env.BENCH_WHITELIST_REQUESTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_WHITELIST_ROUNDS ?? 40);
const DAY = 86_400_000;
const ENTRIES = 20;

/**
 * Whitelist governance over a large history: REQUESTS requests over 90 days, a third of them
 * lowered by one of ENTRIES policy-file entries (some by two at once, `a,b`), from 40 agents of
 * 4 types drawn by hash (every agent uses every entry). Timed: the hits job's first round (the
 * whole history), an incremental round after an hour of new requests, and the governance page's
 * read (every entry with hits and review), ROUNDS times. The bar: the page read does not grow
 * with the history (it reads the entry × agent totals only), p50 < 50 ms.
 */
export async function benchWhitelistReview(): Promise<BenchResult[]> {
  const database = await createTestDatabase('gh_bench_whitelist');
  const handle = await openDatabase({ url: database.url, dataDir: '', poolSize: 4 });
  const results: BenchResult[] = [];
  try {
    await migrate(handle.db);
    const db = handle.db;
    const policy = [
      'extends: default',
      'version: bench',
      'defaultWhitelist: false',
      'whitelist:',
      ...Array.from({ length: ENTRIES }, (_, i) => [
        `  - id: wl-${i}`,
        `    command: systemctl restart svc-${i}`,
        '    expires: 2099-12-31',
      ]).flat(),
    ].join('\n');
    const engine = await createRiskEngine(policy);
    await db.execute(sql`
      insert into agents (id, name, type, key_hash, created_by)
      select 'agt_b' || i, 'bench-' || i, (array['ci','coding-agent','untrusted','etl'])[1 + i % 4], 'k' || i, 'bench'
        from generate_series(0, 39) i`);
    const end = Date.now();
    const start = end - 90 * DAY;
    const insert = (count: number, from: number, span: number, prefix: string) =>
      db.execute(sql`
        insert into requests (id, agent_id, session_id, kind, command, context, cmd_hash, score, tier, reasons,
                              commands, policy_version, whitelisted_by, status, required_approvals, created_at)
        select ${prefix} || i, 'agt_b' || (((hashint4(i)::bigint % 40) + 40) % 40), 's', 'shell', 'systemctl restart svc', '{}'::jsonb, 'h', 30,
               case when i % 3 = 0 then 'auto' else 'review' end, '[]'::jsonb, '[]'::jsonb, 'bench',
               case when i % 3 = 0 then
                 case when i % 30 = 0 then 'wl-' || (i % ${ENTRIES}) || ',wl-' || ((i + 1) % ${ENTRIES})
                      else 'wl-' || (i % ${ENTRIES}) end end,
               case when i % 3 = 0 then 'auto_approved' else 'approved' end, 0,
               to_timestamp((${from} + (i::bigint * ${span}) / ${count}) / 1000.0)
          from generate_series(0, ${count - 1}) i`);
    const t0 = performance.now();
    await insert(REQUESTS, start, 90 * DAY - 3_600_000, 'req_b');
    const inserted = performance.now() - t0;
    await db.execute(sql`analyze requests`);

    const t1 = performance.now();
    await refreshWhitelistHits(db, new Date(end - 3_600_000));
    const first = performance.now() - t1;
    const hits = await db.execute(sql`select count(*)::int as n from whitelist_hits`);
    const daily = await db.execute(sql`select count(*)::int as n from whitelist_hits_daily`);
    results.push({
      name: `hits first round (${REQUESTS.toLocaleString()} requests)`,
      opsPerSec: REQUESTS / (first / 1000),
      p50Ms: first,
      p99Ms: first,
      notes: `insert ${(inserted / 1000).toFixed(1)} s; ${(daily.rows[0] as { n: number }).n} day rows, ${(hits.rows[0] as { n: number }).n} totals`,
    });

    const NEW = 3_000;
    await insert(NEW, end - 3_600_000, 3_600_000 - 1_000, 'req_n');
    const t2 = performance.now();
    await refreshWhitelistHits(db, new Date(end));
    const incremental = performance.now() - t2;
    results.push({
      name: `hits incremental round (+${NEW.toLocaleString()} in the last hour)`,
      opsPerSec: 1000 / incremental,
      p50Ms: incremental,
      p99Ms: incremental,
      notes: 'recomputes the days with new whitelisted requests only',
    });

    const read = () => whitelistGovernance(db, engine);
    const check = await read();
    const counted = check.items.reduce((n, e) => n + e.hits.count, 0);
    const times: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await read();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    results.push({
      name: `governance page read (${ENTRIES} entries)`,
      opsPerSec: 1000 / percentile(times, 50),
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      notes: `${counted.toLocaleString()} hits counted`,
    });
    return results;
  } finally {
    await handle.close();
    await database.drop();
  }
}
