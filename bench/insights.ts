import { migrate, openDatabase } from '@gatehouse/db';
import {
  autoApprovalSeries,
  driftCounts,
  insightsSummary,
  mixBuckets,
  rebuildRollups,
} from '@gatehouse/server';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from '../test/support/postgres.ts';
import { type BenchResult, percentile } from './types.ts';

const REQUESTS = Number(process.env.BENCH_INSIGHTS_REQUESTS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_INSIGHTS_ROUNDS ?? 40);
const DAY = 86_400_000;

/**
 * The security console's reads over a large history: REQUESTS requests over 60 days, 40
 * agents of 4 types in 3 environments, written by one INSERT … SELECT generate_series; the
 * rollups (hour and day) built by the job's own backfill (timed); then each dashboard query,
 * ROUNDS times.
 * The bar: p99 < 200 ms at 1,000,000 requests.
 */
export async function benchInsights(): Promise<BenchResult[]> {
  const database = await createTestDatabase('gh_bench_insights');
  const handle = await openDatabase({ url: database.url, dataDir: '', poolSize: 4 });
  const results: BenchResult[] = [];
  try {
    await migrate(handle.db);
    const db = handle.db;
    await db.execute(sql`
      insert into agents (id, name, type, key_hash, created_by)
      select 'agt_b' || i, 'bench-' || i, (array['ci','coding-agent','untrusted','etl'])[1 + i % 4], 'k' || i, 'bench'
        from generate_series(0, 39) i`);
    const end = Math.floor(Date.now() / DAY) * DAY;
    const start = end - 60 * DAY;
    const t0 = performance.now();
    await db.execute(sql`
      insert into requests (id, agent_id, session_id, kind, command, context, cmd_hash, score, tier, reasons,
                            commands, policy_version, whitelisted_by, status, required_approvals, created_at, decided_at)
      select 'req_b' || i, 'agt_b' || (i % 40), 's', 'shell', 'git status',
             jsonb_build_object('environment', (array['dev','staging','prod'])[1 + i % 3]), 'h', 5,
             case when i % 10 < 7 then 'auto' when i % 10 < 9 then 'review' else 'deny' end,
             jsonb_build_array(jsonb_build_object('rule', 'r' || (i % 12))),
             jsonb_build_array(jsonb_build_object('kind', 'shell', 'name', (array['git','ls','kubectl','npm'])[1 + i % 4], 'args', jsonb_build_array('status'))),
             'b', case when i % 5 = 0 then 'wl-' || (i % 7) end,
             case when i % 10 < 7 then 'auto_approved' when i % 10 < 9 then (array['approved','rejected','expired','cancelled'])[1 + i % 4] else 'denied' end,
             1, ts, ts + ((i % 600) || ' seconds')::interval
        from generate_series(0, ${REQUESTS - 1}) i,
             lateral (select to_timestamp((${start} + (i::bigint * ${60 * DAY}) / ${REQUESTS}) / 1000.0) as ts) t`);
    const inserted = performance.now() - t0;
    const t1 = performance.now();
    await rebuildRollups(db, new Date(end));
    const built = performance.now() - t1;
    const cells = await db.execute(sql`select count(*)::int as n from insight_rollups`);
    const days = await db.execute(sql`select count(*)::int as n from insight_rollups_daily`);
    results.push({
      name: `rollup backfill (${REQUESTS.toLocaleString()} requests)`,
      opsPerSec: REQUESTS / (built / 1000),
      p50Ms: built,
      p99Ms: built,
      notes: `insert ${(inserted / 1000).toFixed(1)} s; ${(cells.rows[0] as { n: number }).n} hour + ${(days.rows[0] as { n: number }).n} day rollup rows`,
    });
    const from60 = new Date(start);
    const to = new Date(end);
    const queries: [string, () => Promise<unknown>][] = [
      [
        'auto-approval 60 d by day, by agent type',
        () => autoApprovalSeries(db, { from: from60, to, bucket: 'day', by: 'agentType' }),
      ],
      [
        'auto-approval 60 d by week, by agent',
        () => autoApprovalSeries(db, { from: from60, to, bucket: 'week', by: 'agent' }),
      ],
      [
        'auto-approval 7 d by hour, overall',
        () => autoApprovalSeries(db, { from: new Date(end - 7 * DAY), to, bucket: 'hour', by: null }),
      ],
      [
        'summary 30 d (tiers, outcomes, latency, top lists)',
        () => insightsSummary(db, { from: new Date(end - 30 * DAY), to }),
      ],
      [
        'mix 60 d by day (tiers, outcomes, p50/p90 per bucket)',
        () => mixBuckets(db, { from: from60, to, bucket: 'day' }),
      ],
      ['mix 7 d by hour', () => mixBuckets(db, { from: new Date(end - 7 * DAY), to, bucket: 'hour' })],
      [
        'drift counts (35 d, per type × env)',
        () =>
          driftCounts(db, end, {
            windowDays: 7,
            baselineDays: 28,
            ceiling: 0.95,
            risePoints: 10,
            minRequests: 50,
          }),
      ],
    ];
    for (const [name, run] of queries) {
      await run();
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t = performance.now();
        await run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      results.push({
        name,
        opsPerSec: 1000 / percentile(times, 50),
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
      });
    }
    return results;
  } finally {
    await handle.close();
    await database.drop();
  }
}
