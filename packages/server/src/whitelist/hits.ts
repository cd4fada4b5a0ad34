import type { Db } from '@gatehouse/db';
import { type SQL, sql } from 'drizzle-orm';
import type { Runtime } from '../platform/runtime.ts';

/**
 * Hits per whitelist entry, agent and UTC day, kept off the decision path: each round
 * recomputes whole the days that got whitelisted requests since the last round (minus a
 * margin for group commits and replica clock skew), from the partial index on requests a
 * whitelist lowered, then re-sums the all-time totals of the entries those days touch. A
 * round is idempotent, so any replica may run it (one at a time, under an advisory lock),
 * and a page load reads only the small totals table.
 */

const STATE = 'whitelist-hits';
/** Arbitrary constant shared by every replica, distinct from the insights rollup's. */
const HITS_LOCK_KEY = 0x6a7e_4d18;
/** Requests may commit this long after their created_at (group commit, replica clock skew). */
const SKEW_MARGIN_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export interface HitsRound {
  /** False when another replica held the lock: this round was its. */
  ran: boolean;
  days: number;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const list = (values: readonly string[]): SQL =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

export async function refreshWhitelistHits(db: Db, now = new Date()): Promise<HitsRound> {
  return db.transaction(async (tx) => {
    const locked = await tx.execute(sql`select pg_try_advisory_xact_lock(${HITS_LOCK_KEY}) as ok`);
    if (!(locked.rows[0] as { ok: boolean }).ok) return { ran: false, days: 0 };
    const state = await tx.execute(sql`select at from insight_state where name = ${STATE} for update`);
    const last = (state.rows[0] as { at: string | Date } | undefined)?.at;
    const since = last === undefined ? null : new Date(new Date(last).getTime() - SKEW_MARGIN_MS);
    const created = await tx.execute(sql`
      select distinct date_trunc('day', created_at, 'UTC') as day from requests
       where whitelisted_by is not null ${since ? sql`and created_at >= ${ts(since)}` : sql``}`);
    const days = (created.rows as { day: string | Date }[]).map((r) => new Date(r.day));
    const touched = new Set<string>();
    for (const day of days) {
      const from = ts(day);
      const to = ts(new Date(day.getTime() + DAY_MS));
      const before = await tx.execute(
        sql`select distinct entry_id from whitelist_hits_daily where day = ${from}`,
      );
      for (const row of before.rows as { entry_id: string }[]) touched.add(row.entry_id);
      await tx.execute(sql`delete from whitelist_hits_daily where day = ${from}`);
      const after = await tx.execute(sql`
        insert into whitelist_hits_daily (day, entry_id, agent_id, agent_type, count, last_hit_at)
        select ${from}, e.entry, r.agent_id, max(coalesce(a.type, 'unknown')), count(*)::int, max(r.created_at)
          from requests r
          left join agents a on a.id = r.agent_id,
          lateral (select distinct unnest(string_to_array(r.whitelisted_by, ',')) as entry) e
         where r.whitelisted_by is not null and r.created_at >= ${from} and r.created_at < ${to}
         group by e.entry, r.agent_id
        returning entry_id`);
      for (const row of after.rows as { entry_id: string }[]) touched.add(row.entry_id);
    }
    if (touched.size > 0) {
      const ids = list([...touched]);
      await tx.execute(sql`delete from whitelist_hits where entry_id in (${ids})`);
      await tx.execute(sql`
        insert into whitelist_hits (entry_id, agent_id, agent_type, count, last_hit_at)
        select entry_id, agent_id, max(agent_type), sum(count)::int, max(last_hit_at)
          from whitelist_hits_daily where entry_id in (${ids})
         group by entry_id, agent_id`);
    }
    await tx.execute(sql`
      insert into insight_state (name, at, pending_hours, updated_at) values (${STATE}, ${ts(now)}, '{}', now())
      on conflict (name) do update set at = excluded.at, updated_at = now()`);
    return { ran: true, days: days.length };
  });
}

/** When the hit counts were last brought up to date; null before the first round. */
export async function hitsUpdatedAt(db: Db): Promise<Date | null> {
  const result = await db.execute(sql`select at from insight_state where name = ${STATE}`);
  const row = result.rows[0] as { at: string | Date } | undefined;
  return row ? new Date(row.at) : null;
}

/**
 * Keeps the hit counts in every process that runs jobs, at the insights rollup's pace
 * (`GATEHOUSE_INSIGHTS_INTERVAL_SECONDS`): both feed the security console. Returns the stop
 * function.
 */
export function startWhitelistHits(rt: Runtime): () => void {
  let running = false;
  let stopped = false;
  const round = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await refreshWhitelistHits(rt.database.db);
    } catch (error) {
      if (!stopped)
        rt.log.warn({ err: (error as Error).message }, 'whitelist hits round failed; the next one retries');
    } finally {
      running = false;
    }
  };
  const period = rt.config.insights.intervalSeconds * 1000;
  const first = setTimeout(() => void round(), Math.min(1_000, period));
  const timer = setInterval(() => void round(), period);
  first.unref();
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}
