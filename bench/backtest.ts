import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { migrate, openDatabase } from '@gatehouse/db';
import { prepareBacktest, rescoreHistory } from '@gatehouse/server';
import { sql } from 'drizzle-orm';
import { NO_DESTROY_POLICY } from '../test/support/gatehouse.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import type { BenchResult } from './types.ts';

const REQUESTS = Number(process.env.BENCH_BACKTEST_REQUESTS ?? 100_000);
/** Distinct commands in the repeating history: agents run the same few hundred commands over and over. */
const DISTINCT = Number(process.env.BENCH_BACKTEST_DISTINCT ?? 2_000);
const DAY = 86_400_000;

const CANDIDATE = NO_DESTROY_POLICY;

/**
 * A policy backtest over REQUESTS requests of the last 30 days (40 agents of 4 types in 3
 * environments), written by one INSERT … SELECT generate_series, re-scored under a candidate
 * that denies `terraform destroy`: from the first page read to the result, through the
 * same generator the API streams. Two histories: one where commands repeat (DISTINCT of
 * them, as agents' histories do), and one where every command is different (the worst case:
 * every request goes through the parsers). The bar: ≥ 20,000 requests/s on the repeating one.
 * The heap is sampled after every page: its growth shows that memory stays flat.
 */
export async function benchBacktest(): Promise<BenchResult[]> {
  const database = await createTestDatabase('gh_bench_backtest');
  const handle = await openDatabase({ url: database.url, dataDir: '', poolSize: 4 });
  const results: BenchResult[] = [];
  try {
    await migrate(handle.db);
    const db = handle.db;
    await db.execute(sql`
      insert into agents (id, name, type, key_hash, created_by)
      select 'agt_b' || i, 'bench-' || i, (array['ci','coding-agent','untrusted','etl'])[1 + i % 4], 'k' || i, 'bench'
        from generate_series(0, 39) i`);
    for (const [label, distinct] of [
      [`${DISTINCT.toLocaleString()} distinct commands`, DISTINCT],
      ['every command distinct', REQUESTS],
    ] as const) {
      await db.execute(sql`truncate requests cascade`);
      await seed(db, distinct);
      // Warm-up over the last 3 days of the same history: parsers loaded, code compiled.
      const warm = await prepareBacktest(db, { policy: CANDIDATE, since: '3d' });
      for await (const _ of rescoreHistory(db, warm));
      const prepared = await prepareBacktest(db, { policy: CANDIDATE, since: '30d' });
      let pages = 0;
      let total = 0;
      let moved = 0;
      const t0 = performance.now();
      for await (const line of rescoreHistory(db, prepared)) {
        if (line.type === 'progress') {
          pages++;
        } else if (line.type === 'result') {
          total = line.total;
          moved = line.moved;
        } else throw new Error(`backtest failed: ${line.message}`);
      }
      const ms = performance.now() - t0;
      if (total !== REQUESTS) throw new Error(`re-scored ${total} of ${REQUESTS} requests`);
      results.push({
        name: `backtest: re-score ${REQUESTS.toLocaleString()} requests, ${label}`,
        opsPerSec: total / (ms / 1000),
        p50Ms: ms,
        p99Ms: ms,
        notes: `${pages - 1} pages, ${moved.toLocaleString()} moved; ${await retained(db)}`,
      });
    }
    return results;
  } finally {
    await handle.close();
    await database.drop();
  }
}

/**
 * The heap a run holds, after a full collection, at its 10th page and at its last: the same
 * figure at both ends is memory flat in the length of the history. An untimed second pass,
 * since collecting on every sample would distort the timing.
 */
async function retained(db: Awaited<ReturnType<typeof openDatabase>>['db']): Promise<string> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const prepared = await prepareBacktest(db, { policy: CANDIDATE, since: '30d' });
  const samples: [page: number, bytes: number][] = [];
  let page = -1;
  for await (const line of rescoreHistory(db, prepared)) {
    // The first progress line comes before any page.
    if (line.type !== 'progress' || ++page % 10 !== 0 || page === 0) continue;
    gc();
    samples.push([page, process.memoryUsage().heapUsed]);
  }
  const [first, last] = [samples[0], samples.at(-1)];
  if (!first || !last) return 'fewer than 10 pages: no heap figure';
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  return `heap after GC: ${mib(first[1])} MiB at page ${first[0]}, ${mib(last[1])} MiB at page ${last[0]}`;
}

/**
 * REQUESTS requests over the last 29 days. Commands cycle through a mix of reads, writes and
 * destroys (every 20th is a `terraform destroy`, recorded as multi_party), made distinct by a
 * number from 0 to distinct-1.
 */
async function seed(db: Awaited<ReturnType<typeof openDatabase>>['db'], distinct: number): Promise<void> {
  const end = Date.now() - DAY;
  const start = end - 28 * DAY;
  await db.execute(sql`
    insert into requests (id, agent_id, session_id, kind, dialect, command, context, cmd_hash, score, tier, reasons,
                          commands, policy_version, status, required_approvals, created_at)
    select 'req_b' || i, 'agt_b' || (i % 40), 's',
           case when i % 10 = 3 then 'sql' else 'shell' end,
           case when i % 10 = 3 then 'postgresql' end,
           case
             when i % 20 = 0 then 'terraform destroy -target=module.m' || (i % ${distinct})
             when i % 10 = 3 then 'SELECT id, name FROM users WHERE id = ' || (i % ${distinct})
             when i % 10 = 5 then 'rm -rf build/out-' || (i % ${distinct})
             when i % 10 = 7 then 'kubectl get pods -n team-' || (i % ${distinct}) || ' -o wide'
             else 'git log --oneline -n ' || (1 + i % ${distinct}) || ' -- src/'
           end,
           jsonb_build_object('environment', (array['dev','staging','prod'])[1 + i % 3]), 'h', 5,
           case when i % 20 = 0 then 'multi_party' when i % 10 = 5 then 'review' else 'auto' end,
           '[]'::jsonb, '[]'::jsonb, 'b',
           case when i % 20 = 0 or i % 10 = 5 then 'approved' else 'auto_approved' end,
           1, to_timestamp((${start} + (i::bigint * ${28 * DAY}) / ${REQUESTS}) / 1000.0)
      from generate_series(0, ${REQUESTS - 1}) i`);
  await db.execute(sql`analyze requests`);
}
